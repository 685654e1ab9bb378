// Real training, as a user runs it: worker threads, TF.js on WebAssembly, run folders, the
// real CIFAR-10 files. Small on purpose: a few hundred images, a few dozen steps.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { describe, test } from 'node:test';
import type { ModelRequest } from '../../core/spec';
import { planRun, RunChoices } from '../../core/training/plan';
import { RunFolder } from '../../core/training/runFolder';
import { TrainingSession } from '../../core/training/session';
import type { MetricPoint } from '../../core/training/types';
import { extractedCifar10 } from './dataSupport';

const runsRoot = () => fs.mkdtempSync(path.join(os.tmpdir(), 'resnet-lab-train-'));
const named = (name: string): ModelRequest => ({ kind: 'named', name });
/** A deep, very narrow CIFAR net: cheap enough to train here, deep enough to degrade when plain. */
const deepNarrow = (residual: boolean): ModelRequest => ({ kind: 'custom', options: { blocks: [8, 8, 8], baseWidth: 4, blockType: 'basic', stem: 'cifar', inputSize: 32, classes: 10, residual } });

async function train(choices: RunChoices, root = runsRoot()): Promise<{ session: TrainingSession; metrics: MetricPoint[] }> {
  const session = await TrainingSession.start(planRun(choices), root);
  const status = await session.finished;
  assert.equal(status, 'finished', session.statusDetail);
  return { session, metrics: session.run.readMetrics() };
}

const series = (metrics: MetricPoint[], slot: 'a' | 'b', split: 'train' | 'test') => metrics.filter((p) => p.slot === slot && p.split === split);
const key = (p: MetricPoint) => `${p.slot} ${p.split} ${p.step}: loss ${p.loss} error ${p.error} lr ${p.lr}`;

describe('training', { concurrency: false }, () => {
  test('on 320 real CIFAR-10 images: the loss falls, training error drops below 90%, and the same seed gives the same numbers', async () => {
    const location = await extractedCifar10();
    const choices: RunChoices = { nets: [named('resnet20')], data: { kind: 'cifar10', location, trainSize: 320, testSize: 100 }, iterations: 40, batchSize: 32, seed: 7, backend: 'wasm' };
    // Two identical runs side by side (one worker each, both cores).
    const [first, second] = await Promise.all([train(choices), train(choices)]);
    const trainPoints = series(first.metrics, 'a', 'train');
    assert.equal(trainPoints[trainPoints.length - 1].step, 40);
    const early = trainPoints.slice(0, 3).reduce((s, p) => s + p.loss, 0) / 3;
    const late = trainPoints.slice(-3).reduce((s, p) => s + p.loss, 0) / 3;
    assert.ok(late < early, `training loss did not fall: first steps ${early.toFixed(3)}, last steps ${late.toFixed(3)}`);
    assert.ok(Math.min(...trainPoints.slice(-5).map((p) => p.error)) < 0.9, `training error stayed at ${trainPoints.slice(-5).map((p) => p.error).join(', ')}`);
    assert.ok(series(first.metrics, 'a', 'test').length >= 2, 'the test error was evaluated during training');
    assert.deepEqual(second.metrics.map(key), first.metrics.map(key));
    assert.match(first.session.backend, /WebAssembly/);
    assert.match(first.session.dataDescription, /^CIFAR-10 .*320 train \/ 100 test images/);
  });

  test("the residual net reaches a lower training loss than its plain twin (the paper's effect, 50 layers deep)", async () => {
    const { metrics } = await train({
      nets: [deepNarrow(true), deepNarrow(false)],
      data: { kind: 'synthetic', trainSize: 256, testSize: 50 },
      iterations: 60,
      batchSize: 32,
      seed: 3,
      backend: 'wasm',
    });
    const lateLoss = (slot: 'a' | 'b') => {
      const points = series(metrics, slot, 'train').slice(-10);
      return points.reduce((s, p) => s + p.loss, 0) / points.length;
    };
    const residual = lateLoss('a');
    const plain = lateLoss('b');
    assert.ok(residual < plain, `residual ${residual.toFixed(3)} vs plain ${plain.toFixed(3)} over the last 10 steps`);
  });

  test('stop keeps the last checkpoint and the metrics; resuming reproduces the uninterrupted run', async () => {
    const tiny: ModelRequest = { kind: 'custom', options: { blocks: [1, 1, 1], baseWidth: 4, blockType: 'basic', stem: 'cifar', inputSize: 32, classes: 10 } };
    const choices: RunChoices = { nets: [tiny, { ...tiny, options: { ...tiny.options, residual: false } }], data: { kind: 'synthetic', trainSize: 128, testSize: 40 }, iterations: 24, batchSize: 16, seed: 5, backend: 'wasm' };
    const config = planRun(choices);
    assert.equal(config.checkpointEvery, 2);

    const root = runsRoot();
    const interrupted = await TrainingSession.start(config, root);
    let stopAsked = false;
    const statuses: string[] = [];
    interrupted.addListener({
      onStatus: (status) => statuses.push(status),
      onMetrics: (points) => {
        if (!stopAsked && points.some((p) => p.step >= 7)) {
          stopAsked = true;
          void interrupted.stop();
          // "Stopping" is said at once, before the nets finish their step and write a checkpoint.
          assert.equal(interrupted.status, 'stopping');
        }
      },
    });
    assert.equal(await interrupted.finished, 'stopped');
    assert.match(interrupted.statusDetail, /stopped by you: .+ at step \d+ of \d+.*; the checkpoints are kept/);
    const run = RunFolder.open(interrupted.run.folder);
    assert.equal(run.readOutcome()?.status, 'stopped', 'how the session ended is recorded for past-run views');
    const stoppedAt = run.latestCheckpoint('a')!.step;
    assert.deepEqual(statuses.slice(-2), ['stopping', 'stopped']);
    // The stop message names each net's step, the one its checkpoint (and so a resume) is at.
    for (const net of config.nets) assert.ok(interrupted.statusDetail.includes(`${net.title} at step ${run.latestCheckpoint(net.slot)!.step} of 24`), `${net.title} in "${interrupted.statusDetail}"`);
    // The other net may be a step behind when the stop lands; either way a checkpoint is written at the stop.
    assert.ok(stoppedAt > 0 && stoppedAt < 24, `checkpoint at ${stoppedAt}`);
    assert.ok(run.readMetrics().length > 0, 'the metrics written before the stop are kept');

    const resumed = await TrainingSession.resume(interrupted.run.folder);
    assert.equal(run.readOutcome(), null, 'a resumed run is no longer "stopped"');
    assert.equal(await resumed.finished, 'finished', resumed.statusDetail);
    assert.equal(run.readOutcome()?.status, 'finished');
    const { metrics: uninterrupted } = await train(choices, runsRoot());
    const sorted = (m: MetricPoint[]) => m.map(key).sort();
    assert.deepEqual(sorted(run.readMetrics()), sorted(uninterrupted));
  });

  test('a bad data folder fails the run with a message naming the file; nothing is lost', async () => {
    const empty = fs.mkdtempSync(path.join(os.tmpdir(), 'resnet-lab-nodata-'));
    const root = runsRoot();
    const session = await TrainingSession.start(planRun({ nets: [named('resnet20')], data: { kind: 'cifar10', location: empty, trainSize: 100, testSize: 100 }, iterations: 5, batchSize: 10, backend: 'wasm' }), root);
    assert.equal(await session.finished, 'failed');
    assert.ok(session.statusDetail.includes(empty), session.statusDetail);
    assert.ok(fs.existsSync(session.run.configFile), 'the run folder and its config stay');
    const outcome = session.run.readOutcome();
    assert.equal(outcome?.status, 'failed');
    assert.equal(outcome?.detail, session.statusDetail);
    // `resnet-lab runs` says it failed and why, as the extension's run lists do.
    const listed = spawnSync(process.execPath, [path.resolve(__dirname, '../../../bin/resnet-lab.js'), 'runs', '--out', root], { encoding: 'utf8' });
    assert.equal(listed.status, 0, listed.stderr);
    const line = listed.stdout.split('\n').find((l) => l.startsWith(session.id)) ?? '';
    assert.ok(line.includes('step 0/5') && line.includes(`failed: ${session.statusDetail}`), listed.stdout);
  });
});
