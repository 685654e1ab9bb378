// The inspector's worker thread (bundled as dist/inspectWorker.js): the block probe's forward
// passes run here, so the extension host stays responsive while the view refreshes.
import { parentPort } from 'node:worker_threads';
import { describeBackend, selectBackend } from '../engine/backend';
import { machineThreads, setKernelThreads } from '../engine/wasmThreads';
import { InspectionSession } from './session';
import type { FromInspectWorkerMessage, ToInspectWorkerMessage } from './workerProtocol';

const port = parentPort;
if (!port) throw new Error('core/inspect/worker.ts must run in a worker thread.');
const reply = (message: FromInspectWorkerMessage) => port.postMessage(message);
let session: InspectionSession | null = null;
let backend = '';
const allCores = machineThreads();

async function handle(message: ToInspectWorkerMessage): Promise<FromInspectWorkerMessage> {
  switch (message.type) {
    case 'open': {
      if (!backend) backend = describeBackend(await selectBackend(message.backend, { nodeModulePaths: message.nodeModulePaths }));
      const next = await InspectionSession.open(message.source);
      session?.dispose();
      session = next;
      // Following a run's latest weights, it refreshes while that run trains: one core, so a
      // refresh never holds both of the trainer's (the live view's duty cycle is per core).
      setKernelThreads(next.follows ? 1 : allCores);
      return { type: 'opened', requestId: message.requestId, images: next.images(), backend, follows: next.follows, progress: next.progress() };
    }
    case 'inspect': {
      if (!session) throw new Error('No inspection is open.');
      return { type: 'inspected', requestId: message.requestId, ...session.inspect(message.imageIndex) };
    }
    case 'progress':
      if (!session) throw new Error('No inspection is open.');
      return { type: 'progress', requestId: message.requestId, progress: session.progress() };
  }
}

// One request at a time, in order: each waits for the one before.
let queue = Promise.resolve();
port.on('message', (message: ToInspectWorkerMessage) => {
  queue = queue.then(() =>
    handle(message).then(reply, (error: unknown) => reply({ type: 'failed', requestId: message.requestId, message: error instanceof Error ? error.message : String(error) })),
  );
});
