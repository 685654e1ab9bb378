// The training-curves page's chart behaviours in a real Chromium: the loss axis with an
// outlier, smoothing, seed bands, zooming on y, and the view kept across a hidden tab.
// Runs and points are the host's test input (trainingHost.ts); expected numbers are computed
// here from the formulas the page claims to draw.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { MetricPoint, RunConfig } from '../../core/training/types';
import type { RunView } from '../../protocol/training';
import { curves, eachTrainingPage, hoverAt, testError, testLr, testRun, TrainingPage, xAxis, yAxis } from './trainingHost';

/** The loss chart's plot area (LOSS_MARGIN, LOSS_HEIGHT in lossChart.ts). */
const LOSS_TOP = 12;
const LOSS_BOTTOM = 180;

/** d3's SI format read back: "10k" → 10,000, "0.5" → 0.5. */
function parseSi(text: string): number {
  const prefixes: Record<string, number> = { k: 1e3, M: 1e6, G: 1e9, m: 1e-3, µ: 1e-6 };
  const match = /^(−?-?[\d.,]+(?:e[-+]?\d+)?)([kMGmµ]?)$/.exec(text);
  assert.ok(match, `tick label "${text}" is a number with an optional SI prefix`);
  return Number(match[1].replace('−', '-').replace(/,/g, '')) * (match[2] ? prefixes[match[2]] : 1);
}

/** The x axis's labels say their ticks' values, all with the same prefix (or none) except 0. */
async function assertXTicks(session: TrainingPage, svgClass: string): Promise<string[]> {
  const ticks = await session.page.locator(`svg.${svgClass} .x-axis .tick`).evaluateAll((nodes) => nodes.map((t) => ({ value: Number(t.getAttribute('data-value')), text: t.textContent ?? '' })));
  assert.ok(ticks.length >= 4, `${svgClass}: x ticks`);
  for (const { value, text } of ticks) assert.ok(Math.abs(parseSi(text) - value) < 1e-9, `${svgClass}: x tick ${value} labelled "${text}"`);
  const suffixes = new Set(ticks.filter((t) => t.value !== 0).map((t) => /[kMG]$/.exec(t.text)?.[0] ?? ''));
  assert.equal(suffixes.size, 1, `${svgClass}: one prefix for the axis (${ticks.map((t) => t.text).join(' ')})`);
  return ticks.map((t) => t.text);
}

/** Every tick label of a chart says its tick's value, and no two say the same. */
async function assertTickLabels(session: TrainingPage, svgClass: string, log = false): Promise<string[]> {
  const { labels } = await yAxis(session, svgClass, log);
  for (const { value, text } of labels) assert.ok(Math.abs(parseSi(text) - value) <= Math.abs(value) * 1e-9, `${svgClass}: tick ${value} labelled "${text}"`);
  assert.equal(new Set(labels.map((l) => l.text)).size, labels.length, `${svgClass}: tick labels ${labels.map((l) => l.text).join(', ')} are distinct`);
  return labels.map((l) => l.text);
}

/** The axis label of each chart stands clear of its tick labels. */
async function assertLabelsClear(session: TrainingPage): Promise<void> {
  const overlaps = await session.page.evaluate(() => {
    const found: string[] = [];
    for (const svg of document.querySelectorAll('svg.error-svg, svg.loss-svg, svg.lr-svg')) {
      const label = svg.querySelector('.y-label')!.getBoundingClientRect();
      for (const tick of svg.querySelectorAll('.y-axis .tick text')) {
        const box = tick.getBoundingClientRect();
        if (box.left < label.right && label.left < box.right && box.top < label.bottom && label.top < box.bottom) found.push(`${svg.getAttribute('class')}: "${tick.textContent}"`);
      }
      if (label.left < svg.getBoundingClientRect().left - 1) found.push(`${svg.getAttribute('class')}: label cut off on the left`);
      for (const drop of svg.querySelectorAll('g.milestone text')) {
        if (drop.getBoundingClientRect().right > svg.getBoundingClientRect().right) found.push(`${svg.getAttribute('class')}: "${drop.textContent}" cut off on the right`);
      }
    }
    return found;
  });
  assert.deepEqual(overlaps, [], 'no y label over a tick label');
}

/** The y pixels of a drawn path ("M x,y L x,y …"). */
async function pathYs(session: TrainingPage, selector: string): Promise<number[]> {
  const d = (await session.page.locator(selector).getAttribute('d')) ?? '';
  const numbers = (d.match(/-?\d+(?:\.\d+)?(?:e-?\d+)?/g) ?? []).map(Number);
  return numbers.filter((_, i) => i % 2 === 1);
}

/** Where a run's learning-rate strip drops (iterations, read off its x axis), and the rates it steps through. */
async function lrDrops(session: TrainingPage, runId: string): Promise<{ drops: number[]; rates: number[] }> {
  const d = (await session.page.locator(`path.lr-line[data-key="${runId}/a/train/lr"]`).getAttribute('d')) ?? '';
  const numbers = (d.match(/-?\d+(?:\.\d+)?(?:e-?\d+)?/g) ?? []).map(Number);
  const xy = numbers.flatMap((n, i) => (i % 2 === 0 ? [[n, numbers[i + 1]] as const] : []));
  const x = await xAxis(session, 'lr-svg');
  const y = await yAxis(session, 'lr-svg', true);
  const drops: number[] = [];
  const rates = [y.toValue(xy[0][1])];
  for (let i = 1; i < xy.length; i += 1) {
    if (Math.abs(xy[i][1] - xy[i - 1][1]) < 0.5) continue;
    assert.ok(Math.abs(xy[i][0] - xy[i - 1][0]) < 1e-6, `the strip steps straight down at x ${xy[i][0]} (from x ${xy[i - 1][0]})`);
    drops.push(x.toStep(xy[i][0]));
    rates.push(y.toValue(xy[i][1]));
  }
  return { drops, rates };
}

/** Drags the mouse over a chart from one plot point to another (svg coordinates). */
async function drag(session: TrainingPage, svgClass: string, from: [number, number], to: [number, number]): Promise<void> {
  const box = (await session.page.locator(`svg.${svgClass}`).boundingBox())!;
  await session.page.mouse.move(box.x + from[0], box.y + from[1]);
  await session.page.mouse.down();
  await session.page.mouse.move(box.x + (from[0] + to[0]) / 2, box.y + (from[1] + to[1]) / 2, { steps: 4 });
  await session.page.mouse.move(box.x + to[0], box.y + to[1], { steps: 4 });
  await session.page.mouse.up();
}

const domainOf = (session: TrainingPage, chart: string) => session.page.locator(`.${chart}`).getAttribute('data-y-domain');

/** The expected debiased EMA of values (TensorBoard's): non-finite values skipped, t counting finite ones. */
function expectedEma(values: number[], w: number): number {
  let s = 0;
  let t = 0;
  for (const v of values) {
    if (!Number.isFinite(v)) continue;
    s = w * s + (1 - w) * v;
    t += 1;
  }
  return s / (1 - w ** t);
}

/** A run of the same experiment with another seed: its points moved by a per-seed offset (test input). */
function seedRun(seed: number, offset: number, config: Partial<RunConfig> = {}): RunView {
  const run = testRun({ id: `run-s${seed}`, logEvery: 400, evalEvery: 2_000 }, 64_000);
  run.config = { ...run.config, ...config, seed };
  run.metrics = run.metrics.map((p): MetricPoint => {
    const error = p.error + (p.split === 'test' ? 2 * offset : offset);
    return { ...p, error, loss: 2.3 * error + 0.05 };
  });
  run.status = 'finished';
  return run;
}

function meanStd(values: number[]): { mean: number; std: number } {
  const mean = values.reduce((a, b) => a + b, 0) / values.length;
  return { mean, std: Math.sqrt(values.reduce((a, v) => a + (v - mean) ** 2, 0) / (values.length - 1)) };
}

describe('training curves page: charts', () => {
  const pages = eachTrainingPage();

  test('a test loss of 9,569,934 at step 17 is marked at the loss axis’s edge, not scaled to: log and linear', async () => {
    const session = await pages.open();
    const run = testRun({ id: 'run-out', titles: ['ResNet-56', 'plain-56'], iterations: 400, logEvery: 1, evalEvery: 17 }, 200);
    run.metrics.find((p) => p.slot === 'b' && p.split === 'test' && p.step === 17)!.loss = 9_569_934;
    const highest = Math.max(...run.metrics.filter((p) => p.loss < 1000).map((p) => p.loss));
    const lowest = Math.min(...run.metrics.map((p) => p.loss));
    await session.showRuns([run]);

    assert.equal(await session.page.locator('.loss-chart').getAttribute('data-scale'), 'log', 'the loss is on a log scale by default');
    assert.equal(await session.page.locator('.log-toggle').isChecked(), true);
    for (const log of [true, false]) {
      const y = await yAxis(session, 'loss-svg', log);
      const top = y.toValue(LOSS_TOP);
      assert.ok(top >= highest && top < 2 * highest, `${log ? 'log' : 'linear'}: the axis ends at ${top.toPrecision(3)}, just above the highest other loss ${highest.toFixed(2)}`);
      if (log) assert.ok(y.toValue(LOSS_BOTTOM) <= lowest && y.toValue(LOSS_BOTTOM) > lowest / 2, 'log: it starts just below the lowest loss');
      else assert.ok(Math.abs(y.toValue(LOSS_BOTTOM)) < 1e-9, 'linear: it starts at 0');
      // The other curves fill the plot instead of lying flat on the bottom.
      const ys = await pathYs(session, 'path.series-line[data-chart="loss"][data-key="run-out/a/train"]');
      assert.ok(Math.max(...ys) - Math.min(...ys) > 0.4 * (LOSS_BOTTOM - LOSS_TOP), `ResNet-56's training loss spans ${(Math.max(...ys) - Math.min(...ys)).toFixed(0)} px of ${LOSS_BOTTOM - LOSS_TOP}`);

      const mark = session.page.locator('.loss-chart g.outlier-mark');
      assert.equal(await mark.count(), 1, 'one outlier marked');
      assert.equal(await mark.getAttribute('data-key'), 'run-out/b/test');
      assert.equal(await mark.getAttribute('data-step'), '17');
      assert.equal(await mark.locator('title').textContent(), 'plain-56 test loss 9,569,934 at iteration 17: off the axis, which leaves out outliers');
      const [markX, markY] = (/translate\(([-\d.]+),([-\d.]+)\)/.exec((await mark.getAttribute('transform')) ?? '') ?? []).slice(1).map(Number);
      const x = await xAxis(session, 'loss-svg');
      assert.ok(Math.abs(x.toStep(markX) - 17) <= x.stepsPerPixel, `the mark stands at iteration 17 (${x.toStep(markX).toFixed(1)})`);
      assert.equal(markY, LOSS_TOP, 'at the top edge');
      const spike = (await session.page.locator('path.series-line[data-chart="loss"][data-key="run-out/b/test"]').getAttribute('d'))!.match(/-?\d+(?:\.\d+)?/g)!.map(Number);
      assert.ok(Math.abs(spike[0] - markX) < 0.01 && spike[1] === LOSS_TOP, `plain-56's test curve starts at the mark (${spike[0]}, ${spike[1]}): its spike stands at iteration 17`);
      const readout = await hoverAt(session, 'loss-svg', 17);
      assert.equal(readout.step, 17);
      assert.equal(readout.rows.find((r) => r.key === 'run-out/b/test')?.value, '9,569,934', 'the read-out gives its value');

      await assertTickLabels(session, 'loss-svg', log);
      await assertLabelsClear(session);
      await session.page.mouse.move(2, 2); // the read-out away, the mark in sight
      await session.page.waitForFunction(() => document.querySelector('.loss-chart > .readout')?.hasAttribute('hidden') === true);
      await session.screenshot(`training-loss-outlier-${log ? 'log' : 'linear'}`);
      if (log) {
        await session.page.locator('.log-toggle').click();
        await session.page.waitForFunction(() => document.querySelector('.loss-chart')?.getAttribute('data-scale') === 'linear');
      }
    }
  });

  test('smoothing: the training curves are the debiased moving average of the logged points, which stay faint behind', async () => {
    const session = await pages.open();
    const run = testRun({ id: 'run-smooth', iterations: 2_000, logEvery: 10, evalEvery: 200 }, 1_000);
    // A diverged step: NaN (null through JSON), skipped by the average.
    const diverged = run.metrics.find((p) => p.slot === 'a' && p.split === 'train' && p.step === 300)!;
    diverged.error = Number.NaN;
    diverged.loss = Number.NaN;
    await session.showRuns([run]);
    assert.equal(await session.page.locator('.smoothing-slider').inputValue(), '0.6', 'TensorBoard’s default weight');
    await session.page.locator('.smoothing-slider').fill('0.9');
    await session.page.waitForFunction(() => document.querySelector('.smoothing-value')?.textContent === '0.90');
    await session.page.waitForFunction(() => document.querySelector('path.series-line[data-key="run-smooth/a/train"]')?.getAttribute('data-drawn-points') !== null);

    const train = run.metrics.filter((p) => p.slot === 'a' && p.split === 'train');
    const logged = (step: number) => train.filter((p) => p.step <= step);
    for (const step of [10, 600]) {
      const error = await hoverAt(session, 'error-svg', step);
      assert.equal(error.step, step);
      const row = error.rows.find((r) => r.key === 'run-smooth/a/train')!;
      const [shown, raw] = (/^([\d.]+)% \(logged ([\d.]+)%\)$/.exec(row.value) ?? []).slice(1).map(Number);
      const expected = expectedEma(logged(step).map((p) => p.error * 100), 0.9);
      assert.ok(Math.abs(shown - expected) <= 0.051, `error at ${step}: shows ${row.value}, the formula gives ${expected.toFixed(3)}%`);
      assert.ok(Math.abs(raw - testError(run.config, 'a', 'train', step) * 100) <= 0.051, `error at ${step}: logged value ${raw}`);
      if (step === 10) assert.equal(shown, raw, 'debiased: the first point is not pulled towards 0');
      assert.ok(!/logged/.test(error.rows.find((r) => r.key === 'run-smooth/a/test')?.value ?? 'logged'), 'test curves are drawn as logged');
      const loss = await hoverAt(session, 'loss-svg', step);
      const lossValue = parseFloat(loss.rows.find((r) => r.key === 'run-smooth/a/train')!.value);
      const expectedLoss = expectedEma(logged(step).map((p) => p.loss), 0.9);
      // Written to 3 decimals below 1, to 2 above.
      assert.ok(Math.abs(lossValue - expectedLoss) <= (expectedLoss < 1 ? 0.0006 : 0.0051), `loss at ${step}: shows ${lossValue}, the formula gives ${expectedLoss.toFixed(4)}`);
    }
    const atNan = await hoverAt(session, 'error-svg', 300);
    assert.match(atNan.rows.find((r) => r.key === 'run-smooth/a/train')!.value, /^not a number/, 'the diverged step is a gap');

    const raw = await session.page.locator('path.series-raw[data-chart="error"]').evaluateAll((paths) => paths.map((p) => ({ key: (p as SVGPathElement).dataset.key, opacity: Number(getComputedStyle(p).strokeOpacity) })));
    assert.deepEqual(raw.map((r) => r.key).sort(), ['run-smooth/a/train', 'run-smooth/b/train'], 'the logged training curves behind, no test curve');
    assert.ok(raw.every((r) => r.opacity <= 0.3), 'faint');
    for (const text of await assertXTicks(session, 'loss-svg')) assert.match(text, /^(0|\d{3}|1,\d{3}|2,000)$/, '2,000 iterations: 200, 400… (not 0.2k)');
    await session.screenshot('training-smoothing');

    await session.page.locator('.smoothing-slider').fill('0');
    await session.page.waitForFunction(() => document.querySelector('.smoothing-value')?.textContent === 'off');
    await session.page.waitForFunction(() => document.querySelectorAll('path.series-raw').length === 0);
    const off = await hoverAt(session, 'error-svg', 600);
    assert.ok(!/logged/.test(off.rows.find((r) => r.key === 'run-smooth/a/train')!.value), 'off: the logged values themselves');
  });

  test('runs that differ only in their seed: mean ± std bands, with the number of seeds', async () => {
    const session = await pages.open();
    const offsets = [0.004, -0.011, 0.02];
    const seeds = offsets.map((offset, i) => seedRun(i + 1, offset));
    const other = seedRun(4, 0, { batchSize: 256 });
    other.config = { ...other.config, id: 'run-b256' };
    await session.showRuns([...seeds, other]);
    const toggle = session.page.locator('.band-toggle');
    assert.equal(await toggle.isDisabled(), false);
    assert.match((await session.page.locator('.band-control').getAttribute('title')) ?? '', /ResNet-20 vs plain-20: 3 seeds \(1, 2, 3\)$/);
    await toggle.check();
    await session.page.waitForFunction(() => document.querySelectorAll('path.series-band[data-chart="error"]').length === 4);
    assert.equal(await session.page.locator('.band-note').textContent(), 'Bands: ResNet-20 vs plain-20: 3 seeds (1, 2, 3)');
    // The legend says which runs the band holds, in the colours the band is drawn in.
    assert.equal(await session.page.locator('.legend-run[data-run="run-s2"] .legend-run-name').textContent(), 'overlay: ResNet-20 vs plain-20 (run-s2) · in the seed band');
    assert.deepEqual(await session.page.locator('.legend-run[data-run="run-s3"] .legend-net > .swatch').evaluateAll((n) => n.map((s) => s.getAttribute('class'))), ['swatch color-0 overlay', 'swatch color-3 overlay']);
    assert.deepEqual(await session.page.locator('.legend-run[data-run="run-s3"] .line-sample').evaluateAll((n) => n.map((s) => s.getAttribute('class'))), ['line-sample color-0 split-train overlay', 'line-sample color-0 split-test overlay', 'line-sample color-3 split-train overlay', 'line-sample color-3 split-test overlay']);
    assert.doesNotMatch((await session.page.locator('.legend-run[data-run="run-b256"] .legend-run-name').textContent()) ?? '', /band/);

    const drawn = (await curves(session, 'error')).map((c) => c.key).sort();
    assert.deepEqual(drawn, ['band:run-s1/a/test', 'band:run-s1/a/train', 'band:run-s1/b/test', 'band:run-s1/b/train', 'run-b256/a/test', 'run-b256/a/train', 'run-b256/b/test', 'run-b256/b/train'], 'one mean per net and split; the batch-256 run is another experiment, drawn alone');
    assert.deepEqual(await session.page.locator('path.series-band[data-chart="loss"]').evaluateAll((p) => p.map((n) => n.getAttribute('data-seeds'))), ['1,2,3', '1,2,3', '1,2,3', '1,2,3']);

    const step = 32_000;
    const sent = (slot: 'a' | 'b', key: 'error' | 'loss') => seeds.map((run) => run.metrics.find((p) => p.slot === slot && p.split === 'test' && p.step === step)![key]);
    const error = await hoverAt(session, 'error-svg', step);
    assert.equal(error.step, step);
    for (const slot of ['a', 'b'] as const) {
      const row = error.rows.find((r) => r.key === `band:run-s1/${slot}/test`)!;
      assert.equal(row.label, `${slot === 'a' ? 'ResNet-20' : 'plain-20'} test mean`);
      const [mean, std] = (/^([\d.]+)% ± ([\d.]+)% \(3 seeds\)$/.exec(row.value) ?? []).slice(1).map(Number);
      const expected = meanStd(sent(slot, 'error').map((e) => e * 100));
      assert.ok(Math.abs(mean - expected.mean) <= 0.051, `${slot} test error mean: shows ${row.value}, expected ${expected.mean.toFixed(3)}%`);
      assert.ok(Math.abs(std - expected.std) <= 0.0051, `${slot} test error std: shows ${row.value}, expected ${expected.std.toFixed(4)}%`);
    }
    const loss = await hoverAt(session, 'loss-svg', step);
    const lossRow = loss.rows.find((r) => r.key === 'band:run-s1/b/test')!;
    const [lossMean, lossStd] = (/^([\d.]+) ± ([\d.]+) \(3 seeds\)$/.exec(lossRow.value) ?? []).slice(1).map(Number);
    const expectedLoss = meanStd(sent('b', 'loss'));
    assert.ok(Math.abs(lossMean - expectedLoss.mean) <= 0.0006 && Math.abs(lossStd - expectedLoss.std) <= 0.0006, `loss band ${lossRow.value}, expected ${expectedLoss.mean.toFixed(4)} ± ${expectedLoss.std.toFixed(4)}`);

    // The band's edges at that step are mean ± std on the error axis.
    const y = await yAxis(session, 'error-svg');
    const x = await xAxis(session, 'error-svg');
    const edges = await session.page.evaluate((px) => {
      const path = document.querySelector<SVGPathElement>('path.series-band[data-key="band:run-s1/b/test"][data-chart="error"]')!;
      const numbers = (path.getAttribute('d') ?? '').match(/-?\d+(?:\.\d+)?(?:e-?\d+)?/g)!.map(Number);
      const ys: number[] = [];
      for (let i = 0; i + 1 < numbers.length; i += 2) if (Math.abs(numbers[i] - px) < 0.01) ys.push(numbers[i + 1]);
      return ys;
    }, x.toX(step));
    const expectedB = meanStd(sent('b', 'error').map((e) => e * 100));
    assert.equal(edges.length, 2, 'the band has an upper and a lower edge at the step');
    const [upper, lower] = [Math.min(...edges), Math.max(...edges)].map((py) => y.toValue(py));
    assert.ok(Math.abs(upper - (expectedB.mean + expectedB.std)) < 0.05 && Math.abs(lower - (expectedB.mean - expectedB.std)) < 0.05, `band from ${lower.toFixed(2)} to ${upper.toFixed(2)}%`);

    // The x axis writes iterations with d3's SI prefix, one precision for all.
    for (const text of await assertXTicks(session, 'error-svg')) assert.match(text, /^(0|\d+k)$/, '64,000 iterations: 10k, 20k…');
    await assertTickLabels(session, 'error-svg');
    await assertLabelsClear(session);
    await session.screenshot('training-seed-bands');
    await session.setTheme('light');
    await session.screenshot('training-seed-bands-light');
    await session.setTheme('dark');

    await toggle.uncheck();
    await session.page.waitForFunction(() => document.querySelectorAll('path.series-band').length === 0);
    assert.equal((await curves(session, 'error')).length, 16, 'each run drawn again');
  });

  test('zoom on y as well as x: Zoom to data fits both axes, a dragged rectangle zooms to it, Reset zoom undoes it', async () => {
    const session = await pages.open();
    const run = testRun({ id: 'run-zoom' }, 30_000);
    await session.showRuns([run]);
    const unzoomed = await domainOf(session, 'loss-chart');

    await session.page.locator('button.zoom-toggle').click();
    await session.page.waitForFunction(() => document.querySelector('.error-chart')?.getAttribute('data-zoomed') === 'true');
    const losses = run.metrics.map((p) => p.loss);
    const fitted = await yAxis(session, 'loss-svg', true);
    assert.ok(Math.abs(fitted.toValue(LOSS_TOP) / (Math.max(...losses) * 1.15) - 1) < 0.03, `Zoom to data: the loss axis ends just above the highest loss (${fitted.toValue(LOSS_TOP).toFixed(3)})`);
    assert.ok(Math.abs(fitted.toValue(LOSS_BOTTOM) / (Math.min(...losses) / 1.15) - 1) < 0.03, `and starts just below the lowest (${fitted.toValue(LOSS_BOTTOM).toFixed(3)})`);
    await session.redrawnAfter(() => session.page.locator('button.zoom-toggle').click());
    assert.equal(await domainOf(session, 'loss-chart'), unzoomed, 'Zoom to data again: the whole run');

    // A rectangle over the loss chart: iterations 5,000–15,000, pixels 60–140 from the top.
    const beforeX = await xAxis(session, 'loss-svg');
    const beforeY = await yAxis(session, 'loss-svg', true);
    const [top, bottom] = [beforeY.toValue(60), beforeY.toValue(140)];
    await drag(session, 'loss-svg', [beforeX.toX(5_000), 60], [beforeX.toX(15_000), 140]);
    await session.page.waitForFunction((d) => document.querySelector('.loss-chart')?.getAttribute('data-y-domain') !== d, unzoomed);
    const zoomedX = await xAxis(session, 'loss-svg');
    const zoomedY = await yAxis(session, 'loss-svg', true);
    const box = (await session.page.locator('svg.loss-svg').evaluate((svg) => Number(svg.getAttribute('width')))) - 16;
    assert.ok(Math.abs(zoomedX.toStep(56) - 5_000) <= 2 * beforeX.stepsPerPixel && Math.abs(zoomedX.toStep(box) - 15_000) <= 2 * beforeX.stepsPerPixel, `x zoomed to ${zoomedX.toStep(56).toFixed(0)}–${zoomedX.toStep(box).toFixed(0)}`);
    assert.ok(Math.abs(zoomedY.toValue(LOSS_TOP) / top - 1) < 0.01 && Math.abs(zoomedY.toValue(LOSS_BOTTOM) / bottom - 1) < 0.01, `y zoomed to ${zoomedY.toValue(LOSS_BOTTOM).toFixed(3)}–${zoomedY.toValue(LOSS_TOP).toFixed(3)} (dragged ${bottom.toFixed(3)}–${top.toFixed(3)})`);
    const errorX = await xAxis(session, 'error-svg');
    assert.ok(Math.abs(errorX.toStep(56) - 5_000) <= 2 * beforeX.stepsPerPixel, 'the error chart shows the same iterations');
    assert.equal(await domainOf(session, 'error-chart'), '0,100', 'and keeps its own y axis');
    assert.equal(await session.page.locator('.loss-chart g.outlier-mark').count(), 0, 'points cut off by a zoom are not marked as outliers');
    const clipped = await session.page.locator('svg.loss-svg > g.curves').getAttribute('clip-path');
    assert.match(clipped ?? '', /^url\(#plot-clip-\d+\)$/, 'curves end at the plot’s edge');
    await assertLabelsClear(session);
    await session.screenshot('training-zoomed');

    // A thin horizontal drag on the error chart zooms x only.
    await drag(session, 'error-svg', [errorX.toX(8_000), 150], [errorX.toX(12_000), 153]);
    await session.page.waitForFunction(() => Number(document.querySelector('svg.error-svg .x-axis .tick')?.getAttribute('data-value')) >= 8_000);
    assert.equal(await domainOf(session, 'error-chart'), '0,100', 'y untouched');

    const reset = session.page.locator('button.zoom-reset');
    assert.equal(await reset.isDisabled(), false);
    await reset.click();
    await session.page.waitForFunction((d) => document.querySelector('.loss-chart')?.getAttribute('data-y-domain') === d, unzoomed);
    assert.equal(await reset.isDisabled(), true);
    const whole = await xAxis(session, 'error-svg');
    assert.ok(Math.abs(whole.toStep(56)) < whole.stepsPerPixel, 'the whole run again');

    // A zoom that ends just past the drop at 32,000: its "lr 0.01" stays inside the plot, left of the line.
    await drag(session, 'error-svg', [whole.toX(26_000), 150], [whole.toX(34_000), 153]);
    await session.page.waitForFunction(() => Number(document.querySelector('svg.error-svg .x-axis .tick')?.getAttribute('data-value')) >= 26_000);
    const near = await xAxis(session, 'error-svg');
    await drag(session, 'error-svg', [near.toX(28_000), 150], [near.toX(32_030), 153]);
    await session.page.waitForFunction(() => Number(document.querySelector('svg.error-svg .x-axis .tick')?.getAttribute('data-value')) >= 28_000);
    assert.deepEqual(await session.page.locator('.error-chart g.milestone').evaluateAll((nodes) => nodes.map((n) => n.getAttribute('data-step'))), ['32000']);
    await assertLabelsClear(session);
    await session.screenshot('training-zoomed-drop');
    await reset.click();

    // A double-click resets too.
    await drag(session, 'error-svg', [200, 60], [400, 200]);
    await session.page.waitForFunction(() => document.querySelector('.error-chart')?.getAttribute('data-y-domain') !== '0,100');
    await session.page.locator('svg.error-svg rect.hover-target').dblclick();
    await session.page.waitForFunction(() => document.querySelector('.error-chart')?.getAttribute('data-y-domain') === '0,100');
  });

  test('the learning-rate strip drops at the schedule’s milestones: iteration 200 and 300 of 400 logged every step, 32k and 48k of 64k logged every 50', async () => {
    // Logged every iteration: one iteration is 2.5 px here.
    const short = testRun({ id: 'run-lr-short', iterations: 400, logEvery: 1, evalEvery: 50, status: 'finished' }, 400);
    // The paper's schedule as planRun logs it (every 50 iterations), zoomed (a saved view) to 31,900–48,100.
    const paper = testRun({ id: 'run-lr-paper', logEvery: 50, evalEvery: 2_000, status: 'finished' }, 64_000);
    for (const [run, zoom] of [[short, null], [paper, [31_900, 48_100]]] as const) {
      const schedule = run.config.schedule.milestones;
      // The schedule computed here: where the rate of iteration k (0-based) first differs from iteration k − 1's.
      const expected: number[] = [];
      for (let k = 1; k < run.config.iterations; k += 1) if (testLr(run.config, k) !== testLr(run.config, k - 1)) expected.push(k);
      assert.deepEqual(expected, schedule.slice(1).map((m) => m.step), `${run.config.id}: the test's schedule`);
      const curves = zoom ? { smoothing: 0.6, bands: false, lossScale: 'log' as const, fit: false, zoom: { x: [zoom[0], zoom[1]] as [number, number], errorY: null, lossY: null }, hidden: [] } : undefined;
      const session = await pages.open(undefined, curves && { runIds: [run.config.id], curves });
      await session.showRuns([run]);
      const { drops, rates } = await lrDrops(session, run.config.id);
      const stepsPerPixel = (await xAxis(session, 'lr-svg')).stepsPerPixel;
      assert.equal(drops.length, expected.length, `${run.config.id}: ${drops.length} drops drawn (${drops.map((d) => d.toFixed(1)).join(', ')})`);
      drops.forEach((drop, i) => assert.ok(Math.abs(drop - expected[i]) < 0.25, `${run.config.id}: the strip drops at iteration ${drop.toFixed(2)}, the schedule at ${expected[i]} (${stepsPerPixel.toFixed(2)} iterations a pixel)`));
      rates.forEach((rate, i) => assert.ok(Math.abs(rate / schedule[i].lr - 1) < 0.02, `${run.config.id}: rate ${rate.toPrecision(3)} drawn, ${schedule[i].lr} scheduled`));
      await session.screenshot(`training-lr-${run.config.id}`);
      await session.closeChecked();
    }
  });

  test('zoom, smoothing, bands, loss scale and hidden series come back when the tab is shown again (getState)', async () => {
    let session = await pages.open();
    const runs = [seedRun(1, 0.004), seedRun(2, -0.011)];
    await session.showRuns(runs);
    await session.page.locator('.smoothing-slider').fill('0.85');
    await session.page.locator('.log-toggle').uncheck();
    await session.page.locator('.band-toggle').check();
    await session.page.locator('button.series-toggle[data-key="run-s1/b/train"]').click();
    await session.redrawnAfter(() => drag(session, 'loss-svg', [300, 110], [700, 170]));
    assert.equal(await session.page.locator('button.zoom-reset').isDisabled(), false);
    await session.page.waitForFunction(() => document.querySelectorAll('path.series-band[data-chart="error"]').length === 3);
    const saved = (await session.state())!;
    assert.deepEqual(saved.runIds, ['run-s1', 'run-s2']);
    const { zoom, ...rest } = saved.curves!;
    assert.deepEqual(rest, { smoothing: 0.85, bands: true, lossScale: 'linear', fit: false, hidden: ['run-s1/b/train'] });
    assert.ok(zoom.x && zoom.lossY && !zoom.errorY, `zoomed x and the loss's y (${JSON.stringify(zoom)})`);
    const shown = { loss: await domainOf(session, 'loss-chart'), error: await domainOf(session, 'error-chart'), ticks: await session.page.locator('svg.loss-svg .x-axis .tick text').allTextContents() };
    await session.close();

    // VS Code destroys a hidden webview and builds it again from getState when it is shown; the extension sends the runs again.
    session = await pages.open(undefined, saved);
    await session.showRuns(runs);
    assert.equal(await session.page.locator('.smoothing-slider').inputValue(), '0.85');
    assert.equal(await session.page.locator('.smoothing-value').textContent(), '0.85');
    assert.equal(await session.page.locator('.log-toggle').isChecked(), false);
    assert.equal(await session.page.locator('.band-toggle').isChecked(), true);
    assert.equal(await session.page.locator('button.series-toggle[data-key="run-s1/b/train"]').getAttribute('aria-pressed'), 'false');
    assert.equal(await session.page.locator('path.series-band[data-chart="error"]').count(), 3, 'bands drawn, the hidden series left out');
    assert.equal(await session.page.locator('.loss-chart').getAttribute('data-scale'), 'linear');
    assert.deepEqual({ loss: await domainOf(session, 'loss-chart'), error: await domainOf(session, 'error-chart'), ticks: await session.page.locator('svg.loss-svg .x-axis .tick text').allTextContents() }, shown, 'the same zoom');
    assert.equal(await session.page.locator('button.zoom-reset').isDisabled(), false);
    assert.deepEqual((await session.state())?.curves, saved.curves, 'nothing lost by showing it');
    await session.screenshot('training-state-restored');
  });
});
