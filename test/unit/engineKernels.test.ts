// The wasm training kernels against tfjs's pure-JS cpu backend, and the gradient configs
// against finite differences.
import { strict as assert } from 'node:assert';
import { before, describe, it } from 'node:test';
import * as tf from '@tensorflow/tfjs-core';
import { selectBackend } from '../../core/engine/backend';
import { registerTrainingGradients } from '../../core/engine/gradients';
import { BATCH_NORM_TRAIN, CONV_BATCH_NORM, SGD_MOMENTUM, SgdMomentumAttrs } from '../../core/engine/kernelNames';
import { batchNormTraining } from '../../core/engine/model';
import { sgdMomentumOps } from '../../core/engine/train';
import { seededRandom } from '../../core/random';
import { setWinogradMinChannels, setWinogradTile, WINOGRAD_DEFAULT_MIN_CHANNELS, winogradApplies, WinogradTile } from '../../core/engine/wasmKernels';
import { KernelHeap, kernelHeap, sharedMemoryBinary } from '../../core/engine/wasmHeap';
import { findKernelsWasm, getKernelThreads, KernelThreads, loadKernelsModule, RELAXED_SIMD_SECTION } from '../../core/engine/wasmThreads';
import { readFileSync } from 'node:fs';
import { relativeError } from './numerics';

type Pad = 'same' | 'valid' | [[number, number], [number, number], [number, number], [number, number]];
interface ConvCase {
  n: number;
  h: number;
  w: number;
  cin: number;
  cout: number;
  k: number;
  stride: number;
  pad: Pad;
}

function randomValues(count: number, seed: string): Float32Array {
  const r = seededRandom(seed);
  return Float32Array.from({ length: count }, () => 2 * r.next() - 1);
}

/** Outputs of conv2d's input and filter gradients for one case on the current backend. */
function convGradients(c: ConvCase, seed: string): { dx: Float32Array; dw: Float32Array; y: Float32Array } {
  return tf.tidy(() => {
    const x = tf.tensor4d(randomValues(c.n * c.h * c.w * c.cin, `${seed}x`), [c.n, c.h, c.w, c.cin]);
    const w = tf.tensor4d(randomValues(c.k * c.k * c.cin * c.cout, `${seed}w`), [c.k, c.k, c.cin, c.cout]);
    const y = tf.conv2d(x, w, c.stride, c.pad);
    const r = tf.tensor(randomValues(y.size, `${seed}r`), y.shape);
    const [dx, dw] = tf.grads((a: tf.Tensor, b: tf.Tensor) => tf.sum(tf.mul(tf.conv2d(a as tf.Tensor4D, b as tf.Tensor4D, c.stride, c.pad), r)))([x, w]);
    return { dx: dx.dataSync() as Float32Array, dw: dw.dataSync() as Float32Array, y: y.dataSync() as Float32Array };
  });
}

const sym = (p: number): Pad => [[0, 0], [p, p], [p, p], [0, 0]];
const FIXED_CASES: ConvCase[] = [
  { n: 2, h: 8, w: 8, cin: 3, cout: 4, k: 3, stride: 1, pad: sym(1) },
  { n: 2, h: 8, w: 8, cin: 4, cout: 6, k: 3, stride: 2, pad: sym(1) },
  { n: 3, h: 7, w: 7, cin: 5, cout: 4, k: 3, stride: 2, pad: sym(1) },
  { n: 2, h: 8, w: 8, cin: 4, cout: 8, k: 1, stride: 2, pad: sym(0) },
  { n: 2, h: 9, w: 9, cin: 3, cout: 5, k: 1, stride: 2, pad: sym(0) },
  { n: 1, h: 9, w: 7, cin: 2, cout: 3, k: 3, stride: 2, pad: 'valid' },
  { n: 2, h: 8, w: 8, cin: 3, cout: 3, k: 3, stride: 2, pad: 'same' },
  { n: 2, h: 11, w: 11, cin: 3, cout: 4, k: 7, stride: 2, pad: sym(3) },
  // Wide enough for the 4×8 register tiles, the 4×4 transposes of packing and their tails.
  { n: 2, h: 9, w: 9, cin: 16, cout: 16, k: 3, stride: 1, pad: sym(1) },
  { n: 3, h: 7, w: 5, cin: 8, cout: 12, k: 3, stride: 2, pad: sym(1) },
  { n: 1, h: 6, w: 5, cin: 12, cout: 20, k: 1, stride: 1, pad: sym(0) },
  { n: 2, h: 7, w: 7, cin: 20, cout: 9, k: 1, stride: 2, pad: sym(0) },
  { n: 1, h: 5, w: 7, cin: 13, cout: 11, k: 3, stride: 1, pad: 'valid' },
];

function randomCases(count: number, seed = 'conv-cases', maxChannels = 6): ConvCase[] {
  const r = seededRandom(seed);
  return Array.from({ length: count }, () => {
    const k = r.next() < 0.5 ? 1 : 3;
    return { n: 1 + r.int(3), h: 5 + r.int(8), w: 5 + r.int(8), cin: 1 + r.int(maxChannels), cout: 1 + r.int(maxChannels), k, stride: 1 + r.int(2), pad: sym(r.int(2) === 0 ? 0 : (k - 1) / 2) };
  });
}

/**
 * y, dx, dγ, dβ of training-mode BatchNorm (through the model's code path) on the current
 * backend; with a residual added before the ReLU, its gradient too. The cpu backend has no fused
 * kernel: there the residual is added by tf.add, as an unfused model does.
 */
function batchNormGradients(shape: [number, number, number, number], seed: string, offset: number, relu: boolean, residual = false): Record<string, Float32Array> {
  return tf.tidy(() => {
    const x = tf.add(tf.tensor4d(randomValues(shape.reduce((a, b) => a * b, 1), `${seed}x`), shape), offset) as tf.Tensor4D;
    const c = shape[3];
    const gamma = tf.tensor1d(randomValues(c, `${seed}g`));
    const beta = tf.tensor1d(randomValues(c, `${seed}b`));
    const res = tf.tensor4d(randomValues(x.size, `${seed}res`), shape);
    const r = tf.tensor(randomValues(x.size, `${seed}r`), shape);
    const fused = tf.getKernel(BATCH_NORM_TRAIN, tf.getBackend()) !== undefined;
    const forward = (a: tf.Tensor4D, g: tf.Tensor1D, b: tf.Tensor1D, s: tf.Tensor4D) => {
      if (!residual) return batchNormTraining(a, g, b, relu);
      if (fused) return batchNormTraining(a, g, b, relu, s);
      const out = batchNormTraining(a, g, b);
      const sum = tf.add(out.y, s) as tf.Tensor4D;
      return { ...out, y: relu ? tf.relu(sum) : sum };
    };
    let stats: tf.Tensor[] = [];
    const f = (a: tf.Tensor, g: tf.Tensor, b: tf.Tensor, s?: tf.Tensor) => {
      const out = forward(a as tf.Tensor4D, g as tf.Tensor1D, b as tf.Tensor1D, (s ?? res) as tf.Tensor4D);
      stats = [tf.keep(out.mean), tf.keep(out.variance)];
      return tf.sum(tf.mul(out.y, r));
    };
    const y = forward(x, gamma, beta, res);
    const [dx, dg, db, ds] = tf.grads(f)(residual ? [x, gamma, beta, res] : [x, gamma, beta]);
    const result: Record<string, Float32Array> = { y: y.y.dataSync() as Float32Array, mean: stats[0].dataSync() as Float32Array, variance: stats[1].dataSync() as Float32Array, dx: dx.dataSync() as Float32Array, dgamma: dg.dataSync() as Float32Array, dbeta: db.dataSync() as Float32Array };
    if (residual) result.dresidual = ds.dataSync() as Float32Array;
    tf.dispose([...stats, y.mean, y.variance]);
    return result;
  });
}

/** conv → BatchNorm (moving statistics) → + residual → ReLU: the fused inference kernel on wasm, the ops one by one on cpu. */
function convBatchNormResidual(c: ConvCase, seed: string): Float32Array {
  return tf.tidy(() => {
    const x = tf.tensor4d(randomValues(c.n * c.h * c.w * c.cin, `${seed}x`), [c.n, c.h, c.w, c.cin]);
    const filter = tf.tensor4d(randomValues(c.k * c.k * c.cin * c.cout, `${seed}w`), [c.k, c.k, c.cin, c.cout]);
    const [gamma, beta, mean] = ['g', 'b', 'm'].map((k) => tf.tensor1d(randomValues(c.cout, `${seed}${k}`)));
    const variance = tf.add(tf.abs(tf.tensor1d(randomValues(c.cout, `${seed}v`))), 0.1) as tf.Tensor1D;
    const info = tf.backend_util.computeConv2DInfo([c.n, c.h, c.w, c.cin], [c.k, c.k, c.cin, c.cout], c.stride, 1, c.pad);
    const residual = tf.tensor4d(randomValues(info.outShape.reduce((a, b) => a * b, 1), `${seed}res`), info.outShape);
    if (tf.getBackend() === 'wasm') {
      const attrs = { strides: c.stride, pad: c.pad, dataFormat: 'NHWC', epsilon: 1e-5, relu: true };
      return (tf.engine().runKernel(CONV_BATCH_NORM, { x, filter, gamma, beta, mean, variance, residual }, attrs as unknown as tf.NamedAttrMap) as tf.Tensor).dataSync() as Float32Array;
    }
    return tf.relu(tf.add(tf.batchNorm(tf.conv2d(x, filter, c.stride, c.pad), mean, variance, beta, gamma, 1e-5), residual)).dataSync() as Float32Array;
  });
}

describe('wasm training kernels', () => {
  before(async () => {
    registerTrainingGradients();
    await selectBackend('wasm');
  });

  it('compute conv2d input and filter gradients as the cpu backend does (1e-4 relative)', async () => {
    const cases = [...FIXED_CASES, ...randomCases(12), ...randomCases(8, 'wide-conv-cases', 24)];
    for (const [i, c] of cases.entries()) {
      await tf.setBackend('cpu');
      const reference = convGradients(c, `case${i}`);
      await tf.setBackend('wasm');
      const tensorsBefore = tf.memory().numTensors;
      const wasm = convGradients(c, `case${i}`);
      assert.equal(tf.memory().numTensors, tensorsBefore, 'no tensors left behind');
      const label = JSON.stringify(c);
      assert.ok(relativeError(wasm.y, reference.y) < 1e-4, `forward ${label}`);
      assert.ok(relativeError(wasm.dx, reference.dx) < 1e-4, `input gradient ${label}: ${relativeError(wasm.dx, reference.dx)}`);
      assert.ok(relativeError(wasm.dw, reference.dw) < 1e-4, `filter gradient ${label}: ${relativeError(wasm.dw, reference.dw)}`);
    }
  });

  for (const tile of [2, 4] as WinogradTile[]) {
    it(`compute 3×3 stride-1 convolutions by Winograd F(${tile}×${tile}, 3×3) as the cpu backend does (1e-4 relative)`, async () => {
      // Odd sizes (a last tile row/column partly stored), batches > 1, channel counts with and
      // without a 4-wide tail, 'same', symmetric and 'valid' padding. Every channel count takes
      // Winograd here (the default leaves the narrowest layers to im2col), on one tile size.
      const cases: ConvCase[] = [
        { n: 2, h: 7, w: 9, cin: 3, cout: 5, k: 3, stride: 1, pad: 'same' },
        { n: 3, h: 5, w: 6, cin: 5, cout: 17, k: 3, stride: 1, pad: sym(1) },
        { n: 2, h: 9, w: 7, cin: 17, cout: 3, k: 3, stride: 1, pad: sym(1) },
        { n: 2, h: 8, w: 8, cin: 16, cout: 16, k: 3, stride: 1, pad: 'same' },
        { n: 3, h: 11, w: 10, cin: 32, cout: 32, k: 3, stride: 1, pad: sym(1) },
        { n: 2, h: 5, w: 5, cin: 64, cout: 64, k: 3, stride: 1, pad: sym(1) },
        { n: 2, h: 6, w: 9, cin: 16, cout: 32, k: 3, stride: 1, pad: 'valid' },
        { n: 1, h: 3, w: 4, cin: 8, cout: 4, k: 3, stride: 1, pad: 'same' },
        { n: 5, h: 2, w: 2, cin: 4, cout: 8, k: 3, stride: 1, pad: sym(1) },
        { n: 2, h: 17, w: 17, cin: 13, cout: 20, k: 3, stride: 1, pad: sym(1) },
        { n: 2, h: 16, w: 16, cin: 16, cout: 16, k: 3, stride: 1, pad: sym(1) },
        { n: 1, h: 14, w: 13, cin: 9, cout: 12, k: 3, stride: 1, pad: 'valid' },
      ];
      setWinogradMinChannels(1);
      setWinogradTile(tile);
      try {
        for (const [i, c] of cases.entries()) {
          await tf.setBackend('cpu');
          const reference = convGradients(c, `wino${i}`);
          await tf.setBackend('wasm');
          const wasm = convGradients(c, `wino${i}`);
          const label = JSON.stringify(c);
          const info = tf.backend_util.computeConv2DInfo([c.n, c.h, c.w, c.cin], [c.k, c.k, c.cin, c.cout], c.stride, 1, c.pad);
          assert.ok(winogradApplies(info), `Winograd takes ${label}`);
          assert.ok(relativeError(wasm.y, reference.y) < 1e-4, `forward ${label}: ${relativeError(wasm.y, reference.y)}`);
          assert.ok(relativeError(wasm.dx, reference.dx) < 1e-4, `input gradient ${label}: ${relativeError(wasm.dx, reference.dx)}`);
          assert.ok(relativeError(wasm.dw, reference.dw) < 1e-4, `filter gradient ${label}: ${relativeError(wasm.dw, reference.dw)}`);
        }
      } finally {
        setWinogradMinChannels(WINOGRAD_DEFAULT_MIN_CHANNELS);
        setWinogradTile(null);
      }
    });
  }

  it('compute training-mode BatchNorm (with and without a fused residual add and ReLU) and its gradients as the cpu backend does (1e-4 relative)', async () => {
    const shapes: Array<[number, number, number, number]> = [[2, 5, 5, 3], [3, 7, 5, 16], [1, 1, 2, 8], [4, 3, 3, 13], [2, 9, 9, 32]];
    for (const [relu, residual] of [[false, false], [true, false], [true, true], [false, true]]) {
      for (const [i, shape] of shapes.entries()) {
        // An offset far from 0 checks that the variance keeps its digits.
        const offset = i === 3 ? 40 : 0;
        await tf.setBackend('cpu');
        const reference = batchNormGradients(shape, `bn${i}`, offset, relu, residual);
        await tf.setBackend('wasm');
        assert.ok(tf.getKernel(BATCH_NORM_TRAIN, 'wasm'), 'the fused kernel is registered for wasm');
        const tensorsBefore = tf.memory().numTensors;
        const wasm = batchNormGradients(shape, `bn${i}`, offset, relu, residual);
        assert.equal(tf.memory().numTensors, tensorsBefore, 'no tensors left behind');
        assert.deepEqual(Object.keys(wasm), Object.keys(reference));
        for (const key of Object.keys(reference)) {
          const err = relativeError(wasm[key], reference[key]);
          assert.ok(err < 1e-4, `${key} of BatchNorm${residual ? ' + residual' : ''}${relu ? ' + ReLU' : ''} [${shape.join(', ')}]: ${err}`);
        }
      }
    }
  });

  it("update a variable by SGD with momentum (and weight decay) bit for bit as the Trainer's TF.js ops do on the cpu backend", async () => {
    const hyper: SgdMomentumAttrs[] = [
      { learningRate: 0.1, momentum: 0.9, weightDecay: 1e-4 },
      { learningRate: 0.001, momentum: 0.9, weightDecay: 0 },
    ];
    for (const size of [1, 7, 64, 1027]) {
      for (const attrs of hyper) {
        const values = ['w', 'g', 'b'].map((s) => randomValues(size, `sgd${size}${s}`));
        await tf.setBackend('cpu');
        const reference = tf.tidy(() => {
          const [w, g, b] = values.map((v) => tf.tensor1d(v));
          return sgdMomentumOps(w, g, b, attrs).map((t) => t.dataSync() as Float32Array);
        });
        await tf.setBackend('wasm');
        assert.ok(tf.getKernel(SGD_MOMENTUM, 'wasm'), 'the fused update is registered for wasm');
        const wasm = tf.tidy(() => {
          const [w, g, buf] = values.map((v) => tf.tensor1d(v));
          const out = tf.engine().runKernel(SGD_MOMENTUM, { w, g, buf }, attrs) as tf.Tensor[];
          return out.map((t) => t.dataSync() as Float32Array);
        });
        assert.deepEqual(wasm[0], reference[0], `weights of ${size} values, ${JSON.stringify(attrs)}`);
        assert.deepEqual(wasm[1], reference[1], `momentum buffer of ${size} values, ${JSON.stringify(attrs)}`);
      }
    }
  });

  it('compute conv → BatchNorm → + residual → ReLU (inference) as the cpu backend does, by Winograd and im2col (1e-4 relative)', async () => {
    const cases = [...FIXED_CASES, ...randomCases(10, 'residual-cases', 24)];
    assert.ok(cases.some((c) => winogradApplies(tf.backend_util.computeConv2DInfo([c.n, c.h, c.w, c.cin], [c.k, c.k, c.cin, c.cout], c.stride, 1, c.pad))), 'some cases take Winograd');
    for (const [i, c] of cases.entries()) {
      await tf.setBackend('cpu');
      const reference = convBatchNormResidual(c, `res${i}`);
      await tf.setBackend('wasm');
      const wasm = convBatchNormResidual(c, `res${i}`);
      assert.ok(relativeError(wasm, reference) < 1e-4, `${JSON.stringify(c)}: ${relativeError(wasm, reference)}`);
    }
  });

  it('compute AvgPool gradients as the cpu backend does (1×1 fast path and the shipped kernel)', async () => {
    const cases: Array<{ shape: [number, number, number, number]; size: number; stride: number; pad: 'valid' | 'same' }> = [
      { shape: [2, 8, 8, 16], size: 1, stride: 2, pad: 'valid' },
      { shape: [1, 7, 9, 3], size: 1, stride: 2, pad: 'valid' },
      { shape: [2, 6, 6, 4], size: 1, stride: 1, pad: 'valid' },
      { shape: [2, 6, 6, 5], size: 2, stride: 2, pad: 'valid' },
      { shape: [1, 7, 7, 3], size: 3, stride: 2, pad: 'same' },
    ];
    for (const [i, c] of cases.entries()) {
      const run = () =>
        tf.tidy(() => {
          const x = tf.tensor4d(randomValues(c.shape.reduce((a, b) => a * b, 1), `pool${i}x`), c.shape);
          const y = tf.avgPool(x, c.size, c.stride, c.pad);
          const r = tf.tensor(randomValues(y.size, `pool${i}r`), y.shape);
          return tf.grad((a: tf.Tensor) => tf.sum(tf.mul(tf.avgPool(a as tf.Tensor4D, c.size, c.stride, c.pad), r)))(x).dataSync() as Float32Array;
        });
      await tf.setBackend('cpu');
      const reference = run();
      await tf.setBackend('wasm');
      const wasm = run();
      assert.ok(relativeError(wasm, reference) < 1e-5, `AvgPool gradient ${JSON.stringify(c)}: ${relativeError(wasm, reference)}`);
    }
  });

  it('slice as the cpu backend does (channels-only fast path and the shipped kernel)', async () => {
    const cases: Array<{ shape: number[]; begin: number[]; size: number[] }> = [
      { shape: [2, 4, 4, 32], begin: [0, 0, 0, 8], size: [2, 4, 4, 16] },
      { shape: [3, 5, 7], begin: [0, 0, 2], size: [3, 5, -1] },
      { shape: [2, 3, 3, 6], begin: [0, 0, 0, 0], size: [-1, -1, -1, 1] },
      { shape: [2, 6, 6, 4], begin: [1, 0, 0, 1], size: [1, 6, 6, 2] },
      { shape: [4, 9], begin: [1, 2], size: [2, 5] },
    ];
    for (const [i, c] of cases.entries()) {
      const run = () => tf.tidy(() => tf.slice(tf.tensor(randomValues(c.shape.reduce((a, b) => a * b, 1), `slice${i}`), c.shape), c.begin, c.size).dataSync() as Float32Array);
      await tf.setBackend('cpu');
      const reference = run();
      await tf.setBackend('wasm');
      assert.deepEqual(Array.from(run()), Array.from(reference), `slice ${JSON.stringify(c)}`);
    }
  });

  it('take means as the cpu backend does (spatial-axes fast path and the shipped kernel)', async () => {
    const cases: Array<{ shape: number[]; axis: number[]; keepDims: boolean }> = [
      { shape: [3, 8, 8, 64], axis: [1, 2], keepDims: false },
      { shape: [2, 5, 7, 3], axis: [2, 1], keepDims: true },
      { shape: [2, 4, 4, 6], axis: [0, 1, 2], keepDims: false },
      { shape: [4, 9], axis: [1], keepDims: false },
    ];
    for (const [i, c] of cases.entries()) {
      const run = () => tf.tidy(() => tf.mean(tf.tensor(randomValues(c.shape.reduce((a, b) => a * b, 1), `mean${i}`), c.shape), c.axis, c.keepDims));
      await tf.setBackend('cpu');
      const reference = run();
      await tf.setBackend('wasm');
      const got = run();
      assert.deepEqual(got.shape, reference.shape, `mean ${JSON.stringify(c)}: shape`);
      assert.ok(relativeError(got.dataSync() as Float32Array, reference.dataSync() as Float32Array) < 1e-6, `mean ${JSON.stringify(c)}`);
      tf.dispose([got, reference]);
    }
  });

  it('share the data of cloned tensors instead of copying it (Identity)', async () => {
    await tf.setBackend('wasm');
    const a = tf.tensor1d([1, 2, 3]);
    const before = tf.engine().backend.numDataIds();
    const b = tf.clone(a);
    assert.equal(tf.engine().backend.numDataIds(), before, 'no new data');
    a.dispose();
    assert.deepEqual(Array.from(b.dataSync()), [1, 2, 3]);
    b.dispose();
    assert.equal(tf.engine().backend.numDataIds(), before - 1);
  });

  it('leave no wasm memory behind across many calls', async () => {
    await tf.setBackend('wasm');
    const c = FIXED_CASES[2];
    convGradients(c, 'warm');
    const dataIds = tf.engine().backend.numDataIds();
    for (let i = 0; i < 5; i++) convGradients(c, `leak${i}`);
    assert.equal(tf.engine().backend.numDataIds(), dataIds);
  });
});

/** The started wasm backend's heap, where KernelThreads work. */
let heap: KernelHeap;
async function startWasm(): Promise<void> {
  await selectBackend('wasm');
  heap = kernelHeap()!;
}

describe("TF.js's heap, where the kernels work", () => {
  before(startWasm);
  it('is the wasm backend\'s own memory, made shared: the kernels and their threads read and write its tensors in place', () => {
    const { wasm } = tf.backend() as unknown as { wasm: { HEAPU8: Uint8Array } };
    assert.ok(wasm.HEAPU8.buffer instanceof SharedArrayBuffer, "TF.js's heap is a SharedArrayBuffer");
    assert.equal(getKernelThreads().memory, heap.memory, 'the kernels run in that memory');
    assert.ok(getKernelThreads().threads >= 1);
  });

  it('keeps results right when the heap grows between calls (100 MB more)', async () => {
    const cases: ConvCase[] = [
      { n: 2, h: 9, w: 9, cin: 8, cout: 8, k: 3, stride: 1, pad: 'same' },
      { n: 4, h: 16, w: 16, cin: 16, cout: 16, k: 3, stride: 1, pad: 'same' },
      { n: 2, h: 9, w: 9, cin: 8, cout: 8, k: 3, stride: 2, pad: 'same' },
    ];
    for (const [i, c] of cases.entries()) {
      await tf.setBackend('cpu');
      const reference = convGradients(c, `grow${i}`);
      await tf.setBackend('wasm');
      const bytesBefore = heap.memory.buffer.byteLength;
      const filler = i === 1 ? tf.zeros([25 * 1024 * 1024]) : null; // 100 MB more heap
      const got = convGradients(c, `grow${i}`);
      if (filler) {
        assert.ok(heap.memory.buffer.byteLength > bytesBefore, 'the heap grew');
        filler.dispose();
      }
      for (const key of ['y', 'dx', 'dw'] as const) assert.ok(relativeError(got[key], reference[key]) < 1e-4, `case ${i} ${key}: ${relativeError(got[key], reference[key])}`);
    }
  });

  it('comes from a binary whose own memory is declared shared, at its initial size (sharedMemoryBinary)', () => {
    const tfjs = new Uint8Array(readFileSync(require.resolve('@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm-simd.wasm')));
    const shared = sharedMemoryBinary(tfjs);
    assert.ok(shared, 'the tfjs binary defines its memory');
    // Its imports are functions only: stubs let it instantiate to read its memory.
    const stubs = new Proxy({}, { get: () => () => 0 });
    const memoryOf = (bytes: Uint8Array<ArrayBuffer>) => new WebAssembly.Instance(new WebAssembly.Module(bytes), { env: stubs, wasi_snapshot_preview1: stubs }).exports.memory as WebAssembly.Memory;
    const [plain, patched] = [memoryOf(tfjs), memoryOf(shared)];
    assert.equal(patched.buffer.byteLength, plain.buffer.byteLength, 'the same initial size');
    assert.ok(patched.buffer instanceof SharedArrayBuffer, 'shared');
    assert.ok(!(plain.buffer instanceof SharedArrayBuffer), 'as shipped: not shared');
    assert.equal(sharedMemoryBinary(shared), null, 'shared already');
    assert.equal(sharedMemoryBinary(readFileSync(findKernelsWasm())), null, 'kernels.wasm imports its memory');
    assert.equal(sharedMemoryBinary(Buffer.from('not wasm at all')), null);
  });
});

describe('wasm kernel threads', () => {
  before(startWasm);
  it('finish a parallel call made before the helper threads have started, with every part run once', () => {
    // Helpers start only when the caller's event loop turns: the caller must run their parts.
    const kt = new KernelThreads(new WebAssembly.Module(readFileSync(findKernelsWasm())), 3, heap);
    try {
      for (let round = 0; round < 3; round++) {
        kt.reset();
        const size = 24;
        const partsOff = kt.alloc(2 * size);
        const input = kt.f32(partsOff, 2 * size);
        for (let i = 0; i < input.length; i++) input[i] = i + round;
        const outOff = kt.alloc(size);
        kt.f32(outOff, size).fill(-1);
        const part = (i0: number, i1: number) => ({ out: outOff, parts: partsOff, count: 2, size, i0, i1 });
        kt.parallel('sum_parts', [part(0, 8), part(8, 16), part(16, 24)]);
        const out = kt.f32(outOff, size);
        for (let i = 0; i < size; i++) assert.equal(out[i], i + round + (i + size + round));
      }
    } finally {
      kt.dispose();
    }
  });

  it('run a call of many more parts than threads, every part once (each output written)', () => {
    const kt = getKernelThreads();
    for (const partCount of [kt.parts, 40]) {
      kt.reset();
      const size = 4 * partCount;
      const partsOff = kt.alloc(2 * size);
      kt.f32(partsOff, 2 * size).set(Float32Array.from({ length: 2 * size }, (_, i) => i));
      const outOff = kt.alloc(size);
      kt.f32(outOff, size).fill(-1);
      kt.parallel('sum_parts', Array.from({ length: partCount }, (_, p) => ({ out: outOff, parts: partsOff, count: 2, size, i0: 4 * p, i1: 4 * p + 4 })));
      const out = kt.f32(outOff, size);
      for (let i = 0; i < size; i++) assert.equal(out[i], i + (i + size), `${partCount} parts: element ${i}`);
    }
  });

  it('throw when a part traps, on whichever thread it ran, and work again at the next call', (t) => {
    const kt = getKernelThreads();
    if (kt.threads < 2) return t.skip('one kernel thread here');
    const beyond = kt.memory.buffer.byteLength; // past the end of the memory: every such part traps
    kt.reset();
    const outOff = kt.alloc(64);
    const partsOff = kt.alloc(128);
    const good = (p: number) => ({ out: outOff, parts: partsOff, count: 2, size: 64, i0: 8 * p, i1: 8 * p + 8 });
    const bad = (p: number) => ({ ...good(p), out: beyond });
    const n = kt.threads;
    for (let round = 0; round < 6; round++) {
      // Rounds 0, 2, 4: the caller's part (part 0) traps; 1, 3, 5: a helper's.
      const parts = Array.from({ length: n }, (_, p) => ((p === 0) === (round % 2 === 0) ? bad(p) : good(p)));
      assert.throws(() => kt.parallel('sum_parts', parts), /out of bounds|failed in helper thread/);
      kt.f32(outOff, 64).fill(-1);
      kt.parallel('sum_parts', Array.from({ length: n }, (_, p) => good(p)));
      assert.ok(kt.f32(outOff, 8 * n).every((v) => v !== -1), `round ${round}: the next call ran every part`);
    }
  });
});

describe('kernels.wasm builds', () => {
  before(startWasm);
  it('carry a relaxed-SIMD build that computes what the plain-SIMD one does', () => {
    const bytes = readFileSync(findKernelsWasm());
    const plain = new WebAssembly.Module(bytes);
    assert.equal(WebAssembly.Module.customSections(plain, RELAXED_SIMD_SECTION).length, 1, 'the relaxed build is in the file');
    const loaded = loadKernelsModule(bytes);
    // Node 20 has relaxed SIMD behind a flag that loadKernelsModule turns on; later engines have it on.
    assert.equal(loaded.variant, 'relaxed-simd');
    const run = (module: WebAssembly.Module) => {
      const kt = new KernelThreads(module, 1, heap);
      try {
        // 2×9×9×12 → 3×3 conv, stride 1, pad 1 → 20 channels.
        const [n, h, w, cin, cout] = [2, 9, 9, 12, 20];
        const geom = kt.allocGeom({ n, h, w, cin, oh: h, ow: w, cout, kh: 3, kw: 3, sh: 1, sw: 1, pt: 1, pl: 1, dh: 1, dw: 1 });
        const x = kt.alloc(n * h * w * cin);
        kt.f32(x, n * h * w * cin).set(randomValues(n * h * w * cin, 'variant-x'));
        const f = kt.alloc(9 * cin * cout);
        kt.f32(f, 9 * cin * cout).set(randomValues(9 * cin * cout, 'variant-f'));
        const y = kt.alloc(n * h * w * cout);
        const chunk = 16;
        kt.call('conv2d_forward', { g: geom, x, filter: f, y, m0: 0, m1: n * h * w, panel: kt.alloc(chunk * 9 * cin), chunk, bias: 0, res: 0, relu: false });
        return Float32Array.from(kt.f32(y, n * h * w * cout));
      } finally {
        kt.dispose();
      }
    };
    const a = run(plain);
    const b = run(loaded.module);
    assert.ok(relativeError(b, a) < 1e-5, `relaxed vs plain: ${relativeError(b, a)}`);
  });
});

describe('gradient configs (cpu, finite differences)', () => {
  before(async () => {
    registerTrainingGradients();
    await selectBackend('cpu');
  });

  /** Checks d/dx sum(f(x)·r) against central differences at a few coordinates (float32, so 2e-2). */
  function checkGradient(name: string, shape: number[], f: (x: tf.Tensor) => tf.Tensor): void {
    const x0 = randomValues(shape.reduce((a, b) => a * b, 1), `${name}x`);
    const outShape = tf.tidy(() => f(tf.tensor(x0, shape)).shape);
    const r = tf.tensor(randomValues(outShape.reduce((a, b) => a * b, 1), `${name}r`), outShape);
    const loss = (x: tf.Tensor) => tf.sum(tf.mul(f(x), r));
    const analytic = tf.tidy(() => tf.grad(loss)(tf.tensor(x0, shape)).dataSync());
    const eps = 1e-2;
    const at = (values: Float32Array) => tf.tidy(() => loss(tf.tensor(values, shape)).dataSync()[0]);
    for (let i = 0; i < x0.length; i += Math.max(1, Math.floor(x0.length / 7))) {
      const plus = x0.slice();
      const minus = x0.slice();
      plus[i] += eps;
      minus[i] -= eps;
      const numeric = (at(plus) - at(minus)) / (2 * eps);
      assert.ok(Math.abs(numeric - analytic[i]) <= 2e-2 * Math.max(1, Math.abs(numeric)), `${name}[${i}]: numeric ${numeric}, analytic ${analytic[i]}`);
    }
    r.dispose();
  }

  it('match finite differences for every op on the model path', () => {
    const b = tf.tensor(randomValues(4, 'b'), [4]);
    const m = tf.tensor(randomValues(12, 'm'), [4, 3]);
    checkGradient('add-broadcast', [2, 3, 4], (x) => tf.add(x, b));
    checkGradient('add-broadcast-b', [4], (x) => tf.add(tf.ones([2, 3, 4]), x));
    checkGradient('sub', [4], (x) => tf.sub(tf.ones([3, 4]), x));
    checkGradient('mul', [2, 4], (x) => tf.mul(x, tf.mul(x, b)));
    checkGradient('div', [4], (x) => tf.div(tf.add(x, b), tf.add(tf.mul(x, x), 1.5)));
    checkGradient('relu', [3, 4], (x) => tf.relu(tf.add(x, 0.05)));
    checkGradient('avgpool-1x1-stride2', [1, 5, 5, 2], (x) => tf.avgPool(x as tf.Tensor4D, 1, 2, 'valid'));
    checkGradient('maxpool', [1, 6, 6, 2], (x) => tf.maxPool(x as tf.Tensor4D, 3, 2, 'valid'));
    checkGradient('pad-channels', [1, 2, 2, 2], (x) => tf.pad(x, [[0, 0], [0, 0], [0, 0], [1, 2]]));
    checkGradient('mean', [2, 3, 3, 4], (x) => tf.mean(x, [1, 2]));
    checkGradient('sum', [2, 3, 4], (x) => tf.sum(x, [0, 2]));
    checkGradient('matmul', [2, 4], (x) => tf.matMul(x, m));
    checkGradient('matmul-b', [4, 3], (x) => tf.matMul(tf.ones([2, 4]), x));
    checkGradient('conv2d', [1, 5, 5, 2], (x) => tf.conv2d(x as tf.Tensor4D, tf.ones([3, 3, 2, 2]) as tf.Tensor4D, 2, [[0, 0], [1, 1], [1, 1], [0, 0]]));
    tf.dispose([b, m]);
  });
});
