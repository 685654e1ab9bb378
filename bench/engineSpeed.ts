// Measures training and inference images/s of a model on a backend, on random data.
// Usage: node out/bench/engineSpeed.js [model=resnet20] [backend=wasm] [batch=32] [steps=5] [shortcut=A|B|C]
import * as tf from '@tensorflow/tfjs-core';
import { buildGraph } from '../core/graph';
import { parseShortcut, specFromName } from '../core/spec';
import { BackendSetting, describeBackend, parseBackendSetting, selectBackend } from '../core/engine/backend';
import { ResNetModel } from '../core/engine/model';
import { Trainer } from '../core/engine/train';
import { Batch } from '../core/data/types';

function randomBatch(size: number, h: number, w: number, c: number, classes: number): Batch {
  const x = new Float32Array(size * h * w * c);
  for (let i = 0; i < x.length; i++) x[i] = Math.sin(i * 12.9898) * 0.5;
  const y = new Int32Array(size);
  for (let i = 0; i < size; i++) y[i] = i % classes;
  return { x, y, size, height: h, width: w, channels: c };
}

const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];

async function main(): Promise<void> {
  const [modelName = 'resnet20', backendArg = 'wasm', batchArg = '32', stepsArg = '5', shortcutArg] = process.argv.slice(2);
  const setting: BackendSetting = parseBackendSetting(backendArg);
  const description = await selectBackend(setting);
  const batchSize = Number(batchArg);
  const steps = Number(stepsArg);
  const graph = buildGraph(specFromName(modelName, shortcutArg ? { shortcut: parseShortcut(shortcutArg) } : {}));
  const model = new ResNetModel(graph, { seed: 1 });
  const trainer = new Trainer(model);
  const [h, w, c] = graph.inputShape;
  const batch = randomBatch(batchSize, h, w, c, graph.spec.classes);
  trainer.trainStep(batch, 0.01); // warm-up: operator creation, memory growth
  const times: number[] = [];
  for (let i = 0; i < steps; i++) {
    const t0 = performance.now();
    trainer.trainStep(batch, 0.01);
    times.push(performance.now() - t0);
  }
  const trainMs = median(times);
  trainer.evaluate(batch, batchSize);
  const inferTimes: number[] = [];
  for (let i = 0; i < steps; i++) {
    const t0 = performance.now();
    trainer.evaluate(batch, batchSize);
    inferTimes.push(performance.now() - t0);
  }
  const inferMs = median(inferTimes);
  console.log(`${graph.spec.title} on ${describeBackend(description)}, batch ${batchSize}:`);
  console.log(`  train ${((batchSize * 1000) / trainMs).toFixed(1)} img/s (median step ${trainMs.toFixed(0)} ms of ${steps})`);
  console.log(`  inference ${((batchSize * 1000) / inferMs).toFixed(1)} img/s; tensors ${tf.memory().numTensors}`);
  trainer.dispose();
  model.dispose();
}

main().catch((error) => {
  console.error(error instanceof Error ? error.message : error);
  process.exit(1);
});
