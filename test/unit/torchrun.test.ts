// An exported run trained under torchrun (Debian's torch 1.13, gloo on the CPU): one machine
// with two processes, two "machines" rendezvousing on 127.0.0.1, and a SIGTERM to the launcher
// mid-way. Real processes; tiny runs.
import assert from 'node:assert/strict';
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { BatchIterator, computeMeanImage } from '../../core/data/augment';
import { exportRun, TRAINER_FILE } from '../../core/pytorch/export';
import { planRun } from '../../core/training/plan';
import { loadRunData } from '../../core/training/runData';
import { listRuns, RunFolder } from '../../core/training/runFolder';
import type { MetricPoint, RunConfig } from '../../core/training/types';

const PYTHON = '/usr/bin/python3';
const TORCHRUN = '/usr/bin/torchrun';
// Debian's torch 1.13 torchrun fails on Python 3.11 with its default --redirects 0 (Std enum iteration).
const TORCHRUN_FIX = ['--redirects', '1', '--tee', '1'];

const trainLosses = (metrics: MetricPoint[]) => metrics.filter((p) => p.split === 'train').map((p) => p.loss);
const trainSteps = (metrics: MetricPoint[]) => metrics.filter((p) => p.split === 'train').map((p) => p.step);

// The suites' one free-port helper, an ES module (Node ≥ 20.19 loads it with require).
const { freePort } = require(path.resolve(__dirname, '../../../scripts/freePort.mjs')) as { freePort(): Promise<number> };

describe('an exported run under torchrun', { concurrency: false }, () => {
  let config: RunConfig;
  let exported = '';
  const copies: string[] = [];
  /** A fresh copy of the exported folder, so each run writes its own run folder. */
  const copy = (name: string) => {
    const folder = path.join(os.tmpdir(), `resnet-lab-torchrun-${name}-${process.pid}`);
    fs.rmSync(folder, { recursive: true, force: true });
    fs.cpSync(exported, folder, { recursive: true });
    copies.push(folder);
    return folder;
  };
  const runOf = (folder: string) => new RunFolder(path.join(folder, 'runs', config.id));
  // One thread a process everywhere: the same float sums, so runs compare step by step.
  const args = (extra: string[] = []) => [TRAINER_FILE, 'train', '--job', '.', '--run', `runs/${config.id}`, '--slot', 'a', '--threads', '1', ...extra];
  const torchrun = (folder: string, launcher: string[]) => {
    const result = spawnSync(TORCHRUN, [...TORCHRUN_FIX, ...launcher, ...args()], { cwd: folder, encoding: 'utf8', timeout: 300_000 });
    assert.equal(result.status, 0, `torchrun exited with ${result.status} (${result.signal}): ${result.stderr.slice(-1500)}`);
    return runOf(folder).readMetrics();
  };

  let single: MetricPoint[] = [];
  let twoProcesses: MetricPoint[] = [];

  before(async () => {
    config = planRun({ nets: [{ kind: 'named', name: 'resnet20' }], data: { kind: 'synthetic', trainSize: 256, testSize: 40 }, iterations: 16, batchSize: 32, seed: 3 });
    exported = path.join(os.tmpdir(), `resnet-lab-torchrun-export-${process.pid}`);
    fs.rmSync(exported, { recursive: true, force: true });
    await exportRun(config, exported);
    const result = spawnSync(PYTHON, [...args(['--device', 'cpu'])], { cwd: copy('single'), encoding: 'utf8', timeout: 300_000 });
    assert.equal(result.status, 0, result.stderr);
    single = runOf(copies[0]).readMetrics();
  });
  after(() => {
    for (const folder of [exported, ...copies]) fs.rmSync(folder, { recursive: true, force: true });
  });

  test('--standalone --nproc_per_node 2 writes the run folder in the same format, its loss within the bound of a single-process run', async () => {
    const folder = copy('standalone');
    twoProcesses = torchrun(folder, ['--standalone', '--nproc_per_node', '2']);
    const run = runOf(folder);
    assert.deepEqual(run.readConfig(), JSON.parse(JSON.stringify(config)), 'config.json is the planned run');
    assert.deepEqual(trainSteps(twoProcesses), Array.from({ length: 16 }, (_, i) => i + 1));
    assert.equal(run.latestCheckpoint('a')!.step, 16);
    assert.equal(run.readCheckpoint(run.latestCheckpoint('a')!).length, run.readCheckpoint(runOf(copies[0]).latestCheckpoint('a')!).length);
    const outcome = run.readOutcome()!;
    assert.equal(outcome.status, 'finished');
    assert.match(outcome.backend!, /DistributedDataParallel on 2 processes/);
    const [listed] = listRuns(path.join(folder, 'runs'));
    assert.equal(listed.lastStep, 16);
    const evaluations = run.readMetrics().filter((p) => p.split === 'test');
    assert.ok(evaluations.length > 0 && evaluations.every((p) => p.gradients?.blocks.length === 9 && p.gradients.convs.length === 19 && p.gradients.blocks.every((v) => v > 0)), 'rank 0 logs the gradient norms at every evaluation');

    // Each process normalises over its own 16 images (as the paper's two GPUs did over 64):
    // at step 1 that is the only difference, so the global loss is exactly the mean of the two
    // halves' single-process losses, and differs from the whole batch's by that much alone.
    const data = await loadRunData(config.data, config.seed);
    const batch = new BatchIterator(data.train, { batchSize: config.batchSize, seed: config.seed, mean: computeMeanImage(data.train) }).batchAt(0);
    const pixels = 32 * 32 * 3;
    const lossOf = (from: number, to: number) => {
      const scratch = fs.mkdtempSync(path.join(os.tmpdir(), 'resnet-lab-half-'));
      const batchFolder = new RunFolder(scratch).writeCheckpoint('a', 0, [
        { name: 'x', shape: [to - from, 32, 32, 3], data: batch.x.slice(from * pixels, to * pixels) },
        { name: 'y', shape: [to - from], data: Float32Array.from(batch.y.slice(from, to)) },
      ]).folder;
      const out = path.join(scratch, 'out');
      execFileSync(PYTHON, [TRAINER_FILE, 'step', '--job', '.', '--checkpoint', 'init/a', '--batch', batchFolder, '--lr', '0.1', '--out', out], { cwd: exported });
      const result = new RunFolder(out);
      const loss = result.readCheckpoint(result.latestCheckpoint('a')!).find((t) => t.name === 'loss')!.data[0];
      fs.rmSync(scratch, { recursive: true, force: true });
      return loss;
    };
    const halves = (lossOf(0, 16) + lossOf(16, 32)) / 2;
    const whole = lossOf(0, 32);
    assert.ok(Math.abs(whole - trainLosses(single)[0]) < 1e-5, 'the single-process run starts from the same weights and batch');
    assert.ok(Math.abs(twoProcesses[0].loss - halves) < 1e-5, `step 1 under torchrun: ${twoProcesses[0].loss}; mean of the halves: ${halves}`);
    const bound = Math.abs(halves - whole);
    assert.ok(Math.abs(twoProcesses[0].loss - trainLosses(single)[0]) <= bound + 1e-5);
    // Over the first steps the two runs stay within a few times that BatchNorm difference.
    trainLosses(twoProcesses)
      .slice(0, 4)
      .forEach((loss, i) => assert.ok(Math.abs(loss - trainLosses(single)[i]) <= Math.max(5 * bound, 0.05 * trainLosses(single)[i]), `step ${i + 1}: ${loss} under torchrun, ${trainLosses(single)[i]} in one process`));
  });

  test('two "machines" (two torchrun invocations, --nnodes 2, rendezvous on 127.0.0.1) produce one run folder, the same as two processes on one', async () => {
    const folder = copy('nnodes');
    const port = await freePort();
    const launcher = ['--nnodes', '2', '--nproc_per_node', '1', '--rdzv_backend', 'c10d', '--rdzv_endpoint', `127.0.0.1:${port}`, '--rdzv_id', `test-${process.pid}`];
    const start = () =>
      new Promise<{ code: number | null; stderr: string }>((resolve) => {
        const child = spawn(TORCHRUN, [...TORCHRUN_FIX, ...launcher, ...args()], { cwd: folder });
        let stderr = '';
        child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
        child.on('close', (code) => resolve({ code, stderr }));
      });
    const machines = await Promise.all([start(), start()]);
    for (const m of machines) assert.equal(m.code, 0, m.stderr.slice(-3000));
    assert.deepEqual(fs.readdirSync(path.join(folder, 'runs')), [config.id], 'one run folder');
    const metrics = runOf(folder).readMetrics();
    assert.deepEqual(trainSteps(metrics), trainSteps(twoProcesses));
    trainLosses(metrics).forEach((loss, i) => assert.ok(Math.abs(loss - trainLosses(twoProcesses)[i]) < 1e-4, `step ${i + 1}: ${loss} vs ${trainLosses(twoProcesses)[i]}`));
  });

  test('stopped mid-way with SIGTERM to the launcher, the same command resumes from the last checkpoint: no step duplicated or lost', async () => {
    const folder = copy('sigterm');
    const run = runOf(folder);
    const launcher = spawn(TORCHRUN, [...TORCHRUN_FIX, '--standalone', '--nproc_per_node', '2', ...args()], { cwd: folder, stdio: 'ignore' });
    const exited = new Promise<void>((resolve) => launcher.on('close', () => resolve()));
    // Mid-way: once a checkpoint past step 4 is on disk.
    for (let i = 0; i < 1200 && !((run.latestCheckpoint('a')?.step ?? 0) >= 4); i++) await new Promise((r) => setTimeout(r, 100));
    launcher.kill('SIGTERM');
    await exited;
    const outcome = run.readOutcome();
    assert.equal(outcome?.status, 'stopped', JSON.stringify(outcome));
    const stoppedAt = run.latestCheckpoint('a')!.step;
    assert.ok(stoppedAt >= 4 && stoppedAt < 16, `stopped at ${stoppedAt}`);
    assert.ok(trainSteps(run.readMetrics()).every((s) => s <= stoppedAt));

    const metrics = torchrun(folder, ['--standalone', '--nproc_per_node', '2']);
    assert.deepEqual(trainSteps(metrics), Array.from({ length: 16 }, (_, i) => i + 1));
    assert.equal(run.readOutcome()?.status, 'finished');
    trainLosses(metrics).forEach((loss, i) => assert.ok(Math.abs(loss - trainLosses(twoProcesses)[i]) < 1e-4, `step ${i + 1}: ${loss} resumed, ${trainLosses(twoProcesses)[i]} uninterrupted`));
  });
});
