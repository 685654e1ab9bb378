// What a training session holds of each net it trains, whichever engine trains it: a TF.js
// worker thread (here) or a PyTorch child process (core/pytorch/netProcess.ts).
import { Worker } from 'node:worker_threads';
import { checkMessage } from '../../protocol/channel';
import { FromWorkerMessage, fromTrainer, NetControlMessage, ProbeBackendMessage, StartNetMessage, WriteJobMessage } from './workerProtocol';

export interface NetHandlers {
  message(message: FromWorkerMessage): void;
  /** It crashed or ended without a 'done' (ignored once the net has ended). */
  failed(reason: string): void;
  /** It is gone. */
  exited(): void;
  /** A line it printed that is not a protocol message (PyTorch's stderr), or a malformed message it sent. */
  log?(line: string): void;
}

/** Passes a trainer's message on if it has a declared shape; a malformed one is logged and ignored. */
export function receiveFromTrainer(data: unknown, handlers: NetHandlers): void {
  let message: FromWorkerMessage;
  try {
    message = checkMessage(fromTrainer, data);
  } catch (error) {
    handlers.log?.(`ignored ${(error as Error).message}`);
    return;
  }
  handlers.message(message);
}

export interface NetChannel {
  post(message: NetControlMessage): void;
  /** Ends it at once (a session torn down). */
  kill(): void;
}

export function startWorkerNet(workerPath: string, start: StartNetMessage, handlers: NetHandlers): NetChannel {
  const worker = new Worker(workerPath);
  worker.on('message', (data: unknown) => receiveFromTrainer(data, handlers));
  worker.on('error', (error) => handlers.failed(`the training thread crashed: ${error.message}`));
  worker.on('exit', (code) => {
    handlers.failed(`the training thread exited unexpectedly (code ${code})`);
    handlers.exited();
  });
  worker.postMessage(start);
  return { post: (message) => worker.postMessage(message), kill: () => void worker.terminate() };
}

/** Runs a one-off errand in a worker thread: its first answer ('backend', 'data' or 'failed'). */
export function workerErrand(workerPath: string, message: ProbeBackendMessage | WriteJobMessage): Promise<FromWorkerMessage> {
  return new Promise((resolve) => {
    const worker = new Worker(workerPath);
    const done = (answer: FromWorkerMessage) => {
      resolve(answer);
      void worker.terminate();
    };
    const answers = (answer: FromWorkerMessage) => (answer.type === 'backend' || answer.type === 'data' || answer.type === 'failed') && done(answer);
    worker.on('message', (data: unknown) => receiveFromTrainer(data, { message: answers, failed: () => undefined, exited: () => undefined }));
    worker.on('error', (error) => done({ type: 'failed', message: `the thread crashed: ${error.message}` }));
    worker.on('exit', (code) => done({ type: 'failed', message: `the thread ended without an answer (code ${code})` }));
    worker.postMessage(message);
  });
}
