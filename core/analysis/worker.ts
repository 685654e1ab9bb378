// The analysis worker thread (bundled as dist/analysisWorker.js): runs one lesion study or
// gradient flow (the very functions `resnet-lab analyze` runs), posting progress, then the
// result. The extension host ends the thread to cancel.
import { parentPort } from 'node:worker_threads';
import { selectBackend } from '../engine/backend';
import { setKernelThreads } from '../engine/wasmThreads';
import { runGradientFlow } from './gradientFlow';
import { runLesionStudy } from './lesionStudy';
import type { AnalysisRequest, FromAnalysisWorkerMessage, ToAnalysisWorkerMessage } from './workerProtocol';

const port = parentPort;
if (!port) throw new Error('core/analysis/worker.ts must run in a worker thread.');
const reply = (message: FromAnalysisWorkerMessage) => port.postMessage(message);
const onProgress = (text: string, fraction: number) => reply({ type: 'progress', text, fraction });

async function run(request: AnalysisRequest): Promise<FromAnalysisWorkerMessage> {
  await selectBackend(request.backend, { nodeModulePaths: request.nodeModulePaths });
  if (request.threads !== undefined) setKernelThreads(request.threads);
  if (request.kind === 'lesion') return { type: 'lesion', study: await runLesionStudy(request.runFolder, { step: request.step, images: request.images, onProgress }) };
  return { type: 'gradients', flow: await runGradientFlow(request.runFolder, { step: request.step, onProgress }) };
}

port.once('message', (message: ToAnalysisWorkerMessage) => {
  run(message.request).then(reply, (error: unknown) => reply({ type: 'failed', message: error instanceof Error ? error.message : String(error) }));
});
