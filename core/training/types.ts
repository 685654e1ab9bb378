// What a training run is and what it records: shared by the trainer, the run folder, the
// CLI, the extension and the curves view.
import { z } from 'zod';
import type { BackendSetting } from '../engine/backend';
import type { ModelRequest } from '../spec';

export type { BackendSetting };

/** One of the nets of a run: a run compares one or two ("a" residual, "b" its plain twin). */
export interface NetPlan {
  slot: 'a' | 'b';
  request: ModelRequest;
  /** Display title, e.g. "ResNet-20" or "plain-56". */
  title: string;
}

export interface DataPlan {
  /** synthetic: the embedded shapes set; cifar10: the official binary set (downloaded or local). */
  kind: 'synthetic' | 'cifar10';
  /** For cifar10: the folder holding cifar-10-batches-bin (or the batches themselves). */
  location?: string;
  /** Training images used (a subset of the 45k split, or of the synthetic set). */
  trainSize: number;
  /** Test images evaluated at each evaluation. */
  testSize: number;
  /** What the UI says of the data, e.g. "CIFAR-10 (45,000 train / 10,000 test)". */
  description: string;
}

export interface ScheduleMilestone {
  step: number;
  lr: number;
}

export interface ScheduleDescription {
  baseLr: number;
  /** Learning rate changes, in order; the first is step 0. */
  milestones: ScheduleMilestone[];
  /** Readable, e.g. "lr 0.1, ÷10 at 32,000 and 48,000 of 64,000 iterations". */
  text: string;
}

export interface RunConfig {
  version: 1;
  id: string;
  /** ISO time the run was created. */
  createdAt: string;
  nets: NetPlan[];
  data: DataPlan;
  iterations: number;
  batchSize: number;
  seed: number;
  backend: BackendSetting;
  schedule: ScheduleDescription;
  weightDecay: number;
  momentum: number;
  /** Record the training loss and error (averaged since the last record) every this many steps. */
  logEvery: number;
  /** Evaluate on the test images every this many steps (and at the end). */
  evalEvery: number;
  /** Write a checkpoint every this many steps (at least once an epoch) and at the end. */
  checkpointEvery: number;
}

/**
 * A number as a trainer reports it: NaN or ±Infinity too (a diverging net), which z.number()
 * refuses. JSON has neither, so metrics.jsonl and the PyTorch engine's lines hold null: read as NaN.
 */
const reading = z.preprocess((value) => (value === null ? NaN : value), z.custom<number>((value) => typeof value === 'number', 'expected a number'));

/**
 * A net's gradient norms at an evaluation (core/analysis/gradientLog.ts), on the same fixed
 * batch of training images every time: per block ‖∂L/∂x‖ of the block's input, per conv layer
 * ‖∂L/∂W‖ of its kernel, each in the net's graph order (as gradientFlow.ts).
 */
export const gradientLog = z.object({
  /** Images in the fixed batch. */
  images: z.number().int().positive(),
  /** The batch's mean cross-entropy (training-mode BatchNorm). */
  loss: reading,
  blocks: z.array(reading),
  convs: z.array(reading),
});
export type GradientLog = z.infer<typeof gradientLog>;

/** One line of metrics.jsonl (checked when a trainer reports it). */
export const metricPoint = z.object({
  slot: z.enum(['a', 'b']),
  step: z.number().int().nonnegative(),
  epoch: z.number().nonnegative(),
  split: z.enum(['train', 'test']),
  loss: reading,
  /** Top-1 error in [0, 1]. */
  error: reading,
  lr: reading,
  /** Training speed over the last interval (train points only). */
  imagesPerSec: reading.optional(),
  /** Test points: the gradient norms at this step (absent in runs logged before they were). */
  gradients: gradientLog.optional(),
  /** Milliseconds since the Unix epoch. */
  time: z.number(),
});
export type MetricPoint = z.infer<typeof metricPoint>;

/** 'stopping': a stop was asked and the nets are finishing their step and writing a checkpoint. */
export type RunStatus = 'starting' | 'running' | 'paused' | 'stopping' | 'stopped' | 'finished' | 'failed';

/** How a session of the run ended (outcome.json), so past-run views tell a failure from a stop. */
export interface RunOutcome {
  status: 'finished' | 'stopped' | 'failed';
  detail: string;
  /** The lowest step the nets reached. */
  step: number;
  /** ISO time it ended. */
  at: string;
  /** The engine and device that trained in that session, as it named itself (e.g. "PyTorch 2.4.0 on CUDA: NVIDIA H200"). */
  backend?: string;
}
