// The trainer of one net (core/training/netTrainer.ts), run in this process with real TF.js on
// WebAssembly: how the nets of a comparison share the cores.
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { describe, test } from 'node:test';
import type { ModelRequest } from '../../core/spec';
import { selectBackend } from '../../core/engine/backend';
import { ResNetModel } from '../../core/engine/model';
import { Trainer } from '../../core/engine/train';
import { buildGraph } from '../../core/graph';
import { specFromRequest } from '../../core/spec';
import { getKernelThreads, machineThreads, setKernelThreads } from '../../core/engine/wasmThreads';
import { NetControl, trainNet } from '../../core/training/netTrainer';
import { planRun } from '../../core/training/plan';
import { RunFolder } from '../../core/training/runFolder';
import type { FromWorkerMessage } from '../../core/training/workerProtocol';

describe('the nets of a comparison', () => {
  test('share the cores, and a net whose twin has ended takes the twin\'s cores from its next step', async (t) => {
    const cores = machineThreads();
    if (cores < 2) return t.skip('one core here: nothing to share');
    const tiny: ModelRequest = { kind: 'custom', options: { blocks: [1, 1, 1], baseWidth: 4, blockType: 'basic', stem: 'cifar', inputSize: 32, classes: 10 } };
    const config = planRun({ nets: [tiny, { ...tiny, options: { ...tiny.options, residual: false } }], data: { kind: 'synthetic', trainSize: 64, testSize: 20 }, iterations: 6, batchSize: 8, seed: 1, backend: 'wasm' });
    const root = fs.mkdtempSync(path.join(os.tmpdir(), 'resnet-lab-share-'));
    try {
      const run = RunFolder.create(root, config);
      const netsTraining = new SharedArrayBuffer(4);
      const training = new Int32Array(netsTraining);
      training[0] = 2;
      // Kernel threads at each step's metrics; after step 2 the twin (net b) ends.
      const threadsAt: Array<[number, number]> = [];
      const emit = (message: FromWorkerMessage) => {
        if (message.type === 'failed') assert.fail(message.message);
        if (message.type !== 'metrics') return;
        const step = message.points[0].step;
        threadsAt.push([step, getKernelThreads().threads]);
        if (step === 2) Atomics.sub(training, 0, 1);
      };
      await trainNet({ type: 'start', config, slot: 'a', runFolder: run.folder, backend: 'wasm', resume: false, netsTraining }, new NetControl(), emit);
      assert.deepEqual(threadsAt.filter(([step]) => step <= 2).map(([, threads]) => threads), [1, 2].map(() => Math.floor(cores / 2)), 'half the cores while both train');
      assert.deepEqual(threadsAt.filter(([step]) => step > 2).map(([, threads]) => threads), [3, 4, 5, 6].map(() => cores), 'all of them once the twin has ended');
      assert.equal(training[0], 0, 'the net gave its share back when it ended');
    } finally {
      fs.rmSync(root, { recursive: true, force: true });
    }
  });

  test('train to the same numbers on any share of the cores: the kernels split their sums by the machine\'s threads, not the share', async (t) => {
    const cores = machineThreads();
    if (cores < 2) return t.skip('one core here: nothing to share');
    await selectBackend('wasm');
    const size = 16;
    const x = Float32Array.from({ length: size * 32 * 32 * 3 }, (_, i) => Math.sin(i * 12.9898) * 0.5);
    const y = Int32Array.from({ length: size }, (_, i) => i % 10);
    const batch = { x, y, size, height: 32, width: 32, channels: 3 };
    const trainOn = (threads: number) => {
      setKernelThreads(threads);
      assert.equal(getKernelThreads().threads, threads);
      const model = new ResNetModel(buildGraph(specFromRequest({ kind: 'named', name: 'resnet20' })), { seed: 4 });
      const trainer = new Trainer(model);
      try {
        const losses = [0, 1, 2].map(() => trainer.trainStep(batch, 0.1).loss);
        return { losses, weights: model.getWeights().map((w) => Array.from(w.data.slice(0, 50))) };
      } finally {
        trainer.dispose();
        model.dispose();
      }
    };
    const alone = trainOn(cores);
    const shared = trainOn(1);
    assert.deepEqual(shared.losses, alone.losses, 'the losses, bit for bit');
    assert.deepEqual(shared.weights, alone.weights, 'the weights after 3 steps, bit for bit');
  });
});
