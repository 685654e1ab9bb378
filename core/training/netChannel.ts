// What a training session holds of each net it trains, whichever engine trains it: a TF.js
// worker thread (here) or a PyTorch child process (core/pytorch/netProcess.ts).
import { Worker } from 'node:worker_threads';
import type { FromWorkerMessage, NetControlMessage, StartNetMessage } from './workerProtocol';

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
