// Gradient norms logged during training (issue 11, part 3): at every evaluation each net
// measures, on one fixed batch of training images, what gradientFlow.ts measures at a
// checkpoint (per block ‖∂L/∂x‖, per conv ‖∂L/∂W‖), so the curves panel can draw them against
// depth over time. The batch is the same at every evaluation, in both engines
// (python/resnet_lab_trainer.py picks the same images), so the points compare over time.
// Measuring leaves the net as it was: the BatchNorm moving averages that training mode moves
// are put back, so a run logs the same losses and errors as it would without.
import * as tf from '@tensorflow/tfjs-core';
import { makeBatch } from '../data/augment';
import type { Batch, LabeledImages } from '../data/types';
import type { ResNetModel } from '../engine/model';
import type { GradientLog } from '../training/types';
import { batchGradientNorms } from './gradientFlow';

/** Training images the logged norms are measured on: few, so logging costs little beside an evaluation. */
export const GRADIENT_LOG_IMAGES = 32;

/** The images of the fixed batch: min(32, count) spread evenly over the training set, ⌊i·count/n⌋. */
export function gradientLogIndices(count: number): Uint32Array {
  const n = Math.min(GRADIENT_LOG_IMAGES, count);
  return Uint32Array.from({ length: n }, (_, i) => Math.floor((i * count) / n));
}

/** The fixed batch: those images normalised as in training (the training split's mean), not augmented. */
export function gradientLogBatch(train: LabeledImages, mean: Float32Array): Batch {
  return makeBatch(train, gradientLogIndices(train.count), mean, null);
}

/** The model's gradient norms on `batch` (training-mode BatchNorm, as a step); its weights and moving averages are left as they were. */
export function logGradientNorms(model: ResNetModel, batch: Batch): GradientLog {
  const moving = model.variables.filter((v) => v.role === 'movingMean' || v.role === 'movingVariance').map((v) => v.variable);
  const saved = moving.map((v) => tf.clone(v));
  try {
    const { loss, inputGradNorms, kernelGradNorms } = batchGradientNorms(model, batch);
    return { images: batch.size, loss, blocks: inputGradNorms, convs: kernelGradNorms };
  } finally {
    moving.forEach((v, i) => v.assign(saved[i]));
    tf.dispose(saved);
  }
}
