// Mean subtraction, pad-crop-flip augmentation, resumable batches, the split and subsets.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import {
  Augmentation, BatchIterator, CROP_PADDING, computeMeanImage, evaluationBatches, makeBatch,
} from '../../core/data/augment';
import { balancedIndices, classCounts, selectSubset, splitTrainValidation } from '../../core/data/split';
import { LabeledImages } from '../../core/data/types';

/** `count` images of `side`×`side`×3 whose bytes are a known function of (image, y, x, channel). */
function handMade(count: number, side: number, classes = 10): LabeledImages {
  const images = new Uint8Array(count * side * side * 3);
  const labels = new Uint8Array(count);
  for (let i = 0; i < count; i++) {
    labels[i] = i % classes;
    for (let y = 0; y < side; y++) for (let x = 0; x < side; x++) for (let c = 0; c < 3; c++) {
      images[((i * side + y) * side + x) * 3 + c] = pixelValue(i, y, x, c);
    }
  }
  const classNames = Array.from({ length: classes }, (_, k) => `class ${k}`);
  return { images, labels, count, height: side, width: side, channels: 3, classNames, source: 'hand-made' };
}

function pixelValue(i: number, y: number, x: number, c: number): number {
  return (i * 7 + y * 13 + x * 29 + c * 71) % 256;
}

describe('per-pixel mean', () => {
  test('is the average of each pixel and channel, in [0, 1] units', () => {
    // Two images of 1×2 pixels.
    const images = new Uint8Array([0, 10, 255, 100, 50, 0, 255, 30, 255, 200, 150, 0]);
    const set: LabeledImages = { images, labels: new Uint8Array([0, 1]), count: 2, height: 1, width: 2, channels: 3, classNames: ['a', 'b'], source: 'tiny' };
    const mean = computeMeanImage(set);
    const expected = [127.5, 20, 255, 150, 100, 0].map((v) => v / 255);
    assert.equal(mean.length, 6);
    mean.forEach((m, p) => assert.ok(Math.abs(m - expected[p]) < 1e-6, `pixel value ${p}: ${m} vs ${expected[p]}`));
  });

  test('a plain batch is pixels / 255 minus the mean', () => {
    const set = handMade(4, 4);
    const mean = computeMeanImage(set);
    const batch = makeBatch(set, [2, 0], mean, null);
    assert.deepEqual([batch.size, batch.height, batch.width, batch.channels], [2, 4, 4, 3]);
    assert.deepEqual(Array.from(batch.y), [2, 0]);
    for (let p = 0; p < 48; p++) assert.ok(Math.abs(batch.x[p] - (set.images[2 * 48 + p] / 255 - mean[p])) < 1e-6);
    // The mean of the mean-subtracted set is zero at every pixel.
    const all = makeBatch(set, [0, 1, 2, 3], mean, null);
    for (let p = 0; p < 48; p++) assert.ok(Math.abs(all.x[p] + all.x[48 + p] + all.x[96 + p] + all.x[144 + p]) < 1e-5);
  });
});

describe('pad-crop-flip augmentation', () => {
  const side = 8;
  const set = handMade(64, side);
  const zeroMean = new Float32Array(side * side * 3);
  const iterator = new BatchIterator(set, { batchSize: 16, seed: 'aug', mean: zeroMean });

  test('each output pixel is the source pixel the crop and flip point to, or zero padding', () => {
    for (let step = 0; step < 8; step++) {
      const plan = iterator.planAt(step);
      const batch = iterator.batchAt(step);
      assert.ok(plan.augmentations !== null);
      plan.indices.forEach((index, b) => {
        const { offsetY, offsetX, flip } = (plan.augmentations as Augmentation[])[b];
        assert.ok(offsetY >= 0 && offsetY <= 2 * CROP_PADDING && offsetX >= 0 && offsetX <= 2 * CROP_PADDING);
        for (let y = 0; y < side; y++) for (let x = 0; x < side; x++) {
          const sy = y + offsetY - CROP_PADDING;
          const sx = (flip ? side - 1 - x : x) + offsetX - CROP_PADDING;
          const inside = sy >= 0 && sy < side && sx >= 0 && sx < side;
          for (let c = 0; c < 3; c++) {
            const want = inside ? pixelValue(index, sy, sx, c) / 255 : 0;
            assert.ok(Math.abs(batch.x[((b * side + y) * side + x) * 3 + c] - want) < 1e-6, `step ${step} image ${b} (${y}, ${x}, ${c})`);
          }
        }
      });
    }
  });

  test('offsets cover the whole padding range, and about half the images are flipped', () => {
    const big = new BatchIterator(handMade(1000, 4), { batchSize: 100, seed: 3, mean: new Float32Array(48) });
    let flips = 0;
    let total = 0;
    const offsets = new Set<number>();
    for (let step = 0; step < 20; step++) {
      for (const a of big.planAt(step).augmentations ?? []) {
        flips += a.flip ? 1 : 0;
        total++;
        offsets.add(a.offsetX).add(a.offsetY);
      }
    }
    assert.equal(total, 2000);
    assert.ok(flips > 900 && flips < 1100, `${flips} of ${total} flipped`);
    assert.deepEqual([...offsets].sort((a, b) => a - b), [0, 1, 2, 3, 4, 5, 6, 7, 8]);
  });

  test('without augmentation the batches are the plain images', () => {
    const plain = new BatchIterator(set, { batchSize: 16, seed: 'aug', mean: zeroMean, augment: false });
    const plan = plain.planAt(1);
    assert.equal(plan.augmentations, null);
    assert.deepEqual(Array.from(plain.batchAt(1).x), Array.from(makeBatch(set, plan.indices, zeroMean, null).x));
  });
});

describe('resumable epoch-shuffled batches', () => {
  const set = handMade(100, 4);
  const mean = computeMeanImage(set);

  test('the same seed gives the same batches; another seed, others', () => {
    const a = new BatchIterator(set, { batchSize: 32, seed: 11, mean });
    const b = new BatchIterator(set, { batchSize: 32, seed: 11, mean });
    const c = new BatchIterator(set, { batchSize: 32, seed: 12, mean });
    assert.deepEqual(a.batchAt(5), b.batchAt(5));
    assert.notDeepEqual(Array.from(a.batchAt(5).x), Array.from(c.batchAt(5).x));
  });

  test('the batch at step k does not depend on where the run started', () => {
    const uninterrupted = [...new BatchIterator(set, { batchSize: 32, seed: 5, mean }).batches(0, 13)];
    const resumed = [...new BatchIterator(set, { batchSize: 32, seed: 5, mean }).batches(9, 13)];
    assert.equal(uninterrupted.length, 13);
    assert.deepEqual(resumed, uninterrupted.slice(9));
    const jumpy = new BatchIterator(set, { batchSize: 32, seed: 5, mean });
    assert.deepEqual(jumpy.batchAt(12), uninterrupted[12]);
    assert.deepEqual(jumpy.batchAt(2), uninterrupted[2]);
  });

  test('each epoch shows every image once, in a new order', () => {
    const iterator = new BatchIterator(set, { batchSize: 32, seed: 9, mean });
    assert.equal(iterator.stepsPerEpoch, 4);
    const epochOrder = (epoch: number): number[] => {
      const order: number[] = [];
      for (let s = 0; s < 4; s++) order.push(...iterator.planAt(epoch * 4 + s).indices);
      return order;
    };
    const first = epochOrder(0);
    const second = epochOrder(1);
    assert.deepEqual([...first].sort((x, y) => x - y), Array.from({ length: 100 }, (_, i) => i));
    assert.deepEqual([...second].sort((x, y) => x - y), Array.from({ length: 100 }, (_, i) => i));
    assert.notDeepEqual(first, second);
    assert.equal(iterator.planAt(3).indices.length, 4); // the last, smaller batch
    const dropping = new BatchIterator(set, { batchSize: 32, seed: 9, mean, dropLast: true });
    assert.equal(dropping.stepsPerEpoch, 3);
  });

  test('evaluation batches cover the set in order, unaugmented', () => {
    const batches = [...evaluationBatches(set, 40, mean)];
    assert.deepEqual(batches.map((b) => b.size), [40, 40, 20]);
    assert.deepEqual(batches[2], makeBatch(set, Array.from({ length: 20 }, (_, i) => 80 + i), mean, null));
  });
});

describe('train/validation split and subsets', () => {
  test('the split is stratified, disjoint, complete and seeded', () => {
    const set = handMade(1000, 2);
    for (let i = 0; i < 1000; i++) set.images.set([i >> 8, i & 255], i * 12); // an id in each image
    const split = splitTrainValidation(set, 100, 1);
    assert.equal(split.train.count, 900);
    assert.deepEqual(classCounts(split.validation), new Array(10).fill(10));
    assert.deepEqual(classCounts(split.train), new Array(10).fill(90));
    const key = (images: LabeledImages, i: number): number => images.images[i * 12] * 256 + images.images[i * 12 + 1];
    const seen = new Set<number>();
    for (const part of [split.train, split.validation]) for (let i = 0; i < part.count; i++) seen.add(key(part, i));
    assert.equal(seen.size, 1000, 'every image lands in exactly one part');
    assert.deepEqual(splitTrainValidation(set, 100, 1).validation.images, split.validation.images);
    assert.notDeepEqual(splitTrainValidation(set, 100, 2).validation.images, split.validation.images);
    assert.equal(split.description, '900 / 100, stratified, seed 1');
  });

  test('a small subset is class-balanced: 500 gives 50 per class', () => {
    const big = handMade(5000, 2);
    const subset = selectSubset(big, 500, 4);
    assert.equal(subset.count, 500);
    assert.deepEqual(classCounts(subset), new Array(10).fill(50));
    assert.deepEqual(balancedIndices(big, 500, 4), balancedIndices(big, 500, 4));
    assert.notDeepEqual(balancedIndices(big, 500, 4), balancedIndices(big, 500, 5));
    assert.deepEqual(classCounts(selectSubset(big, 503, 4)), [51, 51, 51, 50, 50, 50, 50, 50, 50, 50]);
  });

  test('a short class gives its remainder to the others', () => {
    const uneven = handMade(30, 2, 3);
    uneven.labels.set(new Uint8Array(30).fill(0));
    uneven.labels.set([1, 1, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2], 0); // 2 of class 1, 10 of class 2, 18 of class 0
    assert.deepEqual(classCounts(selectSubset(uneven, 15, 1)), [7, 2, 6]);
    assert.throws(() => selectSubset(uneven, 31, 1), /subset size must be a whole number in 0..30/);
  });
});
