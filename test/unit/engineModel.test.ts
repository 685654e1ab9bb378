// The TF.js model built from the graph: parameter counts equal core's costs, shapes equal the
// graph's, captures by layer id, inference-mode determinism and no tensor leaks.
import { strict as assert } from 'node:assert';
import { before, describe, it } from 'node:test';
import * as tf from '@tensorflow/tfjs-core';
import { computeCosts } from '../../core/costs';
import { selectBackend } from '../../core/engine/backend';
import { ResNetModel } from '../../core/engine/model';
import { buildGraph } from '../../core/graph';
import { customSpec, NetworkSpec, specFromName } from '../../core/spec';

const SMALL_BOTTLENECK = customSpec({ blocks: [1, 2], baseWidth: 4, blockType: 'bottleneck', stem: 'cifar', inputSize: 8, classes: 5, shortcut: 'B' });
const SMALL_IMAGENET_STEM = customSpec({ blocks: [1, 1], baseWidth: 4, blockType: 'basic', stem: 'imagenet', inputSize: 16, classes: 3 });

function images(n: number, spec: NetworkSpec): tf.Tensor4D {
  const size = n * spec.inputSize * spec.inputSize * spec.inputChannels;
  return tf.tensor4d(Float32Array.from({ length: size }, (_, i) => Math.sin(i * 0.37)), [n, spec.inputSize, spec.inputSize, spec.inputChannels]);
}

describe('ResNetModel', () => {
  before(async () => {
    await selectBackend('wasm');
  });

  const specs: Array<[string, NetworkSpec]> = [
    ['ResNet-20 (A)', specFromName('resnet20')],
    ['ResNet-20 (B)', specFromName('resnet20', { shortcut: 'B' })],
    ['plain-20', specFromName('plain20')],
    ['small bottleneck custom net', SMALL_BOTTLENECK],
    ['small ImageNet-stem net', SMALL_IMAGENET_STEM],
  ];
  for (const [title, spec] of specs) {
    it(`${title}: parameter counts equal core's costs and the logits have the graph's shape`, () => {
      const graph = buildGraph(spec);
      const costs = computeCosts(graph);
      const model = new ResNetModel(graph, { seed: 3 });
      const counts = model.parameterCounts();
      assert.equal(counts.trainable, costs.total.params);
      assert.equal(counts.nonTrainable, costs.total.nonTrainable);
      const x = images(2, spec);
      const { logits } = model.forward(x, { training: false });
      assert.deepEqual(logits.shape, [2, spec.classes]);
      tf.dispose([x, logits]);
      model.dispose();
    });
  }

  it('ResNet-20 has the paper-derived 269,722 trainable values (plus 1,376 moving statistics)', () => {
    const model = new ResNetModel(buildGraph(specFromName('resnet20')), { seed: 1 });
    assert.deepEqual(model.parameterCounts(), { trainable: 269_722, nonTrainable: 1_376 });
    model.dispose();
  });

  it('names weights by the graph layer ids', () => {
    const model = new ResNetModel(buildGraph(specFromName('resnet20', { shortcut: 'B' })), { seed: 1 });
    const names = model.variables.map((v) => v.name);
    for (const name of ['conv1.conv/kernel', 'conv1.bn/gamma', 'conv1.bn/movingVariance', 'conv3_1.shortcut.conv/kernel', 'conv3_1.shortcut.bn/beta', 'fc.fc/kernel', 'fc.fc/bias']) {
      assert.ok(names.includes(name), name);
    }
    model.dispose();
  });

  it('captures any layer output by id, with the graph shape', () => {
    const graph = buildGraph(specFromName('resnet20'));
    const model = new ResNetModel(graph, { seed: 1 });
    const capture = ['conv2_1.bn2', 'conv3_1.shortcut.zeropad', 'conv3_1.relu2', 'conv4_3.relu2', 'fc.softmax'];
    const x = images(3, graph.spec);
    const before = tf.memory().numTensors;
    const { logits, captured } = model.forward(x, { training: false, capture });
    for (const id of capture.slice(0, 4)) {
      const layer = graph.layers.find((l) => l.id === id)!;
      assert.deepEqual(captured[id].shape, [3, ...layer.outputShape], id);
    }
    const sums = tf.sum(captured['fc.softmax'], 1);
    const probabilities = sums.dataSync();
    sums.dispose();
    for (const p of probabilities) assert.ok(Math.abs(p - 1) < 1e-5);
    assert.equal(tf.memory().numTensors, before + 1 + capture.length, 'only the returned tensors remain');
    tf.dispose([logits, ...Object.values(captured)]);
    assert.equal(tf.memory().numTensors, before);
    assert.throws(() => model.forward(x, { training: false, capture: ['conv9_1.relu2'] }), /No layer "conv9_1.relu2"/);
    x.dispose();
    model.dispose();
  });

  it('the option-A shortcut subsamples and zero-pads half the new channels on each side', () => {
    const graph = buildGraph(specFromName('resnet20'));
    const model = new ResNetModel(graph, { seed: 1 });
    const x = images(1, graph.spec);
    const { logits, captured } = model.forward(x, { training: false, capture: ['conv2_3.relu2', 'conv3_1.shortcut.zeropad'] });
    const input = captured['conv2_3.relu2'] as tf.Tensor4D;
    const shortcut = captured['conv3_1.shortcut.zeropad'] as tf.Tensor4D;
    const expected = tf.pad(tf.stridedSlice(input, [0, 0, 0, 0], [1, 32, 32, 16], [1, 2, 2, 1]), [[0, 0], [0, 0], [0, 0], [8, 8]]);
    assert.deepEqual(Array.from(shortcut.dataSync()), Array.from(expected.dataSync()));
    tf.dispose([x, logits, input, shortcut, expected]);
    model.dispose();
  });

  it('same seed gives the same weights; another seed does not; a plain twin shares its conv weights', () => {
    const graph = buildGraph(specFromName('resnet20'));
    const a = new ResNetModel(graph, { seed: 7 });
    const b = new ResNetModel(graph, { seed: 7 });
    const c = new ResNetModel(graph, { seed: 8 });
    const plain = new ResNetModel(buildGraph(specFromName('plain20')), { seed: 7 });
    const weight = (m: ResNetModel, name: string) => Array.from(m.getWeights().find((w) => w.name === name)!.data);
    assert.deepEqual(weight(a, 'conv2_2.conv1/kernel'), weight(b, 'conv2_2.conv1/kernel'));
    assert.notDeepEqual(weight(a, 'conv2_2.conv1/kernel'), weight(c, 'conv2_2.conv1/kernel'));
    assert.deepEqual(weight(a, 'conv3_1.conv1/kernel'), weight(plain, 'conv3_1.conv1/kernel'));
    // He (fan_in) initialisation: std √(2 / (3·3·16)) for a 16→16 conv.
    const values = weight(a, 'conv2_2.conv1/kernel');
    const std = Math.sqrt(values.reduce((s, v) => s + v * v, 0) / values.length);
    assert.ok(Math.abs(std - Math.sqrt(2 / 144)) < 0.01, `std ${std}`);
    for (const m of [a, b, c, plain]) m.dispose();
  });

  it('in inference holds a few activations at a time, not every layer\'s (and captured ones to the end)', async () => {
    const graph = buildGraph(specFromName('resnet56'));
    const model = new ResNetModel(graph, { seed: 1 });
    const x = images(8, graph.spec);
    const everyOutput = graph.layers.reduce((sum, l) => sum + 4 * 8 * l.outputShape.reduce((a, b) => a * b, 1), 0);
    const captured = graph.blocks[3].merge[graph.blocks[3].merge.length - 1];
    for (const capture of [[], [captured]]) {
      const profile = await tf.profile(() => {
        const out = model.forward(x, { training: false, capture });
        tf.dispose(Object.values(out.captured));
        return out.logits;
      });
      tf.dispose(profile.result as tf.Tensor);
      // The input, a block's input, its branch and the output under way: ~4 of 56 layers' worth.
      assert.ok(profile.peakBytes < everyOutput / 8, `capture [${capture.join(', ')}]: peak ${profile.peakBytes} bytes of ${everyOutput} for every output`);
    }
    x.dispose();
    model.dispose();
  });

  it('rejects images of the wrong size with a clear message', () => {
    const model = new ResNetModel(buildGraph(specFromName('resnet20')), { seed: 1 });
    const x = tf.zeros([1, 16, 16, 3]) as tf.Tensor4D;
    assert.throws(() => model.forward(x, { training: false }), /takes 32×32×3 images; got 16×16×3/);
    x.dispose();
    model.dispose();
  });
});
