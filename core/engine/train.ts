// The training step of the paper's CIFAR recipe: SGD with momentum 0.9 and weight decay 1e-4,
// the step learning-rate schedule scaled to a budget, evaluation in inference mode, and
// checkpoints that include the momentum buffers so a run resumes exactly.
import * as tf from '@tensorflow/tfjs-core';
import { Batch } from '../data/types';
import { NetworkSpec } from '../spec';
import { checkShape, NamedWeight, ResNetModel, softmaxCrossEntropy } from './model';
import { SGD_MOMENTUM, SgdMomentumAttrs } from './kernelNames';
import { releaseTapeEarly } from './tapeRelease';

/** The paper's CIFAR-10 schedule: lr 0.1, ÷10 at 32k and 48k, stop at 64k iterations. */
const PAPER_ITERATIONS = 64_000;
const PAPER_MILESTONES = [32_000, 48_000] as const;
const PAPER_LEARNING_RATE = 0.1;
/** ResNet-110: "0.01 to warm up the training until the training error is below 80% (about 400 iterations)". */
const PAPER_WARMUP_LEARNING_RATE = 0.01;
const PAPER_WARMUP_ITERATIONS = 400;

export interface ScheduleOptions {
  /**
   * false: none. true: the paper's ~400 of 64k iterations, scaled to the budget (at least 1).
   * A number: that many iterations. The warm-up is a fixed count rather than "until the
   * training error is below 80%", so a resumed run gets the same rate at the same step.
   */
  warmup?: boolean | number;
  learningRate?: number;
}

export interface LearningRateSchedule {
  totalIterations: number;
  /** Steps (0-based) from which the rate is divided by 10 again. */
  milestones: number[];
  warmupIterations: number;
  /** The rate for step k (0-based). */
  lrAt(step: number): number;
  /** e.g. "lr 0.1, ÷10 at 1,000 and 1,500 of 2,000 iterations (the paper's 32k and 48k of 64k, scaled)". */
  description: string;
}

const count = (n: number) => n.toLocaleString('en-US');

/** The paper's step schedule scaled to `totalIterations`. Pure. */
export function paperSchedule(totalIterations: number, options: ScheduleOptions = {}): LearningRateSchedule {
  if (!Number.isInteger(totalIterations) || totalIterations < 1) {
    throw new Error(`The iteration budget must be a whole number ≥ 1; got ${totalIterations}.`);
  }
  const lr = options.learningRate ?? PAPER_LEARNING_RATE;
  const milestones = PAPER_MILESTONES.map((m) => Math.round((m / PAPER_ITERATIONS) * totalIterations));
  const warmup = options.warmup ?? false;
  const warmupIterations =
    warmup === false ? 0 : warmup === true ? Math.max(1, Math.round((PAPER_WARMUP_ITERATIONS / PAPER_ITERATIONS) * totalIterations)) : Math.max(0, Math.floor(warmup));
  const lrAt = (step: number): number => {
    if (step < warmupIterations) return PAPER_WARMUP_LEARNING_RATE;
    let rate = lr;
    for (const m of milestones) if (step >= m) rate /= 10;
    return rate;
  };
  const scaled = totalIterations === PAPER_ITERATIONS ? 'as in the paper' : "the paper's 32k and 48k of 64k, scaled";
  const warmText = warmupIterations > 0 ? `; warm-up at ${PAPER_WARMUP_LEARNING_RATE} for the first ${count(warmupIterations)} iteration${warmupIterations === 1 ? '' : 's'}` : '';
  const description = `lr ${lr}, ÷10 at ${count(milestones[0])} and ${count(milestones[1])} of ${count(totalIterations)} iterations (${scaled})${warmText}`;
  return { totalIterations, milestones, warmupIterations, lrAt, description };
}

/** The paper warms up its 110-layer CIFAR net (and trains the 1202-layer one the same way). */
export function paperUsesWarmup(spec: NetworkSpec): boolean {
  return spec.family !== 'imagenet' && spec.depth >= 110;
}

export interface StepResult {
  /** Mean cross-entropy over the batch. */
  loss: number;
  /** Top-1 error on the batch, in [0, 1]. */
  error: number;
}

export interface EvaluationResult extends StepResult {
  count: number;
}

export interface TrainerOptions {
  momentum?: number;
  weightDecay?: number;
}

interface TrainedVariable {
  name: string;
  variable: tf.Variable;
  momentum: tf.Variable;
  decay: boolean;
}

const MOMENTUM_SUFFIX = '/momentum';

/**
 * One SGD step of a variable in TF.js ops, as torch.optim.SGD takes it: [w − lr·buf′, buf′] with
 * buf′ = μ·buf + g + λ·w. The fused SGD_MOMENTUM kernel computes the same, bit for bit.
 */
export function sgdMomentumOps(w: tf.Tensor, g: tf.Tensor, buf: tf.Tensor, attrs: SgdMomentumAttrs): [tf.Tensor, tf.Tensor] {
  const grad = attrs.weightDecay === 0 ? g : tf.add(g, tf.mul(w, attrs.weightDecay));
  const next = tf.add(tf.mul(buf, attrs.momentum), grad);
  return [tf.sub(w, tf.mul(next, tf.scalar(attrs.learningRate))), next];
}

/**
 * SGD as PyTorch's torch.optim.SGD: buf = μ·buf + (g + λ·w); w −= lr·buf. Weight decay λ
 * applies to convolution and fc kernels only, not to BatchNorm γ/β nor the fc bias.
 */
export class Trainer {
  readonly model: ResNetModel;
  readonly momentum: number;
  readonly weightDecay: number;
  private readonly trained: TrainedVariable[];

  constructor(model: ResNetModel, options: TrainerOptions = {}) {
    this.model = model;
    this.momentum = options.momentum ?? 0.9;
    this.weightDecay = options.weightDecay ?? 1e-4;
    this.trained = model.trainableVariables.map((v) => ({
      name: v.name,
      variable: v.variable,
      momentum: tf.tidy(() => tf.variable(tf.zerosLike(v.variable), false, `${v.variable.name}${MOMENTUM_SUFFIX}`)),
      decay: v.role === 'convKernel' || v.role === 'fcKernel',
    }));
  }

  private checkBatch(batch: Batch): void {
    const [h, w, c] = this.model.graph.inputShape;
    if (batch.height !== h || batch.width !== w || batch.channels !== c) {
      throw new Error(`${this.model.graph.spec.title} takes ${h}×${w}×${c} images; the batch has ${batch.height}×${batch.width}×${batch.channels}.`);
    }
    if (batch.x.length !== batch.size * h * w * c || batch.y.length !== batch.size) {
      throw new Error(`A batch of ${batch.size} has ${batch.x.length} pixel values and ${batch.y.length} labels; expected ${batch.size * h * w * c} and ${batch.size}.`);
    }
    const classes = this.model.graph.spec.classes;
    for (const label of batch.y) {
      if (!(label >= 0 && label < classes)) throw new Error(`Label ${label} is outside 0…${classes - 1}.`);
    }
  }

  /** One SGD step on the batch in training mode; returns the batch's loss and top-1 error. */
  trainStep(batch: Batch, learningRate: number): StepResult {
    this.checkBatch(batch);
    const [h, w, c] = this.model.graph.inputShape;
    const x = tf.tensor4d(batch.x, [batch.size, h, w, c]);
    const labels = tf.tensor1d(batch.y, 'int32');
    let wrong: tf.Scalar | null = null;
    try {
      const { value, grads } = tf.variableGrads(() => {
        const { logits } = this.model.forward(x, { training: true });
        wrong = tf.keep(tf.sum(tf.cast(tf.notEqual(tf.argMax(logits, 1), labels), 'float32')) as tf.Scalar);
        const loss = softmaxCrossEntropy(logits, labels);
        releaseTapeEarly();
        return loss;
      }, this.trained.map((t) => t.variable));
      tf.tidy(() => {
        // The backend's fused update where it has one (wasm: core/engine/wasmKernels.ts), else TF.js ops.
        const fused = tf.getKernel(SGD_MOMENTUM, tf.getBackend()) !== undefined;
        for (const t of this.trained) {
          const attrs: SgdMomentumAttrs = { learningRate, momentum: this.momentum, weightDecay: t.decay ? this.weightDecay : 0 };
          const g = grads[t.variable.name];
          const [w, buf] = fused ? (tf.engine().runKernel(SGD_MOMENTUM, { w: t.variable, g, buf: t.momentum }, attrs) as tf.Tensor[]) : sgdMomentumOps(t.variable, g, t.momentum, attrs);
          t.momentum.assign(buf);
          t.variable.assign(w);
        }
      });
      const loss = value.dataSync()[0];
      value.dispose();
      tf.dispose(grads);
      return { loss, error: wrong!.dataSync()[0] / batch.size };
    } finally {
      x.dispose();
      labels.dispose();
      if (wrong) (wrong as tf.Scalar).dispose();
    }
  }

  /** Loss and top-1 error in inference mode (moving statistics), in chunks of `chunkSize` images. */
  evaluate(data: Batch | Iterable<Batch>, chunkSize = 250): EvaluationResult {
    const batches: Iterable<Batch> = isBatch(data) ? [data] : data;
    const [h, w, c] = this.model.graph.inputShape;
    const pixels = h * w * c;
    let lossSum = 0;
    let wrongSum = 0;
    let total = 0;
    for (const batch of batches) {
      this.checkBatch(batch);
      for (let start = 0; start < batch.size; start += chunkSize) {
        const n = Math.min(chunkSize, batch.size - start);
        const [loss, wrong] = tf.tidy(() => {
          const x = tf.tensor4d(batch.x.subarray(start * pixels, (start + n) * pixels), [n, h, w, c]);
          const labels = tf.tensor1d(batch.y.subarray(start, start + n), 'int32');
          const { logits } = this.model.forward(x, { training: false });
          return [softmaxCrossEntropy(logits, labels), tf.sum(tf.cast(tf.notEqual(tf.argMax(logits, 1), labels), 'float32'))];
        });
        lossSum += loss.dataSync()[0] * n;
        wrongSum += wrong.dataSync()[0];
        tf.dispose([loss, wrong]);
        total += n;
      }
    }
    if (total === 0) throw new Error('Nothing to evaluate: no images were given.');
    return { loss: lossSum / total, error: wrongSum / total, count: total };
  }

  /** The model's weights followed by each trainable weight's momentum buffer ("…/momentum"). */
  getWeights(): NamedWeight[] {
    const buffers = this.trained.map((t) => ({ name: `${t.name}${MOMENTUM_SUFFIX}`, shape: t.momentum.shape.slice(), data: new Float32Array(t.momentum.dataSync()) }));
    return [...this.model.getWeights(), ...buffers];
  }

  /** Restores a checkpoint from getWeights(); missing or mis-shaped entries throw before any change. */
  setWeights(weights: readonly NamedWeight[]): void {
    const given = new Map(weights.map((w) => [w.name, w]));
    for (const t of this.trained) {
      const w = given.get(`${t.name}${MOMENTUM_SUFFIX}`);
      if (!w) throw new Error(`Checkpoint lacks the momentum buffer of "${t.name}".`);
      checkShape(w, t.momentum.shape);
    }
    this.model.setWeights(weights.filter((w) => !w.name.endsWith(MOMENTUM_SUFFIX)));
    tf.tidy(() => {
      for (const t of this.trained) t.momentum.assign(tf.tensor(given.get(`${t.name}${MOMENTUM_SUFFIX}`)!.data, t.momentum.shape, 'float32'));
    });
  }

  /** Frees the momentum buffers (the model is disposed by its owner). */
  dispose(): void {
    for (const t of this.trained) t.momentum.dispose();
  }
}

function isBatch(data: Batch | Iterable<Batch>): data is Batch {
  return (data as Batch).x instanceof Float32Array;
}
