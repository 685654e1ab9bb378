// The resnet-lab command, run as a user runs it: the built bin in a child process.
import assert from 'node:assert/strict';
import { ChildProcess, spawn, spawnSync } from 'node:child_process';
import { once } from 'node:events';
import * as fs from 'node:fs';
import * as os from 'node:os';
import path from 'node:path';
import { describe, test } from 'node:test';
import type { ModelRequest } from '../../core/spec';
import { planRun } from '../../core/training/plan';
import { claimRun, otherOwner } from '../../core/training/runLock';
import { listRuns, RunFolder } from '../../core/training/runFolder';

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

/** A planned, untrained run of a tiny CIFAR net on TF.js's CPU backend (seconds to train). */
function tinyRun(iterations: number): RunFolder {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'resnet-lab-cli-runs-'));
  const tiny: ModelRequest = { kind: 'custom', options: { blocks: [1, 1, 1], baseWidth: 4, blockType: 'basic', stem: 'cifar', inputSize: 32, classes: 10 } };
  return RunFolder.create(root, planRun({ nets: [tiny], data: { kind: 'synthetic', trainSize: 32, testSize: 10 }, iterations, batchSize: 8, backend: 'cpu' }));
}

/** Starts `resnet-lab ARGS` in the background: the child, and its exit code and output once it ends. */
function startResnetLab(args: string[]) {
  const child = spawn(process.execPath, [bin, ...args], { cwd: repoRoot, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d) => (stdout += d));
  child.stderr.on('data', (d) => (stderr += d));
  const exited = once(child, 'exit').then(([code]) => ({ code: code as number | null, stdout, stderr }));
  return { child, exited };
}

/** Polls `check` every 20 ms until it is true (true) or the child has exited (false). */
async function until(child: ChildProcess, check: () => boolean): Promise<boolean> {
  while (child.exitCode === null && child.signalCode === null) {
    if (check()) return true;
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  return false;
}

const ownerPid = (run: RunFolder) => {
  try {
    return (JSON.parse(fs.readFileSync(path.join(run.folder, 'owner.json'), 'utf8')) as { pid: number }).pid;
  } catch {
    return undefined;
  }
};

describe('resnet-lab train and the run lock', { concurrency: false }, () => {
  test('--resume refuses a run another live process trains, naming its pid; once that process died it resumes, holding the lock while it trains', async () => {
    const run = tinyRun(4);
    const sleeper = spawn(process.execPath, ['-e', 'setTimeout(() => {}, 60_000)'], { stdio: 'ignore' });
    try {
      claimRun(run.folder, sleeper.pid!);
      const refused = resnetLab('train', '--resume', run.folder);
      assert.equal(refused.code, 1, refused.stderr);
      assert.match(refused.stderr, new RegExp(`another process of this machine \\(pid ${sleeper.pid}\\)`));
      assert.equal(otherOwner(run.folder), sleeper.pid, "the other process's claim stays");
      assert.equal(fs.existsSync(run.metricsFile), false, 'nothing of the run was touched');
    } finally {
      sleeper.kill();
    }
    await once(sleeper, 'exit');
    assert.equal(otherOwner(run.folder), undefined, "a dead process's claim does not hold");

    const resumed = startResnetLab(['train', '--resume', run.folder]);
    const claimed = await until(resumed.child, () => ownerPid(run) === resumed.child.pid);
    const { code, stdout, stderr } = await resumed.exited;
    assert.equal(code, 0, stderr);
    assert.ok(claimed, 'owner.json names the CLI process while it trains');
    assert.match(stdout, /Run finished: finished 4 iterations/);
    assert.equal(fs.existsSync(path.join(run.folder, 'owner.json')), false, 'the lock is released at the end');
    assert.equal(listRuns(path.dirname(run.folder))[0].status, 'finished');
  });

  test('Ctrl-C stops a CLI run with its checkpoint and releases the lock; meanwhile `runs` says which process trains it', async () => {
    const run = tinyRun(100_000);
    const training = startResnetLab(['train', '--resume', run.folder]);
    try {
      // Metrics come after the Ctrl-C handler is in place.
      assert.ok(await until(training.child, () => fs.existsSync(run.metricsFile) && ownerPid(run) === training.child.pid), 'it trains and holds the lock');
      const listed = resnetLab('runs', '--out', path.dirname(run.folder));
      assert.equal(listed.code, 0, listed.stderr);
      assert.match(listed.stdout, new RegExp(`^${run.id} .* training \\(pid ${training.child.pid}\\)$`, 'm'));
      training.child.kill('SIGINT');
    } finally {
      setTimeout(() => training.child.kill('SIGKILL'), 60_000).unref();
    }
    const { code, stdout, stderr } = await training.exited;
    assert.equal(code, 0, stderr);
    assert.match(stdout, /Run stopped: stopped by you: ResNet-8 custom \(.*\) at step [\d,]+ of 100,000; the checkpoints are kept/);
    assert.doesNotMatch(stdout, /Resume Training/, "the CLI's texts name no VS Code command");
    assert.match(stdout, /Resume with: resnet-lab train --resume /);
    assert.equal(fs.existsSync(path.join(run.folder, 'owner.json')), false, 'the lock is released after Ctrl-C');
    const [listing] = listRuns(path.dirname(run.folder));
    assert.deepEqual([listing.finished, listing.status], [false, 'stopped']);
  });
});
