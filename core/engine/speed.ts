// Measured speed of the engine on this machine: images per second of training (or inference)
// for one model, batch size and backend, from a few real steps on synthetic data. Used by
// `npm run bench` (bench/engineChild.ts) and meant for the training UI's time estimate.
import { Batch } from '../data/types';
import { buildGraph } from '../graph';
import { ModelRequest, specFromRequest } from '../spec';
import { BackendDescription, BackendOptions, selectBackend, TfjsSetting } from './backend';
import { ResNetModel } from './model';
import { Trainer } from './train';

export interface SpeedRequest {
  model: ModelRequest;
  batchSize: number;
  /** Which backend; 'auto' as the training setting does. Made TF.js's current backend. */
  backend?: TfjsSetting;
  backendOptions?: BackendOptions;
  mode?: 'train' | 'infer';
  /** Steps before timing (operator set-up, memory growth); default 1. */
  warmupSteps?: number;
  /** Timed steps (the median is reported); default 3. */
  steps?: number;
  /** Keep timing past `steps` until this many seconds have passed; default 0. */
  minSeconds?: number;
}

export interface SpeedResult {
  mode: 'train' | 'infer';
  batchSize: number;
  /** batchSize / median step time. */
  imagesPerSec: number;
  medianStepMs: number;
  /** Each timed step, in ms. */
  stepMs: number[];
  backend: BackendDescription;
}

/** Deterministic pseudo-random images (cost is the same as real ones) and cycling labels. */
function syntheticBatch(size: number, h: number, w: number, c: number, classes: number): Batch {
  const x = new Float32Array(size * h * w * c);
  for (let i = 0; i < x.length; i++) x[i] = Math.sin(i * 12.9898) * 0.5;
  const y = new Int32Array(size);
  for (let i = 0; i < size; i++) y[i] = i % classes;
  return { x, y, size, height: h, width: w, channels: c };
}

const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];

/**
 * Trains (or runs inference on) `model` for warmupSteps + steps real steps at `batchSize` on the
 * chosen backend and returns the median speed. Throws a BackendError when an explicit backend
 * cannot start. Leaves no tensors behind.
 */
export async function measureTrainingSpeed(request: SpeedRequest): Promise<SpeedResult> {
  const mode = request.mode ?? 'train';
  const { batchSize } = request;
  if (!Number.isInteger(batchSize) || batchSize < 1) throw new Error(`The batch size must be a whole number ≥ 1; got ${batchSize}.`);
  const steps = Math.max(1, request.steps ?? 3);
  const warmupSteps = Math.max(0, request.warmupSteps ?? 1);
  const backend = await selectBackend(request.backend ?? 'auto', request.backendOptions);
  const graph = buildGraph(specFromRequest(request.model));
  const model = new ResNetModel(graph, { seed: 1 });
  const trainer = new Trainer(model);
  try {
    const [h, w, c] = graph.inputShape;
    const batch = syntheticBatch(batchSize, h, w, c, graph.spec.classes);
    const step = mode === 'train' ? () => trainer.trainStep(batch, 0.01) : () => trainer.evaluate(batch, batchSize);
    for (let i = 0; i < warmupSteps; i++) step();
    const stepMs: number[] = [];
    const start = performance.now();
    while (stepMs.length < steps || performance.now() - start < (request.minSeconds ?? 0) * 1000) {
      const t0 = performance.now();
      step();
      stepMs.push(performance.now() - t0);
    }
    const medianStepMs = median(stepMs);
    return { mode, batchSize, imagesPerSec: (batchSize * 1000) / medianStepMs, medianStepMs, stepMs, backend };
  } finally {
    trainer.dispose();
    model.dispose();
  }
}
