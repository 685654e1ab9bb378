// The messages between a training session (extension host or CLI) and the worker thread that
// trains one net of a run. Declared once, imported by both sides.
import type { TfjsSetting } from '../engine/backend';
import { z } from 'zod';
import { metricPoint, NetPlan, RunConfig } from './types';

/** Train one net of the run; the worker writes its checkpoints into the run folder. */
export interface StartNetMessage {
  type: 'start';
  config: RunConfig;
  slot: NetPlan['slot'];
  runFolder: string;
  /** The TF.js backend to train on (the engine choice resolved by core/training/engineChoice.ts). */
  backend: TfjsSetting;
  /** Continue from the net's latest checkpoint instead of starting at step 0. */
  resume: boolean;
  /** Extra folders to find @tensorflow/tfjs-node(-gpu) in (e.g. the extension's storage); machine-specific, so not in the RunConfig. */
  nodeModulePaths?: string[];
  /**
   * Train at a lower priority than the process's other threads (Linux, where the nice value is
   * per thread and inherited by the threads this one starts), so an editor hosting the worker
   * stays responsive. Elsewhere the priority is per process and is left alone.
   */
  lowPriority?: boolean;
  /**
   * How many of the run's nets are still training: an Int32 shared by their worker threads. Each
   * net's kernels take an equal share of the cores, and a net that ends gives its share to the rest.
   */
  netsTraining?: SharedArrayBuffer;
}

/** Pause after the current step, continue, or stop (writing a checkpoint first). */
export interface NetControlMessage {
  type: 'pause' | 'resume' | 'stop';
}

/** Start a TF.js backend and say which (a 'backend' message) or why not ('failed'), then end. */
export interface ProbeBackendMessage {
  type: 'probe';
  backend: TfjsSetting;
  nodeModulePaths?: string[];
}

/** Write the PyTorch engine's job folder of a run (core/pytorch/job.ts): 'data' when written, or 'failed'; then end. */
export interface WriteJobMessage {
  type: 'job';
  config: RunConfig;
  folder: string;
}

export type ToWorkerMessage = StartNetMessage | NetControlMessage | ProbeBackendMessage | WriteJobMessage;

/** What a trainer (a worker thread, or a PyTorch process's JSON lines) reports; checked on arrival. */
export const fromTrainer = z.discriminatedUnion('type', [
  /** The backend chosen, as the UI names it. */
  z.object({ type: z.literal('backend'), kind: z.string(), title: z.string() }),
  /** The data loaded, as the UI says it. */
  z.object({ type: z.literal('data'), description: z.string() }),
  /** Training started (or resumed) at this step. */
  z.object({ type: z.literal('started'), step: z.number() }),
  z.object({ type: z.literal('metrics'), points: z.array(metricPoint) }),
  z.object({ type: z.literal('checkpoint'), step: z.number(), folder: z.string() }),
  z.object({ type: z.literal('paused'), step: z.number() }),
  z.object({ type: z.literal('resumed'), step: z.number() }),
  /** Ended: all iterations done, or stopped on request (after a checkpoint). */
  z.object({ type: z.literal('done'), reason: z.enum(['finished', 'stopped']), step: z.number() }),
  /** Failed with a message naming the problem; the last checkpoint stays. */
  z.object({ type: z.literal('failed'), message: z.string() }),
]);
export type FromWorkerMessage = z.infer<typeof fromTrainer>;
