// Training: the schedule, the loss falling on a learnable set, determinism, exact resume from a
// checkpoint, wasm agreeing with the cpu backend, option-A ResNet-20 steps without leaks.
import { strict as assert } from 'node:assert';
import { before, describe, it } from 'node:test';
import * as tf from '@tensorflow/tfjs-core';
import { computeMeanImage, makeBatch } from '../../core/data/augment';
import { loadCifar10 } from '../../core/data/load';
import { Batch } from '../../core/data/types';
import { selectBackend } from '../../core/engine/backend';
import { ResNetModel } from '../../core/engine/model';
import { setWinogradTile, winogradTile } from '../../core/engine/wasmKernels';
import { releaseTapeEarly } from '../../core/engine/tapeRelease';
import { paperSchedule, paperUsesWarmup, Trainer } from '../../core/engine/train';
import { buildGraph } from '../../core/graph';
import { seededRandom } from '../../core/random';
import { customSpec, NetworkSpec, specFromName } from '../../core/spec';
import { extractedCifar10 } from './dataSupport';

const SIDE = 8;
const CLASSES = 4;
const TINY_A = customSpec({ blocks: [1, 1], baseWidth: 4, blockType: 'basic', stem: 'cifar', inputSize: SIDE, classes: CLASSES });
const TINY_B = customSpec({ blocks: [1, 1], baseWidth: 4, blockType: 'basic', stem: 'cifar', inputSize: SIDE, classes: CLASSES, shortcut: 'B' });
/** 16×16 images, 8 then 16 channels: its first stage takes Winograd F(4×4, 3×3), its second F(2×2, 3×3). */
const TINY_C = customSpec({ blocks: [1, 1], baseWidth: 8, blockType: 'basic', stem: 'cifar', inputSize: 16, classes: CLASSES });

/** 8×8 images whose class is which quadrant is bright, with seeded noise: learnable in a few dozen steps. */
function quadrantImages(count: number, seed: string): Batch {
  const random = seededRandom(seed);
  const x = new Float32Array(count * SIDE * SIDE * 3);
  const y = new Int32Array(count);
  for (let i = 0; i < count; i++) {
    const label = i % CLASSES;
    y[i] = label;
    for (let r = 0; r < SIDE; r++) {
      for (let c = 0; c < SIDE; c++) {
        const quadrant = (r < SIDE / 2 ? 0 : 2) + (c < SIDE / 2 ? 0 : 1);
        for (let ch = 0; ch < 3; ch++) {
          x[((i * SIDE + r) * SIDE + c) * 3 + ch] = (quadrant === label ? 1 : -0.3) + 0.4 * (random.next() - 0.5);
        }
      }
    }
  }
  return { x, y, size: count, height: SIDE, width: SIDE, channels: 3 };
}

/** side×side images of uniform noise in [−1, 1), labels 0…CLASSES−1 in turn. */
function noiseImages(count: number, seed: string, side: number): Batch {
  const random = seededRandom(seed);
  const x = Float32Array.from({ length: count * side * side * 3 }, () => 2 * random.next() - 1);
  return { x, y: Int32Array.from({ length: count }, (_, i) => i % CLASSES), size: count, height: side, width: side, channels: 3 };
}

function slice(batch: Batch, start: number, size: number): Batch {
  const pixels = batch.height * batch.width * batch.channels;
  return { ...batch, x: batch.x.slice(start * pixels, (start + size) * pixels), y: batch.y.slice(start, start + size), size };
}

function train(spec: NetworkSpec, seed: number, data: Batch, steps: number, batchSize: number, lr: number): number[] {
  const model = new ResNetModel(buildGraph(spec), { seed });
  const trainer = new Trainer(model);
  const losses: number[] = [];
  for (let k = 0; k < steps; k++) {
    const start = (k * batchSize) % data.size;
    losses.push(trainer.trainStep(slice(data, start, batchSize), lr).loss);
  }
  trainer.dispose();
  model.dispose();
  return losses;
}

describe('paperSchedule', () => {
  it("is the paper's 0.1, ÷10 at 32k and 48k of 64k", () => {
    const s = paperSchedule(64_000);
    assert.deepEqual(s.milestones, [32_000, 48_000]);
    assert.equal(s.lrAt(0), 0.1);
    assert.equal(s.lrAt(31_999), 0.1);
    assert.ok(Math.abs(s.lrAt(32_000) - 0.01) < 1e-12);
    assert.ok(Math.abs(s.lrAt(48_000) - 0.001) < 1e-12);
    assert.match(s.description, /as in the paper/);
  });

  it('scales the milestones to a budget and warms up at 0.01 when asked', () => {
    const s = paperSchedule(2_000, { warmup: true });
    assert.deepEqual(s.milestones, [1_000, 1_500]);
    assert.equal(s.warmupIterations, 13);
    assert.equal(s.lrAt(12), 0.01);
    assert.equal(s.lrAt(13), 0.1);
    assert.equal(s.description, "lr 0.1, ÷10 at 1,000 and 1,500 of 2,000 iterations (the paper's 32k and 48k of 64k, scaled); warm-up at 0.01 for the first 13 iterations");
    assert.equal(paperSchedule(64_000, { warmup: true }).warmupIterations, 400);
    assert.equal(paperSchedule(1_000, { warmup: 50 }).lrAt(49), 0.01);
    assert.throws(() => paperSchedule(0), /whole number ≥ 1/);
  });

  it('warms up the 110- and 1202-layer CIFAR nets only, as the paper does', () => {
    assert.equal(paperUsesWarmup(specFromName('resnet110')), true);
    assert.equal(paperUsesWarmup(specFromName('resnet56')), false);
    assert.equal(paperUsesWarmup(specFromName('resnet152')), false);
  });
});

describe('Trainer on wasm', () => {
  before(async () => {
    await selectBackend('wasm');
  });

  it('lowers the loss on a learnable set, and the same seed gives identical losses', () => {
    const data = quadrantImages(64, 'train');
    const first = train(TINY_A, 5, data, 30, 16, 0.05);
    const again = train(TINY_A, 5, data, 30, 16, 0.05);
    assert.deepEqual(again, first);
    const head = (first[0] + first[1] + first[2] + first[3]) / 4;
    const tail = (first[26] + first[27] + first[28] + first[29]) / 4;
    assert.ok(tail < 0.5 * head, `loss ${head.toFixed(3)} → ${tail.toFixed(3)}`);
    const other = train(TINY_A, 6, data, 3, 16, 0.05);
    assert.notDeepEqual(other, first.slice(0, 3));
  });

  it('resumes exactly from getWeights/setWeights, momentum buffers included', () => {
    const data = quadrantImages(32, 'resume');
    const graph = buildGraph(TINY_B);
    const a = new Trainer(new ResNetModel(graph, { seed: 2 }));
    for (let k = 0; k < 3; k++) a.trainStep(slice(data, 0, 16), 0.05);
    const checkpoint = a.getWeights();
    assert.ok(checkpoint.some((w) => w.name === 'conv2_1.conv1/kernel/momentum'));
    assert.ok(checkpoint.some((w) => w.name === 'conv2_1.bn1/movingMean'));
    const continued = [a.trainStep(slice(data, 16, 16), 0.05).loss, a.trainStep(slice(data, 0, 16), 0.01).loss];
    const b = new Trainer(new ResNetModel(graph, { seed: 99 }));
    b.setWeights(checkpoint);
    const resumed = [b.trainStep(slice(data, 16, 16), 0.05).loss, b.trainStep(slice(data, 0, 16), 0.01).loss];
    assert.deepEqual(resumed, continued);
    assert.throws(() => b.setWeights(checkpoint.filter((w) => !w.name.endsWith('fc.fc/bias/momentum'))), /lacks the momentum buffer of "fc.fc\/bias"/);
    assert.throws(() => b.setWeights(checkpoint.map((w) => (w.name === 'fc.fc/kernel' ? { ...w, shape: [1, 2] } : w))), /"fc.fc\/kernel" has shape \[1, 2\]/);
    for (const t of [a, b]) {
      t.dispose();
      t.model.dispose();
    }
  });

  it('evaluates in inference mode, the same in any chunk size', () => {
    const data = quadrantImages(40, 'eval');
    const trainer = new Trainer(new ResNetModel(buildGraph(TINY_A), { seed: 4 }));
    for (let k = 0; k < 5; k++) trainer.trainStep(slice(data, (k * 8) % 40, 8), 0.05);
    const whole = trainer.evaluate(data, 40);
    const chunked = trainer.evaluate(data, 7);
    const parts = trainer.evaluate([slice(data, 0, 25), slice(data, 25, 15)], 10);
    assert.equal(whole.count, 40);
    assert.ok(Math.abs(whole.loss - chunked.loss) < 1e-5 && Math.abs(whole.loss - parts.loss) < 1e-5);
    assert.equal(whole.error, chunked.error);
    assert.ok(whole.error >= 0 && whole.error <= 1);
    // Inference uses the moving statistics: evaluating twice changes nothing.
    assert.deepEqual(trainer.evaluate(data, 40), whole);
    trainer.dispose();
    trainer.model.dispose();
  });

  it('rejects a batch of the wrong shape or with labels out of range', () => {
    const trainer = new Trainer(new ResNetModel(buildGraph(TINY_A), { seed: 1 }));
    const data = quadrantImages(4, 'bad');
    assert.throws(() => trainer.trainStep({ ...data, height: 4, width: 4 }, 0.1), /takes 8×8×3 images; the batch has 4×4×3/);
    assert.throws(() => trainer.trainStep({ ...data, y: Int32Array.from([0, 1, 2, 9]) }, 0.1), /Label 9 is outside 0…3/);
    trainer.dispose();
    trainer.model.dispose();
  });

  it('trains option-A ResNet-20 (subsample and zero-pad with a gradient) with no tensor leaks', () => {
    const spec = specFromName('resnet20');
    const trainer = new Trainer(new ResNetModel(buildGraph(spec), { seed: 1 }));
    const random = seededRandom('r20');
    const batch: Batch = { x: Float32Array.from({ length: 8 * 32 * 32 * 3 }, () => random.next() - 0.5), y: Int32Array.from({ length: 8 }, (_, i) => i), size: 8, height: 32, width: 32, channels: 3 };
    trainer.trainStep(batch, 0.1);
    const tensors = tf.memory().numTensors;
    const bytes = tf.memory().numBytes;
    let result = { loss: 0, error: 0 };
    for (let k = 0; k < 3; k++) result = trainer.trainStep(batch, 0.1);
    assert.equal(tf.memory().numTensors, tensors);
    assert.equal(tf.memory().numBytes, bytes);
    assert.ok(Number.isFinite(result.loss) && result.error >= 0 && result.error <= 1);
    trainer.dispose();
    trainer.model.dispose();
    assert.equal(tf.memory().numTensors, 0);
  });
});

describe('wasm against the cpu backend', () => {
  it('one training step gives the same loss and weights (relative 1e-4 of each weight tensor)', async () => {
    const stepOn = async (backend: 'wasm' | 'cpu', spec: NetworkSpec) => {
      // TINY_C on noise: the quadrant images' flat regions give exact ties (ReLU masks, BatchNorm
      // sums) that F(2×2)'s transforms keep exactly and F(4×4)'s ×4, ×5 round by one ulp, and a
      // flipped tie changed a weight by 1e-2 relative; on noise F(4×4) agrees to ~3e-6.
      const data = spec === TINY_C ? noiseImages(8, 'compare', spec.inputSize) : quadrantImages(8, 'compare');
      await selectBackend(backend);
      const trainer = new Trainer(new ResNetModel(buildGraph(spec), { seed: 11 }));
      const first = trainer.trainStep(data, 0.1);
      const second = trainer.trainStep(data, 0.1);
      const weights = trainer.getWeights();
      trainer.dispose();
      trainer.model.dispose();
      return { losses: [first.loss, second.loss], weights };
    };
    // TINY_C's 3×3 convolutions run both Winograd kernels: F(4×4) on 16×16×8, F(2×2) on 8×8×16.
    const convs = buildGraph(TINY_C).layers.filter((l) => l.kind === 'conv' && l.kernel === 3 && l.stride === 1);
    const tiles = convs.map((l) => winogradTile(tf.backend_util.computeConv2DInfo([8, ...l.inputShape], [3, 3, l.inputShape[2], l.outputShape[2]], 1, 1, 'same')));
    assert.ok(tiles.includes(4) && tiles.includes(2), `TINY_C takes both tile sizes: ${tiles.join(', ')}`);
    for (const spec of [TINY_A, TINY_B, TINY_C]) {
      const wasm = await stepOn('wasm', spec);
      const cpu = await stepOn('cpu', spec);
      for (let i = 0; i < 2; i++) assert.ok(Math.abs(wasm.losses[i] - cpu.losses[i]) < 1e-4 * Math.max(1, cpu.losses[i]), `${spec.name} loss ${wasm.losses[i]} vs ${cpu.losses[i]}`);
      for (const [i, w] of cpu.weights.entries()) {
        const other = wasm.weights[i];
        assert.equal(other.name, w.name);
        const scale = Math.max(1e-3, ...Array.from(w.data, Math.abs));
        const diff = Math.max(...Array.from(w.data, (v, j) => Math.abs(v - other.data[j])));
        assert.ok(diff <= 1e-4 * scale, `${spec.name} ${w.name}: max difference ${diff} of scale ${scale}`);
      }
    }
  });
});

describe('releaseTapeEarly', () => {
  it('gives the same gradients (a gradient may return its dy as is) and leaves no tensors behind', async () => {
    await selectBackend('cpu');
    const random = seededRandom('tape');
    const values = (n: number) => Float32Array.from({ length: n }, () => random.next() - 0.5);
    const x = tf.tensor2d(values(12), [3, 4]);
    const w = tf.variable(tf.tensor2d(values(20), [4, 5]));
    const b = tf.variable(tf.tensor1d(values(5)));
    const loss = (release: boolean) => () => {
      const h = tf.relu(tf.add(tf.matMul(x, w), b));
      // Add's gradient hands dy on unchanged; h feeds two ops, so its gradients accumulate.
      const y = tf.add(tf.add(h, tf.mul(h, h)), b);
      const l = tf.sum(tf.mul(y, y)) as tf.Scalar;
      if (release) releaseTapeEarly();
      return l;
    };
    const tensors = tf.memory().numTensors;
    const plain = tf.variableGrads(loss(false), [w, b]);
    const released = tf.variableGrads(loss(true), [w, b]);
    assert.equal(released.value.dataSync()[0], plain.value.dataSync()[0]);
    for (const name of Object.keys(plain.grads)) {
      assert.deepEqual(Array.from(released.grads[name].dataSync()), Array.from(plain.grads[name].dataSync()), name);
    }
    tf.dispose([plain.value, released.value, ...Object.values(plain.grads), ...Object.values(released.grads)]);
    assert.equal(tf.memory().numTensors, tensors);
    tf.dispose([x, w, b]);
  });
});

describe('fused layers on wasm: folded BatchNorm in inference, BatchNorm → add → ReLU', () => {
  it('gives the logits and captured outputs of the cpu backend (relative 1e-4)', async () => {
    const data = quadrantImages(8, 'fold');
    const run = async (backend: 'wasm' | 'cpu', weights?: ReturnType<Trainer['getWeights']>) => {
      await selectBackend(backend);
      const trainer = new Trainer(new ResNetModel(buildGraph(TINY_B), { seed: 5 }));
      if (weights) trainer.setWeights(weights);
      else for (let k = 0; k < 3; k++) trainer.trainStep(data, 0.1); // moving statistics away from 0 and 1
      const x = tf.tensor4d(data.x, [data.size, SIDE, SIDE, 3]);
      const bn = trainer.model.graph.layers.find((l) => l.kind === 'batchnorm')!.id;
      const plain = trainer.model.forward(x, { training: false });
      const captured = trainer.model.forward(x, { training: false, capture: [bn] });
      const result = { weights: trainer.getWeights(), logits: plain.logits.dataSync().slice(), logits2: captured.logits.dataSync().slice(), bn: captured.captured[bn].dataSync().slice() };
      tf.dispose([x, plain.logits, captured.logits, ...Object.values(captured.captured)]);
      trainer.dispose();
      trainer.model.dispose();
      return result;
    };
    const wasm = await run('wasm');
    const cpu = await run('cpu', wasm.weights);
    const rel = (a: ArrayLike<number>, b: ArrayLike<number>) => Math.max(...Array.from(a, (v, i) => Math.abs(v - b[i]))) / Math.max(1e-6, ...Array.from(b, Math.abs));
    assert.ok(rel(wasm.logits, cpu.logits) < 1e-4, `logits: ${rel(wasm.logits, cpu.logits)}`);
    assert.ok(rel(wasm.logits2, cpu.logits2) < 1e-4, `logits with a capture: ${rel(wasm.logits2, cpu.logits2)}`);
    assert.ok(rel(wasm.bn, cpu.bn) < 1e-4, `captured BatchNorm: ${rel(wasm.bn, cpu.bn)}`);
  });

  it("runs each block's BatchNorm → add → ReLU in the fused kernels, in training and inference", async () => {
    await selectBackend('wasm');
    // TINY_A: an identity block, then an option-A block (its shortcut computed after the branch).
    const model = new ResNetModel(buildGraph(TINY_A), { seed: 3 });
    const x = tf.tensor4d(quadrantImages(4, 'fused').x, [4, SIDE, SIDE, 3]);
    for (const training of [true, false]) {
      const profile = await tf.profile(() => model.forward(x, { training }).logits);
      // Element-wise kernels on activations (rank 4); the per-channel moving averages don't count.
      const count = (name: string) => profile.kernels.filter((k) => k.name === name && k.outputShapes[0]?.length === 4).length;
      assert.deepEqual({ add: count('Add'), relu: count('Relu') }, { add: 0, relu: 0 }, `training ${training}: ${profile.kernels.map((k) => k.name).join(', ')}`);
      tf.dispose(profile.result as tf.Tensor);
    }
    x.dispose();
    model.dispose();
  });
});

describe('Winograd F(4×4, 3×3) against the previous engine (F(2×2) everywhere) on real CIFAR-10', () => {
  it('gives the same learning curve at equal iterations, within seed noise', async () => {
    await selectBackend('wasm');
    // In batches of 64 every 3×3 layer takes F(4×4) (8×8×32's filter gradient F(2×2)); the same
    // batches for every run.
    const spec = customSpec({ blocks: [1, 1, 1], baseWidth: 8, blockType: 'basic', stem: 'cifar', inputSize: 32, classes: 10 });
    const data = await loadCifar10(await extractedCifar10());
    const mean = computeMeanImage(data.train);
    const random = seededRandom('winograd-curve');
    const steps = 40;
    const batches = Array.from({ length: steps }, () => makeBatch(data.train, Array.from({ length: 64 }, () => random.int(data.train.count)), mean, null));
    const curve = (seed: number, tile: 2 | null): number[] => {
      setWinogradTile(tile);
      try {
        const trainer = new Trainer(new ResNetModel(buildGraph(spec), { seed }));
        const losses = batches.map((b) => trainer.trainStep(b, 0.1).loss);
        trainer.dispose();
        trainer.model.dispose();
        return losses;
      } finally {
        setWinogradTile(null);
      }
    };
    const now = curve(1, null);
    const before = curve(1, 2);
    const otherSeed = curve(2, 2);
    const gap = (a: number[], b: number[]) => a.reduce((s, v, i) => s + Math.abs(v - b[i]), 0) / a.length;
    const tileGap = gap(now, before);
    const seedGap = gap(before, otherSeed);
    const start = (c: number[]) => c.slice(0, 10).reduce((a, b) => a + b) / 10;
    const end = (c: number[]) => c.slice(-10).reduce((a, b) => a + b) / 10;
    console.log(`  mean |loss difference| over ${steps} steps: F(4×4) vs F(2×2) ${tileGap.toFixed(4)}, seed 1 vs seed 2 ${seedGap.toFixed(4)}; loss ${start(now).toFixed(3)} → ${end(now).toFixed(3)} (before: ${start(before).toFixed(3)} → ${end(before).toFixed(3)})`);
    assert.ok(end(now) < start(now) && end(before) < start(before), 'both learn');
    assert.ok(tileGap < 0.5 * seedGap, `F(4×4) vs F(2×2): ${tileGap}, seed noise ${seedGap}`);
  });
});
