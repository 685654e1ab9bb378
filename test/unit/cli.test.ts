// The resnet-lab command, run as a user runs it: the built bin in a child process.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { describe, test } from 'node:test';

const repoRoot = path.resolve(__dirname, '../../..');
const bin = path.join(repoRoot, 'bin', 'resnet-lab.js');

function resnetLab(...args: string[]) {
  const result = spawnSync(process.execPath, [bin, ...args], { cwd: repoRoot, encoding: 'utf8' });
  return { code: result.status, stdout: result.stdout, stderr: result.stderr };
}

describe('resnet-lab CLI', () => {
  test('summary resnet56 prints one row per layer, stage subtotals and the totals', () => {
    const { code, stdout } = resnetLab('summary', 'resnet56');
    assert.equal(code, 0);
    assert.match(stdout, /^ResNet-56 — CIFAR-10, 32×32×3 input/);
    assert.match(stdout, /conv3_1\.shortcut\.zeropad: zero-pad to 32, \/2 +16×16×32/);
    assert.match(stdout, /conv4_x \(8×8\) +8×8×64 +/);
    assert.match(stdout, /Trainable params: 853,018/);
    assert.match(stdout, /Non-trainable values .*: 4,064/);
    assert.match(stdout, /Mult-adds per image .*: 125,485,696 \(125\.49 M\)/);
    const layerRows = stdout.split('\n').filter((line) => /^ {2,4}(conv|fc)[\w.]*: /.test(line));
    assert.equal(layerRows.length, 3 + 27 * 7 + 2 * 1 + 3);
  });

  test('summary --json has the documented fields and the paper figures', () => {
    const cases: Array<[string[], number, number]> = [
      [['resnet50'], 25_557_032, 3.858e9],
      [['resnet34', '--plain'], 21_623_848, 3.645e9],
      [['resnet20', '--shortcut', 'B'], 272_474, 40.8e6],
    ];
    for (const [args, params, flops] of cases) {
      const { code, stdout } = resnetLab('summary', ...args, '--json');
      assert.equal(code, 0, args.join(' '));
      const json = JSON.parse(stdout);
      assert.equal(json.params, params);
      assert.ok(Math.abs(json.flops - flops) / flops < 0.005, `${json.flops} vs ${flops}`);
      assert.equal(json.stages.reduce((s: number, x: { params: number }) => s + x.params, 0), json.params);
      assert.equal(json.layers.reduce((s: number, x: { flops: number }) => s + x.flops, 0), json.flops);
      for (const key of ['id', 'name', 'kind', 'outputShape', 'params', 'flops']) assert.ok(key in json.layers[0], key);
      for (const key of ['name', 'outputShape', 'params', 'flops']) assert.ok(key in json.stages[0], key);
      assert.equal(typeof json.nonTrainable, 'number');
    }
  });

  test('summary --level stages and custom nets', () => {
    const stages = resnetLab('summary', 'resnet34', '--level', 'stages');
    assert.equal(stages.code, 0);
    assert.doesNotMatch(stages.stdout, /conv2_1/);
    assert.match(stages.stdout, /conv5_x \(7×7\)/);
    const custom = resnetLab('summary', 'custom', '--blocks', '2,2', '--stem', 'cifar', '--width', '8', '--json');
    assert.equal(custom.code, 0, custom.stderr);
    assert.equal(JSON.parse(custom.stdout).stages.length, 4);
  });

  test('list names the paper models and their plain twins', () => {
    const { code, stdout } = resnetLab('list');
    assert.equal(code, 0);
    for (const name of ['resnet18', 'resnet152', 'resnet20', 'resnet1202', 'plain34', 'plain56']) assert.match(stdout, new RegExp(`^${name} `, 'm'));
  });

  test('bad input exits non-zero with a message that lists what is valid', () => {
    const unknown = resnetLab('summary', 'resnet57');
    assert.equal(unknown.code, 2);
    assert.match(unknown.stderr, /Unknown model "resnet57"\. Valid models: resnet18, .*resnet-cifar-nN/);
    const shortcut = resnetLab('summary', 'resnet34', '--shortcut', 'D');
    assert.equal(shortcut.code, 2);
    assert.match(shortcut.stderr, /valid options: A .* B .* C/);
    const command = resnetLab('sumary');
    assert.equal(command.code, 2);
    assert.match(command.stderr, /unknown command "sumary"\. Valid commands: list, summary/);
    const missing = resnetLab('summary');
    assert.equal(missing.code, 2);
    assert.match(missing.stderr, /needs a MODEL/);
    const option = resnetLab('summary', 'resnet20', '--depth', '3');
    assert.equal(option.code, 2);
    assert.match(option.stderr, /Unknown option '--depth'/);
  });
});
