// The graph IR: ids, order, shapes and shortcut kinds that the views and the trainer rely on.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { buildGraph } from '../../core/graph';
import { customSpec, specFromName, SpecError, withShortcut } from '../../core/spec';

const graphOf = (name: string, options = {}) => buildGraph(specFromName(name, options));

describe('graph IR', () => {
  test('layer ids are unique and every layer comes after the layers it reads', () => {
    for (const name of ['resnet20', 'plain56', 'resnet50', 'resnet34']) {
      const graph = graphOf(name);
      const seen = new Set<string>();
      for (const layer of graph.layers) {
        for (const input of layer.inputs) assert.ok(seen.has(input), `${name}: ${layer.id} reads ${input} before it exists`);
        assert.ok(!seen.has(layer.id), `${name}: duplicate id ${layer.id}`);
        seen.add(layer.id);
      }
    }
  });

  test('every layer input shape is the output shape of the layer it reads', () => {
    const graph = graphOf('resnet50');
    const byId = new Map(graph.layers.map((l) => [l.id, l]));
    for (const layer of graph.layers) {
      for (const input of layer.inputs) {
        if (layer.kind === 'add') assert.deepEqual(byId.get(input)!.outputShape, layer.outputShape, layer.id);
        else assert.deepEqual(byId.get(input)!.outputShape, layer.inputShape, layer.id);
      }
    }
  });

  test('CIFAR option A zero-pads where dimensions change, identity elsewhere', () => {
    const graph = graphOf('resnet56');
    assert.equal(graph.blocks.length, 27);
    const kinds = new Map(graph.blocks.map((b) => [b.id, b.shortcut]));
    assert.equal(kinds.get('conv3_1'), 'zeropad');
    assert.equal(kinds.get('conv4_1'), 'zeropad');
    assert.equal([...kinds.values()].filter((k) => k === 'identity').length, 25);
  });

  test('option B projects only where dimensions change; option C everywhere', () => {
    const b = graphOf('resnet34');
    assert.deepEqual(b.blocks.filter((x) => x.shortcut === 'projection').map((x) => x.id), ['conv3_1', 'conv4_1', 'conv5_1']);
    const b50 = graphOf('resnet50');
    assert.deepEqual(b50.blocks.filter((x) => x.shortcut === 'projection').map((x) => x.id), ['conv2_1', 'conv3_1', 'conv4_1', 'conv5_1']);
    const c = graphOf('resnet34', { shortcut: 'C' });
    assert.ok(c.blocks.every((x) => x.shortcut === 'projection'));
  });

  test('the plain twin keeps the ids of its residual net, less the adds and shortcut layers', () => {
    const residual = graphOf('resnet20', { shortcut: 'B' });
    const plain = buildGraph(withShortcut(residual.spec, false));
    const residualIds = residual.layers.filter((l) => l.role !== 'shortcut' && l.kind !== 'add').map((l) => l.id);
    assert.deepEqual(plain.layers.map((l) => l.id), residualIds);
    assert.ok(plain.blocks.every((b) => b.shortcut === 'none'));
  });

  test('a block adds F(x) and its shortcut, then applies ReLU', () => {
    const graph = graphOf('resnet20');
    const block = graph.blocks.find((b) => b.id === 'conv3_1')!;
    const byId = new Map(graph.layers.map((l) => [l.id, l]));
    const add = byId.get(block.merge[0])!;
    assert.equal(add.kind, 'add');
    assert.deepEqual(add.inputs, [block.branch[block.branch.length - 1], block.shortcutLayers[0]]);
    assert.equal(byId.get(block.merge[1])!.kind, 'relu');
    assert.deepEqual(block.inputShape, [32, 32, 16]);
    assert.deepEqual(block.outputShape, [16, 16, 32]);
  });

  test('names: resnet-cifar-nN for any n, the paper depths by name, errors that list what is valid', () => {
    assert.equal(specFromName('resnet-cifar-n3').name, 'resnet20');
    assert.equal(specFromName('resnet-cifar-n4').depth, 26);
    assert.equal(specFromName('plain-cifar-n9').name, 'plain56');
    assert.equal(specFromName('ResNet-110').depth, 110);
    assert.throws(() => specFromName('resnet57'), (e: Error) => e instanceof SpecError && /resnet18.*resnet1202.*resnet-cifar-nN/.test(e.message));
    assert.throws(() => specFromName('resnet-cifar-n0'), SpecError);
  });

  test('custom depths and widths: shapes follow the stages; bad values are refused with the reason', () => {
    const spec = customSpec({ blocks: [2, 2], baseWidth: 8, blockType: 'bottleneck', stem: 'cifar', inputSize: 16, classes: 5 });
    const graph = buildGraph(spec);
    assert.deepEqual(graph.stages.map((s) => s.outputShape), [[16, 16, 8], [16, 16, 32], [8, 8, 64], [1, 1, 5]]);
    assert.equal(spec.depth, 14);
    assert.throws(() => customSpec({ ...spec, blocks: [2, 0], baseWidth: 8 }), /Blocks per stage/);
    assert.throws(() => customSpec({ blocks: [1, 1, 1, 1], baseWidth: 64, blockType: 'basic', stem: 'imagenet', inputSize: 16, classes: 10 }), /Input size must be .* from 32/);
  });
});
