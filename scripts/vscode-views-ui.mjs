// The "ui-views" suite of scripts/vscode-tests.mjs: the ResNet Lab activity bar container as a
// user meets it, in a workspace of its own with two tiny real runs (one finished, one stopped):
// the Runs view lists them with each net's step and best test error (checked against
// metrics.jsonl); Open Curves, Reveal in Explorer View, Resume (the view follows the live run's
// steps, and offers no Delete while it trains), Stop, Inspect (then the palette offers Next Block),
// Delete (Cancel keeps the run, Delete removes it), the welcome once no run is left; the Models
// view opens an architecture; typing "1202" + Enter in the model pick opens ResNet-1202; the
// walkthrough opens from "ResNet Lab: Get Started" (then in a dark theme); the Extensions view and the
// details page show the icon. Screenshots under test-results/vscode/.
import * as fs from 'node:fs';
import { createRequire } from 'node:module';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const require = createRequire(import.meta.url);
const NETS = [{ kind: 'named', name: 'resnet-cifar-n1' }, { kind: 'named', name: 'resnet-cifar-n1', plain: true }];
const TITLE = 'ResNet-8 vs plain-8';

/** Trains ResNet-8 and plain-8 on the embedded data; `stopAt`: stop once both passed that step (after a checkpoint). */
async function trainTinyRun(workspace, { iterations, seed, stopAt }) {
  const { planRun } = require(path.join(root, 'out/core/training/plan.js'));
  const { TrainingSession } = require(path.join(root, 'out/core/training/session.js'));
  const { RUNS_FOLDER } = require(path.join(root, 'out/core/training/runFolder.js'));
  const config = planRun({ nets: NETS, data: { kind: 'synthetic', trainSize: 64, testSize: 16 }, iterations, batchSize: 16, seed, backend: 'wasm' });
  const session = await TrainingSession.start(config, path.join(workspace, RUNS_FOLDER), { workerPath: path.join(root, 'dist/trainWorker.js') });
  if (stopAt !== undefined) {
    const checkpoints = new Map();
    session.addListener({
      onCheckpoint: (slot, step) => {
        checkpoints.set(slot, step);
        if (checkpoints.size === 2 && Math.min(...checkpoints.values()) >= stopAt) void session.stop();
      },
    });
  }
  const status = await session.finished;
  const wanted = stopAt === undefined ? 'finished' : 'stopped';
  if (status !== wanted) throw new Error(`the tiny run ended ${status}, not ${wanted}: ${session.statusDetail}`);
  return session.run;
}

/** Per net of the run: its last step and best test error, as metrics.jsonl has them ("12.5%"). */
function expectedNets(run) {
  const points = run.readMetrics();
  return run.readConfig().nets.map((net) => {
    const own = points.filter((p) => p.slot === net.slot);
    const tests = own.filter((p) => p.split === 'test' && Number.isFinite(p.error)).map((p) => p.error);
    const last = Math.max(...own.map((p) => p.step));
    return `${net.title} step ${last.toLocaleString('en-US')} · best test error ${(Math.min(...tests) * 100).toFixed(1)}%`;
  });
}

export async function viewsUiSuite(browser, port, dir, { runFromPalette, pickQuickInputRow, webviewFrameShowing, say, resultsDir, expect }) {
  const context = await browser.newContext({ viewport: { width: 1500, height: 950 } });
  const page = await context.newPage();
  const steps = [];
  const step = (text) => {
    steps.push(text);
    say(`  ui-views: ${text}`);
  };
  const shot = async (name) => {
    await page.screenshot({ path: path.join(resultsDir, name) });
    step(`screenshot test-results/vscode/${name}`);
  };
  try {
    const workspace = path.join(dir, 'views-workspace');
    fs.mkdirSync(workspace, { recursive: true });
    const finished = await trainTinyRun(workspace, { iterations: 40, seed: 3 });
    const stopped = await trainTinyRun(workspace, { iterations: 400, seed: 4, stopAt: 4 });
    step(`trained ${finished.id} (finished) and ${stopped.id} (stopped at step ${stopped.latestCheckpoint('a').step})`);

    await page.goto(`http://127.0.0.1:${port}/?folder=${encodeURIComponent(workspace)}`);
    await page.locator('.monaco-workbench .part.statusbar').waitFor({ state: 'visible', timeout: 60_000 });
    const activity = page.locator('.part.activitybar .action-item a[aria-label^="ResNet Lab"]');
    await activity.waitFor({ timeout: 30_000 });
    await activity.click();
    const runsPane = page.locator('.pane', { has: page.locator('.pane-header', { hasText: /^\s*Runs/ }) });
    // The activity bar's icon toggles the side bar: click it only when the Runs view is not shown.
    const showRuns = async () => {
      if (!(await runsPane.locator('.monaco-list-row, .welcome-view-content').first().isVisible())) await activity.click();
      await runsPane.locator('.pane-body').waitFor({ state: 'visible', timeout: 10_000 });
    };
    const runRow = (run) => runsPane.locator(`.monaco-list-row[aria-level="1"][aria-label*="run ${run.id}"]`);
    await runsPane.locator('.monaco-list-row').nth(1).waitFor({ timeout: 30_000 });
    const rowTexts = await runsPane.locator('.monaco-list-row').evaluateAll((rows) => rows.map((r) => `${r.querySelector('.label-name')?.textContent} · ${r.querySelector('.label-description')?.textContent}`));
    // Newest first: the stopped run was made second.
    expect(/^ResNet-8 vs plain-8 · stopped at step \d+ of 400$/.test(rowTexts[0]) && /^ResNet-8 vs plain-8 · finished · 40 iterations$/.test(rowTexts[1]), `the Runs view lists: ${rowTexts.join(' | ')}`);
    step(`the Runs view lists both runs: ${rowTexts.join(' | ')}`);

    // Expand the finished run: its nets, step and best test error, as metrics.jsonl says.
    await runRow(finished).locator('.monaco-tl-twistie').click();
    const netRows = runsPane.locator('.monaco-list-row[aria-level="2"]');
    await netRows.nth(1).waitFor({ timeout: 10_000 });
    const netTexts = await netRows.evaluateAll((rows) => rows.map((r) => `${r.querySelector('.label-name')?.textContent} ${r.querySelector('.label-description')?.textContent}`));
    const wantedNets = expectedNets(finished);
    expect(JSON.stringify(netTexts) === JSON.stringify(wantedNets), `the finished run's nets read ${JSON.stringify(netTexts)}; metrics.jsonl says ${JSON.stringify(wantedNets)}`);
    step(`its nets: ${netTexts.join(' | ')} (as in metrics.jsonl)`);
    await shot('ui-views-runs.png');

    const clickAction = async (row, label) => {
      await row.hover();
      const action = row.locator(`.actions .action-label[aria-label="${label}"]`);
      await action.waitFor({ state: 'visible', timeout: 10_000 });
      await action.click();
    };
    const hasAction = async (row, label) => {
      await row.hover();
      return (await row.locator(`.actions .action-label[aria-label="${label}"]`).count()) > 0;
    };

    // Open Curves: the run's curves panel.
    await clickAction(runRow(finished), 'Open Curves');
    await page.locator('.tabs-container .tab', { hasText: TITLE }).waitFor({ timeout: 30_000 });
    step('Open Curves opened the finished run\'s curves panel');
    await page.waitForTimeout(1000);
    await shot('ui-views-curves.png');

    // Reveal in Explorer View: the Explorer shows the run's folder, selected.
    await clickAction(runRow(finished), 'Reveal in Explorer View');
    const revealed = page.locator('.explorer-folders-view .monaco-list-row.selected', { hasText: finished.id });
    await revealed.waitFor({ timeout: 15_000 });
    step(`Reveal in Explorer View selected ${finished.id} in the Explorer`);
    await shot('ui-views-revealed.png');
    await showRuns();

    // Resume the stopped run: it trains in this window, the view follows its steps, no Delete meanwhile.
    const stoppedAt = stopped.latestCheckpoint('a').step;
    await clickAction(runRow(stopped), 'Resume');
    const liveRow = runsPane.locator('.monaco-list-row[aria-level="1"]', { hasText: /running · step/ });
    await liveRow.waitFor({ timeout: 60_000 });
    const stepOf = async () => Number(/running · step ([\d,]+)/.exec(await liveRow.innerText().catch(() => ''))?.[1]?.replace(/,/g, '') ?? NaN);
    const first = await stepOf();
    let later = first;
    const deadline = Date.now() + 60_000;
    while (!(later > first) && Date.now() < deadline) {
      await page.waitForTimeout(500);
      later = await stepOf();
    }
    expect(later > first, `the Runs view did not follow the live run: step ${first}, then ${later}`);
    expect(!(await hasAction(liveRow, 'Delete Run…')) && !(await hasAction(liveRow, 'Resume')), 'a training run offers Delete or Resume in the Runs view');
    expect(await hasAction(liveRow, 'Stop'), 'the training run offers no Stop');
    step(`Resume: the run trains from step ${stoppedAt}; the view followed it from step ${first} to ${later}, with Stop and without Delete`);
    await shot('ui-views-live.png');

    await clickAction(liveRow, 'Stop');
    const stoppedRow = runsPane.locator('.monaco-list-row[aria-level="1"]', { hasText: /stopped at step [\d,]+ of 400/ });
    await stoppedRow.waitFor({ timeout: 60_000 });
    const stoppedText = (await stoppedRow.innerText()).replace(/\s+/g, ' ');
    step(`Stop: the row reads "${stoppedText}"`);

    // Next Block is in the palette only while an inspector is open.
    await page.keyboard.press('F1');
    const paletteInput = page.locator('.quick-input-widget .quick-input-box input');
    await paletteInput.fill('>ResNet Lab: Next Block');
    await page.locator('.quick-input-widget .quick-input-message, .quick-input-widget .monaco-list-row').first().waitFor({ timeout: 10_000 }).catch(() => {});
    await page.waitForTimeout(500);
    const offeredBefore = await page.locator('.quick-input-widget .monaco-list-row .label-name', { hasText: /^ResNet Lab: Next Block$/ }).count();
    await page.keyboard.press('Escape');
    expect(offeredBefore === 0, 'the palette offers "ResNet Lab: Next Block" with no inspector open');
    await clickAction(runRow(finished), 'Inspect Blocks');
    await page.locator('.tabs-container .tab', { hasText: 'Inspect Blocks' }).waitFor({ timeout: 60_000 });
    // The inspector's first block drawn (the frame whose page names its block).
    const inspectorDeadline = Date.now() + 60_000;
    const blockShown = async () => {
      for (const frame of page.frames()) if (await frame.locator('#app[data-block] .net-column').count().catch(() => 0)) return true;
      return false;
    };
    while (!(await blockShown()) && Date.now() < inspectorDeadline) await page.waitForTimeout(250);
    expect(await blockShown(), 'the inspector opened from the Runs view shows no block within 60 s');
    await page.waitForTimeout(1000);
    await shot('ui-views-inspector.png');
    await runFromPalette(page, 'ResNet Lab: Next Block');
    step('Inspect Blocks opened the inspector on the finished run; only then the palette offered Next Block');

    // Delete the finished run: Cancel keeps it; Delete removes its folder and its row.
    await showRuns();
    const dialog = page.locator('.monaco-dialog-box');
    await clickAction(runRow(finished), 'Delete Run…');
    await dialog.waitFor({ timeout: 10_000 });
    const question = (await dialog.innerText()).replace(/\s+/g, ' ');
    expect(/Delete the run ResNet-8 vs plain-8\?/.test(question) && question.includes(finished.folder) && /checkpoint/.test(question), `the delete question reads "${question}"`);
    await page.screenshot({ path: path.join(resultsDir, 'ui-views-delete.png') });
    await dialog.locator('.monaco-button', { hasText: 'Cancel' }).click();
    await dialog.waitFor({ state: 'detached', timeout: 10_000 });
    expect(fs.existsSync(finished.folder), 'Cancel deleted the run anyway');
    await clickAction(runRow(finished), 'Delete Run…');
    await dialog.locator('.monaco-button', { hasText: /^Delete$/ }).click();
    const deadlineGone = Date.now() + 15_000;
    while (fs.existsSync(finished.folder) && Date.now() < deadlineGone) await page.waitForTimeout(200);
    expect(!fs.existsSync(finished.folder), 'Delete did not remove the run folder');
    await page.waitForFunction((id) => ![...document.querySelectorAll('.monaco-list-row')].some((r) => r.textContent?.includes('finished · 40 iterations')), finished.id, { timeout: 15_000 });
    step(`Delete asked "${question.slice(0, 80)}…"; Cancel kept it, Delete removed ${finished.id} and its row`);

    // The last run deleted: the welcome offers Train ResNet.
    await clickAction(runsPane.locator('.monaco-list-row[aria-level="1"]').first(), 'Delete Run…');
    await dialog.locator('.monaco-button', { hasText: /^Delete$/ }).click();
    const welcome = runsPane.locator('.welcome-view-content');
    await welcome.locator('.monaco-button', { hasText: 'Train ResNet' }).waitFor({ timeout: 15_000 });
    step(`with no run left the Runs view welcomes: "${(await welcome.innerText()).replace(/\s+/g, ' ').slice(0, 90)}…"`);

    // The Models view: a click opens the architecture.
    const modelsPane = page.locator('.pane', { has: page.locator('.pane-header', { hasText: /^\s*Models/ }) });
    const modelRow = modelsPane.locator('.monaco-list-row', { has: page.locator('.label-name', { hasText: /^ResNet-56$/ }) });
    await modelRow.waitFor({ timeout: 10_000 });
    await modelRow.click();
    await (await webviewFrameShowing(page, 'ResNet-56')).locator('table.layers').waitFor({ timeout: 30_000 });
    step('Models → CIFAR-10 · ResNet → ResNet-56 opened its architecture');
    await shot('ui-views-models.png');

    // The model pick: a typed depth gives the ResNet first; Enter opens it.
    await runFromPalette(page, 'ResNet Lab: Show Architecture');
    await paletteInput.fill('1202');
    const firstRow = page.locator('.quick-input-widget .monaco-list-row').first();
    await page.waitForFunction(() => /ResNet-1202/.test(document.querySelector('.quick-input-widget .monaco-list-row')?.textContent ?? ''), null, { timeout: 10_000 }).catch(() => {});
    const firstLabel = await firstRow.locator('.label-name').first().innerText();
    expect(firstLabel === 'ResNet-1202', `typing 1202 lists "${firstLabel}" first`);
    await page.keyboard.press('Enter');
    await page.locator('.quick-input-widget .quick-input-title', { hasText: 'shortcut option' }).waitFor({ timeout: 10_000 });
    await page.keyboard.press('Enter');
    await page.locator('.tabs-container .tab', { hasText: /^ResNet-1202/ }).waitFor({ timeout: 60_000 });
    await (await webviewFrameShowing(page, 'ResNet-1202', 60_000)).locator('table.layers').waitFor({ timeout: 60_000 });
    step('typing "1202" in the model pick lists ResNet-1202 first; Enter, Enter opened it');

    // The walkthrough.
    await runFromPalette(page, 'ResNet Lab: Get Started');
    const walkthrough = page.locator('.gettingStartedContainer');
    await walkthrough.locator('.getting-started-category .category-title, .gettingStartedSlideDetails h2', { hasText: 'Get started with ResNet Lab' }).first().waitFor({ timeout: 30_000 });
    const stepTitles = (await walkthrough.locator('.getting-started-step .step-title').allInnerTexts()).map((t) => t.trim());
    expect(JSON.stringify(stepTitles) === JSON.stringify(['Show an architecture', 'Train the degradation demo', 'Inspect a block', 'Open the Runs view']), `the walkthrough's steps: ${stepTitles.join(' | ')}`);
    // Its first step's button runs Show Architecture; the step is then marked done.
    await walkthrough.locator('.getting-started-step', { hasText: 'Show an architecture' }).locator('.monaco-button', { hasText: 'Show Architecture' }).click();
    await page.locator('.quick-input-widget .quick-input-title', { hasText: 'ResNet Lab: Show Architecture' }).waitFor({ timeout: 10_000 });
    await page.keyboard.press('Escape');
    await walkthrough.locator('.getting-started-step[aria-checked="true"]', { hasText: 'Show an architecture' }).waitFor({ timeout: 10_000 }).catch(async () => {
      throw new Error(`the walkthrough's first step is not marked done after its button ran Show Architecture: ${await walkthrough.locator('.getting-started-step').first().evaluate((e) => e.outerHTML.slice(0, 400))}`);
    });
    await walkthrough.locator('.getting-started-step .step-title', { hasText: 'Inspect a block' }).click();
    await walkthrough.locator('.getting-started-step', { hasText: 'Inspect a block' }).locator('.monaco-button', { hasText: 'Inspect Blocks' }).waitFor({ timeout: 10_000 });
    await page.waitForTimeout(2000); // the step's picture loads in its own frame
    step(`"ResNet Lab: Get Started" opened the walkthrough: ${stepTitles.join(' | ')}; its Show Architecture button opened the model pick and marked the step done`);
    await shot('ui-views-walkthrough.png');

    // A dark theme: the walkthrough's pictures take its colours.
    await runFromPalette(page, 'Preferences: Color Theme');
    await pickQuickInputRow(page, 'Dark Modern', 'Dark Modern');
    await page.waitForFunction(() => document.querySelector('.monaco-workbench')?.classList.contains('vs-dark'), null, { timeout: 10_000 });
    await page.waitForTimeout(1500);
    await shot('ui-views-walkthrough-dark.png');

    // The details page of the installed extension: its icon, and the README's screenshots loaded.
    await page.locator('.part.activitybar .action-item a[aria-label^="Extensions"]').click();
    const entry = page.locator('.extensions-viewlet .monaco-list-row', { hasText: 'ResNet Lab' }).first();
    await entry.waitFor({ timeout: 30_000 });
    const listIcon = await entry.locator('img.icon').getAttribute('src');
    expect(/icon\.png/.test(listIcon ?? ''), `the Extensions view shows the icon ${listIcon}`);
    await entry.click();
    const detailsIcon = page.locator('.extension-editor .header img.icon');
    await detailsIcon.waitFor({ timeout: 30_000 });
    const loaded = await detailsIcon.evaluate((img) => ({ src: img.getAttribute('src'), width: img.naturalWidth }));
    expect(/icon\.png/.test(loaded.src ?? '') && loaded.width === 128, `the details page's icon: ${JSON.stringify(loaded)}`);
    step(`the Extensions view and the details page show the 128×128 icon (${listIcon})`);
    await shot('ui-views-details.png');
    return `${steps.length} steps passed`;
  } catch (error) {
    await page.screenshot({ path: path.join(resultsDir, 'ui-views-failure.png') }).catch(() => {});
    throw new Error(`${error.message}\n  (after: ${steps.join('; ') || 'nothing'}; screenshot test-results/vscode/ui-views-failure.png)`);
  } finally {
    await context.close();
  }
}
