// The inspector page's lesion study and gradient flow in a real Chromium, fed as the extension
// feeds it: a real (tiny) training run of ResNet-20 and plain-20, inspected at its checkpoint,
// and the analyses run by the real analysis worker thread (core/analysis/worker.ts, the same
// functions `resnet-lab analyze` runs), its progress and results passed to the page. The
// figures show what was computed: a bar per deletable block, × on plain-20's blocks that change
// the shape, each net's intact error across, the k-random curve, the swaps; ‖∂L/∂x‖ per block
// and ‖∂L/∂W‖ per conv on log scales. Cancel stops the thread and the page says so. Untrained
// nets cannot be analysed, and the page says why. Screenshots are saved.
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { Browser } from 'playwright-core';
import { AnalysisCancelled, RunningAnalysis, startAnalysis } from '../../core/analysis/client';
import type { GradientFlow, LesionStudy } from '../../core/analysis/types';
import { LESION_FINDING } from '../../core/analysis/types';
import { selectBackend } from '../../core/engine/backend';
import { formatPercent } from '../../core/format';
import { InspectionSession } from '../../core/inspect/session';
import { planRun } from '../../core/training/plan';
import { TrainingSession } from '../../core/training/session';
import type { FromInspectorPage, ShowImagesMessage, ShowInspectionMessage } from '../../protocol/inspector';
import { InspectorHost, InspectorPage, inspectPair, launchBrowser, startInspectorHost } from './inspectorHost';

/** Plays the extension's part: runs what the page asks for in the analysis worker, tells the page. */
function serveAnalyses(session: InspectorPage, runFolder: string, step: number): { results: { lesion?: LesionStudy; gradients?: GradientFlow }; progress: string[]; stop(): void } {
  const results: { lesion?: LesionStudy; gradients?: GradientFlow } = {};
  const progress: string[] = [];
  let running: RunningAnalysis | null = null;
  let seen = 0;
  let stopped = false;
  const poll = async () => {
    while (!stopped) {
      const posted = (await session.posted().catch(() => [])) as FromInspectorPage[];
      for (const message of posted.slice(seen)) {
        if (message.type === 'runAnalysis') {
          const kind = message.kind;
          running = startAnalysis({ kind, runFolder, step, images: message.images, backend: 'wasm' }, (text, fraction) => {
            progress.push(text);
            void session.send({ type: 'analysisProgress', kind, text, fraction });
          });
          running.result.then(
            (result) => {
              if (result.kind === 'lesion') results.lesion = result.study;
              else results.gradients = result.flow;
              void session.send(result.kind === 'lesion' ? { type: 'analysisResult', kind: 'lesion', lesion: result.study } : { type: 'analysisResult', kind: 'gradients', gradients: result.flow });
            },
            (error: Error) => void session.send({ type: 'analysisStopped', kind, outcome: error instanceof AnalysisCancelled ? 'cancelled' : 'failed', message: `The ${kind === 'lesion' ? 'lesion study' : 'gradient flow'} was cancelled: ${error.message}.` }),
          );
        } else if (message.type === 'cancelAnalysis') running?.cancel('you cancelled it');
      }
      seen = posted.length;
      await new Promise((done) => setTimeout(done, 50));
    }
  };
  void poll();
  return { results, progress, stop: () => (stopped = true) };
}

describe('inspector page: lesion study and gradient flow', () => {
  let browser: Browser;
  let host: InspectorHost;
  let root: string;
  let runFolder: string;
  let images: ShowImagesMessage;
  let inspection: ShowInspectionMessage;

  before(async () => {
    await selectBackend('wasm');
    root = fs.mkdtempSync(path.join(os.tmpdir(), 'resnet-lab-inspector-analysis-'));
    const config = planRun({ nets: [{ kind: 'named', name: 'resnet20' }, { kind: 'named', name: 'resnet20', plain: true }], data: { kind: 'synthetic', trainSize: 64, testSize: 40 }, iterations: 6, batchSize: 16, seed: 3, backend: 'wasm' });
    const training = await TrainingSession.start(config, root);
    assert.equal(await training.finished, 'finished', training.statusDetail);
    runFolder = training.run.folder;
    const opened = await InspectionSession.open({ kind: 'run', runFolder, step: 6 });
    try {
      const { image, nets } = opened.inspect(0);
      images = { type: 'showImages', ...opened.images() };
      inspection = { type: 'showInspection', image, nets, live: false, source: { runFolder, step: 6 } };
    } finally {
      opened.dispose();
    }
    host = await startInspectorHost();
    browser = await launchBrowser();
  });
  after(async () => {
    await browser?.close();
    await host?.close();
    if (root) fs.rmSync(root, { recursive: true, force: true });
  });

  test('the lesion study and the gradient flow of the checkpoint shown: progress, then the figures of both nets, as computed', async () => {
    const session = await InspectorPage.open(browser, host, { width: 1200, height: 1400 });
    const served = serveAnalyses(session, runFolder, 6);
    try {
      await session.send(images);
      await session.send(inspection);
      await session.page.waitForFunction(() => document.getElementById('app')?.dataset.block === 'conv2_1');
      const page = session.page;
      assert.equal(await page.locator('.run-lesion').isDisabled(), false, 'a run can be analysed');

      await page.locator('.images-input').fill('40');
      await page.locator('.run-lesion').click();
      const asked = await session.waitForPosted((m) => m.type === 'runAnalysis');
      assert.deepEqual(asked, { type: 'runAnalysis', kind: 'lesion', images: 40 });
      assert.equal(await page.locator('.analysis').getAttribute('data-state'), 'running');
      assert.equal(await page.locator('.run-gradients').isDisabled(), true, 'one analysis at a time');
      assert.equal(await page.locator('.cancel-analysis').isVisible(), true, 'Cancel is offered while it runs');
      await page.waitForFunction(() => document.querySelector('.analysis')?.getAttribute('data-state') === 'done', null, { timeout: 240_000 });
      const study = served.results.lesion!;
      assert.ok(served.progress.some((t) => /ResNet-20: \d+\/40 images/.test(t)), `progress was passed on: ${served.progress.join(' | ')}`);
      assert.deepEqual(study.nets.map((n) => [n.title, n.step]), [['ResNet-20', 6], ['plain-20', 6]]);

      // (a) one block deleted: a bar per deletable block per net, with the computed error; × where impossible.
      for (const [n, net] of study.nets.entries()) {
        const series = page.locator(`.lesion-single .analysis-series.series-${n}`);
        assert.equal(await series.getAttribute('data-net'), net.title);
        const bars = await series.locator('.analysis-bar').evaluateAll((els) => els.map((e) => [e.getAttribute('data-item'), Number(e.getAttribute('data-value'))]));
        assert.deepEqual(bars, net.blocks.filter((b) => b.error !== null).map((b) => [b.blockId, b.error]), `${net.title}: a bar per block`);
        // In the net's own colour, as its column title (webview/netPalette.ts): ResNet-20 blue, plain-20 red.
        const fill = await series.locator('.analysis-bar').first().evaluate((e) => getComputedStyle(e).fill);
        const titleColor = await page.locator('.net-title').nth(n).evaluate((e) => getComputedStyle(e).color);
        assert.equal(fill, titleColor, `${net.title}: its bars in its colour`);
        assert.equal(fill, ['rgb(55, 148, 255)', 'rgb(241, 76, 76)'][n]);
        const crosses = await series.locator('.impossible').evaluateAll((els) => els.map((e) => e.getAttribute('data-item')));
        assert.deepEqual(crosses, net.blocks.filter((b) => b.error === null).map((b) => b.blockId));
        assert.equal(Number(await series.locator('.baseline').getAttribute('data-value')), net.baselineError, 'the intact error is drawn');
      }
      assert.deepEqual(study.nets[1].blocks.filter((b) => b.error === null).map((b) => b.blockId), ['conv3_1', 'conv4_1'], 'plain-20 cannot lose its downsampling blocks');
      assert.deepEqual(study.nets[0].blocks.filter((b) => b.error === null), [], 'ResNet-20 can lose any block');
      const summaries = await page.locator('.lesion-summary').allTextContents();
      assert.ok(summaries[0].startsWith(`ResNet-20: intact ${formatPercent(study.nets[0].baselineError)}`), summaries[0]);
      assert.match(summaries[1], /conv3_1, conv4_1 change the shape and cannot be removed from a plain net \(marked ×\)/);
      assert.equal(await page.locator('.analysis-finding').textContent(), LESION_FINDING);

      // (b) k random blocks: the mean per k, k = 0 the intact net.
      for (const [n, net] of study.nets.entries()) {
        const means = await page.locator(`.lesion-random .series-${n} .analysis-point`).evaluateAll((els) => els.map((e) => [Number(e.getAttribute('data-x')), Number(e.getAttribute('data-value'))]));
        assert.deepEqual(means, net.random.points.map((p) => [p.k, p.mean]));
        assert.equal(means[0][1], net.baselineError);
        assert.equal(await page.locator(`.lesion-random .series-${n} .draw`).count(), net.random.points.reduce((s, p) => s + p.errors.length, 0), 'each draw as a dot');
      }
      // (c) swaps: a bar per pair that can swap, × where not.
      for (const [n, net] of study.nets.entries()) {
        const bars = await page.locator(`.lesion-swaps .series-${n} .analysis-bar`).evaluateAll((els) => els.map((e) => [e.getAttribute('data-item'), Number(e.getAttribute('data-value'))]));
        assert.deepEqual(bars, net.swaps.filter((s) => s.error !== null).map((s) => [s.blocks.join(' ↔ '), s.error]));
        assert.equal(await page.locator(`.lesion-swaps .series-${n} .impossible`).count(), net.swaps.filter((s) => s.error === null).length);
      }

      await page.locator('.run-gradients').click();
      await page.waitForFunction(() => document.querySelector('.analysis')?.getAttribute('data-state') === 'done' && !document.querySelector<HTMLElement>('.gradient-view')!.hidden, null, { timeout: 240_000 });
      const flow = served.results.gradients!;
      for (const [n, net] of flow.nets.entries()) {
        const blocks = await page.locator(`.gradient-blocks .series-${n} .analysis-point`).evaluateAll((els) => els.map((e) => [e.getAttribute('data-item'), Number(e.getAttribute('data-value'))]));
        assert.deepEqual(blocks, net.blocks.map((b) => [b.blockId, b.inputGradNorm]), `${net.title}: ‖∂L/∂x‖ per block`);
        const convs = await page.locator(`.gradient-convs .series-${n} .analysis-point`).count();
        assert.equal(convs, net.convs.length, `${net.title}: ‖∂L/∂W‖ per conv`);
        assert.equal(net.convs.length, 19);
      }
      assert.equal(await page.locator('.lesion-view').isVisible(), true, 'the lesion figures stay');
      await page.locator('.analysis').scrollIntoViewIfNeeded();
      await session.screenshot('inspector-analysis');
      await session.assertNoProblems();
    } finally {
      served.stop();
      await session.close();
    }
  });

  test('Cancel stops the run and the page says it was cancelled; untrained nets cannot be analysed and the page says why', async () => {
    const session = await InspectorPage.open(browser, host);
    const served = serveAnalyses(session, runFolder, 6);
    try {
      await session.send(images);
      await session.send(inspection);
      const page = session.page;
      await page.locator('.run-lesion').click();
      await session.waitForPosted((m) => m.type === 'runAnalysis');
      await page.locator('.cancel-analysis').click();
      await session.waitForPosted((m) => m.type === 'cancelAnalysis');
      await page.waitForFunction(() => document.querySelector('.analysis')?.getAttribute('data-state') === 'cancelled', null, { timeout: 30_000 });
      assert.match((await page.locator('.analysis-status').textContent()) ?? '', /lesion study was cancelled: you cancelled it/);
      assert.equal(await page.locator('.lesion-view').isVisible(), false, 'nothing half-done is shown');
      assert.equal(await page.locator('.run-lesion').isDisabled(), false, 'it can run again');
      assert.equal(served.results.lesion, undefined);

      const { inspection: untrained } = await inspectPair('resnet20', 0);
      await session.send(untrained);
      assert.equal(await page.locator('.run-lesion').isDisabled(), true);
      assert.equal(await page.locator('.run-gradients').isDisabled(), true);
      assert.match((await page.locator('.analysis-intro').textContent()) ?? '', /need a run’s trained weights/);
      await session.assertNoProblems();
    } finally {
      served.stop();
      await session.close();
    }
  });
});
