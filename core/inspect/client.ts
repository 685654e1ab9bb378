// The extension host's side of the inspector's worker thread: requests as promises.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { Worker } from 'node:worker_threads';
import type { TfjsSetting } from '../engine/backend';
import type { InspectionSource } from './session';
import type { FromInspectWorkerMessage, ToInspectWorkerMessage } from './workerProtocol';

type Reply<T extends FromInspectWorkerMessage['type']> = Extract<FromInspectWorkerMessage, { type: T }>;
/** A request without its id (the client adds it). */
type Request = ToInspectWorkerMessage extends infer M ? (M extends { id: number } ? Omit<M, 'id'> : never) : never;

/** The bundled worker sits beside the bundle (dist/inspectWorker.js); compiled tests use out/…/worker.js. */
export function defaultInspectWorkerPath(): string {
  const bundled = path.join(__dirname, 'inspectWorker.js');
  return fs.existsSync(bundled) ? bundled : path.join(__dirname, 'worker.js');
}

export class InspectorClient {
  private readonly worker: Worker;
  private nextId = 1;
  private readonly pending = new Map<number, { resolve(m: FromInspectWorkerMessage): void; reject(e: Error): void }>();
  private ended: Error | null = null;

  constructor(workerPath = defaultInspectWorkerPath()) {
    this.worker = new Worker(workerPath);
    this.worker.on('message', (message: FromInspectWorkerMessage) => {
      const waiter = this.pending.get(message.id);
      if (!waiter) return;
      this.pending.delete(message.id);
      if (message.type === 'failed') waiter.reject(new Error(message.message));
      else waiter.resolve(message);
    });
    const fail = (error: Error) => {
      this.ended = error;
      for (const waiter of this.pending.values()) waiter.reject(error);
      this.pending.clear();
    };
    this.worker.on('error', (error) => fail(new Error(`the inspector's thread crashed: ${error.message}`)));
    this.worker.on('exit', (code) => fail(new Error(`the inspector's thread exited (code ${code})`)));
  }

  private request<T extends FromInspectWorkerMessage['type']>(message: Request): Promise<Reply<T>> {
    if (this.ended) return Promise.reject(this.ended);
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve: resolve as (m: FromInspectWorkerMessage) => void, reject });
      this.worker.postMessage({ ...message, id } as ToInspectWorkerMessage);
    });
  }

  open(source: InspectionSource, backend: TfjsSetting, nodeModulePaths?: string[]): Promise<Reply<'opened'>> {
    return this.request<'opened'>({ type: 'open', source, backend, nodeModulePaths });
  }

  inspect(imageIndex: number): Promise<Reply<'inspected'>> {
    return this.request<'inspected'>({ type: 'inspect', imageIndex });
  }

  latestSteps(): Promise<Array<number | null>> {
    return this.request<'latestSteps'>({ type: 'latestSteps' }).then((m) => m.steps);
  }

  dispose(): Promise<number> {
    return this.worker.terminate();
  }
}
