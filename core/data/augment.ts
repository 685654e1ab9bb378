// Per-pixel mean subtraction and the paper's augmentation (pad 4, random 32×32 crop, random
// horizontal flip), producing deterministic, resumable mini-batches.
//
// Pixels: byte / 255 (so [0, 1]), minus the per-pixel mean image of the training split (also
// in [0, 1] units). Padding is zero AFTER mean subtraction, i.e. a padded pixel equals the
// mean image there (as fb.resnet.torch does: normalize, then pad with zeros and crop).
import { counterHash, drawInt, murmur3String } from '../random';
import { Batch, LabeledImages } from './types';

/** The paper's padding on each side before the random crop. */
export const CROP_PADDING = 4;

/** Where the crop sits in the padded image (0..2·padding on each axis), and whether to mirror it. */
export interface Augmentation {
  offsetY: number;
  offsetX: number;
  flip: boolean;
}

/** The per-pixel mean image (height × width × channels floats, in [0, 1] units). */
export function computeMeanImage(images: LabeledImages): Float32Array {
  const size = images.height * images.width * images.channels;
  const sum = new Float64Array(size);
  for (let i = 0; i < images.count; i++) {
    const base = i * size;
    for (let p = 0; p < size; p++) sum[p] += images.images[base + p];
  }
  const mean = new Float32Array(size);
  const scale = images.count > 0 ? 1 / (255 * images.count) : 0;
  for (let p = 0; p < size; p++) mean[p] = sum[p] * scale;
  return mean;
}

/** The draw streams of counterHash (python/resnet_lab_trainer.py uses the same numbers). */
const EPOCH_STREAM = 1;
const AUGMENT_STREAM = 2;

/** The crop and flip of the image at position `position` of step `step`'s batch. */
function drawAugmentation(key: number, step: number, position: number, padding = CROP_PADDING): Augmentation {
  const draw = (k: number) => counterHash(key, AUGMENT_STREAM, step, 3 * position + k);
  return { offsetY: drawInt(draw(0), 2 * padding + 1), offsetX: drawInt(draw(1), 2 * padding + 1), flip: draw(2) >>> 31 === 1 };
}

/** Fisher–Yates shuffle of 0..n-1 for an epoch, each swap drawn by counterHash. */
function epochOrder(key: number, epoch: number, n: number): Uint32Array {
  const order = new Uint32Array(n);
  for (let i = 0; i < n; i++) order[i] = i;
  for (let i = n - 1; i > 0; i--) {
    const j = drawInt(counterHash(key, EPOCH_STREAM, epoch, i), i + 1);
    const t = order[i];
    order[i] = order[j];
    order[j] = t;
  }
  return order;
}

/** Writes image `index` (mean-subtracted, optionally cropped and flipped) into `out` at `outOffset`. */
export function writeImage(
  out: Float32Array, outOffset: number, images: LabeledImages, index: number, mean: Float32Array,
  augmentation: Augmentation | null, padding = CROP_PADDING,
): void {
  const { height: h, width: w, channels: c } = images;
  const src = index * h * w * c;
  if (augmentation === null) {
    for (let p = 0; p < h * w * c; p++) out[outOffset + p] = images.images[src + p] / 255 - mean[p];
    return;
  }
  const { offsetY, offsetX, flip } = augmentation;
  for (let y = 0; y < h; y++) {
    const sy = y + offsetY - padding;
    for (let x = 0; x < w; x++) {
      const sx = (flip ? w - 1 - x : x) + offsetX - padding;
      const o = outOffset + (y * w + x) * c;
      if (sy < 0 || sy >= h || sx < 0 || sx >= w) {
        for (let k = 0; k < c; k++) out[o + k] = 0;
      } else {
        const s = (sy * w + sx) * c;
        for (let k = 0; k < c; k++) out[o + k] = images.images[src + s + k] / 255 - mean[s + k];
      }
    }
  }
}

/** A batch of the images at `indices`; `augmentations` (one per index) or null for the plain view. */
export function makeBatch(
  images: LabeledImages, indices: ArrayLike<number>, mean: Float32Array, augmentations: readonly Augmentation[] | null,
): Batch {
  const imageFloats = images.height * images.width * images.channels;
  if (mean.length !== imageFloats) {
    throw new RangeError(`mean image has ${mean.length} values, the images have ${imageFloats} per image`);
  }
  const x = new Float32Array(indices.length * imageFloats);
  const y = new Int32Array(indices.length);
  for (let i = 0; i < indices.length; i++) {
    writeImage(x, i * imageFloats, images, indices[i], mean, augmentations === null ? null : augmentations[i]);
    y[i] = images.labels[indices[i]];
  }
  return { x, y, size: indices.length, height: images.height, width: images.width, channels: images.channels };
}

export interface BatchIteratorOptions {
  batchSize: number;
  seed: number | string;
  /** The training split's mean image (computeMeanImage). */
  mean: Float32Array;
  /** Pad-crop-flip each image (default true). */
  augment?: boolean;
  /** Drop the last, smaller batch of each epoch (default false: every image once per epoch). */
  dropLast?: boolean;
}

/** What step k uses: which images, and how each is cropped and flipped. */
export interface BatchPlan {
  step: number;
  epoch: number;
  /** Position of this batch within its epoch. */
  batchInEpoch: number;
  indices: Uint32Array;
  augmentations: Augmentation[] | null;
}

/**
 * Epoch-shuffled training batches. The batch at step k depends only on the seed and k: the
 * epoch's order comes from (seed, epoch), the crops and flips from (seed, k). So a run resumed
 * at step k sees exactly the batches an uninterrupted run would, on either engine.
 */
export class BatchIterator {
  readonly stepsPerEpoch: number;
  private cachedEpoch = -1;
  private cachedOrder: Uint32Array = new Uint32Array(0);
  private readonly key: number;

  constructor(private readonly images: LabeledImages, private readonly options: BatchIteratorOptions) {
    const { batchSize } = options;
    if (!Number.isInteger(batchSize) || batchSize < 1) throw new RangeError(`batch size must be a whole number ≥ 1, got ${batchSize}`);
    if (images.count === 0) throw new RangeError(`no images to make batches from (${images.source})`);
    this.key = murmur3String(String(options.seed));
    this.stepsPerEpoch = options.dropLast
      ? Math.max(1, Math.floor(images.count / batchSize))
      : Math.ceil(images.count / batchSize);
  }

  planAt(step: number): BatchPlan {
    if (!Number.isInteger(step) || step < 0) throw new RangeError(`step must be a whole number ≥ 0, got ${step}`);
    const epoch = Math.floor(step / this.stepsPerEpoch);
    const batchInEpoch = step % this.stepsPerEpoch;
    const order = this.epochOrder(epoch);
    const start = batchInEpoch * this.options.batchSize;
    const indices = order.slice(start, Math.min(start + this.options.batchSize, order.length));
    let augmentations: Augmentation[] | null = null;
    if (this.options.augment !== false) augmentations = Array.from(indices, (_, position) => drawAugmentation(this.key, step, position));
    return { step, epoch, batchInEpoch, indices, augmentations };
  }

  batchAt(step: number): Batch {
    const plan = this.planAt(step);
    return makeBatch(this.images, plan.indices, this.options.mean, plan.augmentations);
  }

  /** Batches from `fromStep` (a resumed run's next step) up to, not including, `toStep`. */
  *batches(fromStep = 0, toStep = Number.POSITIVE_INFINITY): Generator<Batch> {
    for (let step = fromStep; step < toStep; step++) yield this.batchAt(step);
  }

  private epochOrder(epoch: number): Uint32Array {
    if (epoch !== this.cachedEpoch) {
      this.cachedOrder = epochOrder(this.key, epoch, this.images.count);
      this.cachedEpoch = epoch;
    }
    return this.cachedOrder;
  }
}

/** The plain (single centre view) batches of a validation or test set, in order. */
export function* evaluationBatches(images: LabeledImages, batchSize: number, mean: Float32Array): Generator<Batch> {
  for (let start = 0; start < images.count; start += batchSize) {
    const end = Math.min(start + batchSize, images.count);
    const indices = new Uint32Array(end - start);
    for (let i = 0; i < indices.length; i++) indices[i] = start + i;
    yield makeBatch(images, indices, mean, null);
  }
}
