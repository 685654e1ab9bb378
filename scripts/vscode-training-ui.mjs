// The "ui-training" suite of scripts/vscode-tests.mjs: "ResNet Lab: Train ResNet" as a user
// runs it from the palette — experiment, embedded data, the speed probe and the budget with
// its time estimates, the plan in a dialog — then the curves growing in the webview, the
// backend and speed in the status bar, a window reload the run survives, and Stop in the page;
// CIFAR-10's download on first use; then the PyTorch engine: a Python that does not exist
// (one clear error, Open Settings, nothing written), and a real run naming PyTorch, stopped.
import * as fs from 'node:fs';
import * as http from 'node:http';
import { createRequire } from 'node:module';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const { RESUME_HINT } = createRequire(import.meta.url)(path.join(root, 'out/extension/training/resumeHint.js'));

const PRESET = 'ResNet-20 vs plain-20';
// The CIFAR-10 mirror of the workplace (see its README): served on 127.0.0.1 for the download step.
const CIFAR_MIRROR = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../shared/data');

/** Serves the mirror's cifar-10-binary.tar.gz on 127.0.0.1 (Range requests included, as a real server would). */
async function serveCifarMirror() {
  const file = path.join(CIFAR_MIRROR, 'cifar-10-binary.tar.gz');
  if (!fs.existsSync(file)) throw new Error(`the CIFAR-10 mirror ${file} is missing: the download step needs it (see ../shared/data/README.md)`);
  const size = fs.statSync(file).size;
  const server = http.createServer((request, response) => {
    if (request.url !== '/cifar-10-binary.tar.gz') return response.writeHead(404).end();
    const range = /^bytes=(\d+)-$/.exec(request.headers.range ?? '');
    const start = range ? Number(range[1]) : 0;
    response.writeHead(range ? 206 : 200, {
      'content-length': size - start,
      'accept-ranges': 'bytes',
      ...(range ? { 'content-range': `bytes ${start}-${size - 1}/${size}` } : {}),
    });
    fs.createReadStream(file, { start }).pipe(response);
  });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { url: `http://127.0.0.1:${server.address().port}/cifar-10-binary.tar.gz`, close: () => new Promise((resolve) => server.close(resolve)) };
}
const DATA = 'Synthetic shapes (embedded, no download)';
/** A Python with torch for the PyTorch steps (Debian's python3-torch here). */
const PYTHON_WITH_TORCH = process.env.RESNET_LAB_TEST_PYTHON ?? '/usr/bin/python3';

/**
 * Sets workspace settings as a user does: "Preferences: Open Workspace Settings (JSON)", the new
 * text, File: Save (a settings file written behind the open window's back is not reliably picked
 * up here). Workspace settings, because in a remote window such as code-server's the local User
 * settings do not apply to machine-overridable ones (resnetLab.python.path). An undefined value
 * removes the setting.
 */
async function setWorkspaceSettings(page, runFromPalette, workspace, values) {
  const file = path.join(workspace, '.vscode', 'settings.json');
  const read = () => {
    try {
      return JSON.parse(fs.readFileSync(file, 'utf8'));
    } catch {
      return {};
    }
  };
  const text = JSON.stringify({ ...read(), ...values });
  await runFromPalette(page, 'Preferences: Open Workspace Settings (JSON)');
  await page.locator('.tabs-container .tab.active', { hasText: 'settings.json' }).waitFor({ timeout: 15_000 });
  const editor = page.locator('.editor-group-container.active .monaco-editor .view-lines').first();
  await editor.waitFor({ timeout: 15_000 });
  await editor.click();
  await page.keyboard.press('ControlOrMeta+A');
  await page.keyboard.press('Delete');
  // One line of JSON, into an empty editor (the suite turned off auto-closing and suggestions).
  await page.keyboard.insertText(text);
  await runFromPalette(page, 'File: Save');
  const deadline = Date.now() + 15_000;
  while (!Object.entries(values).every(([key, value]) => read()[key] === value)) {
    if (Date.now() > deadline) throw new Error(`the settings editor did not save ${JSON.stringify(values)} into ${file}`);
    await page.waitForTimeout(200);
  }
  await runFromPalette(page, 'View: Close All Editors');
}

/** The frame of the training page whose header shows a run. */
async function trainingFrame(page, timeoutMs = 60_000) {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    for (const frame of page.frames()) {
      const run = await frame.locator('header.run-header').first().getAttribute('data-run', { timeout: 200 }).catch(() => null);
      if (run) return frame;
    }
    await page.waitForTimeout(250);
  }
  throw new Error(`no training page shows a run within ${timeoutMs / 1000} s`);
}

const lastStep = (frame) => frame.locator('#app').getAttribute('data-last-step').then(Number).catch(() => 0);

async function waitForStep(frame, atLeast, what, timeoutMs = 120_000) {
  const deadline = Date.now() + timeoutMs;
  let step = 0;
  while (Date.now() < deadline) {
    step = await lastStep(frame);
    if (step >= atLeast) return step;
    await frame.page().waitForTimeout(250);
  }
  throw new Error(`${what}: the page shows iteration ${step}, not ${atLeast}, after ${timeoutMs / 1000} s`);
}

export async function trainingUiSuite(browser, port, dir, { runFromPalette, pickQuickInputRow, say, resultsDir, expect }) {
  const context = await browser.newContext({ viewport: { width: 1600, height: 1000 } });
  const page = await context.newPage();
  const steps = [];
  const step = (text) => {
    steps.push(text);
    say(`  ui-training: ${text}`);
  };
  const shot = async (name) => {
    await page.screenshot({ path: path.join(resultsDir, name) });
    step(`screenshot test-results/vscode/${name}`);
  };
  // The URL setting points at a local mirror, set before the window opens.
  const mirror = await serveCifarMirror();
  const settingsFile = path.join(dir, 'user-data/User/settings.json');
  // The editor types settings.json literally for the PyTorch steps (setWorkspaceSettings).
  const plainEditor = { 'editor.autoClosingBrackets': 'never', 'editor.autoClosingQuotes': 'never', 'editor.autoIndent': 'none', 'editor.formatOnType': false, 'editor.quickSuggestions': { other: 'off', comments: 'off', strings: 'off' }, 'editor.suggestOnTriggerCharacters': false };
  fs.writeFileSync(settingsFile, JSON.stringify({ ...JSON.parse(fs.readFileSync(settingsFile, 'utf8')), ...plainEditor, 'resnetLab.cifar10.url': mirror.url }, null, 2));
  try {
    const workspace = path.join(dir, 'workspace');
    await page.goto(`http://127.0.0.1:${port}/?folder=${encodeURIComponent(workspace)}`);
    await page.locator('.monaco-workbench .part.statusbar').waitFor({ state: 'visible', timeout: 60_000 });

    await runFromPalette(page, 'ResNet Lab: Train ResNet');
    const widget = page.locator('.quick-input-widget');
    await widget.locator('.quick-input-title', { hasText: 'experiment' }).waitFor({ timeout: 10_000 });
    await pickQuickInputRow(page, 'ResNet-20 vs', PRESET);
    await widget.locator('.quick-input-title', { hasText: 'data' }).waitFor({ timeout: 10_000 });
    await pickQuickInputRow(page, 'Synthetic', DATA);
    step(`picked "${PRESET}" on "${DATA}"`);

    // No speed is stored for these nets yet: a probe of a few real steps measures it first.
    await widget.locator('.quick-input-title', { hasText: 'budget' }).waitFor({ timeout: 120_000 });
    const source = await widget.locator('.quick-input-box input').getAttribute('placeholder');
    expect(/^How long\? Times at the speeds measured on this machine, both nets sharing its cores$/.test(source ?? ''), `the budget pick's placeholder: "${source}"`);
    // The placeholder fits: not cut off (the input is as wide as its text needs, or wider).
    const cut = await widget.locator('.quick-input-box input').evaluate((input) => {
      const probe = document.createElement('span');
      probe.style.font = getComputedStyle(input).font;
      probe.style.whiteSpace = 'pre';
      probe.textContent = input.placeholder;
      document.body.append(probe);
      const needed = probe.getBoundingClientRect().width;
      probe.remove();
      return needed > input.clientWidth - 8;
    });
    expect(!cut, `the budget placeholder is cut off: "${source}"`);
    const demo = widget.locator('.monaco-list-row').filter({ has: page.locator('.label-name', { hasText: /^Demo$/ }) }).first();
    const demoText = (await demo.innerText()).replace(/\s+/g, ' ');
    expect(/about \d+ (s|min)/.test(demoText) && /240 iterations of batch 32 on 1,000 training images/.test(demoText), `the Demo budget: "${demoText}"`);
    const quick = widget.locator('.monaco-list-row').filter({ hasText: 'Quick look' }).first();
    const quickText = (await quick.innerText()).replace(/\s+/g, ' ');
    expect(/about \d+ (s|min)/.test(quickText) && /200 iterations of batch 128 on 2,000 training images/.test(quickText), `the Quick look budget has no time estimate: "${quickText}"`);
    step(`budget labelled from the probe: "${quickText}" (${source})`);
    await shot('ui-training-budget.png');
    await pickQuickInputRow(page, 'Quick look', 'Quick look');

    const dialog = page.locator('.monaco-dialog-box');
    await dialog.waitFor({ timeout: 10_000 });
    const plan = (await dialog.innerText()).replace(/\s+/g, ' ');
    expect(/ResNet-20 vs plain-20 on Synthetic shapes \(embedded, no download\): 2,000 train/.test(plan) && /lr 0\.1, ÷10 at 100 and 150 of 200 iterations/.test(plan), `the dialog does not show the scaled plan: "${plan}"`);
    expect(/It should take about/.test(plan), `the dialog gives no time estimate: "${plan}"`);
    step('the plan (the paper\'s schedule scaled to 200 iterations) and the estimate shown before starting');
    await shot('ui-training-plan.png');
    await dialog.locator('a.monaco-button, .monaco-button', { hasText: 'Start Training' }).first().click();

    await page.locator('.tabs-container .tab', { hasText: PRESET }).waitFor({ timeout: 15_000 });
    let frame = await trainingFrame(page);
    const runId = await frame.locator('header.run-header').getAttribute('data-run');
    const first = await waitForStep(frame, 1, 'the first points');
    const grown = await waitForStep(frame, first + 2, 'the curves growing');
    const curves = await frame.locator('path.series-line[data-chart="error"]').count();
    expect(curves >= 2, `the error chart draws ${curves} curves`);
    step(`run ${runId}: the curves grow in the webview (iteration ${first} → ${grown}, ${curves} error curves)`);

    // Background progress in the status bar, per net; no notification stays up over the panel.
    const statusItem = page.locator('.statusbar-item', { hasText: /ResNet-20 \d+\/200 · plain-20 \d+\/200/ });
    await statusItem.waitFor({ timeout: 30_000 });
    const statusText = (await statusItem.innerText()).trim();
    expect(/WebAssembly/.test(statusText), `the status bar does not name the backend: "${statusText}"`);
    step(`status bar: "${statusText}"`);
    expect((await page.locator('.notifications-toasts .monaco-progress-container.active').count()) === 0, 'a progress notification is up while the run trains');
    await page.locator('.notification-toast', { hasText: 'ResNet Lab: training' }).waitFor({ state: 'detached', timeout: 30_000 });
    expect((await frame.locator('header.run-header').getAttribute('data-status')) === 'running', 'the run ended before its start notification went');
    step('the start notification went by itself while the run trains; no progress notification covers the panel');
    await shot('ui-training.png');

    // A window reload: the panel comes back, the run goes on from its checkpoint, the page catches up.
    const reloaded = page.waitForEvent('load', { timeout: 60_000 });
    await runFromPalette(page, 'Developer: Reload Window');
    await reloaded;
    await page.locator('.monaco-workbench .part.statusbar').waitFor({ state: 'visible', timeout: 60_000 });
    await page.locator('.tabs-container .tab', { hasText: PRESET }).waitFor({ timeout: 30_000 });
    frame = await trainingFrame(page);
    expect((await frame.locator('header.run-header').getAttribute('data-run')) === runId, 'after the reload the panel shows another run');
    const caughtUp = await waitForStep(frame, 1, 'the page after the reload');
    const after = await waitForStep(frame, caughtUp + 2, 'the run going on after the reload');
    const status = await frame.locator('header.run-header').getAttribute('data-status');
    expect(status === 'running', `after the reload the run is ${status}`);
    step(`after a window reload the panel is back with the run's points (iteration ${caughtUp}) and the run goes on (iteration ${after})`);

    await frame.locator('button.action-stop').click();
    await frame.locator('header.run-header[data-status="stopping"]').waitFor({ timeout: 5_000 });
    await frame.locator('header.run-header[data-status="stopped"]').waitFor({ timeout: 60_000 });
    const detail = await frame.locator('.status-detail').innerText();
    expect(/checkpoints are kept/.test(detail), `the page's stop message does not say the checkpoints are kept: "${detail}"`);
    expect(detail.includes(RESUME_HINT), `the page's stop message does not say how to resume ("${RESUME_HINT}"): "${detail}"`);
    // The stop message and the counters agree, net by net; Resume is the one primary button.
    const counts = await frame.locator('.net-progress .net-count').allInnerTexts();
    for (const [i, title] of ['ResNet-20', 'plain-20'].entries()) {
      const at = /^([\d,]+)\//.exec(counts[i] ?? '')?.[1];
      expect(at !== undefined && detail.includes(`${title} at step ${at} of 200`), `the counters (${counts.join(', ')}) and the stop message "${detail}" disagree`);
    }
    const primary = await frame.locator('.actions button.primary').allInnerTexts();
    expect(primary.length === 1 && primary[0] === 'Resume', `the primary buttons of a stopped run: ${JSON.stringify(primary)}`);
    const runFolder = path.join(workspace, '.resnet-lab', 'runs', runId);
    for (const file of ['config.json', 'metrics.jsonl', 'checkpoints/a/latest', 'checkpoints/b/latest']) {
      expect(fs.existsSync(path.join(runFolder, file)), `the run folder lacks ${file}`);
    }
    step(`Stop in the page: "${detail}"; the run folder has its config, metrics and checkpoints`);
    await shot('ui-training-stopped.png');

    // CIFAR-10 on first use: consent, a download with progress from the URL setting, into the extension's storage.
    {
      await runFromPalette(page, 'ResNet Lab: Train ResNet');
      await widget.locator('.quick-input-title', { hasText: 'experiment' }).waitFor({ timeout: 10_000 });
      await pickQuickInputRow(page, 'ResNet-20 vs', PRESET);
      await widget.locator('.quick-input-title', { hasText: 'data' }).waitFor({ timeout: 10_000 });
      const cifarRow = widget.locator('.monaco-list-row').filter({ hasText: 'CIFAR-10 (download about 163 MB)' }).first();
      const cifarText = (await cifarRow.innerText()).replace(/\s+/g, ' ');
      expect(cifarText.includes(mirror.url), `the CIFAR-10 choice does not name the URL setting's value: "${cifarText}"`);
      await cifarRow.click();
      const consent = page.locator('.monaco-dialog-box');
      await consent.waitFor({ timeout: 10_000 });
      const consentText = (await consent.innerText()).replace(/\s+/g, ' ');
      expect(/Download CIFAR-10 \(about 163 MB\)\?/.test(consentText) && consentText.includes(mirror.url) && /outside your workspace/.test(consentText), `the consent dialog does not say what, from where and where to: "${consentText}"`);
      step('CIFAR-10 is not cached: a dialog asks before downloading 163 MB from the URL setting into the extension\'s storage');
      const began = Date.now();
      await consent.locator('.monaco-button', { hasText: 'Download' }).first().click();
      const progress = page.locator('.notification-list-item', { hasText: /CIFAR-10/ });
      await progress.first().waitFor({ timeout: 15_000 });
      const progressText = (await progress.first().innerText().catch(() => '')).replace(/\s+/g, ' ');
      step(`progress notification: "${progressText}"`);
      await widget.locator('.quick-input-title', { hasText: 'budget' }).waitFor({ timeout: 240_000 });
      const cache = path.join(dir, 'user-data/User/globalStorage/resnet-lab.resnet-lab/cifar-10/cifar-10-batches-bin');
      const files = fs.existsSync(cache) ? fs.readdirSync(cache).sort() : [];
      expect(['batches.meta.txt', 'data_batch_1.bin', 'data_batch_5.bin', 'test_batch.bin'].every((f) => files.includes(f)), `the verified files are not in the extension's storage ${cache}: ${files.join(', ') || 'nothing'}`);
      expect(!fs.existsSync(path.join(workspace, 'cifar-10-batches-bin')), 'CIFAR-10 landed in the workspace');
      step(`downloaded, unpacked and MD5-checked in ${((Date.now() - began) / 1000).toFixed(0)} s into the extension's storage (${files.length} files); the budget pick follows`);
      await page.keyboard.press('Escape');
    }

    // The PyTorch engine (Debian's python3-torch at /usr/bin/python3; the python3 first on PATH
    // may lack torch): first a Python that does not exist, stopped with one clear error before
    // anything is written, then a real run, the status bar and the panel naming PyTorch on the CPU.
    if (fs.existsSync(PYTHON_WITH_TORCH)) {
      const runsFolder = path.join(workspace, '.resnet-lab', 'runs');
      const runsBefore = fs.readdirSync(runsFolder).sort().join(',');
      const missing = path.join(dir, 'no-such-python', 'bin', 'python3');
      await setWorkspaceSettings(page, runFromPalette, workspace, { 'resnetLab.training.backend': 'pytorch', 'resnetLab.python.path': missing });
      await runFromPalette(page, 'Notifications: Clear All Notifications');
      await runFromPalette(page, 'ResNet Lab: Train ResNet');
      await widget.locator('.quick-input-title', { hasText: 'experiment' }).waitFor({ timeout: 10_000 });
      await pickQuickInputRow(page, 'ResNet-20 vs', PRESET);
      await widget.locator('.quick-input-title', { hasText: 'data' }).waitFor({ timeout: 10_000 });
      await pickQuickInputRow(page, 'Synthetic', DATA);
      // The speed probe (no speed is stored for PyTorch yet) is where the Python is first looked for.
      const error = page.locator('.notification-list-item', { hasText: 'No Python at' }).first();
      await error.waitFor({ timeout: 60_000 });
      const errorText = (await error.locator('.notification-list-item-message').innerText()).replace(/\s+/g, ' ');
      expect(errorText === `ResNet Lab: No Python at ${missing} (the setting "resnetLab.python.path"): the file does not exist.`, `the error does not name the setting and the path: "${errorText}"`);
      expect(!/speed probe/i.test(errorText), `the error is buried in the speed probe's: "${errorText}"`);
      expect(fs.readdirSync(runsFolder).sort().join(',') === runsBefore, 'a run folder was written although the Python does not exist');
      step(`a Python that does not exist: "${errorText}"; no run folder written`);
      await page.waitForTimeout(1000); // the toast's fade-in, and the probe's notification gone
      await shot('ui-training-pytorch-error.png');
      await error.locator('.monaco-button', { hasText: 'Open Settings' }).first().click();
      await page.locator('.settings-editor .setting-item', { hasText: 'The Python that trains on the PyTorch engine' }).first().waitFor({ timeout: 20_000 });
      step('its "Open Settings" button opened the Settings editor on resnetLab.python.path');

      await setWorkspaceSettings(page, runFromPalette, workspace, { 'resnetLab.python.path': PYTHON_WITH_TORCH });
      await runFromPalette(page, 'ResNet Lab: Train ResNet');
      await widget.locator('.quick-input-title', { hasText: 'experiment' }).waitFor({ timeout: 10_000 });
      await pickQuickInputRow(page, 'ResNet-20 vs', PRESET);
      await widget.locator('.quick-input-title', { hasText: 'data' }).waitFor({ timeout: 10_000 });
      await pickQuickInputRow(page, 'Synthetic', DATA);
      const probeBegan = Date.now();
      await widget.locator('.quick-input-title', { hasText: 'budget' }).waitFor({ timeout: 240_000 });
      step(`PyTorch speed probe in ${((Date.now() - probeBegan) / 1000).toFixed(0)} s`);
      await pickQuickInputRow(page, 'Quick look', 'Quick look');
      const ptDialog = page.locator('.monaco-dialog-box');
      await ptDialog.waitFor({ timeout: 10_000 });
      const ptPlan = (await ptDialog.innerText()).replace(/\s+/g, ' ');
      expect(/the backend setting is "pytorch"/.test(ptPlan), `the plan does not name the pytorch setting: "${ptPlan}"`);
      // The plan says where its estimate comes from (the budget list's placeholder is kept short).
      expect(/measured at batch 128 on PyTorch \S+ on CPU.*a speed probe/.test(ptPlan), `the plan's estimate does not come from a PyTorch probe: "${ptPlan}"`);
      await ptDialog.locator('a.monaco-button, .monaco-button', { hasText: 'Start Training' }).first().click();
      const ptStatus = page.locator('.statusbar-item', { hasText: 'PyTorch' });
      await ptStatus.waitFor({ timeout: 120_000 });
      frame = await trainingFrame(page);
      const ptRunId = await frame.locator('header.run-header').getAttribute('data-run');
      const ptStep = await waitForStep(frame, 1, 'the first PyTorch steps', 180_000);
      await page.locator('.statusbar-item', { hasText: / left · PyTorch/ }).waitFor({ timeout: 30_000 }); // each net's count and the ETA, once measured
      const ptStatusText = (await ptStatus.innerText()).trim();
      expect(/PyTorch \S+ on CPU, \d+ threads?/.test(ptStatusText), `the status bar does not name PyTorch and the device: "${ptStatusText}"`);
      const ptBackend = (await frame.locator('.fact-backend dd').innerText()).trim();
      expect(/^PyTorch \S+ on CPU, \d+ threads?$/.test(ptBackend) && ptStatusText.includes(ptBackend), `the panel's backend "${ptBackend}" is not the status bar's "${ptStatusText}"`);
      step(`run ${ptRunId} on PyTorch: status bar "${ptStatusText}", panel "Backend: ${ptBackend}", iteration ${ptStep}`);
      await shot('ui-training-pytorch.png');
      await runFromPalette(page, 'ResNet Lab: Stop Training');
      await frame.locator('header.run-header[data-status="stopped"]').waitFor({ timeout: 60_000 });
      const ptFolder = path.join(runsFolder, ptRunId);
      for (const file of ['config.json', 'metrics.jsonl', 'checkpoints/a/latest', 'checkpoints/b/latest']) {
        expect(fs.existsSync(path.join(ptFolder, file)), `the PyTorch run folder lacks ${file}`);
      }
      step('Stop Training: the PyTorch run stopped with its checkpoints');
      await setWorkspaceSettings(page, runFromPalette, workspace, { 'resnetLab.training.backend': undefined, 'resnetLab.python.path': undefined });
    } else {
      step(`no ${PYTHON_WITH_TORCH}: the PyTorch steps are skipped`);
    }
    return `${steps.length} steps passed`;
  } catch (error) {
    await page.screenshot({ path: path.join(resultsDir, 'ui-training-failure.png') }).catch(() => {});
    throw new Error(`${error.message}\n  (after: ${steps.join('; ') || 'nothing'}; screenshot test-results/vscode/ui-training-failure.png)`);
  } finally {
    await context.close();
    await mirror.close();
  }
}
