// The embedded synthetic shapes: deterministic, balanced, and learnable but not trivial.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { describeData } from '../../core/data/load';
import { classCounts } from '../../core/data/split';
import { SYNTHETIC_CLASSES, SYNTHETIC_SOURCE, generateSyntheticShapes, syntheticDataset } from '../../core/data/synthetic';
import { LabeledImages } from '../../core/data/types';

/** Accuracy on `test` of the nearest class mean (raw pixels, Euclidean) fitted on `train`. */
function nearestClassMeanAccuracy(train: LabeledImages, test: LabeledImages): number {
  const size = train.height * train.width * train.channels;
  const k = train.classNames.length;
  const means = Array.from({ length: k }, () => new Float64Array(size));
  const counts = classCounts(train);
  for (let i = 0; i < train.count; i++) {
    const m = means[train.labels[i]];
    for (let p = 0; p < size; p++) m[p] += train.images[i * size + p];
  }
  means.forEach((m, c) => m.forEach((v, p) => (m[p] = v / counts[c])));
  let correct = 0;
  for (let i = 0; i < test.count; i++) {
    let best = -1;
    let bestDistance = Number.POSITIVE_INFINITY;
    for (let c = 0; c < k; c++) {
      let d = 0;
      for (let p = 0; p < size; p++) {
        const e = test.images[i * size + p] - means[c][p];
        d += e * e;
      }
      if (d < bestDistance) [best, bestDistance] = [c, d];
    }
    if (best === test.labels[i]) correct++;
  }
  return correct / test.count;
}

describe('synthetic shapes', () => {
  const data = syntheticDataset({ trainCount: 5000, validationCount: 500, testCount: 1000, seed: 3 });

  test('the same seed gives the same images; another seed, others', () => {
    const a = generateSyntheticShapes({ count: 200, seed: 'x' });
    const b = generateSyntheticShapes({ count: 200, seed: 'x' });
    const c = generateSyntheticShapes({ count: 200, seed: 'y' });
    assert.deepEqual(a.images, b.images);
    assert.deepEqual(a.labels, b.labels);
    assert.notDeepEqual(a.images, c.images);
  });

  test('sizes are the caller\'s and classes are balanced', () => {
    assert.deepEqual([data.train.count, data.validation.count, data.test.count], [5000, 500, 1000]);
    assert.deepEqual(classCounts(data.train), new Array(10).fill(500));
    assert.deepEqual(classCounts(data.test), new Array(10).fill(100));
    assert.deepEqual(classCounts(generateSyntheticShapes({ count: 23, seed: 1 })), [3, 3, 3, 2, 2, 2, 2, 2, 2, 2]);
    assert.equal(data.train.images.length, 5000 * 32 * 32 * 3);
  });

  test('it says plainly what it is', () => {
    assert.equal(data.train.source, 'synthetic shapes (embedded, no download)');
    assert.equal(data.meta.source, SYNTHETIC_SOURCE);
    assert.deepEqual([...data.meta.classNames], [...SYNTHETIC_CLASSES]);
    assert.equal(new Set(SYNTHETIC_CLASSES).size, 10);
    assert.match(describeData(data).summary, /^Synthetic shapes: 5,000 train \/ 500 validation \/ 1,000 test, 32×32×3, 10 classes \(synthetic shapes \(embedded, no download\)\)$/);
  });

  test('the three parts are different images', () => {
    assert.notDeepEqual(data.train.images.subarray(0, 3072 * 10), data.test.images.subarray(0, 3072 * 10));
    assert.notDeepEqual(data.validation.images.subarray(0, 3072 * 10), data.test.images.subarray(0, 3072 * 10));
  });

  test('images use the whole byte range and are not constant', () => {
    let min = 255;
    let max = 0;
    for (const v of data.test.images) [min, max] = [Math.min(min, v), Math.max(max, v)];
    assert.ok(min <= 5 && max >= 250, `range ${min}..${max}`);
    const first = data.test.images.subarray(0, 3072);
    assert.ok(new Set(first).size > 20, 'an image has many distinct values');
  });

  test('learnable but not trivial: a nearest-class-mean classifier is far above chance and far below perfect', () => {
    const accuracy = nearestClassMeanAccuracy(data.train, data.test);
    assert.ok(accuracy > 0.25, `nearest class mean: ${accuracy} (chance is 0.10)`);
    assert.ok(accuracy < 0.8, `nearest class mean: ${accuracy}: too easy to show anything`);
  });
});
