// Winograd F(4×4, 3×3) against F(2×2, 3×3) on the wasm engine, the figures behind
// core/engine/wasmKernels.ts's winogradTile rule:
// 1. float32 error: ResNet-20 trained a few steps on real CIFAR-10 (the shared folder, as the
//    tests find it), then every 3×3 stride-1 convolution on its real input (a test batch) by
//    F(4×4), F(2×2) and the direct (im2col) kernel, each against a float64 direct convolution:
//    max |error| / max |output| of the layer's output (goal for F(4×4): ≤ 1e-3).
// 2. speed: forward, input gradient and filter gradient of ResNet-20's three 3×3 layer shapes
//    at batch 32 and 128, and a few narrow ones, by each tile size (CPU ms of all threads, median
//    of the reps: on a shared machine wall times mostly measure the others' load).
// 3. training steps of ResNet-20 at batch 32 and 128 (random images), the engine as it is against
//    F(2×2) everywhere (the engine before F(4×4)), alternating in one process: CPU ms and wall ms
//    per step (medians), and the CPU-time ratio.
// Usage: node out/bench/winogradTiles.js [steps=30] [reps=5] [trainSteps=4]
import * as os from 'node:os';
import * as tf from '@tensorflow/tfjs-core';
import { computeMeanImage, makeBatch } from '../core/data/augment';
import { loadCifar10 } from '../core/data/load';
import { describeBackend, selectBackend } from '../core/engine/backend';
import { ResNetModel } from '../core/engine/model';
import { Trainer } from '../core/engine/train';
import { setWinogradMinChannels, setWinogradTile, WINOGRAD_DEFAULT_MIN_CHANNELS, WinogradTile } from '../core/engine/wasmKernels';
import { buildGraph } from '../core/graph';
import { seededRandom } from '../core/random';
import { specFromName } from '../core/spec';
import { extractedCifar10 } from '../test/unit/dataSupport';
import { relativeError } from '../test/unit/numerics';

/** y of a 3×3, stride-1, pad-1 convolution in float64 (x [n, h, w, cin], w [3, 3, cin, cout]). */
function directConv64(x: Float32Array, shape: number[], w: Float32Array, cout: number): Float64Array {
  const [n, h, wd, cin] = shape;
  const y = new Float64Array(n * h * wd * cout);
  for (let b = 0; b < n; b++)
    for (let oy = 0; oy < h; oy++)
      for (let ox = 0; ox < wd; ox++) {
        const o = ((b * h + oy) * wd + ox) * cout;
        for (let ky = 0; ky < 3; ky++) {
          const iy = oy + ky - 1;
          if (iy < 0 || iy >= h) continue;
          for (let kx = 0; kx < 3; kx++) {
            const ix = ox + kx - 1;
            if (ix < 0 || ix >= wd) continue;
            const xi = ((b * h + iy) * wd + ix) * cin;
            const wi = (ky * 3 + kx) * cin * cout;
            for (let ci = 0; ci < cin; ci++) {
              const v = x[xi + ci];
              const row = wi + ci * cout;
              for (let co = 0; co < cout; co++) y[o + co] += v * w[row + co];
            }
          }
        }
      }
  return y;
}

/** The conv on wasm with one kernel: F(tile×tile) or, for 'direct', im2col. */
function convBy(kind: WinogradTile | 'direct', x: tf.Tensor4D, w: tf.Tensor4D): Float32Array {
  setWinogradTile(kind === 'direct' ? null : kind);
  setWinogradMinChannels(kind === 'direct' ? 1 << 30 : 1);
  try {
    return tf.tidy(() => tf.conv2d(x, w, 1, 'same').dataSync() as Float32Array);
  } finally {
    setWinogradTile(null);
    setWinogradMinChannels(WINOGRAD_DEFAULT_MIN_CHANNELS);
  }
}

async function errors(steps: number): Promise<void> {
  const data = await loadCifar10(await extractedCifar10());
  const mean = computeMeanImage(data.train);
  const graph = buildGraph(specFromName('resnet20'));
  const model = new ResNetModel(graph, { seed: 1 });
  const trainer = new Trainer(model);
  const r = seededRandom('winograd-bench');
  let loss = NaN;
  for (let s = 0; s < steps; s++) {
    const batch = makeBatch(data.train, Array.from({ length: 64 }, () => r.int(data.train.count)), mean, null);
    loss = trainer.trainStep(batch, 0.1).loss;
  }
  const test = makeBatch(data.test, Array.from({ length: 16 }, (_, i) => i), mean, null);
  const convs = graph.layers.filter((l) => l.kind === 'conv' && l.kernel === 3 && l.stride === 1);
  const x = tf.tensor4d(test.x, [test.size, 32, 32, 3]);
  const { logits, captured } = model.forward(x, { training: false, capture: [...new Set(convs.filter((l) => l.inputs.length > 0).map((l) => l.inputs[0]))] });
  console.log(`float32 error of each 3×3 stride-1 convolution of ResNet-20 (${steps} steps of batch 64 on real CIFAR-10, loss ${loss.toFixed(3)}), on 16 real test images, against float64:`);
  console.log('  layer             shape              F(4×4)    F(2×2)    direct');
  const worst = { 4: 0, 2: 0, direct: 0 };
  for (const layer of convs) {
    const input = (layer.inputs.length > 0 ? captured[layer.inputs[0]] : x) as tf.Tensor4D; // the stem reads the images
    const kernel = model.variables.find((v) => v.name === `${layer.id}/kernel`)!.variable as unknown as tf.Tensor4D;
    const cout = kernel.shape[3];
    const reference = directConv64(input.dataSync() as Float32Array, input.shape, kernel.dataSync() as Float32Array, cout);
    const e = { 4: relativeError(convBy(4, input, kernel), reference), 2: relativeError(convBy(2, input, kernel), reference), direct: relativeError(convBy('direct', input, kernel), reference) };
    for (const k of [4, 2, 'direct'] as const) worst[k] = Math.max(worst[k], e[k]);
    console.log(`  ${layer.id.padEnd(17)} ${input.shape.slice(1).join('×').padEnd(8)}→ ${String(cout).padEnd(7)} ${e[4].toExponential(2)}  ${e[2].toExponential(2)}  ${e.direct.toExponential(2)}`);
  }
  console.log(`  worst             ${''.padEnd(17)} ${worst[4].toExponential(2)}  ${worst[2].toExponential(2)}  ${worst.direct.toExponential(2)}   (goal for F(4×4): ≤ 1e-3)`);
  tf.dispose([x, logits, ...Object.values(captured)]);
  model.dispose();
}

function median(values: number[]): number {
  const s = [...values].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
}

function speed(reps: number): void {
  const shapes: Array<[number, number, number, number]> = [
    // [batch, size, cin, cout]: ResNet-20/56's three stages, then narrow and small ones.
    [32, 32, 16, 16], [32, 16, 32, 32], [32, 8, 64, 64],
    [128, 32, 16, 16], [128, 16, 32, 32], [128, 8, 64, 64],
    [32, 32, 4, 4], [32, 32, 8, 8], [32, 16, 8, 8], [32, 4, 64, 64],
  ];
  console.log(`\nCPU ms per call, all threads (the machine is shared: CPU time, not wall time; median of ${reps}), F(2×2) / F(4×4) and their ratio (> 1: F(4×4) faster):`);
  console.log('  batch size  cin cout   forward               input gradient        filter gradient');
  for (const [n, size, cin, cout] of shapes) {
    const x = tf.randomNormal([n, size, size, cin]) as tf.Tensor4D;
    const w = tf.randomNormal([3, 3, cin, cout]) as tf.Tensor4D;
    const dy = tf.randomNormal([n, size, size, cout]) as tf.Tensor4D;
    const ops = {
      forward: () => tf.conv2d(x, w, 1, 'same'),
      input: () => tf.conv2dTranspose(dy, w, [n, size, size, cin], 1, 'same'),
      filter: () => tf.engine().runKernel('Conv2DBackpropFilter', { x, dy }, { strides: 1, pad: 'same', dataFormat: 'NHWC', filterShape: [3, 3, cin, cout] }) as tf.Tensor,
    };
    const cells: string[] = [];
    for (const op of Object.values(ops)) {
      const ms: Record<number, number> = {};
      setWinogradMinChannels(1);
      for (const tile of [2, 4] as WinogradTile[]) {
        setWinogradTile(tile);
        tf.dispose(op()); // warm-up
        const times: number[] = [];
        for (let i = 0; i < reps; i++) {
          const c0 = process.cpuUsage();
          const out = op();
          out.dataSync();
          const c = process.cpuUsage(c0);
          times.push((c.user + c.system) / 1000);
          out.dispose();
        }
        ms[tile] = median(times);
      }
      setWinogradTile(null);
      setWinogradMinChannels(WINOGRAD_DEFAULT_MIN_CHANNELS);
      cells.push(`${ms[2].toFixed(1).padStart(6)} /${ms[4].toFixed(1).padStart(6)} ${(ms[2] / ms[4]).toFixed(2)}×`);
    }
    console.log(`  ${String(n).padStart(5)} ${String(size).padStart(4)} ${String(cin).padStart(4)} ${String(cout).padStart(4)}   ${cells.join('   ')}`);
    tf.dispose([x, w, dy]);
  }
}

function trainingSteps(steps: number): void {
  console.log(`\nResNet-20 training steps (random images), median of ${steps} each, alternating: F(2×2) everywhere / as chosen (F(4×4) from 16×16, and 8×8 in batches of 64 on):`);
  console.log('  batch   CPU ms             wall ms            CPU ratio');
  const graph = buildGraph(specFromName('resnet20'));
  for (const batch of [32, 128]) {
    const r = seededRandom(`steps${batch}`);
    const images = { x: Float32Array.from({ length: batch * 32 * 32 * 3 }, () => 2 * r.next() - 1), y: Int32Array.from({ length: batch }, (_, i) => i % 10), size: batch, height: 32, width: 32, channels: 3 };
    const trainer = new Trainer(new ResNetModel(graph, { seed: 1 }));
    const cpu: Record<string, number[]> = { before: [], now: [] };
    const wall: Record<string, number[]> = { before: [], now: [] };
    for (let i = 0; i <= steps; i++) {
      for (const mode of ['before', 'now'] as const) {
        setWinogradTile(mode === 'before' ? 2 : null);
        const c0 = process.cpuUsage();
        const t0 = performance.now();
        trainer.trainStep(images, 0.01);
        const c = process.cpuUsage(c0);
        if (i > 0) {
          cpu[mode].push((c.user + c.system) / 1000);
          wall[mode].push(performance.now() - t0);
        }
      }
    }
    setWinogradTile(null);
    trainer.dispose();
    trainer.model.dispose();
    const [cb, cn, wb, wn] = [median(cpu.before), median(cpu.now), median(wall.before), median(wall.now)];
    console.log(`  ${String(batch).padStart(5)}   ${cb.toFixed(0).padStart(6)} / ${cn.toFixed(0).padStart(6)}    ${wb.toFixed(0).padStart(6)} / ${wn.toFixed(0).padStart(6)}    ${(cb / cn).toFixed(2)}×`);
  }
}

async function main(): Promise<void> {
  const [stepsArg = '30', repsArg = '5', trainArg = '4'] = process.argv.slice(2);
  const backend = await selectBackend('wasm');
  console.log(`Winograd F(4×4, 3×3) and F(2×2, 3×3) on ${describeBackend(backend)}, ${os.cpus().length} cores`);
  speed(Number(repsArg));
  trainingSteps(Number(trainArg));
  await errors(Number(stepsArg));
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
