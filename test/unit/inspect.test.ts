// The block probe on real weights: block outputs equal a direct computation of F(x) + shortcut
// with the same weights (to 1e-5), on a checkpoint of a real (tiny) training run and on fresh
// nets with each shortcut kind; Fig. 7 has one value per conv layer; no tensors leak.
import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { before, describe, it } from 'node:test';
import * as tf from '@tensorflow/tfjs-core';
import { selectBackend } from '../../core/engine/backend';
import { BN_EPSILON, NamedWeight } from '../../core/engine/model';
import { LayerNode } from '../../core/graph';
import { BlockProbe } from '../../core/inspect/probe';
import { InspectionSession } from '../../core/inspect/session';
import { RunInspector } from '../../core/inspect/runInspector';
import { claimRun, releaseRun } from '../../core/training/runLock';
import { checkpointWeights, chooseCheckpoint, freshProbe, normalisedImage, probeWithWeights, responseImages, runInspectionData, syntheticInspectionData, thumbnails } from '../../core/inspect/sources';
import { ModelRequest, specFromName } from '../../core/spec';
import { planRun } from '../../core/training/plan';
import { RunFolder } from '../../core/training/runFolder';
import { TrainingSession } from '../../core/training/session';

/** A reference outside the engine: each layer of a block written out with plain tf ops. */
function direct(layer: LayerNode, x: tf.Tensor4D, weights: Map<string, NamedWeight>): tf.Tensor4D {
  const w = (suffix: string) => {
    const found = weights.get(`${layer.id}/${suffix}`)!;
    return tf.tensor(found.data, found.shape);
  };
  switch (layer.kind) {
    case 'conv':
      return tf.conv2d(x, w('kernel') as tf.Tensor4D, layer.stride, [[0, 0], [layer.padding, layer.padding], [layer.padding, layer.padding], [0, 0]]);
    case 'batchnorm':
      return tf.add(tf.mul(tf.div(tf.sub(x, w('movingMean')), tf.sqrt(tf.add(w('movingVariance'), BN_EPSILON))), w('gamma')), w('beta'));
    case 'relu':
      return tf.relu(x);
    case 'zeropad': {
      const [, h, wd, c] = x.shape;
      const sub = tf.stridedSlice(x, [0, 0, 0, 0], [1, h, wd, c], [1, layer.stride, layer.stride, 1]) as tf.Tensor4D;
      const extra = layer.filters - c;
      return tf.pad(sub, [[0, 0], [0, 0], [0, 0], [Math.floor(extra / 2), extra - Math.floor(extra / 2)]]);
    }
    default:
      throw new Error(`no direct computation for ${layer.kind}`);
  }
}

function maxScaledDifference(actual: Float32Array, expected: Float32Array): number {
  assert.equal(actual.length, expected.length);
  let worst = 0;
  for (let i = 0; i < actual.length; i++) worst = Math.max(worst, Math.abs(actual[i] - expected[i]) / (1 + Math.abs(expected[i])));
  return worst;
}

/** Checks every block of an inspection against the direct computation from the block's own input. */
function checkBlocksAgainstDirect(probe: BlockProbe, image: Float32Array): void {
  const graph = probe.model.graph;
  const byId = new Map(graph.layers.map((l) => [l.id, l]));
  const weights = new Map(probe.model.getWeights().map((w) => [w.name, w]));
  const { inspection, values } = probe.inspectWithValues({ image, classNames: Array.from({ length: graph.spec.classes }, (_, i) => `class ${i}`) });
  assert.equal(inspection.blocks.length, graph.blocks.length);
  for (const tap of probe.taps) {
    const block = tap.block;
    tf.tidy(() => {
      const x = tf.tensor4d(values.get(tap.inputId)!, [1, ...block.inputShape]);
      let f: tf.Tensor4D = x;
      for (const id of block.branch) f = direct(byId.get(id)!, f, weights);
      let s: tf.Tensor4D | null = null;
      if (block.shortcut !== 'none') {
        s = x;
        for (const id of block.shortcutLayers) s = direct(byId.get(id)!, s, weights);
      }
      const y = tf.relu(s ? tf.add(f, s) : f);
      const where = `${graph.spec.title} ${block.id}`;
      assert.ok(maxScaledDifference(values.get(tap.residualId)!, f.dataSync() as Float32Array) <= 1e-5, `${where}: F(x)`);
      if (s) assert.ok(maxScaledDifference(values.get(tap.shortcutId!)!, s.dataSync() as Float32Array) <= 1e-5, `${where}: shortcut (${block.shortcut})`);
      assert.ok(maxScaledDifference(values.get(tap.outputId)!, y.dataSync() as Float32Array) <= 1e-5, `${where}: y = ReLU(F(x) + shortcut)`);
      // What the page gets agrees with the values: the ratio and the statistics.
      const shown = inspection.blocks[block.index];
      const norm = (a: Float32Array) => Math.sqrt(a.reduce((sum, v) => sum + v * v, 0));
      assert.ok(Math.abs(shown.residualRatio - norm(values.get(tap.residualId)!) / norm(values.get(tap.inputId)!)) < 1e-6 * (1 + shown.residualRatio), `${where}: ‖F(x)‖/‖x‖`);
      assert.equal(shown.output.summary.min >= 0, true, `${where}: y follows a ReLU`);
      assert.equal(shown.shortcut === null, block.shortcut === 'none');
    });
  }
}

describe('block probe', () => {
  before(async () => {
    await selectBackend('wasm');
  });

  it('on a checkpoint of a real training run (residual and plain twin): block outputs equal F(x) + shortcut computed directly', async () => {
    const small = (residual: boolean): ModelRequest => ({ kind: 'custom', options: { blocks: [2, 2, 2], baseWidth: 4, blockType: 'basic', stem: 'cifar', inputSize: 32, classes: 10, residual } });
    const root = fs.mkdtempSync(path.join(os.tmpdir(), 'resnet-lab-inspect-'));
    const session = await TrainingSession.start(planRun({ nets: [small(true), small(false)], data: { kind: 'synthetic', trainSize: 64, testSize: 20 }, iterations: 6, batchSize: 16, seed: 5, backend: 'wasm' }), root);
    assert.equal(await session.finished, 'finished', session.statusDetail);
    const run = RunFolder.open(session.run.folder);
    const data = await runInspectionData(run.readConfig());
    const image = normalisedImage(data, 3);
    for (const slot of ['a', 'b'] as const) {
      const net = checkpointWeights(run, slot, chooseCheckpoint(run, slot));
      assert.equal(net.origin.step, 6);
      // Trained: the moving statistics have left their initial 0 and 1.
      assert.ok(net.weights.find((w) => w.name === 'conv2_1.bn1/movingMean')!.data.some((v) => v !== 0));
      const probe = probeWithWeights(net);
      try {
        checkBlocksAgainstDirect(probe, image);
        const inspection = probe.inspect({ image, responseImages: responseImages(data, 8), classNames: data.images.classNames });
        assert.match(inspection.weightsSource, /checkpoint at step 6/);
        assert.equal(inspection.residual, slot === 'a');
        assert.equal(inspection.responses.length, 13, 'Fig. 7: one value per conv layer (1 + 6 blocks × 2)');
        assert.equal(inspection.responseImages, 8);
        assert.equal(inspection.top5.length, 5);
        const total = inspection.top5.reduce((s, c) => s + c.probability, 0);
        assert.ok(total > 0 && total <= 1 + 1e-6);
      } finally {
        probe.dispose();
      }
    }
    // The run inspector: residual first, then its plain twin, both at the latest checkpoint.
    const inspector = await RunInspector.open(run.folder, 4);
    try {
      const tensors = tf.memory().numTensors;
      const pair = inspector.inspect(3);
      assert.deepEqual(pair.map((n) => n.residual), [true, false]);
      assert.deepEqual(pair.map((n) => n.step), [6, 6]);
      const again = inspector.inspect(3);
      assert.deepEqual(again.map((n) => n.blocks.map((b) => b.residualRatio)), pair.map((n) => n.blocks.map((b) => b.residualRatio)));
      assert.equal(tf.memory().numTensors, tensors + inspector.heldTensors(), 'only the two held models stay');
    } finally {
      inspector.dispose();
    }
    // Live means a live process trains the run now (its lock), not that steps remain.
    const inspection = await InspectionSession.open({ kind: 'run', runFolder: run.folder });
    try {
      assert.deepEqual(inspection.progress(), { steps: [6, 6], training: false });
      claimRun(run.folder);
      assert.equal(inspection.progress().training, true);
      releaseRun(run.folder);
      assert.equal(inspection.progress().training, false);
    } finally {
      inspection.dispose();
    }
    // A step one net has no checkpoint at: each net at its own nearest, and the view says so.
    const [first, last] = run.listCheckpoints('b').slice(-2);
    assert.ok(first && first.step < last.step, 'the run has two checkpoints or more per net');
    fs.rmSync(last.folder, { recursive: true });
    const nearest = chooseCheckpoint(run, 'b', last.step);
    assert.equal(nearest.info.step, first.step);
    assert.equal(nearest.description, `checkpoint at step ${first.step} (the nearest to step ${last.step}; it has none there)`);
    const atStep = await RunInspector.open(run.folder, 4);
    try {
      const [residual, plain] = atStep.inspect(3, last.step);
      assert.equal(residual.step, last.step);
      assert.match(residual.weightsSource, new RegExp(`checkpoint at step ${last.step}$`));
      assert.equal(plain.step, first.step, 'the plain twin loaded its nearest checkpoint, not a missing one');
      assert.match(plain.weightsSource, /the nearest to step \d+; it has none there/);
    } finally {
      atStep.dispose();
    }
    fs.rmSync(root, { recursive: true, force: true });
  });

  for (const [title, name, shortcut] of [['ResNet-20, option A (zero-padded)', 'resnet20', 'A'], ['ResNet-20, option B (projection)', 'resnet20', 'B'], ['plain-20', 'plain20', 'A']] as const) {
    it(`${title}, freshly initialised: block outputs equal F(x) + shortcut computed directly`, () => {
      const data = syntheticInspectionData(1, 200, 20);
      const probe = freshProbe(specFromName(name, { shortcut }), 11);
      try {
        checkBlocksAgainstDirect(probe, normalisedImage(data, 0));
        const kinds = new Set(probe.taps.map((t) => t.block.shortcut));
        assert.deepEqual([...kinds].sort(), name === 'plain20' ? ['none'] : shortcut === 'A' ? ['identity', 'zeropad'] : ['identity', 'projection']);
      } finally {
        probe.dispose();
      }
    });
  }

  it('ResNet-56: one block view per block, Fig. 7 one value per conv layer (55), and no tensor growth over repeated inspections', () => {
    const data = syntheticInspectionData(1, 200, 20);
    const probe = freshProbe(specFromName('resnet56'), 1);
    try {
      const request = { image: normalisedImage(data, 1), responseImages: responseImages(data, 4), classNames: data.images.classNames };
      const first = probe.inspect(request);
      const tensors = tf.memory().numTensors;
      for (let i = 0; i < 3; i++) probe.inspect({ ...request, image: normalisedImage(data, 2 + i) });
      assert.equal(tf.memory().numTensors, tensors, 'tensors after 3 more inspections');
      assert.equal(first.blocks.length, 27);
      assert.equal(first.responses.length, 55);
      assert.deepEqual(first.responses.slice(0, 3).map((r) => r.bnId), ['conv1.bn', 'conv2_1.bn1', 'conv2_1.bn2']);
      const b = first.blocks[9]; // conv3_1: 32×32×16 → 16×16×32 through a zero-padded shortcut
      assert.equal(b.blockId, 'conv3_1');
      assert.deepEqual(b.input.shape, [32, 32, 16]);
      assert.deepEqual(b.shortcut!.shape, [16, 16, 32]);
      assert.equal(b.shortcutKind, 'zeropad');
      assert.equal(Buffer.from(b.residual.data, 'base64').length, 32 * 16 * 16);
      assert.ok(first.responses.every((r) => Number.isFinite(r.std) && r.std > 0));
    } finally {
      probe.dispose();
    }
  });

  it('rejects bad input with a clear message', () => {
    const data = syntheticInspectionData(1, 50, 10);
    const probe = freshProbe(specFromName('resnet20'), 1);
    try {
      assert.throws(() => probe.inspect({ image: new Float32Array(10), classNames: data.images.classNames }), /takes 32×32×3 images \(3072 values\); the image has 10/);
      assert.throws(() => probe.inspect({ image: normalisedImage(data, 0), classNames: ['a', 'b'] }), /has 10 classes; 2 class names/);
      assert.throws(() => normalisedImage(data, 10), /Image 10 does not exist: .* has 10 images/);
    } finally {
      probe.dispose();
    }
    const thumbs = thumbnails(data.images, 1);
    assert.equal(thumbs.length, 10);
    assert.deepEqual(thumbs.map((t) => t.label), [0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    assert.equal(Buffer.from(thumbs[0].pixels, 'base64').length, 32 * 32 * 3);
  });
});

describe('inspector worker thread', () => {
  it('opens fresh nets, inspects in its own thread, and refuses a net the images do not fit', async () => {
    const { InspectorClient } = await import('../../core/inspect/client');
    const client = new InspectorClient();
    try {
      const opened = await client.open({ kind: 'fresh', model: { kind: 'named', name: 'resnet20' }, seed: 1 }, 'wasm');
      assert.equal(opened.follows, false);
      assert.equal(opened.images.classNames.length, 10);
      assert.equal(opened.images.thumbnails.length, 80);
      const { image, nets } = await client.inspect(4);
      assert.equal(image.index, 4);
      assert.deepEqual(nets.map((n) => n.title), ['ResNet-20', 'plain-20']);
      assert.equal(nets[0].blocks.length, 9);
      assert.deepEqual(await client.progress(), { steps: [], training: false });
      await assert.rejects(client.open({ kind: 'fresh', model: { kind: 'named', name: 'resnet18' }, seed: 1 }, 'wasm'), /ResNet-18.*takes 224×224×3 images of 1000 classes; .*pick a CIFAR-10 net/);
      await assert.rejects(client.inspect(10_000), /Image 10000 does not exist/);
    } finally {
      await client.dispose();
    }
  });
});
