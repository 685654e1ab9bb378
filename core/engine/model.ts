// The TF.js model of a NetworkGraph: one walk over graph.layers in order, so the architecture
// is defined once (core/graph.ts). Variables are keyed by the graph's layer ids.
import * as tf from '@tensorflow/tfjs-core';
import { LayerNode, NetworkGraph } from '../graph';
import { seededRandom } from '../random';
import { registerTrainingGradients } from './gradients';
import { BATCH_NORM_TRAIN, CONV_BATCH_NORM } from './kernelNames';

/**
 * BatchNorm as in the paper's Torch/PyTorch recipe, not the Keras/TF.js defaults (0.99, 1e-3):
 * moving = 0.9·moving + 0.1·batch (PyTorch's momentum 0.1), epsilon 1e-5, and the moving
 * variance takes the unbiased batch variance while training normalises with the biased one.
 */
const BN_MOMENTUM = 0.9;
export const BN_EPSILON = 1e-5;

export type WeightRole = 'convKernel' | 'gamma' | 'beta' | 'movingMean' | 'movingVariance' | 'fcKernel' | 'fcBias';

export interface ModelVariable {
  /** e.g. "conv2_1.conv1/kernel", "conv2_1.bn1/gamma", "fc.fc/bias". */
  name: string;
  layerId: string;
  role: WeightRole;
  trainable: boolean;
  variable: tf.Variable;
}

/** A weight as plain data, for checkpoints. */
export interface NamedWeight {
  name: string;
  shape: number[];
  data: Float32Array;
}

export interface ForwardOptions {
  /** Training: BatchNorm uses batch statistics and updates its moving averages. */
  training: boolean;
  /** Layer ids whose outputs to return as well (e.g. a block's last ReLU, a branch's last BN). */
  capture?: readonly string[];
  /** Tensors added to layers' outputs by layer id (zeros: tf.grads over them gives ∂L/∂output). */
  taps?: Readonly<Record<string, tf.Tensor>>;
}

export interface ForwardResult {
  /** [batch, classes], before softmax. */
  logits: tf.Tensor2D;
  /** The captured outputs by layer id: NHWC for conv-stage layers, [batch, n] for the head. */
  captured: Record<string, tf.Tensor>;
}

export interface ModelOptions {
  /** Seed of the initial weights; each weight draws from its own stream named by its id. */
  seed: number | string;
  /** Kernels left zero instead of drawn (BatchNorm as initialised): the caller sets every weight next (modelWithWeights). */
  unsampled?: boolean;
}

/**
 * Layers run as one (ResNetModel.fusions): after a conv, its BatchNorm, then the add of a residual
 * block's shortcut (inference); after a BatchNorm or an add, a ReLU.
 */
interface Fusion {
  batchNorm?: LayerNode;
  add?: LayerNode;
  relu?: LayerNode;
}

let modelCounter = 0;

/** Normal samples by Box–Muller from a seeded uniform stream. */
function normalSamples(count: number, std: number, seed: string): Float32Array {
  const random = seededRandom(seed);
  const out = new Float32Array(count);
  for (let i = 0; i < count; i += 2) {
    const u1 = 1 - random.next();
    const u2 = random.next();
    const r = Math.sqrt(-2 * Math.log(u1)) * std;
    out[i] = r * Math.cos(2 * Math.PI * u2);
    if (i + 1 < count) out[i + 1] = r * Math.sin(2 * Math.PI * u2);
  }
  return out;
}

function uniformSamples(count: number, limit: number, seed: string): Float32Array {
  const random = seededRandom(seed);
  const out = new Float32Array(count);
  for (let i = 0; i < count; i++) out[i] = (2 * random.next() - 1) * limit;
  return out;
}

/** A model weight as data, with where it belongs: what initialWeights returns. */
export interface InitialWeight extends NamedWeight {
  layerId: string;
  role: WeightRole;
  trainable: boolean;
}

/**
 * A net's initial weights, in graph order (every engine starts a run from these):
 * He et al. 2015 ("Delving deep into rectifiers", cited by the paper), Kaiming normal with
 * fan_in = k·k·c_in, std = √(2/fan_in), for every convolution (no conv bias: BatchNorm
 * follows). BatchNorm γ = 1, β = 0, moving mean 0, moving variance 1. The fc layer uses
 * PyTorch's nn.Linear default, uniform in ±1/√fan_in for weights and bias.
 */
export function initialWeights(graph: NetworkGraph, seedValue: number | string, sampled = true): InitialWeight[] {
  const list: InitialWeight[] = [];
  const add = (layerId: string, suffix: string, role: WeightRole, trainable: boolean, shape: number[], data: Float32Array) =>
    list.push({ name: `${layerId}/${suffix}`, layerId, role, trainable, shape, data });
  const seed = String(seedValue);
  for (const layer of graph.layers) {
    if (layer.kind === 'conv') {
      const cin = layer.inputShape[2];
      const fanIn = layer.kernel * layer.kernel * cin;
      add(layer.id, 'kernel', 'convKernel', true, [layer.kernel, layer.kernel, cin, layer.filters], sampled ? normalSamples(fanIn * layer.filters, Math.sqrt(2 / fanIn), `${seed}/${layer.id}/kernel`) : new Float32Array(fanIn * layer.filters));
    } else if (layer.kind === 'batchnorm') {
      const c = layer.outputShape[2];
      add(layer.id, 'gamma', 'gamma', true, [c], new Float32Array(c).fill(1));
      add(layer.id, 'beta', 'beta', true, [c], new Float32Array(c));
      add(layer.id, 'movingMean', 'movingMean', false, [c], new Float32Array(c));
      add(layer.id, 'movingVariance', 'movingVariance', false, [c], new Float32Array(c).fill(1));
    } else if (layer.kind === 'fc') {
      const fanIn = layer.inputShape[0] * layer.inputShape[1] * layer.inputShape[2];
      const limit = 1 / Math.sqrt(fanIn);
      add(layer.id, 'kernel', 'fcKernel', true, [fanIn, layer.units], sampled ? uniformSamples(fanIn * layer.units, limit, `${seed}/${layer.id}/kernel`) : new Float32Array(fanIn * layer.units));
      add(layer.id, 'bias', 'fcBias', true, [layer.units], sampled ? uniformSamples(layer.units, limit, `${seed}/${layer.id}/bias`) : new Float32Array(layer.units));
    }
  }
  return list;
}

/**
 * Training-mode BatchNorm with a hand-written backward pass (three reductions and a few
 * element-wise ops): TF.js's own FusedBatchNorm gradient tiles and is slow on wasm.
 * dx = γ·rstd·(dy − mean(dy) − x̂·mean(dy·x̂)). With the backend's fused kernel (wasm), a residual
 * can be added before the ReLU: a block's BatchNorm → add → ReLU in one pass.
 */
export function batchNormTraining(x: tf.Tensor4D, gamma: tf.Tensor1D, beta: tf.Tensor1D, relu = false, residual?: tf.Tensor): { y: tf.Tensor4D; mean: tf.Tensor1D; variance: tf.Tensor1D } {
  const { y, mean, variance } = fusedBatchNormTraining(x, gamma, beta, relu, residual) ?? unfusedBatchNormTraining(x, gamma, beta, relu, residual);
  return { y, mean, variance };
}

interface MovingStatistics {
  mean: tf.Tensor1D;
  variance: tf.Tensor1D;
}

/**
 * The backend's fused kernel (wasm: core/engine/wasmKernels.ts), with its own gradient, or null
 * where there is none. Given the moving statistics, also their next values.
 */
function fusedBatchNormTraining(x: tf.Tensor4D, gamma: tf.Tensor1D, beta: tf.Tensor1D, relu: boolean, residual?: tf.Tensor, moving?: MovingStatistics): { y: tf.Tensor4D; mean: tf.Tensor1D; variance: tf.Tensor1D; next?: MovingStatistics } | null {
  if (!hasFusedBatchNorm()) return null;
  const inputs: tf.NamedTensorMap = { x, gamma, beta, ...(residual ? { residual } : {}), ...(moving ? { movingMean: moving.mean, movingVariance: moving.variance } : {}) };
  const [y, mean, variance, nextMean, nextVariance] = tf.engine().runKernel(BATCH_NORM_TRAIN, inputs, { epsilon: BN_EPSILON, relu, residual: residual !== undefined, momentum: BN_MOMENTUM }) as tf.Tensor[];
  return { y: y as tf.Tensor4D, mean: mean as tf.Tensor1D, variance: variance as tf.Tensor1D, next: moving && { mean: nextMean as tf.Tensor1D, variance: nextVariance as tf.Tensor1D } };
}

function unfusedBatchNormTraining(x: tf.Tensor4D, gamma: tf.Tensor1D, beta: tf.Tensor1D, relu: boolean, residual?: tf.Tensor): { y: tf.Tensor4D; mean: tf.Tensor1D; variance: tf.Tensor1D } {
  if (residual) throw new Error('A residual fused into BatchNorm needs the wasm kernels.');
  if (relu) {
    const out = unfusedBatchNormTraining(x, gamma, beta, false);
    const y = tf.relu(out.y);
    out.y.dispose();
    return { ...out, y };
  }
  let mean: tf.Tensor1D | null = null;
  let variance: tf.Tensor1D | null = null;
  const op = tf.customGrad((...args: Array<tf.Tensor | tf.GradSaveFunc>) => {
    const [xIn, gammaIn, betaIn] = args as tf.Tensor[];
    const save = args[3] as tf.GradSaveFunc;
    const m = tf.mean(xIn, [0, 1, 2]) as tf.Tensor1D;
    const centered = tf.sub(xIn, m);
    const v = tf.mean(tf.square(centered), [0, 1, 2]) as tf.Tensor1D;
    const rstd = tf.rsqrt(tf.add(v, BN_EPSILON));
    const xhat = tf.mul(centered, rstd);
    // Kept past customGrad's internal tidy for the moving averages; the caller disposes them.
    mean = tf.keep(m);
    variance = tf.keep(v);
    save([xhat, rstd, gammaIn]);
    const value = tf.add(tf.mul(xhat, gammaIn), betaIn);
    const gradFunc = (dy: tf.Tensor, saved: tf.Tensor[]): tf.Tensor[] => {
      const [xh, rs, g] = saved;
      const dbeta = tf.sum(dy, [0, 1, 2]);
      const dgamma = tf.sum(tf.mul(dy, xh), [0, 1, 2]);
      const count = dy.size / dy.shape[3]!;
      const inner = tf.sub(tf.sub(dy, tf.div(dbeta, count)), tf.mul(xh, tf.div(dgamma, count)));
      return [tf.mul(inner, tf.mul(g, rs)), dgamma, dbeta];
    };
    return { value, gradFunc };
  });
  const y = op(x, gamma, beta) as tf.Tensor4D;
  return { y, mean: mean!, variance: variance! };
}

/** Whether the current backend has the fused training BatchNorm kernel (wasm). */
function hasFusedBatchNorm(): boolean {
  return tf.getKernel(BATCH_NORM_TRAIN, tf.getBackend()) !== undefined;
}

/** Mean softmax cross-entropy over the batch, with its gradient (softmax − one-hot)/n. */
export function softmaxCrossEntropy(logits: tf.Tensor2D, labels: tf.Tensor1D): tf.Scalar {
  return tf.tidy(() => softmaxCrossEntropyOf(logits, tf.oneHot(labels, logits.shape[1])));
}

function softmaxCrossEntropyOf(logits: tf.Tensor2D, oneHot: tf.Tensor): tf.Scalar {
  const op = tf.customGrad((...args: Array<tf.Tensor | tf.GradSaveFunc>) => {
    const z = args[0] as tf.Tensor;
    const save = args[1] as tf.GradSaveFunc;
    const logProbs = tf.logSoftmax(z);
    save([logProbs, oneHot]);
    const value = tf.neg(tf.mean(tf.sum(tf.mul(logProbs, oneHot), 1)));
    return { value, gradFunc: (dy: tf.Tensor, [lp, target]: tf.Tensor[]) => tf.mul(tf.div(tf.sub(tf.exp(lp), target), z.shape[0]!), dy) };
  });
  return op(logits) as tf.Scalar;
}

export class ResNetModel {
  readonly graph: NetworkGraph;
  /** Every variable in graph order; names are unique within the model. */
  readonly variables: readonly ModelVariable[];
  private readonly byName: Map<string, ModelVariable>;
  private disposed = false;

  constructor(graph: NetworkGraph, options: ModelOptions) {
    registerTrainingGradients();
    this.graph = graph;
    const prefix = `resnetlab${++modelCounter}`;
    this.variables = initialWeights(graph, options.seed, !options.unsampled).map((w) => {
      const initial = tf.tensor(w.data, w.shape, 'float32');
      const variable = tf.variable(initial, w.trainable, `${prefix}/${w.name}`);
      initial.dispose();
      return { name: w.name, layerId: w.layerId, role: w.role, trainable: w.trainable, variable };
    });
    this.byName = new Map(this.variables.map((v) => [v.name, v]));
  }

  get trainableVariables(): ModelVariable[] {
    return this.variables.filter((v) => v.trainable);
  }

  /** Counts of values: trainable (= costs.total.params) and BatchNorm moving statistics. */
  parameterCounts(): { trainable: number; nonTrainable: number } {
    let trainable = 0;
    let nonTrainable = 0;
    for (const v of this.variables) {
      if (v.trainable) trainable += v.variable.size;
      else nonTrainable += v.variable.size;
    }
    return { trainable, nonTrainable };
  }

  private weight(layerId: string, suffix: string): tf.Variable {
    const v = this.byName.get(`${layerId}/${suffix}`);
    if (!v) throw new Error(`Model has no weight ${layerId}/${suffix}.`);
    return v.variable;
  }

  /**
   * Runs the network on x [batch, h, w, c]. Returns the logits and any captured layer outputs;
   * the caller owns (and disposes) the returned tensors. In training mode the BatchNorm moving
   * averages are updated, as PyTorch does in train mode.
   */
  forward(x: tf.Tensor4D, options: ForwardOptions): ForwardResult {
    if (this.disposed) throw new Error('The model was disposed.');
    const [, h, w, c] = x.shape;
    const [eh, ew, ec] = this.graph.inputShape;
    if (h !== eh || w !== ew || c !== ec) {
      throw new Error(`${this.graph.spec.title} takes ${eh}×${ew}×${ec} images; got ${h}×${w}×${c}.`);
    }
    const capture = options.capture ?? [];
    const taps = options.taps ?? {};
    const kept = [...capture, ...Object.keys(taps)]; // outputs no fusion may swallow
    for (const id of kept) {
      if (!this.graph.layers.some((l) => l.id === id)) throw new Error(`No layer "${id}" in ${this.graph.spec.title} to capture or tap.`);
    }
    // With ResNet Lab's kernels (wasm), fused layers: in training, a BatchNorm runs with the ReLU
    // after it (and a residual block's add between them); in inference, a convolution whose only
    // reader is a BatchNorm runs with it folded in (scaled filter, bias), and with the add and the
    // ReLU that may follow.
    const fusions = hasFusedBatchNorm() && (options.training || tf.getKernel(CONV_BATCH_NORM, tf.getBackend())) ? this.fusions(options.training, kept) : new Map<string, Fusion>();
    // Each fusion runs at its first layer, or at its add, where the shortcut is known: option A's
    // and B's shortcut layers come after the branch.
    const runsAt = new Map<string, { first: LayerNode; fusion: Fusion }>();
    const absorbed = new Set<string>();
    for (const [firstId, fusion] of fusions) {
      const first = this.graph.layers.find((l) => l.id === firstId)!;
      runsAt.set(fusion.add?.id ?? firstId, { first, fusion });
      for (const layer of [fusion.add && first, fusion.batchNorm, fusion.add, fusion.relu]) if (layer) absorbed.add(layer.id);
    }
    // The steps in order, each one layer or one fusion, with the outputs it reads.
    const steps = this.graph.layers.flatMap((layer): Array<{ layer: LayerNode; fusion?: Fusion; reads: string[]; id: string }> => {
      if (layer.kind === 'softmax' && !capture.includes(layer.id)) return [];
      const fused = runsAt.get(layer.id);
      if (!fused) return absorbed.has(layer.id) ? [] : [{ layer, reads: layer.inputs, id: layer.id }]; // absorbed: computed with another layer of its fusion
      const { first, fusion } = fused;
      return [{ layer: first, fusion, reads: [...first.inputs, ...(fusion.add ? [fusion.add.inputs[1]] : [])], id: (fusion.relu ?? fusion.add ?? fusion.batchNorm!).id }];
    });
    // In inference an output is freed once its last reader has run (training keeps what the
    // backward pass needs anyway): the peak is a few activations, not every layer's.
    const lastRead = new Map<string, number>();
    steps.forEach((step, i) => step.reads.forEach((id) => lastRead.set(id, i)));
    const keep = new Set([...kept, this.graph.logitsId]);
    return tf.tidy(() => {
      const outputs = new Map<string, tf.Tensor>();
      steps.forEach(({ layer, fusion, reads, id }, i) => {
        const input = layer.inputs.length === 0 ? x : outputs.get(layer.inputs[0])!;
        let output: tf.Tensor;
        if (!fusion) output = this.runLayer(layer, input, outputs, options.training);
        else {
          const residual = fusion.add && outputs.get(fusion.add.inputs[1])!;
          if (layer.kind === 'batchnorm') output = this.batchNorm(layer, input, true, fusion.relu !== undefined, residual);
          else output = this.foldedConv(layer, fusion.batchNorm!, input, residual, fusion.relu !== undefined);
        }
        outputs.set(id, taps[id] ? tf.add(output, taps[id]) : output);
        if (options.training) return;
        for (const read of reads) {
          if (lastRead.get(read) !== i || keep.has(read)) continue;
          outputs.get(read)?.dispose();
          outputs.delete(read);
        }
      });
      const captured: Record<string, tf.Tensor> = {};
      for (const id of capture) captured[id] = outputs.get(id)!;
      return { logits: outputs.get(this.graph.logitsId) as tf.Tensor2D, captured };
    });
  }

  /**
   * The layers that run fused, by the id of the first: in training, BatchNorm (→ the add of a
   * block's shortcut) → ReLU; in inference, conv → BatchNorm (→ the add) (→ ReLU). Each layer but
   * the last must have the next as its only reader and none may be captured or tapped but the last.
   */
  private fusions(training: boolean, capture: readonly string[]): Map<string, Fusion> {
    const readers = new Map<string, LayerNode[]>();
    for (const layer of this.graph.layers) {
      for (const id of layer.inputs) readers.set(id, [...(readers.get(id) ?? []), layer]);
    }
    const next = (layer: LayerNode, kind: LayerNode['kind']): LayerNode | undefined => {
      const r = readers.get(layer.id);
      if (capture.includes(layer.id) || r?.length !== 1 || r[0].kind !== kind || r[0].inputs.length !== 1) return undefined;
      return r[0];
    };
    // The add whose branch input (the first) is this BatchNorm's output.
    const addAfter = (batchNorm: LayerNode): LayerNode | undefined => {
      const r = readers.get(batchNorm.id);
      return !capture.includes(batchNorm.id) && r?.length === 1 && r[0].kind === 'add' && r[0].inputs[0] === batchNorm.id ? r[0] : undefined;
    };
    const out = new Map<string, Fusion>();
    for (const layer of this.graph.layers) {
      if (training && layer.kind === 'batchnorm') {
        const add = addAfter(layer);
        const relu = next(add ?? layer, 'relu');
        if (relu) out.set(layer.id, { add, relu });
      } else if (!training && layer.kind === 'conv') {
        const batchNorm = next(layer, 'batchnorm');
        if (!batchNorm) continue;
        const add = addAfter(batchNorm);
        out.set(layer.id, { batchNorm, add, relu: next(add ?? batchNorm, 'relu') });
      }
    }
    return out;
  }

  /** Inference: conv then BatchNorm (moving statistics) as one convolution with a bias, plus the residual when given, then the ReLU when relu. */
  private foldedConv(conv: LayerNode, batchNorm: LayerNode, input: tf.Tensor, residual: tf.Tensor | undefined, relu: boolean): tf.Tensor {
    if (conv.kind !== 'conv') throw new Error(`${conv.id} is not a convolution.`);
    const p = conv.padding;
    const inputs = {
      x: input,
      filter: this.weight(conv.id, 'kernel'),
      gamma: this.weight(batchNorm.id, 'gamma'),
      beta: this.weight(batchNorm.id, 'beta'),
      mean: this.weight(batchNorm.id, 'movingMean'),
      variance: this.weight(batchNorm.id, 'movingVariance'),
      ...(residual ? { residual } : {}),
    };
    const attrs = { strides: conv.stride, pad: [[0, 0], [p, p], [p, p], [0, 0]], dataFormat: 'NHWC', epsilon: BN_EPSILON, relu };
    return tf.engine().runKernel(CONV_BATCH_NORM, inputs, attrs as unknown as tf.NamedAttrMap) as tf.Tensor;
  }

  private batchNorm(layer: LayerNode, input: tf.Tensor, training: boolean, relu = false, residual?: tf.Tensor): tf.Tensor {
    const gamma = this.weight(layer.id, 'gamma') as tf.Tensor1D;
    const beta = this.weight(layer.id, 'beta') as tf.Tensor1D;
    const movingMean = this.weight(layer.id, 'movingMean');
    const movingVariance = this.weight(layer.id, 'movingVariance');
    if (!training) {
      const y = tf.batchNorm(input as tf.Tensor4D, movingMean as tf.Tensor1D, movingVariance as tf.Tensor1D, beta, gamma, BN_EPSILON);
      return relu ? tf.relu(y) : y;
    }
    // The fused kernel gives the moving statistics' next values too (7 element-wise kernels fewer).
    const moving = { mean: movingMean as tf.Tensor1D, variance: movingVariance as tf.Tensor1D };
    const fused = fusedBatchNormTraining(input as tf.Tensor4D, gamma, beta, relu, residual, moving);
    const { y, mean, variance } = fused ?? unfusedBatchNormTraining(input as tf.Tensor4D, gamma, beta, relu, residual);
    try {
      if (fused?.next) {
        movingMean.assign(fused.next.mean);
        movingVariance.assign(fused.next.variance);
      } else {
        const count = input.size / input.shape[3]!;
        const unbiased = tf.mul(variance, count / Math.max(1, count - 1));
        movingMean.assign(tf.add(tf.mul(movingMean, BN_MOMENTUM), tf.mul(mean, 1 - BN_MOMENTUM)));
        movingVariance.assign(tf.add(tf.mul(movingVariance, BN_MOMENTUM), tf.mul(unbiased, 1 - BN_MOMENTUM)));
      }
    } finally {
      tf.dispose([mean, variance, ...(fused?.next ? [fused.next.mean, fused.next.variance] : [])]);
    }
    return y;
  }

  private runLayer(layer: LayerNode, input: tf.Tensor, outputs: Map<string, tf.Tensor>, training: boolean): tf.Tensor {
    switch (layer.kind) {
      case 'conv': {
        // Explicit symmetric padding, as PyTorch: TF's 'same' pads only bottom/right for stride 2.
        const p = layer.padding;
        return tf.conv2d(input as tf.Tensor4D, this.weight(layer.id, 'kernel') as tf.Tensor4D, layer.stride, [[0, 0], [p, p], [p, p], [0, 0]]);
      }
      case 'batchnorm':
        return this.batchNorm(layer, input, training);
      case 'relu':
        // A suffix graph's input (core/analysis/lesion.ts) is a captured ReLU output: already ≥ 0.
        return layer.inputs.length === 0 ? tf.clone(input) : tf.relu(input);
      case 'add':
        return tf.add(outputs.get(layer.inputs[0])!, outputs.get(layer.inputs[1])!);
      case 'maxpool':
        // Padding with zeros is the same as −∞ here: the input follows a ReLU.
        return tf.maxPool(tf.pad(input as tf.Tensor4D, [[0, 0], [layer.padding, layer.padding], [layer.padding, layer.padding], [0, 0]]), layer.kernel, layer.stride, 'valid');
      case 'zeropad': {
        // Option A: subsample with a 1×1 average pool (StridedSlice has no gradient in TF.js),
        // then zero channels split half before and half after, as the common CIFAR code does.
        const sub = layer.stride > 1 ? tf.avgPool(input as tf.Tensor4D, 1, layer.stride, 'valid') : input;
        const extra = layer.filters - layer.inputShape[2];
        const before = Math.floor(extra / 2);
        return tf.pad(sub, [[0, 0], [0, 0], [0, 0], [before, extra - before]]);
      }
      case 'avgpool':
        return tf.mean(input, [1, 2]);
      case 'fc':
        return tf.add(tf.matMul(input as tf.Tensor2D, this.weight(layer.id, 'kernel') as tf.Tensor2D), this.weight(layer.id, 'bias'));
      case 'softmax':
        return tf.softmax(input);
    }
  }

  /** Model weights (trainable and moving statistics) as plain data, in graph order. */
  getWeights(): NamedWeight[] {
    return this.variables.map((v) => ({ name: v.name, shape: v.variable.shape.slice(), data: new Float32Array(v.variable.dataSync()) }));
  }

  /** Sets weights by name; every weight of the model must be given, with its shape. */
  setWeights(weights: readonly NamedWeight[]): void {
    const given = new Map(weights.map((w) => [w.name, w]));
    for (const v of this.variables) {
      const w = given.get(v.name);
      if (!w) throw new Error(`Checkpoint lacks the weight "${v.name}" of ${this.graph.spec.title}.`);
      checkShape(w, v.variable.shape);
    }
    tf.tidy(() => {
      for (const v of this.variables) v.variable.assign(tf.tensor(given.get(v.name)!.data, v.variable.shape, 'float32'));
    });
  }

  dispose(): void {
    if (this.disposed) return;
    for (const v of this.variables) v.variable.dispose();
    this.disposed = true;
  }
}

export function checkShape(w: NamedWeight, shape: readonly number[]): void {
  const size = shape.reduce((a, b) => a * b, 1);
  if (w.shape.length !== shape.length || w.shape.some((d, i) => d !== shape[i]) || w.data.length !== size) {
    throw new Error(`Weight "${w.name}" has shape [${w.shape.join(', ')}] (${w.data.length} values); the model needs [${shape.join(', ')}].`);
  }
}

/** A model of the graph holding these weights (by name; weights of layers the graph lacks are ignored). The caller disposes it. */
export function modelWithWeights(graph: NetworkGraph, weights: readonly NamedWeight[]): ResNetModel {
  // No kernels drawn only to be overwritten: the lesion study builds a model per lesion.
  const model = new ResNetModel(graph, { seed: 0, unsampled: true });
  try {
    model.setWeights(weights);
  } catch (error) {
    model.dispose();
    throw error;
  }
  return model;
}
