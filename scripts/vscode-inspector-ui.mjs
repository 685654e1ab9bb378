// The "ui-inspector" suite of scripts/vscode-tests.mjs: "ResNet Lab: Inspect Blocks" as a user
// runs it from the palette on a trained checkpoint (a tiny real run of ResNet-20 and plain-20,
// trained here first), then three blocks stepped with the arrow keys in the webview, one more
// with the Next Block keybinding (Shift+Alt+→), and a screenshot; a window reload brings the
// inspector back on the same block; then a right-click on a block of the architecture diagram
// → "Inspect This Block" → the run's latest weights opens the inspector on that block. Then, on a
// short real CIFAR-10 run of ResNet-20 and plain-20 (trained here meanwhile), the inspector at its
// last checkpoint runs the lesion study and the gradient flow from its buttons: the figures
// appear (a screenshot), their numbers equal `resnet-lab analyze --json` for the same checkpoint,
// and the intact error equals the test error the run logged at that step.
import { execFile } from 'node:child_process';
import { createRequire } from 'node:module';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const require = createRequire(import.meta.url);

/** Trains ResNet-20 and plain-20 for 4 steps on the embedded data into the workspace's runs folder. */
async function trainTinyRun(workspace) {
  const { planRun } = require(path.join(root, 'out/core/training/plan.js'));
  const { TrainingSession } = require(path.join(root, 'out/core/training/session.js'));
  const { RUNS_FOLDER } = require(path.join(root, 'out/core/training/runFolder.js'));
  const config = planRun({ nets: [{ kind: 'named', name: 'resnet20' }, { kind: 'named', name: 'resnet20', plain: true }], data: { kind: 'synthetic', trainSize: 64, testSize: 16 }, iterations: 4, batchSize: 16, seed: 2, backend: 'wasm' });
  const session = await TrainingSession.start(config, path.join(workspace, RUNS_FOLDER), { workerPath: path.join(root, 'dist/trainWorker.js') });
  const status = await session.finished;
  if (status !== 'finished') throw new Error(`the tiny training run ended ${status}: ${session.statusDetail}`);
  return session.run;
}

/** Test images the lesion study of the CIFAR-10 run uses (all of its test images). */
const LESION_IMAGES = 200;

/** Starts training ResNet-20 and plain-20 on real CIFAR-10 (384 training images, 150 iterations of 16) into the runs folder. */
async function startCifarRun(workspace) {
  const { planRun } = require(path.join(root, 'out/core/training/plan.js'));
  const { TrainingSession } = require(path.join(root, 'out/core/training/session.js'));
  const { RUNS_FOLDER } = require(path.join(root, 'out/core/training/runFolder.js'));
  const { extractedCifar10 } = require(path.join(root, 'out/test/unit/dataSupport.js'));
  const location = await extractedCifar10();
  const config = planRun({ nets: [{ kind: 'named', name: 'resnet20' }, { kind: 'named', name: 'resnet20', plain: true }], data: { kind: 'cifar10', location, trainSize: 384, testSize: LESION_IMAGES }, iterations: 150, batchSize: 16, seed: 4, backend: 'wasm' });
  return TrainingSession.start(config, path.join(workspace, RUNS_FOLDER), { workerPath: path.join(root, 'dist/trainWorker.js') });
}

/** `resnet-lab analyze RUN --lesion --gradients --json` at the checkpoint, as a user would run it. */
function analyzeJson(runFolder, step) {
  return new Promise((resolve, reject) => {
    execFile(process.execPath, [path.join(root, 'dist/cli.js'), 'analyze', runFolder, '--lesion', '--gradients', '--images', String(LESION_IMAGES), '--checkpoint', String(step), '--json'], { maxBuffer: 64 << 20 }, (error, stdout, stderr) => {
      if (error) reject(new Error(`resnet-lab analyze failed: ${stderr || error.message}`));
      else resolve(JSON.parse(stdout));
    });
  });
}

/** Waits until the inspector's analysis section says done (or fails with what it says). */
async function analysisDone(frame, what, timeoutMs) {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const state = await frame.locator('.analysis').getAttribute('data-state');
    if (state === 'done') return;
    if (state === 'cancelled' || state === 'failed') throw new Error(`${what} ended ${state}: ${await frame.locator('.analysis-status').textContent()}`);
    await frame.page().waitForTimeout(500);
  }
  throw new Error(`${what} did not finish within ${timeoutMs / 1000} s (${await frame.locator('.analysis-status').textContent()})`);
}

/** The values a chart shows per net: [[data-item, data-value], …] of each series' marks. */
function chartValues(frame, chart, mark) {
  return frame.locator(`.${chart} .analysis-series`).evaluateAll(
    (series, m) => series.map((s) => ({ net: s.getAttribute('data-net'), marks: [...s.querySelectorAll(m)].map((e) => [e.getAttribute('data-item') ?? e.getAttribute('data-x'), Number(e.getAttribute('data-value'))]) })),
    mark,
  );
}

async function inspectorFrame(page, timeoutMs = 60_000) {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    for (const frame of page.frames()) {
      const block = await frame.locator('#app').first().getAttribute('data-block', { timeout: 200 }).catch(() => null);
      if (block && (await frame.locator('.inspector-header').count().catch(() => 0)) > 0) return frame;
    }
    await page.waitForTimeout(250);
  }
  throw new Error(`no inspector page shows a block within ${timeoutMs / 1000} s`);
}

async function waitForBlock(frame, blockId, what) {
  const deadline = Date.now() + 15_000;
  let shown = null;
  while (Date.now() < deadline) {
    shown = await frame.locator('#app').getAttribute('data-block');
    const cell = await frame.locator('.block-cell.current').getAttribute('data-block').catch(() => null);
    if (shown === blockId && cell === blockId) return;
    await frame.page().waitForTimeout(100);
  }
  throw new Error(`${what}: the page shows ${shown}, not ${blockId}`);
}

export async function inspectorUiSuite(browser, port, dir, { runFromPalette, pickQuickInputRow, webviewFrameShowing, say, resultsDir, expect }) {
  const context = await browser.newContext({ viewport: { width: 1500, height: 1000 } });
  const page = await context.newPage();
  const steps = [];
  let cifarSession = null;
  const step = (text) => {
    steps.push(text);
    say(`  ui-inspector: ${text}`);
  };
  try {
    const workspace = path.join(dir, 'workspace');
    const run = await trainTinyRun(workspace);
    step(`trained ${run.id} for 4 steps (checkpoint at step ${run.latestCheckpoint('a').step})`);
    await page.goto(`http://127.0.0.1:${port}/?folder=${encodeURIComponent(workspace)}`);
    await page.locator('.monaco-workbench .part.statusbar').waitFor({ state: 'visible', timeout: 60_000 });
    // Trains while the steps below run (once the workbench has loaded); awaited before the lesion study.
    const starting = startCifarRun(workspace);
    starting.then((session) => (cifarSession = session), () => {});

    await runFromPalette(page, 'ResNet Lab: Inspect Blocks');
    const widget = page.locator('.quick-input-widget');
    await widget.locator('.quick-input-title', { hasText: 'Inspect Blocks' }).waitFor({ timeout: 10_000 });
    await pickQuickInputRow(page, run.id, 'ResNet-20 vs plain-20');
    await widget.locator('.quick-input-box input[placeholder*="Which weights"]').waitFor({ timeout: 10_000 });
    await pickQuickInputRow(page, 'step 4', 'Checkpoint at step 4');
    step('picked the run and its checkpoint at step 4 from the palette');

    const frame = await inspectorFrame(page);
    await waitForBlock(frame, 'conv2_1', 'on opening');
    const titles = await frame.locator('.net-column .net-title').allTextContents();
    expect(titles.join(' | ') === 'ResNet-20 | plain-20', `the columns show ${titles.join(' | ')}`);
    const source = await frame.locator('.net-column .net-source').first().textContent();
    expect(/checkpoint at step 4/.test(source ?? ''), `the weights are from "${source}"`);
    step(`the inspector shows ${titles.join(' beside ')} (${source})`);

    await frame.locator('.image-title').click();
    for (const blockId of ['conv2_2', 'conv2_3', 'conv3_1']) {
      await page.keyboard.press('ArrowRight');
      await waitForBlock(frame, blockId, 'after ArrowRight');
    }
    step('three ArrowRight presses in the webview: conv2_1 → conv2_2 → conv2_3 → conv3_1, the strip in step');
    await page.keyboard.press('Shift+Alt+ArrowRight');
    await waitForBlock(frame, 'conv3_2', 'after the Next Block keybinding (Shift+Alt+→)');
    step('the Next Block keybinding (Shift+Alt+→) moved on to conv3_2');
    await page.screenshot({ path: path.join(resultsDir, 'ui-inspector.png') });
    step('screenshot test-results/vscode/ui-inspector.png');

    const reloaded = page.waitForEvent('load', { timeout: 60_000 });
    await runFromPalette(page, 'Developer: Reload Window');
    await reloaded;
    await page.locator('.monaco-workbench .part.statusbar').waitFor({ state: 'visible', timeout: 60_000 });
    await page.locator('.tabs-container .tab', { hasText: 'Inspect Blocks' }).waitFor({ timeout: 30_000 });
    const revived = await inspectorFrame(page);
    await waitForBlock(revived, 'conv3_2', 'after the window reload');
    const revivedSource = await revived.locator('.net-column .net-source').first().textContent();
    expect(/checkpoint at step 4/.test(revivedSource ?? ''), `after the reload the weights are from "${revivedSource}"`);
    step('after a window reload the inspector is back on conv3_2 with the same checkpoint');

    await runFromPalette(page, 'ResNet Lab: Show Architecture');
    await widget.locator('.quick-input-box input').waitFor({ state: 'visible', timeout: 10_000 });
    await pickQuickInputRow(page, 'ResNet-20', 'ResNet-20');
    await widget.locator('.quick-input-title', { hasText: 'shortcut option' }).waitFor({ timeout: 10_000 });
    await page.keyboard.press('Enter');
    const diagram = await webviewFrameShowing(page, 'ResNet-20');
    const block = diagram.locator('g.item.block[data-block-id="conv4_2"]');
    await block.waitFor({ timeout: 15_000 });
    const menuItem = page.locator('.context-view .action-item', { hasText: 'Inspect This Block' });
    const pickTitle = widget.locator('.quick-input-title', { hasText: 'Inspect conv4_2' });
    // The workbench's menus ignore a click that comes right after they open; try again if so.
    for (let attempt = 1; ; attempt++) {
      if (!(await menuItem.isVisible())) await block.click({ button: 'right' });
      await menuItem.waitFor({ state: 'visible', timeout: 10_000 });
      await page.waitForTimeout(300);
      await menuItem.click();
      const picked = await pickTitle.waitFor({ timeout: 5_000 }).then(() => true, () => false);
      if (picked) break;
      if (attempt === 3) throw new Error('"Inspect This Block" in the context menu did not open the run pick after 3 clicks');
      say(`  ui-inspector: the context menu did not take the click (try ${attempt}); again`);
    }
    await pickQuickInputRow(page, run.id, 'ResNet-20 vs plain-20');
    step('right-clicked conv4_2 in the ResNet-20 diagram → "Inspect This Block" → the tiny run');
    const fromDiagram = await inspectorFrame(page);
    await waitForBlock(fromDiagram, 'conv4_2', 'opened from the diagram');
    const diagramSource = await fromDiagram.locator('.net-column .net-source').first().textContent();
    expect(/step 4/.test(diagramSource ?? ''), `from the diagram the weights are from "${diagramSource}"`);
    await page.screenshot({ path: path.join(resultsDir, 'ui-inspector-from-diagram.png') });
    step(`the inspector shows conv4_2 (${diagramSource}); screenshot test-results/vscode/ui-inspector-from-diagram.png`);

    const cifarTraining = await starting;
    const status = await cifarTraining.finished;
    if (status !== 'finished') throw new Error(`the CIFAR-10 training run ended ${status}: ${cifarTraining.statusDetail}`);
    const cifar = cifarTraining.run;
    const last = cifar.latestCheckpoint('a').step;
    step(`trained ${cifar.id} on real CIFAR-10 (384 images, ${last} iterations)`);
    const cli = analyzeJson(cifar.folder, last);
    cli.catch(() => {});
    await runFromPalette(page, 'ResNet Lab: Inspect Blocks');
    await widget.locator('.quick-input-title', { hasText: 'Inspect Blocks' }).waitFor({ timeout: 10_000 });
    await pickQuickInputRow(page, cifar.id, 'ResNet-20 vs plain-20');
    await widget.locator('.quick-input-box input[placeholder*="Which weights"]').waitFor({ timeout: 10_000 });
    await pickQuickInputRow(page, `step ${last}`, `Checkpoint at step ${last}`);
    const analysed = await inspectorFrame(page);
    const sourceDeadline = Date.now() + 60_000;
    while (!new RegExp(`${cifar.id}.*checkpoint at step ${last}`).test((await analysed.locator('.net-column .net-source').first().textContent()) ?? '')) {
      if (Date.now() > sourceDeadline) throw new Error(`the inspector does not show ${cifar.id} at step ${last}`);
      await page.waitForTimeout(250);
    }
    await analysed.locator('.images-input').fill(String(LESION_IMAGES));
    await analysed.locator('.run-lesion').click();
    await analysisDone(analysed, 'the lesion study', 600_000);
    await analysed.locator('.run-gradients').click();
    await analysisDone(analysed, 'the gradient flow', 300_000);
    step('Run lesion study (200 test images) and Run gradient flow in the inspector: both done');

    const shown = {
      single: await chartValues(analysed, 'lesion-single', '.analysis-bar'),
      baselines: await analysed.locator('.lesion-single .baseline').evaluateAll((ls) => ls.map((l) => Number(l.getAttribute('data-value')))),
      crosses: await analysed.locator('.lesion-single .impossible').evaluateAll((ls) => ls.map((l) => l.getAttribute('data-item'))),
      random: await chartValues(analysed, 'lesion-random', '.analysis-point'),
      swaps: await chartValues(analysed, 'lesion-swaps', '.analysis-bar'),
      gradients: await chartValues(analysed, 'gradient-blocks', '.analysis-point'),
      kernels: await chartValues(analysed, 'gradient-convs', '.analysis-point'),
    };
    await analysed.locator('.lesion-view .analysis-subheading').evaluate((h) => h.scrollIntoView({ block: 'start' }));
    await page.screenshot({ path: path.join(resultsDir, 'ui-inspector-lesion.png') });
    await analysed.locator('.gradient-view .analysis-subheading').evaluate((h) => h.scrollIntoView({ block: 'start' }));
    await page.screenshot({ path: path.join(resultsDir, 'ui-inspector-gradients.png') });
    step('screenshots test-results/vscode/ui-inspector-lesion.png and ui-inspector-gradients.png');

    const { lesion, gradients } = await cli;
    const same = (a, b) => JSON.stringify(a) === JSON.stringify(b);
    expect(same(shown.single, lesion.nets.map((n) => ({ net: n.title, marks: n.blocks.filter((b) => b.error !== null).map((b) => [b.blockId, b.error]) }))), `one block deleted: the page shows ${JSON.stringify(shown.single)}, analyze --json says ${JSON.stringify(lesion.nets.map((n) => n.blocks))}`);
    expect(same(shown.baselines, lesion.nets.map((n) => n.baselineError)), `intact errors: page ${shown.baselines}, analyze ${lesion.nets.map((n) => n.baselineError)}`);
    expect(same(shown.crosses, ['conv3_1', 'conv4_1']), `plain-20's blocks marked as not removable: ${shown.crosses}`);
    expect(same(shown.random, lesion.nets.map((n) => ({ net: n.title, marks: n.random.points.map((p) => [String(p.k), p.mean]) }))), `k random blocks: the page shows ${JSON.stringify(shown.random)}`);
    expect(same(shown.swaps, lesion.nets.map((n) => ({ net: n.title, marks: n.swaps.filter((w) => w.error !== null).map((w) => [w.blocks.join(' ↔ '), w.error]) }))), `swaps: the page shows ${JSON.stringify(shown.swaps)}`);
    // Gradient norms: the same batches and kernels; within 1e-6 relative (summation order may differ between thread counts).
    const close = (a, b) => Math.abs(a - b) <= 1e-6 * Math.max(Math.abs(a), Math.abs(b));
    for (const [n, net] of gradients.nets.entries()) {
      const blocks = shown.gradients[n].marks;
      expect(shown.gradients[n].net === net.title && blocks.length === net.blocks.length && blocks.every(([id, v], i) => id === net.blocks[i].blockId && close(v, net.blocks[i].inputGradNorm)), `${net.title} ‖∂L/∂x‖: page ${JSON.stringify(blocks)}, analyze ${JSON.stringify(net.blocks)}`);
      const kernels = shown.kernels[n].marks;
      expect(kernels.length === net.convs.length && kernels.every(([id, v], i) => id === net.convs[i].convId && close(v, net.convs[i].kernelGradNorm)), `${net.title} ‖∂L/∂W‖: page ${JSON.stringify(kernels)}`);
    }
    const { RunFolder } = require(path.join(root, 'out/core/training/runFolder.js'));
    const metrics = RunFolder.open(cifar.folder).readMetrics();
    for (const net of lesion.nets) {
      const logged = metrics.find((p) => p.slot === net.slot && p.split === 'test' && p.step === last);
      expect(logged !== undefined && logged.error === net.baselineError, `${net.title}: intact error ${net.baselineError}, the run logged ${logged?.error} at step ${last}`);
    }
    const [resnet, plain] = lesion.nets;
    const mean = (net) => net.blocks.filter((b) => b.error !== null).reduce((s, b, _, all) => s + b.error / all.length, 0);
    step(`the figures equal resnet-lab analyze --json at step ${last}; intact = the logged test error (ResNet-20 ${resnet.baselineError}, plain-20 ${plain.baselineError}; one block deleted, mean ${mean(resnet).toFixed(3)} vs ${mean(plain).toFixed(3)})`);
    return `${steps.length} steps passed`;
  } catch (error) {
    await page.screenshot({ path: path.join(resultsDir, 'ui-inspector-failure.png') }).catch(() => {});
    throw new Error(`${error.message}\n  (after: ${steps.join('; ') || 'nothing'}; screenshot test-results/vscode/ui-inspector-failure.png)`);
  } finally {
    await cifarSession?.stop(); // a suite that failed early leaves no training behind
    await context.close();
  }
}
