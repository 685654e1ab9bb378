// The lesion study (core/analysis/): on a checkpoint of a real (tiny) training run, residual net
// and plain twin. The intact net's error is the checkpoint's test error; a deleted block gives
// the same logits as a net built without it (weights loaded by name); a swap the same as the
// net with the two blocks' weights exchanged; a lesioned net run from its first changed block
// on (what the study does) the same as run whole; plain blocks that change the shape are
// refused with the reason; and `resnet-lab analyze --lesion` prints the tables and the JSON.
import { strict as assert } from 'node:assert';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { after, before, describe, it } from 'node:test';
import * as tf from '@tensorflow/tfjs-core';
import { deletionProblem, Lesion, lesionedGraph, lesionErrors, LesionImages, suffixGraph, swapProblem } from '../../core/analysis/lesion';
import { runLesionStudy } from '../../core/analysis/lesionStudy';
import { LESION_FINDING, lesionStudySchema } from '../../core/analysis/types';
import { makeBatch } from '../../core/data/augment';
import { selectBackend } from '../../core/engine/backend';
import { modelWithWeights, NamedWeight, ResNetModel } from '../../core/engine/model';
import { buildGraph, NetworkGraph } from '../../core/graph';
import { checkpointWeights, chooseCheckpoint, runInspectionData } from '../../core/inspect/sources';
import { ModelRequest, specFromRequest } from '../../core/spec';
import { planRun } from '../../core/training/plan';
import { RunFolder } from '../../core/training/runFolder';
import { TrainingSession } from '../../core/training/session';
import { relativeError } from './numerics';

const repoRoot = path.resolve(__dirname, '../../..');
const small = (blocks: number[], residual: boolean): ModelRequest => ({ kind: 'custom', options: { blocks, baseWidth: 4, blockType: 'basic', stem: 'cifar', inputSize: 32, classes: 10, residual } });
const graphOf = (blocks: number[], residual: boolean) => buildGraph(specFromRequest(small(blocks, residual)));

/** The logits of a model on the images, as plain numbers. */
function logitsOf(model: ResNetModel, images: LesionImages): Float32Array {
  const [h, w, c] = model.graph.inputShape;
  const x = tf.tensor4d(images.x, [images.size, h, w, c]);
  const { logits } = model.forward(x, { training: false });
  const values = logits.dataSync() as Float32Array;
  tf.dispose([x, logits]);
  return values;
}

/** The error of logits against the labels (argmax). */
function errorOf(logits: Float32Array, labels: Int32Array, classes: number): number {
  let wrong = 0;
  for (let i = 0; i < labels.length; i++) {
    const row = logits.subarray(i * classes, (i + 1) * classes);
    if (row.indexOf(Math.max(...row)) !== labels[i]) wrong++;
  }
  return wrong / labels.length;
}

/** Logits of a graph built with these weights (by name). */
function logitsWith(graph: NetworkGraph, weights: readonly NamedWeight[], images: LesionImages): Float32Array {
  const model = modelWithWeights(graph, weights);
  try {
    return logitsOf(model, images);
  } finally {
    model.dispose();
  }
}

/** The weights with layer-id prefixes renamed, e.g. conv2_2. → conv2_1. (others kept, later entries winning). */
function renamed(weights: readonly NamedWeight[], map: Record<string, string>): NamedWeight[] {
  return weights.map((w) => {
    const from = Object.keys(map).find((p) => w.name.startsWith(`${p}.`));
    return from ? { ...w, name: map[from] + w.name.slice(from.length) } : w;
  });
}

describe('lesion study', () => {
  let root: string;
  let run: RunFolder;
  let images: LesionImages;
  const weights: Record<'a' | 'b', NamedWeight[]> = { a: [], b: [] };

  before(async () => {
    await selectBackend('wasm');
    root = fs.mkdtempSync(path.join(os.tmpdir(), 'resnet-lab-lesion-'));
    const session = await TrainingSession.start(planRun({ nets: [small([2, 2, 2], true), small([2, 2, 2], false)], data: { kind: 'synthetic', trainSize: 64, testSize: 20 }, iterations: 6, batchSize: 16, seed: 5, backend: 'wasm' }), root);
    assert.equal(await session.finished, 'finished', session.statusDetail);
    run = RunFolder.open(session.run.folder);
    const data = await runInspectionData(run.readConfig());
    images = makeBatch(data.images, Array.from({ length: data.images.count }, (_, i) => i), data.mean, null);
    for (const slot of ['a', 'b'] as const) weights[slot] = checkpointWeights(run, slot, chooseCheckpoint(run, slot)).weights;
  });

  after(() => fs.rmSync(root, { recursive: true, force: true }));

  it('with no block deleted, the error is the checkpoint\'s test error (as training measured it, and computed directly with the model)', async () => {
    const study = await runLesionStudy(run.folder, { images: 1000, draws: 3 });
    lesionStudySchema.parse(study);
    assert.deepEqual(study.images, { used: 20, requested: 1000, available: 20, description: study.images.description });
    assert.equal(study.finding, LESION_FINDING);
    assert.deepEqual(study.nets.map((n) => [n.slot, n.residual, n.step]), [['a', true, 6], ['b', false, 6]]);
    const metrics = run.readMetrics();
    for (const net of study.nets) {
      const trained = metrics.find((p) => p.slot === net.slot && p.split === 'test' && p.step === 6)!;
      assert.equal(net.baselineError, trained.error, `${net.title}: the test error the run logged at step 6`);
      const direct = errorOf(logitsWith(graphOf([2, 2, 2], net.residual), weights[net.slot], images), images.y, 10);
      assert.equal(net.baselineError, direct, `${net.title}: the model's own error on the same images`);
      assert.equal(net.random.points[0].mean, net.baselineError, 'k = 0 is the intact net');
      assert.equal(net.blocks.length, 6);
      assert.equal(net.swaps.length, 5);
    }
  });

  it('each single block, k random blocks, adjacent swaps: what can and cannot be done, and why', async () => {
    const study = await runLesionStudy(run.folder, { draws: 4, slot: 'b' });
    assert.deepEqual(study.nets.map((n) => n.slot), ['b']);
    const [plain] = study.nets;
    // Plain [2, 2, 2] with width 4 from a 4-channel stem: conv3_1 and conv4_1 change the shape.
    const refused = plain.blocks.filter((b) => b.error === null).map((b) => b.blockId);
    assert.deepEqual(refused, ['conv3_1', 'conv4_1']);
    assert.match(plain.blocks[2].reason!, /^conv3_1 changes the shape \(32×32×4 → 16×16×8, stride 2\) and a plain net has no shortcut to carry x past it, so it cannot be removed$/);
    assert.ok(plain.blocks.filter((b) => b.error !== null).every((b) => b.reason === null && b.error! >= 0 && b.error! <= 1));
    assert.deepEqual(plain.random.candidates, ['conv2_1', 'conv2_2', 'conv3_2', 'conv4_2']);
    assert.deepEqual(plain.random.points.map((p) => p.k), [0, 1, 2, 3, 4]);
    assert.ok(plain.random.points.slice(1).every((p) => p.errors.length === 4));
    // k = 4 of 4: every draw deletes the same blocks.
    const all = plain.random.points[4];
    assert.ok(all.errors.every((e) => e === all.errors[0]) && all.std === 0);
    // Only conv2_1 ↔ conv2_2 keep their shapes both.
    assert.deepEqual(plain.swaps.map((s) => s.error === null), [false, true, true, true, true]);
    assert.match(plain.swaps[1].reason!, /^conv3_1 changes the shape .*, so it cannot run in the other's place$/);
    assert.match(swapProblem(graphOf([2, 2, 2], true), 'conv2_1', 'conv3_1')!, /not adjacent/);

    // The residual net: every block can go (downsampling ones keep their zero-padded shortcut).
    const residualGraph = graphOf([2, 2, 2], true);
    assert.ok(residualGraph.blocks.every((b) => deletionProblem(residualGraph, b.id) === null));
    assert.throws(() => lesionedGraph(graphOf([2, 2, 2], false), { deleted: ['conv4_1'] }), /Cannot delete conv4_1: conv4_1 changes the shape \(16×16×8 → 8×8×16, stride 2\)/);
    assert.throws(() => lesionedGraph(residualGraph, { deleted: ['conv5_1'] }), /has no block "conv5_1"/);
    await assert.rejects(runLesionStudy(run.folder, { images: 0 }), /at least one test image/);
  });

  it('deleting a block gives the same logits as a net built without it (residual and plain), and y = ReLU(shortcut(x)) for a downsampling block', () => {
    const cases: Array<{ residual: boolean; deleted: string; built: number[]; names: Record<string, string> }> = [
      { residual: true, deleted: 'conv2_1', built: [1, 2, 2], names: { 'conv2_2': 'conv2_1' } },
      { residual: true, deleted: 'conv3_2', built: [2, 1, 2], names: {} },
      { residual: true, deleted: 'conv4_2', built: [2, 2, 1], names: {} },
      { residual: false, deleted: 'conv2_1', built: [1, 2, 2], names: { 'conv2_2': 'conv2_1' } },
      { residual: false, deleted: 'conv3_2', built: [2, 1, 2], names: {} },
    ];
    for (const c of cases) {
      const w = weights[c.residual ? 'a' : 'b'];
      const lesioned = logitsWith(lesionedGraph(graphOf([2, 2, 2], c.residual), { deleted: [c.deleted] }), w, images);
      const built = logitsWith(graphOf(c.built, c.residual), renamed(w, c.names), images);
      assert.ok(relativeError(lesioned, built) <= 1e-5, `${c.residual ? 'residual' : 'plain'} without ${c.deleted} vs a [${c.built}] net: ${relativeError(lesioned, built)}`);
    }

    // conv3_1 (4 → 8 channels, stride 2) deleted: its output is ReLU(zero-pad(x)), computed by hand.
    const graph = lesionedGraph(graphOf([2, 2, 2], true), { deleted: ['conv3_1'] });
    assert.deepEqual(graph.blocks.find((b) => b.id === 'conv3_1')!.branch, []);
    assert.equal(graph.layers.some((l) => l.id === 'conv3_1.add' || l.id.startsWith('conv3_1.conv')), false);
    const model = modelWithWeights(graph, weights.a);
    try {
      const x = tf.tensor4d(images.x, [images.size, 32, 32, 3]);
      const { logits, captured } = model.forward(x, { training: false, capture: ['conv2_2.relu2', 'conv3_1.relu2'] });
      const expected = tf.tidy(() => {
        const input = captured['conv2_2.relu2'] as tf.Tensor4D;
        const sub = tf.stridedSlice(input, [0, 0, 0, 0], input.shape, [1, 2, 2, 1]);
        return tf.relu(tf.pad(sub, [[0, 0], [0, 0], [0, 0], [2, 2]]));
      });
      assert.ok(relativeError(captured['conv3_1.relu2'].dataSync(), expected.dataSync()) <= 1e-6, 'y = ReLU(zero-pad(x))');
      tf.dispose([x, logits, expected, ...Object.values(captured)]);
    } finally {
      model.dispose();
    }
  });

  it('swapping adjacent blocks gives the same logits as the net with the two blocks\' weights exchanged', () => {
    for (const [residual, slot] of [[true, 'a'], [false, 'b']] as const) {
      const graph = graphOf([2, 2, 2], residual);
      const swapped = logitsWith(lesionedGraph(graph, { swapped: ['conv2_1', 'conv2_2'] }), weights[slot], images);
      const exchanged = logitsWith(graph, renamed(weights[slot], { 'conv2_1': 'conv2_2', 'conv2_2': 'conv2_1' }), images);
      assert.ok(relativeError(swapped, exchanged) <= 1e-5, `${residual ? 'residual' : 'plain'}: ${relativeError(swapped, exchanged)}`);
      const intact = logitsWith(graph, weights[slot], images);
      assert.ok(relativeError(swapped, intact) > 1e-4, 'the swap changed something');
    }
    assert.throws(() => lesionedGraph(graphOf([2, 2, 2], true), { swapped: ['conv2_2', 'conv3_1'] }), /Cannot swap conv2_2 and conv3_1: conv3_1 changes the shape/);
  });

  it('a lesioned net run from its first changed block on (as the study runs it) equals the whole lesioned net, and leaks no tensors', () => {
    for (const [residual, slot] of [[true, 'a'], [false, 'b']] as const) {
      const graph = graphOf([2, 2, 2], residual);
      const w = weights[slot];
      const lesions: Lesion[] = [
        ...graph.blocks.filter((b) => deletionProblem(graph, b.id) === null).map((b) => ({ deleted: [b.id] })),
        { deleted: residual ? ['conv4_2', 'conv2_2', 'conv3_1'] : ['conv4_2', 'conv2_2'] },
        { swapped: ['conv2_1', 'conv2_2'] },
        { swapped: ['conv2_1', 'conv2_2'], deleted: ['conv3_2'] },
        {},
      ];
      const whole = lesions.map((l) => logitsWith(lesionedGraph(graph, l), w, images));
      // The suffix from conv2_2's input (conv2_1's output), with that input captured from the intact net.
      const intact = modelWithWeights(graph, w);
      const suffix = modelWithWeights(suffixGraph(lesionedGraph(graph, { deleted: ['conv2_2'] }), 'conv2_1.relu2'), w);
      try {
        const x = tf.tensor4d(images.x, [images.size, 32, 32, 3]);
        const { logits, captured } = intact.forward(x, { training: false, capture: ['conv2_1.relu2'] });
        const fromSuffix = suffix.forward(captured['conv2_1.relu2'] as tf.Tensor4D, { training: false }).logits;
        assert.ok(relativeError(fromSuffix.dataSync(), whole[1]) <= 1e-5, 'suffix logits');
        tf.dispose([x, logits, fromSuffix, ...Object.values(captured)]);
      } finally {
        intact.dispose();
        suffix.dispose();
      }
      const tensors = tf.memory().numTensors;
      const { baseline, errors } = lesionErrors(graph, w, lesions, images, { batchSize: 7 });
      assert.equal(tf.memory().numTensors, tensors, 'no tensor left behind');
      assert.deepEqual(errors, whole.map((l) => errorOf(l, images.y, 10)));
      assert.equal(baseline, errors[errors.length - 1]);
    }
  });

  it('resnet-lab analyze --lesion prints a table per net, the k-random curve and the swaps; --json parses', () => {
    const cli = (...args: string[]) => spawnSync(process.execPath, [path.join(repoRoot, 'bin', 'resnet-lab.js'), 'analyze', ...args], { cwd: repoRoot, encoding: 'utf8' });
    const text = cli(run.folder, '--lesion', '--draws', '2');
    assert.equal(text.status, 0, text.stderr);
    assert.match(text.stderr, /The run's test set has 20 images; using all of them \(asked for 1,000\)/);
    assert.match(text.stdout, new RegExp(`^Lesion study of run ${run.id}: test error on the first 20 test images \\(asked for 1,000; the test set has 20\\)`));
    assert.ok(text.stdout.includes(LESION_FINDING));
    assert.match(text.stdout, /^ResNet-14 custom .* \(net a\), run .*, checkpoint at step 6: test error [\d.]+% intact$/m);
    assert.match(text.stdout, /One block deleted \(its branch deleted: y = ReLU\(shortcut\(x\)\)\)/);
    assert.match(text.stdout, /^ {2}conv3_1 +[\d.]+% +[+−][\d.]+$/m);
    assert.match(text.stdout, /^ {2}conv3_1 +– +conv3_1 changes the shape .* cannot be removed$/m);
    assert.match(text.stdout, /k blocks deleted at random \(mean ± std over 2 draws from 6 blocks\)/);
    assert.match(text.stdout, /^ {2}conv2_1 ↔ conv2_2 +[\d.]+% +[+−][\d.]+$/m);
    const json = cli(run.folder, '--lesion', '--json', '--slot', 'a', '--checkpoint', '4', '--images', '5');
    assert.equal(json.status, 0, json.stderr);
    const parsed = JSON.parse(json.stdout);
    assert.equal(parsed.run, run.id);
    const study = lesionStudySchema.parse(parsed.lesion);
    assert.equal(study.images.used, 5);
    assert.deepEqual(study.nets.map((n) => n.slot), ['a']);
    assert.match(study.nets[0].weightsSource, /checkpoint at step \d+/);
    const bad = cli(run.folder);
    assert.equal(bad.status, 2);
    assert.match(bad.stderr, /analyze needs what to compute: --lesion/);
    const slot = cli(run.folder, '--lesion', '--slot', 'c');
    assert.equal(slot.status, 2);
    assert.match(slot.stderr, /--slot must be a or b/);
  });
});
