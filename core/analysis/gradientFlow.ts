// Gradient flow at a checkpoint (issue 11, part 3): per block, the norm of the loss gradient
// with respect to the block's input x, and per conv layer, the norm of its kernel's gradient,
// averaged over a few batches of the run's training images. Where a plain net's gradients
// vanish or explode on the way down, its residual twin's do not.
//
// As in a training step: BatchNorm in training mode (batch statistics), the loss the mean
// softmax cross-entropy of the batch. The weight decay is left out: it is not part of the loss
// (the trainer adds λ·w to the gradient), and it does not depend on x. Training mode moves the
// BatchNorm moving averages, so the figures are taken on a model of their own, then discarded.
import * as tf from '@tensorflow/tfjs-core';
import { BatchIterator, computeMeanImage } from '../data/augment';
import { Batch } from '../data/types';
import { modelWithWeights, ResNetModel, softmaxCrossEntropy } from '../engine/model';
import { buildGraph } from '../graph';
import { releaseTapeEarly } from '../engine/tapeRelease';
import { blockTaps } from '../inspect/probe';
import { checkpointWeights, chooseCheckpoint } from '../inspect/sources';
import { loadRunData } from '../training/runData';
import { RunFolder } from '../training/runFolder';
import type { NetPlan } from '../training/types';
import type { GradientFlow, NetGradientFlow } from './types';

/** Training batches the norms are averaged over, by default. */
export const DEFAULT_GRADIENT_BATCHES = 4;

/** One batch's norms: per block (graph order) ‖∂L/∂x‖, per conv layer (graph order) ‖∂L/∂W‖. */
export function batchGradientNorms(model: ResNetModel, batch: Batch): { loss: number; inputGradNorms: number[]; kernelGradNorms: number[] } {
  const graph = model.graph;
  const [h, w, c] = graph.inputShape;
  const inputIds = blockTaps(graph).map((t) => t.inputId);
  const kernels = model.variables.filter((v) => v.role === 'convKernel').map((v) => v.variable);
  const [loss, norms] = tf.tidy(() => {
    const x = tf.tensor4d(batch.x, [batch.size, h, w, c]);
    const labels = tf.tensor1d(batch.y, 'int32');
    // Zeros added to each block's input: their gradient is ∂L/∂x.
    const zeros = graph.blocks.map((b) => tf.zeros([batch.size, ...b.inputShape]));
    const taps = Object.fromEntries(inputIds.map((id, i) => [id, zeros[i]]));
    const { value, grads } = tf.valueAndGrads(() => {
      const { logits } = model.forward(x, { training: true, taps });
      const lossValue = softmaxCrossEntropy(logits, labels);
      releaseTapeEarly();
      return lossValue;
    })([...zeros, ...kernels]);
    return [value.dataSync()[0], tf.stack(grads.map((g) => tf.norm(g))).dataSync()];
  });
  return { loss, inputGradNorms: Array.from(norms.subarray(0, inputIds.length)), kernelGradNorms: Array.from(norms.subarray(inputIds.length)) };
}

/** What a net's gradient flow measures, without where its weights came from. */
export type NetGradientFigures = Pick<NetGradientFlow, 'loss' | 'blocks' | 'convs'>;

/** The norms of `model` averaged over `batches`. Its BatchNorm moving averages move. */
export function netGradientFigures(model: ResNetModel, batches: readonly Batch[]): NetGradientFigures {
  if (batches.length === 0) throw new RangeError('Gradient flow needs at least one batch.');
  const graph = model.graph;
  const convs = graph.layers.filter((l) => l.kind === 'conv');
  const inputSums = new Array<number>(graph.blocks.length).fill(0);
  const kernelSums = new Array<number>(convs.length).fill(0);
  let lossSum = 0;
  for (const batch of batches) {
    const one = batchGradientNorms(model, batch);
    lossSum += one.loss;
    one.inputGradNorms.forEach((v, i) => (inputSums[i] += v));
    one.kernelGradNorms.forEach((v, i) => (kernelSums[i] += v));
  }
  const n = batches.length;
  return {
    loss: lossSum / n,
    blocks: graph.blocks.map((b, i) => ({ blockId: b.id, stageId: b.stageId, inputGradNorm: inputSums[i] / n })),
    convs: convs.map((l, i) => ({ convId: l.id, blockId: l.blockId, stageId: l.stageId, kernelGradNorm: kernelSums[i] / n })),
  };
}

export interface GradientFlowOptions {
  /** Only this net (default: every net of the run, residual first). */
  slot?: NetPlan['slot'];
  /** Each net at its checkpoint at this step, or its nearest (default: the latest). */
  step?: number;
  /** How many batches to average over (default 4). */
  batches?: number;
  /** Images per batch (default the run's batch size; at most its training images). */
  batchSize?: number;
  /** Progress, readable: "ResNet-56: 4 batches of 128", and the fraction of the nets done before it. */
  onProgress?: (text: string, fraction: number) => void;
}

/**
 * The gradient flow of a run's nets at a checkpoint, on batches of the run's own training
 * images: normalised as in training, without augmentation, in a shuffle seeded by the run's
 * seed (the same batches for every net). The TF.js backend must be selected already.
 */
export async function runGradientFlow(runFolder: string, options: GradientFlowOptions = {}): Promise<GradientFlow> {
  const count = options.batches ?? DEFAULT_GRADIENT_BATCHES;
  if (!Number.isInteger(count) || count < 1) throw new RangeError(`Gradient flow needs at least one batch; got ${count}.`);
  const run = RunFolder.open(runFolder);
  const config = run.readConfig();
  const slots = options.slot ? [options.slot] : config.nets.map((n) => n.slot);
  // Each net's checkpoint first: a missing slot or checkpoint stops before any data is read.
  const chosen = slots
    .map((slot) => ({ slot, net: checkpointWeights(run, slot, chooseCheckpoint(run, slot, options.step)) }))
    .sort((a, b) => Number(b.net.spec.residual) - Number(a.net.spec.residual));
  const data = await loadRunData(config.data, config.seed);
  const iterator = new BatchIterator(data.train, { batchSize: options.batchSize ?? config.batchSize, seed: `${config.seed}/gradient-flow`, mean: computeMeanImage(data.train), augment: false, dropLast: true });
  const batches = Array.from({ length: count }, (_, k) => iterator.batchAt(k));
  const nets = chosen.map(({ slot, net }, index): NetGradientFlow => {
    options.onProgress?.(`${net.title}: ${count} batch${count === 1 ? '' : 'es'} of ${batches[0].size}`, index / chosen.length);
    const model = modelWithWeights(buildGraph(net.spec), net.weights);
    try {
      return { slot, title: net.title, residual: net.spec.residual, step: net.origin.step, weightsSource: net.origin.source, ...netGradientFigures(model, batches) };
    } finally {
      model.dispose();
    }
  });
  return { run: config.id, batches: { count, size: batches[0].size, description: data.description }, nets };
}
