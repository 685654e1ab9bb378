// The per-stage charts: bars ordered as core's figures, the metric switch, exact values on
// hover, the comparison as a second series, and the picker asking for another model.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { formatCount } from '../../core/format';
import { COMPARE_CHOICES, eachArchitecturePage, named, PageSession, report, showMessage } from './host';

interface DrawnBar {
  stage: string;
  series: string;
  value: number;
  height: number;
}

const drawnBars = (session: PageSession): Promise<DrawnBar[]> =>
  session.page.$$eval('rect.bar', (rects) =>
    rects.map((r) => ({ stage: r.getAttribute('data-stage-id')!, series: r.getAttribute('data-series')!, value: Number(r.getAttribute('data-value')), height: Number(r.getAttribute('height')) })),
  );

/** Every pair of bars is ordered (and tied) exactly as the figures are. */
function assertHeightsFollow(bars: DrawnBar[], figure: (bar: DrawnBar) => number): void {
  for (const a of bars) {
    for (const b of bars) {
      const [fa, fb] = [figure(a), figure(b)];
      if (fa > fb) assert.ok(a.height > b.height, `${a.series} ${a.stage} (${fa}) should be taller than ${b.series} ${b.stage} (${fb})`);
      if (fa === fb) assert.ok(Math.abs(a.height - b.height) < 1e-6, `${a.stage} and ${b.stage} have equal figures`);
    }
  }
}

describe('stage charts', () => {
  let session: PageSession;
  eachArchitecturePage((s) => (session = s));

  test('one bar per stage, ordered as core orders the stages by multiply-adds', async () => {
    const resnet34 = report(named('resnet34'));
    await session.show(showMessage(named('resnet34')));
    const bars = await drawnBars(session);
    assert.deepEqual(bars.map((b) => b.stage), resnet34.costs.stages.map((s) => s.id));
    const flops = new Map(resnet34.costs.stages.map((s) => [s.id, s.flops]));
    assertHeightsFollow(bars, (b) => flops.get(b.stage)!);
    assert.deepEqual([...bars].sort((a, b) => b.height - a.height).map((b) => b.stage), [...resnet34.costs.stages].sort((a, b) => b.flops - a.flops).map((s) => s.id));
    // ResNet-56: conv3_x and conv4_x have the same multiply-adds, so the same height.
    await session.show(showMessage(named('resnet56')));
    const resnet56 = new Map(report(named('resnet56')).costs.stages.map((s) => [s.id, s.flops]));
    assertHeightsFollow(await drawnBars(session), (b) => resnet56.get(b.stage)!);
  });

  test('the switch draws parameters and activation memory from core', async () => {
    const resnet50 = report(named('resnet50'));
    await session.show(showMessage(named('resnet50')));
    await session.page.click('.metric-switch button[data-metric="params"]');
    assert.equal(await session.page.getAttribute('.metric-switch button[data-metric="params"]', 'aria-checked'), 'true');
    const params = new Map(resnet50.costs.stages.map((s) => [s.id, s.params]));
    const bars = await drawnBars(session);
    assert.deepEqual(bars.map((b) => b.value), resnet50.costs.stages.map((s) => s.params));
    assertHeightsFollow(bars, (b) => params.get(b.stage)!);
    await session.page.click('.metric-switch button[data-metric="activations"]');
    assert.deepEqual((await drawnBars(session)).map((b) => b.value), resnet50.costs.stages.map((s) => s.activations));
    await session.screenshot('stage-charts-activations-dark');
  });

  test('hovering a bar shows its exact value', async () => {
    const resnet110 = report(named('resnet110'));
    await session.show(showMessage(named('resnet110')));
    assert.equal(await session.page.isHidden('.chart-tooltip'), true);
    await session.page.hover('rect.bar[data-stage-id="conv3_x"]');
    await session.page.waitForSelector('.chart-tooltip:not([hidden])');
    const text = (await session.page.textContent('.chart-tooltip')) ?? '';
    const conv3 = resnet110.costs.stages.find((s) => s.id === 'conv3_x')!;
    assert.ok(text.includes(`ResNet-110 · ${conv3.title}`), text);
    assert.ok(text.includes(`${formatCount(conv3.flops)} multiply-adds`), text);
    await session.screenshot('stage-charts-hover-dark');
    await session.page.mouse.move(5, 5);
    await session.page.waitForSelector('.chart-tooltip[hidden]', { state: 'attached' });
  });

  test('compare mode draws a second series beside the first', async () => {
    await session.setTheme('light');
    const resnet34 = report(named('resnet34'));
    const resnet50 = report(named('resnet50'));
    await session.show(showMessage(named('resnet34'), named('resnet50')));
    const bars = await drawnBars(session);
    assert.deepEqual(bars.filter((b) => b.series === 'primary').map((b) => b.value), resnet34.costs.stages.map((s) => s.flops));
    assert.deepEqual(bars.filter((b) => b.series === 'compare').map((b) => b.value), resnet50.costs.stages.map((s) => s.flops));
    const flops = (b: DrawnBar) => (b.series === 'primary' ? resnet34 : resnet50).costs.stages.find((s) => s.id === b.stage)!.flops;
    assertHeightsFollow(bars, flops);
    // Grouped: each compare bar sits right of its stage's primary bar.
    const x = await session.page.$$eval('rect.bar', (rects) => rects.map((r) => `${r.getAttribute('data-series')}:${r.getAttribute('data-stage-id')}:${r.getAttribute('x')}`));
    for (const stage of resnet34.costs.stages) {
      const at = (series: string) => Number(x.find((e) => e.startsWith(`${series}:${stage.id}:`))!.split(':')[2]);
      assert.ok(at('compare') > at('primary'));
    }
    assert.deepEqual(await session.page.$$eval('svg.chart g.legend-item text', (items) => items.map((i) => i.textContent)), ['ResNet-34: 3.66 G in all', 'ResNet-50: 3.86 G in all']);
    await session.page.hover('rect.bar[data-series="compare"][data-stage-id="conv4_x"]');
    assert.ok(((await session.page.textContent('.chart-tooltip')) ?? '').includes(formatCount(resnet50.costs.stages.find((s) => s.id === 'conv4_x')!.flops)));
    await session.screenshot('stage-charts-compare-light');
  });

  test('models with different stages are compared stage by stage', async () => {
    await session.show(showMessage(named('resnet56'), named('resnet34')));
    const bars = await drawnBars(session);
    assert.equal(bars.filter((b) => b.series === 'primary').length, 5);
    assert.equal(bars.filter((b) => b.series === 'compare').length, 6);
    assert.deepEqual(await session.page.$$eval('.x-axis .tick text', (t) => t.map((e) => e.textContent)), ['conv1 (32×32)', 'conv2_x (32×32)', 'conv3_x (16×16)', 'conv4_x (8×8)', 'fc (avg pool, fc)', 'conv5_x (7×7)']);
  });

  test('the picker posts setCompare with the chosen model, or null', async () => {
    await session.show(showMessage(named('resnet56'), COMPARE_CHOICES[0].request));
    assert.equal(await session.page.$eval('select.compare-select', (s) => (s as HTMLSelectElement).selectedOptions[0].textContent), 'plain-56');
    await session.page.selectOption('select.compare-select', { label: 'ResNet-110' });
    const chosen = await session.waitForPosted((m) => m.type === 'setCompare');
    assert.deepEqual(chosen, { type: 'setCompare', request: named('resnet110') });
    await session.clearPosted();
    await session.page.selectOption('select.compare-select', { label: 'No comparison' });
    assert.deepEqual(await session.waitForPosted((m) => m.type === 'setCompare'), { type: 'setCompare', request: null });
  });

  test('axis ticks: one SI prefix and one precision for counts, round steps of one binary unit for memory', async () => {
    const ticks = () => session.page.$$eval('.y-axis .tick text', (t) => t.map((e) => e.textContent ?? ''));
    await session.show(showMessage(named('resnet1202')));
    const flops = await ticks();
    assert.ok(flops.length >= 3, flops.join(' | '));
    assert.ok(flops.every((t) => /^\d+(\.\d+)? G$/.test(t)), `one prefix: ${flops.join(' | ')}`);
    assert.equal(new Set(flops.map((t) => t.split(' ')[0].split('.')[1]?.length ?? 0)).size, 1, `one precision: ${flops.join(' | ')}`);
    await session.page.click('.metric-switch button[data-metric="params"]');
    const params = await ticks();
    assert.ok(params.every((t) => /^\d+(\.\d+)? M$/.test(t)), `parameters in M: ${params.join(' | ')}`);
    await session.page.click('.metric-switch button[data-metric="activations"]');
    const memory = await ticks();
    assert.ok(memory.every((t) => /^\d+ MiB$/.test(t)), `memory in whole MiB: ${memory.join(' | ')}`);
    const values = memory.map((t) => Number(t.split(' ')[0]));
    const step = values[1] - values[0];
    assert.ok([1, 2, 5].some((m) => Number.isInteger(Math.log10(step / m))), `a round step: ${memory.join(' | ')}`);
    assert.ok(values.every((v, i) => v === values[0] + i * step), memory.join(' | '));
    // The bars stand where their exact values lie on that axis.
    const axis = await session.page.$$eval('.y-axis .tick', (t) => t.map((e) => ({ text: e.textContent ?? '', y: Number(/translate\(0,([\d.]+)\)/.exec(e.getAttribute('transform') ?? '')?.[1]) })));
    const mib = (b: DrawnBar) => (b.value * 4) / 2 ** 20;
    const [zero, top] = [axis[0], axis[axis.length - 1]];
    const perMib = (zero.y - top.y) / (Number(top.text.split(' ')[0]) - Number(zero.text.split(' ')[0]));
    for (const bar of await drawnBars(session)) assert.ok(Math.abs(bar.height - mib(bar) * perMib) < 0.5, `${bar.stage}: ${bar.height} px for ${mib(bar).toFixed(2)} MiB`);
    console.log(`# ticks, ResNet-1202: ${flops.join(', ')} · ${params.join(', ')} · ${memory.join(', ')}`);
    await session.screenshot('stage-charts-memory-ticks-dark');
  });
});
