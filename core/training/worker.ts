// The worker thread that trains one net of a run (bundled as dist/trainWorker.js).
import * as os from 'node:os';
import { parentPort } from 'node:worker_threads';
import { selectBackend } from '../engine/backend';
import { writeJob } from '../pytorch/job';
import { NetControl, trainNet } from './netTrainer';
import type { FromWorkerMessage, ToWorkerMessage } from './workerProtocol';

const port = parentPort;
if (!port) throw new Error('core/training/worker.ts must run in a worker thread.');
const control = new NetControl();
const emit = (message: FromWorkerMessage) => port.postMessage(message);

port.on('message', (message: ToWorkerMessage) => {
  // One-off errands, then the thread ends: off the host's main thread, so an editor stays responsive.
  let errand: Promise<void> | null = null;
  if (message.type === 'probe') errand = selectBackend(message.backend, { nodeModulePaths: message.nodeModulePaths }).then((backend) => emit({ type: 'backend', kind: backend.kind, title: backend.title }));
  else if (message.type === 'job') errand = writeJob(message.config, message.folder).then((job) => emit({ type: 'data', description: job.data.description }));
  if (errand) {
    errand.catch((error: unknown) => emit({ type: 'failed', message: error instanceof Error ? error.message : String(error) })).finally(() => port.close());
    return;
  }
  if (message.type !== 'start') {
    control.request(message.type as 'pause' | 'resume' | 'stop');
    return;
  }
  const train = async () => {
    // Before the backend starts its helper threads, which inherit this thread's nice value.
    if (message.lowPriority && process.platform === 'linux') os.setPriority(os.constants.priority.PRIORITY_BELOW_NORMAL);
    await trainNet(message, control, emit);
  };
  train()
    .catch((error: unknown) => emit({ type: 'failed', message: error instanceof Error ? error.message : String(error) }))
    .finally(() => port.close());
});
