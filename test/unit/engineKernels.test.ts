// The wasm training kernels against tfjs's pure-JS cpu backend, and the gradient configs
// against finite differences.
import { strict as assert } from 'node:assert';
import { before, describe, it } from 'node:test';
import * as tf from '@tensorflow/tfjs-core';
import { selectBackend } from '../../core/engine/backend';
import { registerTrainingGradients } from '../../core/engine/gradients';
import { seededRandom } from '../../core/random';
import { findKernelsWasm, KernelThreads } from '../../core/engine/wasmThreads';
import { readFileSync } from 'node:fs';

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

/** Largest |a − b| relative to the largest |b|. */
function relativeError(a: ArrayLike<number>, b: ArrayLike<number>): number {
  assert.equal(a.length, b.length);
  let diff = 0;
  let scale = 0;
  for (let i = 0; i < a.length; i++) {
    diff = Math.max(diff, Math.abs(a[i] - b[i]));
    scale = Math.max(scale, Math.abs(b[i]));
  }
  return diff / Math.max(scale, 1e-12);
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
];

function randomCases(count: number): ConvCase[] {
  const r = seededRandom('conv-cases');
  return Array.from({ length: count }, () => {
    const k = r.next() < 0.5 ? 1 : 3;
    return { n: 1 + r.int(3), h: 5 + r.int(8), w: 5 + r.int(8), cin: 1 + r.int(6), cout: 1 + r.int(6), k, stride: 1 + r.int(2), pad: sym(r.int(2) === 0 ? 0 : (k - 1) / 2) };
  });
}

describe('wasm training kernels', () => {
  before(async () => {
    registerTrainingGradients();
    await selectBackend('wasm');
  });

  it('compute conv2d input and filter gradients as the cpu backend does (1e-4 relative)', async () => {
    const cases = [...FIXED_CASES, ...randomCases(12)];
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

  it('leave no wasm memory behind across many calls', async () => {
    await tf.setBackend('wasm');
    const c = FIXED_CASES[2];
    convGradients(c, 'warm');
    const dataIds = tf.engine().backend.numDataIds();
    for (let i = 0; i < 5; i++) convGradients(c, `leak${i}`);
    assert.equal(tf.engine().backend.numDataIds(), dataIds);
  });
});

describe('wasm kernel threads', () => {
  it('finish a parallel call made before the helper threads have started, with every part run once', () => {
    // Helpers start only when the caller's event loop turns: the caller must run their parts.
    const kt = new KernelThreads(new WebAssembly.Module(readFileSync(findKernelsWasm())), 3);
    try {
      for (let round = 0; round < 3; round++) {
        kt.reset();
        const size = 24;
        const partsOff = kt.alloc(2 * size);
        const input = kt.f32(partsOff, 2 * size);
        for (let i = 0; i < input.length; i++) input[i] = i + round;
        const outOff = kt.alloc(size);
        kt.f32(outOff, size).fill(-1);
        kt.parallel('sum_parts', [[outOff, partsOff, 2, size, 0, 8], [outOff, partsOff, 2, size, 8, 16], [outOff, partsOff, 2, size, 16, 24]]);
        const out = kt.f32(outOff, size);
        for (let i = 0; i < size; i++) assert.equal(out[i], i + round + (i + size + round));
      }
    } finally {
      kt.dispose();
    }
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
