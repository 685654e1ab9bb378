// The curves page's gradient flow (webview/training/gradientChart.ts) in a real Chromium, fed
// what a real run logged: a residual net and its plain twin (deep and narrow: 24 blocks, 50 layers each)
// trained here with TF.js on WebAssembly, each evaluation's gradient norms read back from its
// run folder. Drawn from the folder at once (a past run), then streamed (a live run); a run
// logged before the norms existed says so.
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { planRun } from '../../core/training/plan';
import { TrainingSession } from '../../core/training/session';
import type { MetricPoint } from '../../core/training/types';
import type { RunView } from '../../protocol/training';
import { eachTrainingPage, TrainingPage } from './trainingHost';

const deepNarrow = (residual: boolean) => ({ kind: 'custom' as const, options: { blocks: [8, 8, 8], baseWidth: 4, blockType: 'basic' as const, stem: 'cifar' as const, inputSize: 32, classes: 10, residual } });

interface Panel {
  slot: string;
  title: string;
  lines: Array<{ step: number; points: number; latest: boolean; pathPoints: number }>;
  summary: string;
  yTicks: number;
}

function panels(session: TrainingPage): Promise<Panel[]> {
  return session.page.evaluate(() =>
    [...document.querySelectorAll<HTMLDivElement>('.gradient-net')].map((div) => ({
      slot: div.dataset.slot ?? '',
      title: div.querySelector('h3')?.textContent ?? '',
      lines: [...div.querySelectorAll<SVGPathElement>('path.gradient-line')].map((p) => ({
        step: Number(p.dataset.step),
        points: Number(p.dataset.points),
        latest: p.classList.contains('latest'),
        // Points in the path: one M or L per drawn value.
        pathPoints: (p.getAttribute('d') ?? '').match(/[ML]/g)?.length ?? 0,
      })),
      summary: div.querySelector('.gradient-summary')?.textContent ?? '',
      yTicks: div.querySelectorAll('.y-axis .tick').length,
    })),
  );
}

describe('gradient flow in the curves page, from a real run', () => {
  const pages = eachTrainingPage();
  let view: RunView;
  let root = '';

  before(async () => {
    root = fs.mkdtempSync(path.join(os.tmpdir(), 'resnet-lab-gradpage-'));
    const config = planRun({ nets: [deepNarrow(true), deepNarrow(false)], data: { kind: 'synthetic', trainSize: 256, testSize: 50 }, iterations: 30, batchSize: 32, seed: 3, backend: 'wasm' });
    const run = await TrainingSession.start(config, root);
    assert.equal(await run.finished, 'finished', run.statusDetail);
    view = { config, status: 'finished', backend: run.backend, statusDetail: 'finished 30 iterations', metrics: run.run.readMetrics() };
  });
  after(() => {
    fs.rmSync(root, { recursive: true, force: true });
  });

  const tests = (slot: 'a' | 'b') => view.metrics.filter((p) => p.slot === slot && p.split === 'test');

  test('a past run: one line per evaluation for each net, residual beside plain, every block drawn; the conv view too', async () => {
    const session = await pages.open({ width: 1200, height: 1500 });
    await session.showRuns([view]);
    await session.page.waitForSelector('.gradient-section[data-state="drawn"]');
    const evaluations = tests('a').length;
    assert.ok(evaluations >= 5, `${evaluations} evaluations logged`);
    const shown = await panels(session);
    assert.deepEqual(shown.map((p) => [p.slot, p.title]), [['a', view.config.nets[0].title], ['b', view.config.nets[1].title]]);
    const tops = await session.page.$$eval('.gradient-net', (divs) => divs.map((d) => Math.round(d.getBoundingClientRect().top)));
    assert.equal(tops[0], tops[1], 'residual beside plain');
    for (const panel of shown) {
      const logged = tests(panel.slot as 'a' | 'b');
      assert.deepEqual(panel.lines.map((l) => l.step), logged.map((p) => p.step), `${panel.title}: a line per evaluation`);
      assert.ok(panel.lines.every((l) => l.points === 24 && l.pathPoints === 24), `${panel.title}: 24 blocks on every line`);
      assert.deepEqual(panel.lines.filter((l) => l.latest).map((l) => l.step), [30]);
      assert.ok(panel.yTicks >= 2, 'a log axis with ticks');
      // The summary's numbers are the last evaluation's, as logged.
      const last = logged[logged.length - 1].gradients!.blocks;
      assert.ok(panel.summary.startsWith(`At iteration 30: ${last[0].toExponential(1).replace('e+', 'e')} at block 1, ${last[23].toExponential(1).replace('e+', 'e')} at block 24`), panel.summary);
    }
    assert.equal(await session.page.locator('.gradient-scale .scale-end').first().textContent(), `iteration ${tests('a')[0].step}`);
    await session.screenshot('training-gradient-flow-blocks');

    await session.page.click('.gradient-measure button[data-measure="convs"]');
    await session.page.waitForSelector('.gradient-section[data-measure="convs"]');
    const convs = await panels(session);
    assert.ok(convs.every((p) => p.lines.every((l) => l.points === 49)), 'the stem and 48 branch convs');
    assert.match(convs[0].summary, /at conv 1, .* at conv 49/);
    await session.screenshot('training-gradient-flow-convs');
    await session.setTheme('light');
    await session.screenshot('training-gradient-flow-convs-light');
  });

  test('a live run: the lines arrive with the metric points', async () => {
    const session = await pages.open({ width: 1200, height: 1500 });
    const halfway = (p: MetricPoint) => p.step <= 15;
    await session.showRuns([{ ...view, status: 'running', metrics: view.metrics.filter(halfway) }]);
    await session.page.waitForSelector('.gradient-section[data-state="drawn"]');
    const before = (await panels(session))[1].lines.length;
    assert.equal(before, tests('b').filter(halfway).length);
    await session.send({ type: 'appendMetrics', runId: view.config.id, points: view.metrics.filter((p) => !halfway(p)) });
    await session.page.waitForFunction((n) => document.querySelector('.gradient-net[data-slot="b"]')?.getAttribute('data-evaluations') === String(n), tests('b').length);
    assert.deepEqual((await panels(session))[1].lines.map((l) => l.step), tests('b').map((p) => p.step));
  });

  test('a run logged before gradient norms existed opens, and says it has none', async () => {
    const session = await pages.open();
    const old = view.metrics.map(({ gradients: _dropped, ...point }) => point);
    await session.showRuns([{ ...view, metrics: old }]);
    await session.page.waitForSelector('.gradient-section[data-state="empty"]');
    assert.match((await session.page.locator('.gradient-note').textContent()) ?? '', /No gradient norms logged/);
    assert.equal(await session.page.locator('.gradient-net').count(), 0);
    assert.ok((await session.page.locator('path.series-line').count()) > 0, 'its curves still draw');
  });
});
