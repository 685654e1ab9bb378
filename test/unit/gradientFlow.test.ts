// Gradient flow: per-block ‖∂L/∂x‖ and per-conv ‖∂L/∂W‖ equal a direct computation with
// tf.grads / tf.variableGrads on a reference written with plain tf ops (to 1e-5), averaged over
// batches; at initialisation the plain net's gradient grows far more on the way down than its
// residual twin's; `resnet-lab analyze --gradients` on a real (tiny) run prints the table and
// its --json parses.
import { strict as assert } from 'node:assert';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { before, describe, it } from 'node:test';
import * as tf from '@tensorflow/tfjs-core';
import { batchGradientNorms, netGradientFigures, NetGradientFigures } from '../../core/analysis/gradientFlow';
import { gradientFlowSchema } from '../../core/analysis/types';
import { BatchIterator, computeMeanImage } from '../../core/data/augment';
import { syntheticDataset } from '../../core/data/synthetic';
import { Batch } from '../../core/data/types';
import { selectBackend } from '../../core/engine/backend';
import { batchNormTraining, ResNetModel, softmaxCrossEntropy } from '../../core/engine/model';
import { buildGraph, LayerNode } from '../../core/graph';
import { blockTaps } from '../../core/inspect/probe';
import { CustomSpecOptions, customSpec, specFromName } from '../../core/spec';
import { planRun } from '../../core/training/plan';
import { TrainingSession } from '../../core/training/session';

const repoRoot = path.resolve(__dirname, '../../..');
const bin = path.join(repoRoot, 'bin', 'resnet-lab.js');

/** The layers from `fromId`'s output (or the image, for null) to the logits, with plain tf ops and the engine's training-mode BatchNorm op. */
function referenceLogits(model: ResNetModel, fromId: string | null, x: tf.Tensor4D): tf.Tensor2D {
  const weight = (layer: LayerNode, suffix: string) => model.variables.find((v) => v.name === `${layer.id}/${suffix}`)!.variable;
  const layers = model.graph.layers;
  const start = fromId === null ? 0 : layers.findIndex((l) => l.id === fromId) + 1;
  const outputs = new Map<string, tf.Tensor>(fromId === null ? [] : [[fromId, x]]);
  for (const layer of layers.slice(start)) {
    const input = (layer.inputs.length === 0 ? x : outputs.get(layer.inputs[0])) as tf.Tensor4D;
    assert.ok(input, `${layer.id} reads only what follows ${fromId}`);
    let y: tf.Tensor;
    switch (layer.kind) {
      case 'conv':
        y = tf.conv2d(input, weight(layer, 'kernel') as tf.Tensor4D, layer.stride, [[0, 0], [layer.padding, layer.padding], [layer.padding, layer.padding], [0, 0]]);
        break;
      case 'batchnorm': {
        // The engine's training BatchNorm op (batch statistics; on wasm its fused kernel): plain
        // float32 ops sum thousands of values at once and differ from it by more than 1e-5.
        const out = batchNormTraining(input, weight(layer, 'gamma') as tf.Tensor1D, weight(layer, 'beta') as tf.Tensor1D);
        tf.dispose([out.mean, out.variance]);
        y = out.y;
        break;
      }
      case 'relu':
        y = tf.relu(input);
        break;
      case 'add':
        y = tf.add(outputs.get(layer.inputs[0])!, outputs.get(layer.inputs[1])!);
        break;
      case 'zeropad': {
        // Every stride-th row and column (a mask, then a sum over each stride × stride cell),
        // then zero channels half before and half after.
        const [n, h, w, c] = input.shape;
        const s = layer.stride;
        const mask = tf.tensor4d(Array.from({ length: h * w }, (_, i) => (Math.floor(i / w) % s === 0 && (i % w) % s === 0 ? 1 : 0)), [1, h, w, 1]);
        const sub = tf.sum(tf.reshape(tf.mul(input, mask), [n, h / s, s, w / s, s, c]), [2, 4]);
        const extra = layer.filters - c;
        y = tf.pad(sub, [[0, 0], [0, 0], [0, 0], [Math.floor(extra / 2), extra - Math.floor(extra / 2)]]);
        break;
      }
      case 'avgpool':
        y = tf.mean(input, [1, 2]);
        break;
      case 'fc':
        y = tf.add(tf.matMul(input as unknown as tf.Tensor2D, weight(layer, 'kernel') as tf.Tensor2D), weight(layer, 'bias'));
        break;
      case 'softmax':
        continue;
      default:
        throw new Error(`no reference for ${layer.kind}`);
    }
    outputs.set(layer.id, y);
  }
  return outputs.get(model.graph.logitsId) as tf.Tensor2D;
}

/** Direct: per block ‖tf.grads of the loss of the net's rest at the block's input‖, per conv ‖tf.variableGrads of the whole net's loss‖. */
function directNorms(model: ResNetModel, batch: Batch): { blocks: number[]; convs: number[] } {
  return tf.tidy(() => {
    const [h, w, c] = model.graph.inputShape;
    const image = tf.tensor4d(batch.x, [batch.size, h, w, c]);
    const labels = tf.tensor1d(batch.y, 'int32');
    const inputIds = blockTaps(model.graph).map((t) => t.inputId);
    // The blocks' inputs, as the engine computes them (BatchNorm on batch statistics).
    const { captured } = model.forward(image, { training: true, capture: inputIds });
    const blocks = inputIds.map((id) => {
      const [g] = tf.grads((x: tf.Tensor) => softmaxCrossEntropy(referenceLogits(model, id, x as tf.Tensor4D), labels))([captured[id]]);
      return tf.norm(g).dataSync()[0];
    });
    const kernels = model.variables.filter((v) => v.role === 'convKernel');
    const { grads } = tf.variableGrads(() => softmaxCrossEntropy(referenceLogits(model, null, image), labels), kernels.map((k) => k.variable));
    return { blocks, convs: kernels.map((k) => tf.norm(grads[k.variable.name]).dataSync()[0]) };
  });
}

const relative = (a: number, b: number) => Math.abs(a - b) / Math.abs(b);

function trainingBatches(count: number, batchSize: number): Batch[] {
  const data = syntheticDataset({ trainCount: 256, validationCount: 0, testCount: 10, seed: 3 });
  const iterator = new BatchIterator(data.train, { batchSize, seed: 'gradient-test', mean: computeMeanImage(data.train), augment: false, dropLast: true });
  return Array.from({ length: count }, (_, k) => iterator.batchAt(k));
}

const tiny = (options: Partial<CustomSpecOptions>) =>
  customSpec({ blocks: [2, 2, 2], baseWidth: 4, blockType: 'basic', stem: 'cifar', inputSize: 32, classes: 10, residual: true, ...options });

describe('gradient flow', () => {
  before(async () => {
    await selectBackend('wasm');
  });

  it('‖∂L/∂x‖ per block and ‖∂L/∂W‖ per conv equal tf.grads / tf.variableGrads computed directly (1e-5), averaged over the batches', () => {
    const batches = trainingBatches(2, 16);
    const nets = [tiny({}), tiny({ residual: false }), tiny({ shortcut: 'B' }), tiny({ blockType: 'bottleneck', blocks: [1, 1, 1] })];
    for (const [n, spec] of nets.entries()) {
      const model = new ResNetModel(buildGraph(spec), { seed: 10 + n });
      const tensors = tf.memory().numTensors;
      try {
        const direct = batches.map((b) => directNorms(model, b));
        const flow = netGradientFigures(model, batches);
        assert.equal(tf.memory().numTensors, tensors, 'no tensor leaks');
        const convIds = model.graph.layers.filter((l) => l.kind === 'conv').map((l) => l.id);
        assert.deepEqual(flow.blocks.map((b) => b.blockId), model.graph.blocks.map((b) => b.id));
        assert.deepEqual(flow.convs.map((c) => c.convId), convIds);
        flow.blocks.forEach((b, i) => {
          const expected = (direct[0].blocks[i] + direct[1].blocks[i]) / 2;
          assert.ok(relative(b.inputGradNorm, expected) <= 1e-5, `${spec.title} ${b.blockId}: ${b.inputGradNorm} vs ${expected}`);
        });
        flow.convs.forEach((c, i) => {
          const expected = (direct[0].convs[i] + direct[1].convs[i]) / 2;
          assert.ok(relative(c.kernelGradNorm, expected) <= 1e-5, `${spec.title} ${c.convId}: ${c.kernelGradNorm} vs ${expected}`);
        });
        // One batch alone: the same figures as the direct computation of that batch.
        const one = batchGradientNorms(model, batches[1]);
        one.inputGradNorms.forEach((v, i) => assert.ok(relative(v, direct[1].blocks[i]) <= 1e-5));
        assert.ok(flow.convs.some((c) => c.blockId === null && c.stageId === 'conv1'), 'the stem conv is there');
        if (spec.shortcut === 'B') assert.ok(flow.convs.some((c) => c.convId.endsWith('.shortcut.conv')), 'projection shortcuts are convs too');
      } finally {
        model.dispose();
      }
    }
  });

  it('the tap adds nothing: the logits with a zero tap equal those without', () => {
    const model = new ResNetModel(buildGraph(tiny({})), { seed: 4 });
    try {
      const [batch] = trainingBatches(1, 8);
      tf.tidy(() => {
        const x = tf.tensor4d(batch.x, [batch.size, 32, 32, 3]);
        const id = blockTaps(model.graph)[2].inputId;
        const plain = model.forward(x, { training: false }).logits.dataSync();
        const tapped = model.forward(x, { training: false, taps: { [id]: tf.zeros([8, ...model.graph.blocks[2].inputShape]) } }).logits.dataSync();
        assert.deepEqual(tapped, plain);
        assert.throws(() => model.forward(x, { training: false, taps: { nowhere: tf.zeros([1]) } }), /No layer "nowhere"/);
      });
    } finally {
      model.dispose();
    }
  });

  it('at initialisation, plain-56\'s gradient grows far more from its last block down to its first than ResNet-56\'s', () => {
    // With BatchNorm the plain net's gradient explodes towards the input (thousands of times
    // the last block's) where the residual net's grows a few tens of times.
    const batches = trainingBatches(1, 64);
    const ratio = (flow: NetGradientFigures) => flow.blocks[0].inputGradNorm / flow.blocks[flow.blocks.length - 1].inputGradNorm;
    const flows = (['resnet56', 'plain56'] as const).map((name) => {
      const model = new ResNetModel(buildGraph(specFromName(name)), { seed: 1 });
      try {
        return netGradientFigures(model, batches);
      } finally {
        model.dispose();
      }
    });
    const [residual, plain] = flows.map(ratio);
    assert.equal(flows[0].blocks.length, 27);
    assert.ok(plain > 10 * residual, `first/last block: plain-56 ${plain.toFixed(1)}, ResNet-56 ${residual.toFixed(1)}`);
  });

  it('resnet-lab analyze --gradients on a run: a table per net, and --json with a gradients key', async () => {
    const small = (residual: boolean) => ({ kind: 'custom' as const, options: { blocks: [1, 1, 1], baseWidth: 4, blockType: 'basic' as const, stem: 'cifar' as const, inputSize: 32, classes: 10, residual } });
    const root = fs.mkdtempSync(path.join(os.tmpdir(), 'resnet-lab-gradients-'));
    const session = await TrainingSession.start(planRun({ nets: [small(true), small(false)], data: { kind: 'synthetic', trainSize: 48, testSize: 10 }, iterations: 3, batchSize: 16, seed: 2, backend: 'wasm' }), root);
    assert.equal(await session.finished, 'finished', session.statusDetail);
    const run = session.run.folder;
    const cli = (...args: string[]) => spawnSync(process.execPath, [bin, 'analyze', run, '--gradients', ...args], { cwd: repoRoot, encoding: 'utf8' });

    const text = cli('--batches', '2');
    assert.equal(text.status, 0, text.stderr);
    for (const block of ['conv2_1', 'conv3_1', 'conv4_1']) assert.equal(text.stdout.split('\n').filter((l) => new RegExp(`^ +${block} +conv\\d_x +\\d\\.\\d{3}e[-+]\\d+ `).test(l)).length, 2, `${block}: a row per net`);
    assert.match(text.stdout, /checkpoint at step 3/);
    assert.match(text.stdout, /averaged over 2 batches of 16 training images/);
    assert.equal(text.stdout.split('\n').filter((l) => l.includes('Conv kernels, ‖∂L/∂W‖ per stage')).length, 2, 'a kernel summary per net');
    assert.match(text.stdout, /^ +conv3_x +2 +\d\.\d{3}e-\d+ +\d\.\d{3}e-\d+ +\d\.\d{3}e-\d+$/m);

    const json = cli('--slot', 'b', '--json');
    assert.equal(json.status, 0, json.stderr);
    const flow = gradientFlowSchema.parse(JSON.parse(json.stdout).gradients);
    assert.deepEqual(flow.batches, { count: 4, size: 16, description: 'Synthetic shapes (embedded, no download): 48 train / 10 test images' });
    assert.equal(flow.nets.length, 1);
    const [net] = flow.nets;
    assert.deepEqual([net.slot, net.residual, net.step], ['b', false, 3]);
    assert.deepEqual(net.blocks.map((b) => b.blockId), ['conv2_1', 'conv3_1', 'conv4_1']);
    assert.equal(net.convs.length, 7);
    assert.ok(net.blocks.every((b) => b.inputGradNorm > 0) && net.convs.every((c) => c.kernelGradNorm > 0));
  });
});
