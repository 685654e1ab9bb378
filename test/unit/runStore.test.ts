// The run folder keeps what a user trained: config, metrics and checkpoints, safely.
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { execFileSync } from 'node:child_process';
import { describe, test } from 'node:test';
import { runStateText } from '../../core/training/runState';
import { listRuns, makeRunId, RunFolder, RunStoreError } from '../../core/training/runFolder';
import type { MetricPoint, RunConfig } from '../../core/training/types';
import { REPO_ROOT } from './dataSupport';
import { testRunConfig } from './runFixtures';

/** Debian's Python (python3-torch's); the trainer module imports without torch. */
const PYTHON = '/usr/bin/python3';

function tempRoot(): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), 'resnet-lab-runs-'));
}

function config(id: string): RunConfig {
  return testRunConfig(id, { iterations: 100, evalEvery: 20 });
}

const point = (slot: 'a' | 'b', step: number): MetricPoint => ({ slot, step, epoch: 0, split: 'train', loss: 2 - step / 100, error: 0.9, lr: 0.1, time: 0 });

describe('run folder', () => {
  test('a run id names its time and nets', () => {
    assert.equal(makeRunId(config('x').nets, new Date('2026-11-23T19:15:00Z')), '20261123-191500-resnet20-vs-plain20');
  });

  test('config and metrics round-trip; a torn last line (crash mid-write) is skipped; the CSV has every point', () => {
    const root = tempRoot();
    const run = RunFolder.create(root, config('r1'));
    assert.deepEqual(run.readConfig(), config('r1'));
    run.appendMetrics([point('a', 10), point('b', 10)]);
    run.appendMetrics([point('a', 20)]);
    fs.appendFileSync(run.metricsFile, '{"slot":"a","st');
    assert.deepEqual(run.readMetrics().map((p) => [p.slot, p.step]), [['a', 10], ['b', 10], ['a', 20]]);
    const csv = run.metricsCsv().trim().split('\n');
    assert.equal(csv.length, 4);
    assert.match(csv[1], /^ResNet-20,10,0,train,/);
    assert.throws(() => RunFolder.create(root, config('r1')), /already exists/);
  });

  test('a diverged reading (NaN, written as null by JSON and by the PyTorch engine) reads back as NaN; a broken line is named', () => {
    const run = RunFolder.create(tempRoot(), config('r1n'));
    run.appendMetrics([{ ...point('a', 10), loss: NaN }, point('b', 10)]);
    assert.match(fs.readFileSync(run.metricsFile, 'utf8'), /"loss":null/);
    const pythonLine = execFileSync(PYTHON, ['-c', `import sys; sys.path.insert(0, ${JSON.stringify(path.join(REPO_ROOT, 'python'))}); import resnet_lab_trainer as t; sys.stdout.write(t.json_line({"slot": "a", "step": 20, "epoch": 0, "split": "train", "loss": float("nan"), "error": float("inf"), "lr": 0.1, "time": 0}))`], { encoding: 'utf8' });
    assert.equal(pythonLine, '{"slot": "a", "step": 20, "epoch": 0, "split": "train", "loss": null, "error": null, "lr": 0.1, "time": 0}\n');
    fs.appendFileSync(run.metricsFile, pythonLine);
    const [first, , fromPython] = run.readMetrics();
    assert.ok(Number.isNaN(first.loss) && Number.isNaN(fromPython.loss) && Number.isNaN(fromPython.error));
    assert.equal(fromPython.lr, 0.1);
    fs.appendFileSync(run.metricsFile, '{"slot":"z","step":30}\n' + JSON.stringify(point('a', 40)) + '\n');
    assert.throws(() => run.readMetrics(), (error: Error) => error instanceof RunStoreError && /line 4 is not a metric point \(slot: /.test(error.message));
  });

  test('truncating metrics after a checkpoint step keeps the other net intact', () => {
    const run = RunFolder.create(tempRoot(), config('r2'));
    run.appendMetrics([point('a', 10), point('b', 10), point('a', 20), point('b', 20)]);
    run.truncateMetricsAfter(10, 'a');
    assert.deepEqual(run.readMetrics().map((p) => `${p.slot}${p.step}`), ['a10', 'b10', 'b20']);
  });

  test('checkpoints round-trip exactly, keep the last three, and a corrupt one is refused naming the file', () => {
    const run = RunFolder.create(tempRoot(), config('r3'));
    const tensors = (step: number) => [
      { name: 'conv1.conv/kernel', shape: [3, 3, 3, 16], data: Float32Array.from({ length: 432 }, (_, i) => Math.sin(i + step)) },
      { name: 'fc.fc/bias', shape: [10], data: Float32Array.from({ length: 10 }, (_, i) => i * step) },
    ];
    for (const step of [20, 40, 60, 80]) run.writeCheckpoint('a', step, tensors(step));
    assert.deepEqual(run.listCheckpoints('a').map((c) => c.step), [40, 60, 80]);
    const latest = run.latestCheckpoint('a')!;
    assert.equal(latest.step, 80);
    assert.deepEqual(run.readCheckpoint(latest), tensors(80));
    assert.equal(run.latestCheckpoint('b'), null);
    const weights = path.join(latest.folder, 'weights.bin');
    const bytes = fs.readFileSync(weights);
    bytes[100] ^= 0xff;
    fs.writeFileSync(weights, bytes);
    assert.throws(() => run.readCheckpoint(latest), (e: Error) => e instanceof RunStoreError && e.message.includes(weights) && /checksum mismatch/.test(e.message));
    fs.writeFileSync(weights, bytes.subarray(0, 50));
    assert.throws(() => run.readCheckpoint(latest), /has 50 bytes; the manifest says 1768/);
  });

  test('listing runs: newest first, a broken run listed with its problem', () => {
    const root = tempRoot();
    RunFolder.create(root, config('20260101-000000-a'));
    const b = RunFolder.create(root, config('20260202-000000-b'));
    b.appendMetrics([point('a', 30), point('b', 20)]);
    fs.mkdirSync(path.join(root, '20260303-000000-broken'));
    fs.writeFileSync(path.join(root, '20260303-000000-broken', 'config.json'), '{not json');
    const runs = listRuns(root);
    assert.deepEqual(runs.map((r) => r.id), ['20260303-000000-broken', '20260202-000000-b', '20260101-000000-a']);
    assert.match(runs[0].problem!, /config\.json: cannot be read as JSON/);
    assert.equal(runs[1].lastStep, 20, 'a comparison is as far as its slower net');
  });

  test('a run is finished when every net reached the end: a comparison whose faster net finished is stopped (resumable), a failed session failed', () => {
    const root = tempRoot();
    const at = new Date(0).toISOString();
    const half = RunFolder.create(root, config('20260101-000000-half'));
    half.appendMetrics([point('a', 100), point('b', 60)]);
    half.writeOutcome({ status: 'stopped', detail: 'stopped by you at step 60', step: 60, at });
    const failed = RunFolder.create(root, config('20260202-000000-failed'));
    failed.appendMetrics([point('a', 100), point('b', 40)]);
    failed.writeOutcome({ status: 'failed', detail: 'plain-20: out of memory', step: 40, at });
    const done = RunFolder.create(root, config('20260303-000000-done'));
    done.appendMetrics([point('a', 100), point('b', 100)]);
    const [d, f, h] = listRuns(root);
    assert.deepEqual([h.id, h.lastStep, h.finished, h.status], ['20260101-000000-half', 60, false, 'stopped'], 'only the residual net reached step 100');
    assert.equal(runStateText(h.config!, h), 'not training: last logged step 60 of 100');
    assert.deepEqual([f.lastStep, f.finished, f.status], [40, false, 'failed']);
    assert.equal(runStateText(f.config!, f), 'failed at step 40 of 100: plain-20: out of memory');
    assert.deepEqual([d.lastStep, d.finished, d.status], [100, true, 'finished'], 'finished without an outcome (its process died after the last step)');
    assert.equal(runStateText(d.config!, d), 'finished 100 iterations');
  });
});
