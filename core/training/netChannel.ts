// What a training session holds of each net it trains, whichever engine trains it: a TF.js
// worker thread (here) or a PyTorch child process (core/pytorch/netProcess.ts).
import { Worker } from 'node:worker_threads';
import type { FromWorkerMessage, NetControlMessage, ProbeBackendMessage, StartNetMessage, WriteJobMessage } from './workerProtocol';

export interface NetHandlers {
  message(message: FromWorkerMessage): void;
  /** It crashed or ended without a 'done' (ignored once the net has ended). */
  failed(reason: string): void;
  /** It is gone. */
  exited(): void;
  /** A line it printed that is not a protocol message (PyTorch's stderr). */
  log?(line: string): void;
}

export interface NetChannel {
  post(message: NetControlMessage): void;
  /** Ends it at once (a session torn down). */
  kill(): void;
}

export function startWorkerNet(workerPath: string, start: StartNetMessage, handlers: NetHandlers): NetChannel {
  const worker = new Worker(workerPath);
  worker.on('message', handlers.message);
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
    worker.on('message', (answer: FromWorkerMessage) => (answer.type === 'backend' || answer.type === 'data' || answer.type === 'failed') && done(answer));
    worker.on('error', (error) => done({ type: 'failed', message: `the thread crashed: ${error.message}` }));
    worker.on('exit', (code) => done({ type: 'failed', message: `the thread ended without an answer (code ${code})` }));
    worker.postMessage(message);
  });
}
