// The extension host's side of the analysis worker: one thread per analysis, its progress
// passed on, its result checked against the schema, and cancel() ending the thread at once.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { Worker } from 'node:worker_threads';
import { checkMessage } from '../../protocol/channel';
import type { GradientFlow, LesionStudy } from './types';
import { AnalysisRequest, FromAnalysisWorkerMessage, fromAnalysisWorker, ToAnalysisWorkerMessage } from './workerProtocol';

export type AnalysisResult = { kind: 'lesion'; study: LesionStudy } | { kind: 'gradients'; flow: GradientFlow };

/** The analysis was cancelled (by the user, or because its panel closed); the message says why. */
export class AnalysisCancelled extends Error {}

export interface RunningAnalysis {
  result: Promise<AnalysisResult>;
  /** Ends the thread; `result` rejects with AnalysisCancelled(reason). No-op once settled. */
  cancel(reason: string): void;
}

/** The bundled worker sits beside the bundle (dist/analysisWorker.js); compiled tests use out/…/worker.js. */
function defaultAnalysisWorkerPath(): string {
  const bundled = path.join(__dirname, 'analysisWorker.js');
  return fs.existsSync(bundled) ? bundled : path.join(__dirname, 'worker.js');
}

export function startAnalysis(request: AnalysisRequest, onProgress: (text: string, fraction: number) => void, workerPath = defaultAnalysisWorkerPath()): RunningAnalysis {
  const worker = new Worker(workerPath);
  let settled = false;
  let cancel: (reason: string) => void = () => undefined;
  const result = new Promise<AnalysisResult>((resolve, reject) => {
    const finish = (outcome: () => void) => {
      if (settled) return;
      settled = true;
      outcome();
      void worker.terminate();
    };
    cancel = (reason) => finish(() => reject(new AnalysisCancelled(reason)));
    worker.on('message', (data: unknown) => {
      let message: FromAnalysisWorkerMessage;
      try {
        message = checkMessage(fromAnalysisWorker, data);
      } catch (error) {
        finish(() => reject(new Error(`the analysis thread sent ${(error as Error).message}`)));
        return;
      }
      if (message.type === 'progress') {
        if (!settled) onProgress(message.text, message.fraction);
      } else if (message.type === 'failed') finish(() => reject(new Error(message.message)));
      else if (message.type === 'lesion') finish(() => resolve({ kind: 'lesion', study: message.study }));
      else finish(() => resolve({ kind: 'gradients', flow: message.flow }));
    });
    worker.on('error', (error) => finish(() => reject(new Error(`the analysis thread crashed: ${error.message}`))));
    worker.on('exit', (code) => finish(() => reject(new Error(`the analysis thread exited (code ${code}) before it finished`))));
  });
  worker.postMessage({ type: 'run', request } satisfies ToAnalysisWorkerMessage);
  return { result, cancel: (reason) => cancel(reason) };
}
