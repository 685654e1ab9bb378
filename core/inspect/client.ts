// The extension host's side of the inspector's worker thread: requests as promises, each
// reply checked against the worker's contract.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { Worker } from 'node:worker_threads';
import type { TfjsSetting } from '../engine/backend';
import type { InspectionSource } from './session';
import type { RunProgress } from './types';
import { checkMessage } from '../../protocol/channel';
import { RequestTracker } from '../../protocol/requests';
import { FromInspectWorkerMessage, fromInspectWorker, ToInspectWorkerMessage } from './workerProtocol';

type Reply<T extends FromInspectWorkerMessage['type']> = Extract<FromInspectWorkerMessage, { type: T }>;
/** A request without its requestId (the tracker adds it). */
type Request = ToInspectWorkerMessage extends infer M ? (M extends { requestId: number } ? Omit<M, 'requestId'> : never) : never;

/** The bundled worker sits beside the bundle (dist/inspectWorker.js); compiled tests use out/…/worker.js. */
function defaultInspectWorkerPath(): string {
  const bundled = path.join(__dirname, 'inspectWorker.js');
  return fs.existsSync(bundled) ? bundled : path.join(__dirname, 'worker.js');
}

export class InspectorClient {
  private readonly worker: Worker;
  private readonly requests = new RequestTracker<FromInspectWorkerMessage>();

  /** @param onProblem told of a malformed message from the worker (it is ignored). */
  constructor(workerPath = defaultInspectWorkerPath(), onProblem: (text: string) => void = () => undefined) {
    this.worker = new Worker(workerPath);
    this.worker.on('message', (data: unknown) => {
      let message: FromInspectWorkerMessage;
      try {
        message = checkMessage(fromInspectWorker, data);
      } catch (error) {
        onProblem(`the inspector's thread sent ${(error as Error).message}; ignored`);
        return;
      }
      this.requests.settle(message, message.type === 'failed' ? message.message : undefined);
    });
    this.worker.on('error', (error) => this.requests.end(new Error(`the inspector's thread crashed: ${error.message}`)));
    this.worker.on('exit', (code) => this.requests.end(new Error(`the inspector's thread exited (code ${code})`)));
  }

  private request<T extends FromInspectWorkerMessage['type']>(message: Request): Promise<Reply<T>> {
    return this.requests.send<Reply<T>>((requestId) => this.worker.postMessage({ ...message, requestId } as ToInspectWorkerMessage));
  }

  open(source: InspectionSource, backend: TfjsSetting, nodeModulePaths?: string[]): Promise<Reply<'opened'>> {
    return this.request<'opened'>({ type: 'open', source, backend, nodeModulePaths });
  }

  inspect(imageIndex: number): Promise<Reply<'inspected'>> {
    return this.request<'inspected'>({ type: 'inspect', imageIndex });
  }

  /** Each net's latest checkpoint step, and whether the run trains now. */
  progress(): Promise<RunProgress> {
    return this.request<'progress'>({ type: 'progress' }).then((m) => m.progress);
  }

  dispose(): Promise<number> {
    return this.worker.terminate();
  }
}
