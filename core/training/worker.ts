// The worker thread that trains one net of a run (bundled as dist/trainWorker.js).
import { parentPort } from 'node:worker_threads';
import { NetControl, trainNet } from './netTrainer';
import type { FromWorkerMessage, ToWorkerMessage } from './workerProtocol';

const port = parentPort;
if (!port) throw new Error('core/training/worker.ts must run in a worker thread.');
const control = new NetControl();
const emit = (message: FromWorkerMessage) => port.postMessage(message);

port.on('message', (message: ToWorkerMessage) => {
  if (message.type !== 'start') {
    control.request(message.type);
    return;
  }
  trainNet(message, control, emit)
    .catch((error: unknown) => emit({ type: 'failed', message: error instanceof Error ? error.message : String(error) }))
    .finally(() => port.close());
});
