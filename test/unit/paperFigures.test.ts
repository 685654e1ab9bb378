// Every figure of the paper (../shared/docs/PAPER.md) that core computes, checked exactly.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { reportForSpec } from '../../core/report';
import { cifarSpec, imagenetSpec, specFromName } from '../../core/spec';

const costsOf = (name: string, options = {}) => reportForSpec(specFromName(name, options)).costs;
const within = (actual: number, expected: number, relative: number) =>
  assert.ok(Math.abs(actual - expected) <= relative * expected, `${actual} is not within ${relative * 100}% of ${expected}`);

describe('ImageNet nets (Table 1)', () => {
  const expected: Array<[number, number, number, string]> = [
    // depth, trainable params, multiply-adds (G, option B), the paper's rounded FLOPs
    [18, 11_689_512, 1.814, '1.8'],
    [34, 21_797_672, 3.664, '3.6'],
    [50, 25_557_032, 3.858, '3.8'],
    [101, 44_549_160, 7.57, '7.6'],
    [152, 60_192_808, 11.282, '11.3'],
  ];
  for (const [depth, params, gmacs, paperFlops] of expected) {
    test(`ResNet-${depth}: ${params.toLocaleString('en-US')} params, ${gmacs} G multiply-adds (paper: ${paperFlops}×10⁹)`, () => {
      const costs = costsOf(`resnet${depth}`);
      assert.equal(costs.total.params, params);
      within(costs.total.flops / 1e9, gmacs, 0.005);
      // The paper's own rounding of FLOPs (it truncates 3.66 and 3.86 to 3.6 and 3.8).
      const truncated = Math.floor((costs.total.flops / 1e9) * 10) / 10;
      const rounded = Math.round((costs.total.flops / 1e9) * 10) / 10;
      assert.ok([truncated.toFixed(1), rounded.toFixed(1)].includes(paperFlops), `${costs.total.flops} vs ${paperFlops}`);
    });
  }

  test('ResNet-34 costs 3.645 G multiply-adds with option A and as plain-34; option B projections add 19.27 M', () => {
    const b = costsOf('resnet34').total.flops;
    const a = costsOf('resnet34', { shortcut: 'A' }).total.flops;
    const plain = costsOf('plain34').total.flops;
    within(a / 1e9, 3.645, 0.005);
    assert.equal(plain, a);
    within((b - a) / 1e6, 19.27, 0.005);
  });

  test('per-stage multiply-adds of ResNet-34 and ResNet-50 (conv1 / conv2_x … conv5_x / fc)', () => {
    const perStage = (name: string) => costsOf(name).stages.map((s) => Number((s.flops / 1e9).toFixed(3)));
    assert.deepEqual(perStage('resnet34'), [0.118, 0.694, 0.873, 1.336, 0.642, 0.001]);
    assert.deepEqual(perStage('resnet50'), [0.118, 0.668, 0.951, 1.387, 0.732, 0.002]);
  });

  test('every stage output size matches Table 1', () => {
    for (const depth of [18, 34, 50, 101, 152]) {
      const { graph } = reportForSpec(imagenetSpec(depth));
      const expansion = depth >= 50 ? 4 : 1;
      assert.deepEqual(
        graph.stages.map((s) => s.outputShape),
        [[112, 112, 64], [56, 56, 64 * expansion], [28, 28, 128 * expansion], [14, 14, 256 * expansion], [7, 7, 512 * expansion], [1, 1, 1000]],
      );
    }
  });

  test('the bottleneck is the paper\'s v1: the stride sits in the first 1×1 of conv3_1, conv4_1, conv5_1', () => {
    const { graph } = reportForSpec(imagenetSpec(50));
    for (const block of ['conv3_1', 'conv4_1', 'conv5_1']) {
      const convs = graph.layers.filter((l) => l.blockId === block && l.role === 'branch' && l.kind === 'conv');
      assert.deepEqual(convs.map((c) => (c.kind === 'conv' ? [c.kernel, c.stride] : [])), [[1, 2], [3, 1], [1, 1]]);
    }
  });
});

describe('CIFAR-10 nets (section 4.2)', () => {
  const expected: Array<[number, number, string]> = [
    [20, 269_722, '0.27'],
    [32, 464_154, '0.46'],
    [44, 658_586, '0.66'],
    [56, 853_018, '0.85'],
    [110, 1_727_962, '1.7'],
    [1202, 19_421_274, '19.4'],
  ];
  for (const [depth, params, paperMillions] of expected) {
    test(`ResNet-${depth} (option A): ${params.toLocaleString('en-US')} params (paper: ${paperMillions}M)`, () => {
      const costs = costsOf(`resnet${depth}`);
      assert.equal(costs.total.params, params);
      const millions = costs.total.params / 1e6;
      const digits = paperMillions.split('.')[1].length;
      assert.equal((paperMillions.startsWith('0') ? millions.toFixed(2) : millions.toFixed(digits)), paperMillions);
    });
  }

  test('ResNet-20 costs 40.55 M and ResNet-56 125.5 M multiply-adds', () => {
    within(costsOf('resnet20').total.flops / 1e6, 40.55, 0.005);
    within(costsOf('resnet56').total.flops / 1e6, 125.5, 0.005);
    within(costsOf('resnet110').total.flops / 1e6, 252.9, 0.005);
    within(costsOf('resnet1202').total.flops / 1e9, 2.83, 0.005);
  });

  test('option B adds 2,752 params on CIFAR (ResNet-20: 272,474)', () => {
    for (const depth of [20, 32, 44, 56, 110]) {
      assert.equal(costsOf(`resnet${depth}`, { shortcut: 'B' }).total.params - costsOf(`resnet${depth}`).total.params, 2752);
    }
    assert.equal(costsOf('resnet20', { shortcut: 'B' }).total.params, 272_474);
  });

  test('BatchNorm moving statistics are counted apart: ResNet-20 has 271,098 values in all', () => {
    const { total } = costsOf('resnet20');
    assert.equal(total.params + total.nonTrainable, 271_098);
  });

  test('stage outputs are 32×32×16, 16×16×32, 8×8×64', () => {
    const { graph } = reportForSpec(cifarSpec(9));
    assert.deepEqual(
      graph.stages.map((s) => s.outputShape),
      [[32, 32, 16], [32, 32, 16], [16, 16, 32], [8, 8, 64], [1, 1, 10]],
    );
  });
});

describe('plain twins', () => {
  test('have the same params and multiply-adds as the option-A residual nets', () => {
    for (const name of ['20', '56', '110', '18', '34', '50']) {
      const plain = costsOf(`plain${name}`).total;
      const residualA = costsOf(`resnet${name}`, { shortcut: 'A' }).total;
      assert.equal(plain.params, residualA.params, `plain${name} params`);
      assert.equal(plain.flops, residualA.flops, `plain${name} flops`);
    }
  });
});
