// The Runs view's reading of a run: each net's last step and best test error, the run's state,
// and who trains it; incremental (only appended lines are read again) yet always what the file says.
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { test } from 'node:test';
import { listRuns, RunFolder } from '../../core/training/runFolder';
import { claimRun, releaseRun } from '../../core/training/runLock';
import { RunSummaryReader } from '../../core/training/runSummary';
import { testRunConfig } from './runFixtures';
import type { MetricPoint, RunConfig } from '../../core/training/types';

function config(id: string): RunConfig {
  return testRunConfig(id, { iterations: 40, evalEvery: 10 });
}

const at = (slot: 'a' | 'b', step: number, split: 'train' | 'test', error: number): MetricPoint => ({ slot, step, epoch: 0, split, loss: 1, error, lr: 0.1, time: 0 });

test('a run summary: per net its last step and best test error, the state as the CLI lists it, read incrementally', () => {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'resnet-lab-summary-'));
  const run = RunFolder.create(root, config('r1'));
  const reader = new RunSummaryReader();

  let summary = reader.read(run.folder);
  assert.deepEqual(summary.nets.map((n) => [n.title, n.lastStep, n.bestTestError]), [['ResNet-20', 0, undefined], ['plain-20', 0, undefined]]);
  assert.equal(summary.state.status, 'stopped');

  run.appendMetrics([at('a', 10, 'train', 0.8), at('a', 10, 'test', 0.6), at('b', 10, 'train', 0.9), at('b', 10, 'test', 0.7)]);
  run.appendMetrics([at('a', 20, 'train', 0.5), at('a', 20, 'test', 0.65)]);
  // A diverged evaluation (NaN, written as null) is no best; a torn line waits for its end.
  fs.appendFileSync(run.metricsFile, JSON.stringify({ ...at('b', 20, 'test', 0), error: null }) + '\n{"slot":"b","step":30,"epoch":0,"split":"te');
  summary = reader.read(run.folder);
  assert.deepEqual(summary.nets.map((n) => [n.lastStep, n.bestTestError]), [[20, 0.6], [20, 0.7]]);
  assert.equal(summary.state.lastStep, 20);

  fs.appendFileSync(run.metricsFile, 'st","loss":1,"error":0.55,"lr":0.1,"time":0}\n');
  summary = reader.read(run.folder);
  assert.deepEqual(summary.nets.map((n) => [n.lastStep, n.bestTestError]), [[20, 0.6], [30, 0.55]]);
  assert.deepEqual(summary.nets.map((n) => n.step), [20, 30], 'no checkpoint past the logged steps: the logged step');

  // A net stopped between two logged steps stands at its checkpoint, where a resume continues.
  run.writeCheckpoint('a', 25, [{ name: 'w', shape: [1], data: new Float32Array([1]) }]);
  summary = reader.read(run.folder);
  assert.deepEqual(summary.nets.map((n) => [n.lastStep, n.step]), [[20, 25], [30, 30]]);

  // A resume rewrites the file (truncated to its checkpoint): read again from the start.
  run.truncateMetricsAfter(10, 'b');
  summary = reader.read(run.folder);
  assert.deepEqual(summary.nets.map((n) => [n.lastStep, n.step, n.bestTestError]), [[20, 25, 0.6], [10, 10, 0.7]]);

  run.appendMetrics([at('a', 40, 'test', 0.3), at('b', 40, 'test', 0.4)]);
  run.writeOutcome({ status: 'finished', detail: 'finished', step: 40, at: new Date(0).toISOString() });
  summary = reader.read(run.folder);
  const listed = listRuns(root)[0];
  assert.equal(summary.state.status, 'finished');
  assert.equal(summary.state.status, listed.status);
  assert.equal(summary.state.lastStep, listed.lastStep);

  // Who trains it: this process while it holds the lock.
  assert.equal(summary.trainingPid, undefined);
  claimRun(run.folder);
  assert.equal(reader.read(run.folder).trainingPid, process.pid);
  releaseRun(run.folder);
  assert.equal(reader.read(run.folder).trainingPid, undefined);
});

test('a broken run is summarised with its problem, not thrown', () => {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'resnet-lab-summary-'));
  fs.mkdirSync(path.join(root, 'broken'));
  fs.writeFileSync(path.join(root, 'broken', 'config.json'), '{ not json');
  const summary = new RunSummaryReader().read(path.join(root, 'broken'));
  assert.equal(summary.config, null);
  assert.match(summary.problem ?? '', /config\.json: cannot be read as JSON/);
});
