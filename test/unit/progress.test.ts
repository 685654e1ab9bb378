// The progress model every display derives from (core/training/progress.ts): per-net counts,
// the ETA from the pace each net keeps (pauses and resumes left out), and the states a user
// sees: training, stopping, stopped at a step per net.
import { strict as assert } from 'node:assert';
import { describe, test } from 'node:test';
import { planRun } from '../../core/training/plan';
import { etaText, netCountsText, netSpeedsText, paceOf, progressLine, ProgressTracker, runProgress } from '../../core/training/progress';
import type { MetricPoint } from '../../core/training/types';

const config = planRun({ nets: [{ kind: 'named', name: 'plain20' }, { kind: 'named', name: 'plain56' }], data: { kind: 'synthetic' }, iterations: 200, batchSize: 32 });

/** Train points of one net, one per step from `from` to `to`, `msPerStep` apart, from time t0. */
function trainPoints(slot: 'a' | 'b', from: number, to: number, msPerStep: number, t0 = 1_000_000, imagesPerSec = 100): MetricPoint[] {
  const points: MetricPoint[] = [];
  for (let step = from; step <= to; step++) points.push({ slot, step, epoch: 0, split: 'train', loss: 2, error: 0.8, lr: 0.1, imagesPerSec, time: t0 + (step - from) * msPerStep });
  return points;
}

describe('progress model', () => {
  test('counts each net on its own: the faster net is not the run', () => {
    const tracker = new ProgressTracker(config, 'running');
    tracker.add([...trainPoints('a', 1, 102, 100), ...trainPoints('b', 1, 34, 300)]);
    const p = tracker.progress();
    assert.deepEqual(p.nets.map((n) => [n.title, n.step, n.iterations]), [['plain-20', 102, 200], ['plain-56', 34, 200]]);
    assert.equal(netCountsText(p), 'plain-20 102/200 · plain-56 34/200');
    assert.equal(p.fraction, (102 + 34) / 400);
  });

  test('ETA: each net at its own pace, the run ends with the slower', () => {
    const tracker = new ProgressTracker(config, 'running');
    tracker.add([...trainPoints('a', 1, 100, 100), ...trainPoints('b', 1, 51, 400)]);
    const [a, b] = tracker.progress().nets;
    assert.ok(Math.abs(a.etaSeconds! - 100 * 0.1) < 1e-9, `plain-20: 100 steps left at 10 steps/s, got ${a.etaSeconds}`);
    assert.ok(Math.abs(b.etaSeconds! - 149 * 0.4) < 1e-9, `plain-56: 149 steps left at 2.5 steps/s, got ${b.etaSeconds}`);
    assert.equal(tracker.progress().etaSeconds, b.etaSeconds);
    assert.equal(etaText(tracker.progress()), 'about 60 s left');
    assert.equal(progressLine(tracker.progress()), 'Training · plain-20 100/200 · plain-56 51/200 · about 60 s left');
  });

  test('a pause, or the gap before a resume, is not counted as training time', () => {
    const before = trainPoints('a', 1, 20, 100);
    const after = trainPoints('a', 21, 40, 100, before[before.length - 1].time + 60_000);
    assert.ok(Math.abs(paceOf([...before, ...after].map((p) => ({ step: p.step, time: p.time })))! - 10) < 1e-9);
  });

  test('no ETA before a pace is measured, nor while paused or stopping', () => {
    const tracker = new ProgressTracker(config, 'starting');
    assert.equal(tracker.progress().etaSeconds, undefined);
    assert.equal(etaText(tracker.progress()), '');
    tracker.add([...trainPoints('a', 1, 10, 100), ...trainPoints('b', 1, 5, 300)]);
    tracker.setStatus('running');
    assert.notEqual(tracker.progress().etaSeconds, undefined);
    for (const status of ['paused', 'stopping'] as const) {
      tracker.setStatus(status);
      assert.equal(tracker.progress().etaSeconds, undefined, status);
    }
    assert.equal(progressLine(tracker.progress()), 'Stopping… · plain-20 10/200 · plain-56 5/200');
  });

  test('stopped: each net at the step its trainer reached, past its last logged step', () => {
    const p = runProgress(config, 'stopped', [...trainPoints('a', 1, 100, 100), ...trainPoints('b', 1, 33, 300)], { a: 102, b: 34 });
    assert.equal(progressLine(p), 'Stopped at step 102 of 200 (plain-20) · 34 of 200 (plain-56)');
    assert.equal(p.etaSeconds, undefined);
  });

  test('speeds are per net and labelled, never summed', () => {
    const tracker = new ProgressTracker(config, 'running', [...trainPoints('a', 1, 3, 100, 0, 412.4), ...trainPoints('b', 1, 2, 300, 0, 140)]);
    assert.equal(netSpeedsText(tracker.progress()), 'plain-20 412 images/s · plain-56 140 images/s');
  });

  test('a step logged again after a resume from an earlier checkpoint restarts the pace', () => {
    const tracker = new ProgressTracker(config, 'running', trainPoints('a', 1, 50, 100));
    tracker.add(trainPoints('a', 41, 45, 1000, 10_000_000));
    assert.ok(Math.abs(tracker.progress().nets[0].etaSeconds! - 150 * 1) < 1e-9, 'paced at 1 step/s from the resume on');
    assert.equal(tracker.progress().nets[0].step, 50, 'the step is the furthest reached');
  });
});
