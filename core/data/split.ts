// The paper's train/validation split (45k/5k) and class-balanced subsets, both seeded.
import { seededRandom, shuffledIndices } from '../random';
import { LabeledImages } from './types';

/** The images at `indices`, in that order. */
export function takeImages(source: LabeledImages, indices: ArrayLike<number>, description: string): LabeledImages {
  const imageBytes = source.height * source.width * source.channels;
  const images = new Uint8Array(indices.length * imageBytes);
  const labels = new Uint8Array(indices.length);
  for (let i = 0; i < indices.length; i++) {
    const from = indices[i];
    images.set(source.images.subarray(from * imageBytes, (from + 1) * imageBytes), i * imageBytes);
    labels[i] = source.labels[from];
  }
  return { ...source, images, labels, count: indices.length, source: description };
}

export function classCounts(images: LabeledImages): number[] {
  const counts = new Array<number>(images.classNames.length).fill(0);
  for (let i = 0; i < images.count; i++) counts[images.labels[i]]++;
  return counts;
}

/**
 * Indices of `count` images, class-balanced: the first images of each class in a seeded
 * shuffle, as equal per class as the classes allow (500 of 10 classes: 50 each), in shuffle order.
 */
export function balancedIndices(images: LabeledImages, count: number, seed: number | string): Uint32Array {
  if (!Number.isInteger(count) || count < 0 || count > images.count) {
    throw new RangeError(`subset size must be a whole number in 0..${images.count}, got ${count}`);
  }
  const order = shuffledIndices(images.count, seededRandom(`${seed}:subset`));
  const quota = classQuotas(classCounts(images), count);
  const taken = new Array<number>(quota.length).fill(0);
  const picked = new Uint32Array(count);
  let n = 0;
  for (let i = 0; i < order.length && n < count; i++) {
    const label = images.labels[order[i]];
    if (taken[label] < quota[label]) {
      taken[label]++;
      picked[n++] = order[i];
    }
  }
  return picked;
}

/** A seeded, class-balanced subset of `count` images (e.g. 500 → 50 per class). */
export function selectSubset(images: LabeledImages, count: number, seed: number | string): LabeledImages {
  if (count === images.count) return images;
  return takeImages(images, balancedIndices(images, count, seed), `${images.source}, ${count.toLocaleString('en-US')}-image balanced subset (seed ${seed})`);
}

export interface TrainValidationSplit {
  /** Positions of the train part's images in the source, in order. */
  trainIndices: Uint32Array;
  train: LabeledImages;
  validation: LabeledImages;
  /** E.g. "45,000 / 5,000, stratified, seed 1". */
  description: string;
}

/**
 * The paper's split of the 50k training images into 45k train / 5k validation. Stratified:
 * the validation set takes an equal share of each class (500 per class on CIFAR-10), chosen
 * by a seeded shuffle; both parts keep the original file order.
 */
export function splitTrainValidation(images: LabeledImages, validationCount: number, seed: number | string): TrainValidationSplit {
  const held = balancedIndices(images, validationCount, `${seed}:validation`);
  const isValidation = new Uint8Array(images.count);
  for (const i of held) isValidation[i] = 1;
  const trainIdx: number[] = [];
  const validationIdx: number[] = [];
  for (let i = 0; i < images.count; i++) (isValidation[i] ? validationIdx : trainIdx).push(i);
  const fmt = (n: number): string => n.toLocaleString('en-US');
  const description = `${fmt(trainIdx.length)} / ${fmt(validationIdx.length)}, stratified, seed ${seed}`;
  return {
    trainIndices: Uint32Array.from(trainIdx),
    train: takeImages(images, trainIdx, `${images.source}, train part (${description})`),
    validation: takeImages(images, validationIdx, `${images.source}, validation part (${description})`),
    description,
  };
}

/** Splits `count` as evenly as possible over classes, moving a short class's remainder to the others. */
function classQuotas(available: readonly number[], count: number): number[] {
  const quota = new Array<number>(available.length).fill(0);
  let left = count;
  let open = available.map((a, c) => (a > 0 ? c : -1)).filter((c) => c >= 0);
  while (left > 0 && open.length > 0) {
    const share = Math.floor(left / open.length);
    const extra = left % open.length;
    open.forEach((c, k) => {
      const want = share + (k < extra ? 1 : 0);
      const give = Math.min(want, available[c] - quota[c]);
      quota[c] += give;
      left -= give;
    });
    open = open.filter((c) => quota[c] < available[c]);
  }
  return quota;
}
