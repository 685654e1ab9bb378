// The training-curves page in a real Chromium: the extension's messages in, the curves, the
// header and the buttons out. Runs and points are the host's test input (trainingHost.ts).
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { RunView } from '../../protocol/training';
import { formatDuration } from '../../core/format';
import { RESUME_HINT } from '../../extension/training/resumeHint';
import { curves, eachTrainingPage, frameStats, hoverAt, testConfig, testError, testPoints, testRun, xAxis } from './trainingHost';

/** The logged value of a read-out: "31.4% (logged 32.2%)" on a smoothed curve, else the value itself. */
function logged(value: string): number {
  return parseFloat(/\(logged ([^)%]+)/.exec(value)?.[1] ?? value);
}

describe('training curves page', () => {
  const pages = eachTrainingPage();

  test('says what is happening before any metric arrives, never a blank chart', async () => {
    const session = await pages.open();
    assert.equal(await session.page.locator('.empty-state .empty-title').textContent(), 'Waiting for the run…');
    const starting = testRun({ id: 'run-empty', status: 'starting', backend: '' }, 0);
    await session.showRuns([starting]);
    assert.equal(await session.page.locator('.empty-state .empty-title').textContent(), 'Waiting for the first steps…');
    assert.equal(await session.page.locator('.charts').isVisible(), false);
    assert.equal(await session.page.locator('.run-title').textContent(), 'ResNet-20 vs plain-20');
    assert.equal(await session.page.locator('.fact-data dd').textContent(), 'CIFAR-10 (45,000 train / 10,000 test)');
    assert.equal(await session.page.locator('.fact-backend dd').textContent(), 'chosen when the run starts (setting: auto)');
    assert.equal(await session.page.locator('.action-pause').isDisabled(), true, 'nothing to pause while starting');
    assert.equal(await session.page.locator('.action-stop').isDisabled(), false);
    assert.equal(await session.page.locator('.action-export').isDisabled(), true, 'no metrics to export yet');
    assert.deepEqual(await session.state(), { runIds: ['run-empty'], latest: { 'run-empty': { status: 'starting', backend: '', statusDetail: '' } } });
    await session.screenshot('training-empty');

    await session.send({ type: 'runStatus', runId: 'run-empty', status: 'failed', backend: 'cpu', statusDetail: 'Out of memory while building plain-20.' });
    await session.page.waitForFunction(() => document.querySelector('.run-header')?.getAttribute('data-status') === 'failed');
    assert.equal(await session.page.locator('.empty-state .empty-title').textContent(), 'The run failed before its first logged step.');
    assert.equal(await session.page.locator('.empty-state .empty-detail').textContent(), 'Out of memory while building plain-20.');
    assert.equal(await session.page.locator('.status-detail[role="alert"]').textContent(), 'Out of memory while building plain-20.');
    assert.equal(await session.page.locator('.action-stop').isDisabled(), true);
  });

  test('streams metrics: the curves grow to the last step sent, redrawn at most once a frame', async () => {
    const session = await pages.open();
    const run = testRun({ id: 'run-live' }, 1_000);
    await session.showRuns([run]);
    const redrawsBefore = await session.redraws();
    await session.page.evaluate(() => window.__startFrameProbe());
    let step = 1_000;
    let messages = 0;
    const started = Date.now();
    // As fast as the page takes them, for three seconds: several messages per evaluate.
    while (Date.now() - started < 3_000 && step < run.config.iterations) {
      const batch = [];
      for (let i = 0; i < 4 && step < run.config.iterations; i += 1, step += 20) batch.push({ type: 'appendMetrics' as const, runId: 'run-live', points: testPoints(run.config, step, step + 20) });
      await session.page.evaluate((json) => {
        for (const message of JSON.parse(json)) window.postMessage(message, '*');
      }, JSON.stringify(batch));
      messages += batch.length;
    }
    const seconds = (Date.now() - started) / 1000;
    await session.page.waitForFunction((last) => document.getElementById('app')?.dataset.lastStep === String(last), step);
    const frames = frameStats(await session.page.evaluate(() => window.__stopFrameProbe()));
    const redraws = (await session.redraws()) - redrawsBefore;
    console.log(
      `streaming: ${messages} appendMetrics messages in ${seconds.toFixed(1)} s (${Math.round(messages / seconds)}/s), steps 1,000 → ${step}; ` +
        `${redraws} redraws over ${frames.frames} frames; frame delta median ${frames.medianMs.toFixed(1)} ms, p95 ${frames.p95Ms.toFixed(1)} ms, max ${frames.maxMs.toFixed(1)} ms, ${frames.over50Ms} frames over 50 ms`,
    );
    assert.ok(redraws > 0, 'the page redrew while metrics streamed');
    assert.ok(redraws <= messages, 'messages were coalesced into redraws');
    assert.ok(redraws <= frames.frames + seconds + 2, `at most one redraw per frame (${redraws} redraws, ${frames.frames} frames)`);

    const lastTest = Math.floor(step / run.config.evalEvery) * run.config.evalEvery;
    for (const chart of ['error', 'loss'] as const) {
      const drawn = await curves(session, chart);
      assert.deepEqual(drawn.map((c) => c.key).sort(), ['run-live/a/test', 'run-live/a/train', 'run-live/b/test', 'run-live/b/train'], `one ${chart} curve per net and split`);
      const axis = await xAxis(session, chart === 'error' ? 'error-svg' : 'loss-svg');
      for (const curve of drawn) {
        const expected = curve.split === 'train' ? step : lastTest;
        assert.equal(curve.lastStep, expected, `${curve.key} ends at the last step sent`);
        assert.ok(Math.abs(axis.toStep(curve.lastX) - expected) <= axis.stepsPerPixel, `${curve.key}'s path ends at x of step ${expected} (got ${axis.toStep(curve.lastX).toFixed(0)})`);
      }
      for (const curve of drawn) assert.equal(curve.strokeWidth, curve.split === 'train' ? 1 : 2.5, `${curve.key}: train thin, test bold`);
    }
    const count = step.toLocaleString('en-US');
    // Logged every 150 ms a step (testPoints): the ETA is the steps left at that pace.
    const eta = formatDuration((64_000 - step) * 0.15);
    assert.equal(await session.page.locator('.progress-text').textContent(), `Training · ResNet-20 ${count}/64,000 · plain-20 ${count}/64,000 · about ${eta} left`);
    assert.equal(await session.page.locator('.run-progress').getAttribute('value'), String(Math.round((1000 * step) / 64_000)));
    assert.deepEqual(await session.page.locator('.net-progress .net-count').allTextContents(), [`${count}/64,000 · 850 images/s`, `${count}/64,000 · 900 images/s`]);
    assert.equal(await session.page.locator('.fact-speed dd').textContent(), 'ResNet-20 850 images/s · plain-20 900 images/s');
    await session.screenshot('training-streaming');
  });

  test('hover shows every visible series at the hovered step; toggles hide and show series', async () => {
    const session = await pages.open();
    const run = testRun({ id: 'run-hover' }, 30_000);
    await session.showRuns([run]);
    // The mouse lands on a whole pixel: the rule snaps to the logged step nearest it.
    const readout = await hoverAt(session, 'error-svg', 10_000);
    assert.ok(Math.abs(readout.step - 10_000) <= readout.stepsPerPixel && readout.step % 20 === 0, `rule at a logged step near 10,000 (${readout.step})`);
    const testStep = Math.round(readout.step / run.config.evalEvery) * run.config.evalEvery;
    assert.deepEqual(readout.rows.map((r) => r.key).sort(), ['run-hover/a/test', 'run-hover/a/train', 'run-hover/b/test', 'run-hover/b/train']);
    for (const row of readout.rows) {
      const [, slot, split] = row.key.split('/') as [string, 'a' | 'b', 'train' | 'test'];
      const expected = testError(run.config, slot, split, split === 'train' ? readout.step : testStep) * 100;
      // Training curves are smoothed by default: the read-out gives the logged value beside the smoothed one.
      assert.ok(Math.abs(logged(row.value) - expected) <= 0.05, `${row.key}: shows ${row.value}, sent ${expected.toFixed(3)}%`);
      assert.equal(split === 'train', /\(logged /.test(row.value), `${row.key}: only training curves are smoothed`);
      assert.match(row.label, new RegExp(`^${slot === 'a' ? 'ResNet-20' : 'plain-20'} ${split}$`));
    }
    assert.equal(await session.page.locator('.error-chart .hover-rule').count(), 1);
    await session.screenshot('training-hover');

    const loss = await hoverAt(session, 'loss-svg', 20_000);
    assert.ok(Math.abs(loss.step - 20_000) <= loss.stepsPerPixel);
    const lossA = loss.rows.find((r) => r.key === 'run-hover/a/train')!;
    assert.ok(Math.abs(logged(lossA.value) - (2.3 * testError(run.config, 'a', 'train', loss.step) + 0.05)) <= 0.0005, `loss read-out ${lossA.value}`);
    assert.equal(loss.rows.find((r) => r.label === 'learning rate')?.value, '0.1');

    const toggle = session.page.locator('button.series-toggle[data-key="run-hover/b/train"]');
    await toggle.click();
    // The legend and the charts redraw on the next frame, together.
    await session.page.waitForFunction(() => !document.querySelector('path.series-line[data-key="run-hover/b/train"]'));
    assert.equal(await toggle.getAttribute('aria-pressed'), 'false');
    assert.deepEqual((await curves(session, 'error')).map((c) => c.key).sort(), ['run-hover/a/test', 'run-hover/a/train', 'run-hover/b/test']);
    assert.deepEqual((await curves(session, 'loss')).map((c) => c.key).sort(), ['run-hover/a/test', 'run-hover/a/train', 'run-hover/b/test']);
    const hidden = await hoverAt(session, 'error-svg', 10_000);
    assert.ok(!hidden.rows.some((r) => r.key === 'run-hover/b/train'), 'a hidden series is not in the read-out');
    await toggle.click();
    await session.page.waitForFunction(() => document.querySelectorAll('path.series-line[data-chart="error"]').length === 4);
    assert.equal(await toggle.getAttribute('aria-pressed'), 'true');

    const zoom = session.page.locator('button.zoom-toggle');
    await zoom.click();
    await session.page.waitForFunction(() => document.querySelector('.error-chart')?.getAttribute('data-zoomed') === 'true');
    const zoomedAxis = await xAxis(session, 'error-svg');
    const errorCurves = await curves(session, 'error');
    assert.ok(errorCurves.every((c) => c.split === 'test' || Math.abs(zoomedAxis.toStep(c.lastX) - 30_000) <= zoomedAxis.stepsPerPixel));
    // The value at the bottom of the plot, read from the y ticks and the x axis's position.
    const yBottom = await session.page.evaluate(() => {
      const ticks = [...document.querySelectorAll<SVGGElement>('svg.error-svg .y-axis .tick')].map((t) => ({
        value: Number(t.dataset.value),
        y: Number(/translate\(0,([-\d.e]+)/.exec(t.getAttribute('transform') ?? '')?.[1]),
      }));
      const bottom = Number(/translate\(0,([-\d.e]+)/.exec(document.querySelector('svg.error-svg .x-axis')?.getAttribute('transform') ?? '')?.[1]);
      const [a, b] = [ticks[0], ticks[ticks.length - 1]];
      return a.value + ((bottom - a.y) * (b.value - a.value)) / (b.y - a.y);
    });
    const lowest = Math.min(...run.metrics.map((p) => p.error * 100));
    assert.ok(yBottom > 0 && yBottom <= lowest, `zoomed y axis starts just below the lowest error, ${lowest.toFixed(1)}% (at ${yBottom.toFixed(1)}%)`);
    await zoom.click();
  });

  test('Pause, Resume, Stop, Export CSV and Add run… post their messages; runStatus updates the header and the buttons', async () => {
    const session = await pages.open();
    await session.showRuns([testRun({ id: 'run-ctl' }, 4_000)]);
    await session.clearPosted();
    const pause = session.page.locator('.action-pause');
    assert.equal(await pause.textContent(), 'Pause');
    assert.deepEqual(await session.page.locator('.actions button.primary').allTextContents(), ['Pause'], 'one primary action while it trains; Stop and Inspect are secondary');
    await pause.click();
    assert.deepEqual(await session.waitForPosted((m) => m.type === 'control'), { type: 'control', runId: 'run-ctl', action: 'pause' });

    await session.send({ type: 'runStatus', runId: 'run-ctl', status: 'paused', backend: 'wasm (WebAssembly, SIMD)', statusDetail: 'paused by you at step 4,000' });
    await session.page.waitForFunction(() => document.querySelector('.action-pause')?.textContent === 'Resume');
    assert.equal(await session.page.locator('.run-status').textContent(), 'paused');
    assert.equal(await session.page.locator('.status-detail').textContent(), 'paused by you at step 4,000');
    await session.clearPosted();
    await pause.click();
    assert.deepEqual(await session.waitForPosted((m) => m.type === 'control'), { type: 'control', runId: 'run-ctl', action: 'resume' });

    await session.clearPosted();
    await session.page.locator('.action-stop').click();
    assert.deepEqual(await session.waitForPosted((m) => m.type === 'control'), { type: 'control', runId: 'run-ctl', action: 'stop' });
    await session.page.locator('.action-export').click();
    assert.deepEqual(await session.waitForPosted((m) => m.type === 'exportCsv'), { type: 'exportCsv', runId: 'run-ctl' });
    await session.page.locator('.action-overlay').click();
    assert.deepEqual(await session.waitForPosted((m) => m.type === 'addOverlay'), { type: 'addOverlay' });
    await session.page.locator('.action-inspect').click();
    assert.deepEqual(await session.waitForPosted((m) => m.type === 'inspect'), { type: 'inspect', runId: 'run-ctl' });

    // Stop asked: "stopping…" at once, nothing to press until the nets have written their checkpoints.
    await session.send({ type: 'runStatus', runId: 'run-ctl', status: 'stopping', backend: 'wasm (WebAssembly, SIMD)', statusDetail: 'stopping: each net finishes its step and writes a checkpoint' });
    await session.page.waitForFunction(() => document.querySelector('.run-header')?.getAttribute('data-status') === 'stopping');
    assert.equal(await session.page.locator('.run-status').textContent(), 'stopping…');
    assert.equal(await session.page.locator('.progress-text').textContent(), 'Stopping… · ResNet-20 4,000/64,000 · plain-20 4,000/64,000');
    assert.equal(await pause.isDisabled(), true);
    assert.equal(await session.page.locator('.action-stop').isDisabled(), true);

    // Stopped: each net at the step its checkpoint is at (past its last logged step), the message and the counters agreeing.
    const stoppedDetail = `stopped by you: ResNet-20 at step 4,007 of 64,000, plain-20 at step 4,003 of 64,000; the checkpoints are kept. ${RESUME_HINT}`;
    await session.send({ type: 'runStatus', runId: 'run-ctl', status: 'stopped', backend: 'wasm (WebAssembly, SIMD)', statusDetail: stoppedDetail, netSteps: { a: 4007, b: 4003 } });
    await session.page.waitForFunction(() => document.querySelector('.run-header')?.getAttribute('data-status') === 'stopped');
    assert.equal(await session.page.locator('.run-status').textContent(), 'stopped');
    assert.equal(await session.page.locator('.progress-text').textContent(), 'Stopped at step 4,007 of 64,000 (ResNet-20) · 4,003 of 64,000 (plain-20)');
    assert.deepEqual(await session.page.locator('.net-progress .net-count').allTextContents(), ['4,007/64,000', '4,003/64,000']);
    assert.equal(await pause.textContent(), 'Resume', 'a stopped run resumes from the panel');
    assert.equal(await pause.isDisabled(), false);
    assert.deepEqual(await session.page.locator('.actions button.primary').allTextContents(), ['Resume'], 'one primary action');
    await session.screenshot('training-stopped');
    assert.equal(await session.page.locator('.action-stop').isDisabled(), true);
    await session.clearPosted();
    await pause.click();
    assert.deepEqual(await session.waitForPosted((m) => m.type === 'control'), { type: 'control', runId: 'run-ctl', action: 'resume' });
    assert.equal(await session.page.locator('.action-export').isDisabled(), false, 'its metrics can still be exported');
    assert.equal(await session.page.locator('.fact-backend dd').textContent(), 'wasm (WebAssembly, SIMD)');

    await session.clearPosted();
    await session.send({ type: 'appendMetrics', runId: 'no-such-run', points: testPoints(testConfig({ id: 'no-such-run' }), 0, 20) });
    const warning = await session.waitForPosted((m) => m.type === 'log');
    assert.deepEqual(warning, { type: 'log', level: 'warn', message: 'Metrics for run no-such-run, which this page does not show; 2 points ignored.' });
  });

  test('an overlaid run adds its own dashed, dimmer series named in the legend', async () => {
    const session = await pages.open();
    const live = testRun({ id: 'run-56', titles: ['ResNet-56', 'plain-56'] }, 24_000);
    await session.showRuns([live]);
    await session.page.locator('.action-overlay').click();
    await session.waitForPosted((m) => m.type === 'addOverlay');
    // The extension answers the picker with the runs to show, the live one first.
    const past: RunView = { ...testRun({ id: 'run-20', status: 'finished' }, 64_000), statusDetail: 'finished in 2 h 41 min' };
    await session.showRuns([live, past]);
    const drawn = await curves(session, 'error');
    assert.equal(drawn.length, 8, 'two nets × two splits × two runs');
    for (const curve of drawn) {
      const overlay = curve.key.startsWith('run-20/');
      assert.equal(curve.overlay, overlay, curve.key);
      assert.equal(curve.dashed, overlay, `${curve.key} is ${overlay ? '' : 'not '}dashed`);
      assert.equal(curve.lastStep, overlay ? 64_000 : curve.split === 'train' ? 24_000 : 24_000);
    }
    const legendNames = await session.page.locator('.legend-run-name').allTextContents();
    assert.deepEqual(legendNames, ['ResNet-56 vs plain-56 (run-56)', 'overlay: ResNet-20 vs plain-20 (run-20)']);
    assert.match((await session.page.locator('.overlay-list li').textContent()) ?? '', /^overlay: ResNet-20 vs plain-20 \(run-20\) — CIFAR-10 .*finished at iteration 64,000$/);
    const readout = await hoverAt(session, 'error-svg', 12_000);
    assert.equal(readout.rows.length, 8);
    assert.ok(readout.rows.some((r) => r.label === 'ResNet-20 [run-20] test'));
    assert.deepEqual((await session.state())?.runIds, ['run-56', 'run-20']);
    await session.screenshot('training-overlay');
  });

  test('a 64,000-iteration run (logged every 20 steps) renders, train curves downsampled to the width', async () => {
    const session = await pages.open();
    const run: RunView = { ...testRun({ id: 'run-64k', status: 'finished' }, 64_000), statusDetail: 'finished: 64,000 iterations' };
    const started = Date.now();
    await session.showRuns([run]);
    console.log(`64k run: ${run.metrics.length} points shown ${Date.now() - started} ms after showRuns was sent`);
    const width = await session.page.evaluate(() => Number(document.querySelector('svg.error-svg')?.getAttribute('width')));
    for (const curve of await curves(session, 'error')) {
      assert.equal(curve.lastStep, 64_000);
      if (curve.split === 'train') assert.ok(curve.drawnPoints <= 2 * width + 1 && curve.drawnPoints < 3_200, `${curve.key}: ${curve.drawnPoints} points drawn for 3,200 logged at ${width}px`);
      else assert.equal(curve.drawnPoints, 160);
    }
    const milestones = await session.page.locator('.error-chart g.milestone').evaluateAll((nodes) => nodes.map((n) => n.getAttribute('data-step')));
    assert.deepEqual(milestones, ['32000', '48000']);
    assert.deepEqual(await session.page.locator('.axis-label').allTextContents(), ['iterations', 'error (%)', 'iterations', 'loss', 'iterations', 'learning rate']);
    assert.equal(await session.page.locator('.action-pause').isDisabled(), true, 'Pause makes no sense on a finished run');
    assert.deepEqual(await session.page.locator('.actions button.primary').allTextContents(), ['Inspect blocks'], 'one primary action once finished');
    await session.screenshot('training-64k');
  });

  test('one colour per net by its role and slot: plain-20 vs plain-56 are orange and red in the curves, the legend and the header', async () => {
    const session = await pages.open();
    await session.showRuns([testRun({ id: 'run-deg', titles: ['plain-20', 'plain-56'] }, 2_000)]);
    const colours = await session.page.evaluate(() => {
      const stroke = (key: string) => getComputedStyle(document.querySelector(`path.series-line[data-chart="error"][data-key="${key}"]`)!).stroke;
      const header = (slot: string) => getComputedStyle(document.querySelector(`.net-progress[data-slot="${slot}"] .net-name`)!).color;
      const root = getComputedStyle(document.documentElement);
      return { a: stroke('run-deg/a/train'), b: stroke('run-deg/b/train'), headerA: header('a'), headerB: header('b'), probe: [root.getPropertyValue('--net-color-2'), root.getPropertyValue('--net-color-3')] };
    });
    assert.notEqual(colours.a, colours.b, 'the two plain nets differ');
    assert.equal(colours.headerA, colours.a, "plain-20's header row is its curve's colour");
    assert.equal(colours.headerB, colours.b, "plain-56's header row is its curve's colour");
    const classes = await session.page.locator('.net-progress').evaluateAll((rows) => rows.map((r) => r.className));
    assert.deepEqual(classes, ['net-progress net-color-2', 'net-progress net-color-3'], 'plain in slot a: orange; plain in slot b: red (webview/netPalette.ts)');
    await session.screenshot('training-degradation-colours');
  });

  test('a tab hidden and shown again keeps the backend and the latest status (setState)', async () => {
    let session = await pages.open();
    await session.showRuns([testRun({ id: 'run-hide', backend: 'WebAssembly (tfjs-backend-wasm, SIMD)' }, 1_000)]);
    await session.send({ type: 'runStatus', runId: 'run-hide', status: 'paused', backend: 'WebAssembly (tfjs-backend-wasm, SIMD)', statusDetail: 'paused: ResNet-20 at step 1,000 of 64,000, plain-20 at step 1,000 of 64,000' });
    await session.page.waitForFunction(() => document.querySelector('.run-header')?.getAttribute('data-status') === 'paused');
    const saved = await session.state();
    await session.close();
    // Shown again: a new page with the saved state; the host's view names no backend (what the issue saw).
    session = await pages.open(undefined, saved);
    await session.showRuns([{ ...testRun({ id: 'run-hide', status: 'paused', backend: '' }, 1_000) }]);
    assert.equal(await session.page.locator('.fact-backend dd').textContent(), 'WebAssembly (tfjs-backend-wasm, SIMD)');
    assert.equal(await session.page.locator('.run-status').textContent(), 'paused');
  });
});
