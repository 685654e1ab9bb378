// The messages between the extension host and the analysis worker thread (the lesion study
// and the gradient flow of a run, off the host's main thread), declared once for both sides.
// One worker runs one analysis and is then ended: cancelling ends it at once.
import { z } from 'zod';
import type { TfjsSetting } from '../engine/backend';
import { gradientFlowSchema, lesionStudySchema } from './types';

export type AnalysisKind = 'lesion' | 'gradients';

/** One analysis of a run's nets at a checkpoint, as `resnet-lab analyze RUN_DIR --lesion|--gradients` computes it. */
export interface AnalysisRequest {
  kind: AnalysisKind;
  runFolder: string;
  /** Each net at its checkpoint at this step, or its nearest (default: the latest). */
  step?: number;
  /** Test images for the lesion study (default 1,000). */
  images?: number;
  backend: TfjsSetting;
  nodeModulePaths?: string[];
  /** Kernel threads (1 while a run trains, so the trainer keeps its cores); default all. */
  threads?: number;
}

export type ToAnalysisWorkerMessage = { type: 'run'; request: AnalysisRequest };

export const fromAnalysisWorker = z.discriminatedUnion('type', [
  /** How far it is: readable text, and the fraction done in [0, 1]. */
  z.object({ type: z.literal('progress'), text: z.string(), fraction: z.number() }),
  z.object({ type: z.literal('lesion'), study: lesionStudySchema }),
  z.object({ type: z.literal('gradients'), flow: gradientFlowSchema }),
  /** It failed; the message names the problem. */
  z.object({ type: z.literal('failed'), message: z.string() }),
]);
export type FromAnalysisWorkerMessage = z.infer<typeof fromAnalysisWorker>;
