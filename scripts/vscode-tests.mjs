// Tests inside a real VS Code: code-server 4.100.3 (VS Code 1.100.3) driven by Debian's
// chromium through playwright-core. Three suites, each with a summary line:
//   package  the .vsix holds only the bundle and the manifest, and installs into code-server
//   in-host  the mocha suites of out/test/suite, run inside the real extension host
//   ui       F1 → "ResNet Lab: Show Architecture" → ResNet-34, the table and diagram in the
//            webview, the status bar, an export through the real save dialog, a reload
//   ui-training  F1 → "ResNet Lab: Train ResNet" → a preset on the embedded data, the curves
//            growing, the status bar, a reload the run survives, Stop; then on the PyTorch engine
//            (/usr/bin/python3 with torch): a missing Python's error, a run naming PyTorch, Stop
//            (vscode-training-ui.mjs)
//   ui-inspector  F1 → "ResNet Lab: Inspect Blocks" on a trained checkpoint, three blocks stepped
//            with the keyboard, the Next Block keybinding, a screenshot (vscode-inspector-ui.mjs)
//   ui-exported-run  `resnet-lab export`, both nets trained by the exported folder under torchrun
//            (DistributedDataParallel, 2 processes), the run copied back into the workspace, then
//            F1 → "ResNet Lab: Open Run" → its curves, finished, its backend (vscode-exported-run-ui.mjs)
//   ui-views  the ResNet Lab activity bar: the Runs view on two tiny runs (Open Curves, Reveal, Resume
//            followed live, Stop, Inspect, Delete with its confirmation, the welcome), the Models view,
//            the model pick's order for a typed depth, the walkthrough (vscode-views-ui.mjs)
//   ui-study  F1 → "ResNet Lab: New Study…", "Run Study…" on a tiny study, "Show Reproduction Report":
//            the Markdown preview and its first line, a screenshot (vscode-study-ui.mjs)
// Needs scripts/install-code-server.sh, `npm run build` and `npm run compile` first.
// Options: --only=package,in-host,ui,ui-training,ui-inspector,ui-exported-run,ui-views,ui-study  --keep (keep the throw-away folder)  --headed
// RESNET_LAB_TEST_GREP=pattern runs only the matching in-host tests.
import { spawn, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import { freePort } from './freePort.mjs';
import * as os from 'node:os';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { format } from 'node:util';
import { chromium } from 'playwright-core';
import { trainingUiSuite } from './vscode-training-ui.mjs';
import { inspectorUiSuite } from './vscode-inspector-ui.mjs';
import { exportedRunUiSuite } from './vscode-exported-run-ui.mjs';
import { viewsUiSuite } from './vscode-views-ui.mjs';
import { studyUiSuite } from './vscode-study-ui.mjs';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const codeServerEntry = path.join(root, '.vscode-test/code-server/node_modules/code-server/out/node/entry.js');
const chromiumPath = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const resultsDir = path.join(root, 'test-results/vscode');
const args = process.argv.slice(2);
// The suites that drive the workbench through the browser, in the order they run.
const UI_SUITES = ['ui', 'ui-training', 'ui-inspector', 'ui-exported-run', 'ui-views', 'ui-study'];
const only = args.find((a) => a.startsWith('--only='))?.slice('--only='.length).split(',') ?? ['package', 'in-host', ...UI_SUITES];
const keep = args.includes('--keep');
const headed = args.includes('--headed');

const started = Date.now();
const seconds = (since) => ((Date.now() - since) / 1000).toFixed(1);
const say = (line) => console.log(`[vscode-tests ${seconds(started).padStart(5)} s] ${line}`);

function preflight() {
  const problems = [];
  if (!fs.existsSync(codeServerEntry)) problems.push(`code-server is not installed (${path.relative(root, codeServerEntry)} is missing): run scripts/install-code-server.sh`);
  if (!fs.existsSync(chromiumPath)) problems.push(`no chromium at ${chromiumPath}: run scripts/install-code-server.sh (or set CHROMIUM_PATH)`);
  for (const file of ['dist/extension.js', 'dist/architecture.js', 'dist/architecture.css']) {
    if (!fs.existsSync(path.join(root, file))) problems.push(`${file} is missing: run npm run build`);
  }
  if (!fs.existsSync(path.join(root, 'out/test/suite/index.js'))) problems.push('out/test/suite/index.js is missing: run npm run compile');
  if (problems.length) {
    for (const problem of problems) console.error(`vscode-tests: ${problem}`);
    process.exit(2);
  }
}

// ---- the throw-away folder and code-server ---------------------------------------------

function makeRunFolder() {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'resnet-lab-vscode-'));
  for (const sub of ['user-data/User', 'extensions', 'workspace', 'xdg/config', 'xdg/data', 'xdg/cache', 'tmp', 'chromium']) fs.mkdirSync(path.join(dir, sub), { recursive: true });
  const settings = {
    'workbench.startupEditor': 'none',
    'workbench.tips.enabled': false,
    'workbench.enableExperiments': false,
    'workbench.welcomePage.walkthroughs.openOnInstall': false,
    'telemetry.telemetryLevel': 'off',
    'extensions.autoUpdate': false,
    'extensions.autoCheckUpdates': false,
    'extensions.ignoreRecommendations': true,
    'update.mode': 'none',
    'security.workspace.trust.enabled': false,
    'chat.commandCenter.enabled': false,
    'window.commandCenter': false,
    'git.enabled': false,
    'files.simpleDialog.enable': true,
  };
  fs.writeFileSync(path.join(dir, 'user-data/User/settings.json'), JSON.stringify(settings, null, 2));
  return dir;
}

function serverEnv(dir) {
  return {
    ...process.env,
    XDG_CONFIG_HOME: path.join(dir, 'xdg/config'),
    XDG_DATA_HOME: path.join(dir, 'xdg/data'),
    XDG_CACHE_HOME: path.join(dir, 'xdg/cache'),
    TMPDIR: path.join(dir, 'tmp'),
  };
}

const serverFlags = (dir) => ['--user-data-dir', path.join(dir, 'user-data'), '--extensions-dir', path.join(dir, 'extensions')];

async function startCodeServer(dir, port, log) {
  const child = spawn(
    process.execPath,
    [
      codeServerEntry,
      '--auth', 'none',
      '--bind-addr', `127.0.0.1:${port}`,
      '--disable-telemetry',
      '--disable-update-check',
      '--disable-workspace-trust',
      '--disable-getting-started-override',
      '--ignore-last-opened',
      ...serverFlags(dir),
      path.join(dir, 'workspace'),
    ],
    // detached: its own process group (setsid), so that the whole group can be ended.
    { detached: true, env: serverEnv(dir), stdio: ['ignore', 'pipe', 'pipe'] },
  );
  child.stdout.pipe(log);
  child.stderr.pipe(log);
  const exited = new Promise((resolve) => child.once('exit', (code, signal) => resolve(`code-server exited early (code ${code}, signal ${signal})`)));
  const deadline = Date.now() + 60_000;
  while (Date.now() < deadline) {
    const early = await Promise.race([exited, new Promise((resolve) => setTimeout(() => resolve(null), 250))]);
    if (early) throw new Error(`${early}; see ${log.path}`);
    try {
      const response = await fetch(`http://127.0.0.1:${port}/healthz`);
      if (response.ok) return child;
    } catch {
      // not listening yet
    }
  }
  killGroup(child);
  throw new Error(`code-server did not answer /healthz within 60 s; see ${log.path}`);
}

function killGroup(child) {
  if (!child?.pid || child.exitCode !== null) return;
  try {
    process.kill(-child.pid, 'SIGTERM');
  } catch {
    return;
  }
  const deadline = Date.now() + 5000;
  while (Date.now() < deadline) {
    try {
      process.kill(-child.pid, 0);
    } catch {
      return;
    }
    spawnSync('sleep', ['0.1']);
  }
  try {
    process.kill(-child.pid, 'SIGKILL');
  } catch {
    // already gone
  }
}

// ---- suite: package --------------------------------------------------------------------

const ALLOWED_IN_VSIX = [/^extension\/package\.json$/, /^extension\/dist\/(extension|architecture|trainWorker|training|inspector|inspectWorker|analysisWorker)\.js$/, /^extension\/dist\/(architecture|training|inspector)\.css$/, /^extension\/dist\/(tfjs-backend-wasm(-simd)?|resnetlab-kernels)\.wasm$/, /^extension\/dist\/resnet_lab_trainer\.py$/, /^extension\/(readme|license|changelog)(\.md|\.txt)?$/i, /^extension\/media\/(icon\.png|activity-bar\.svg|walkthrough\/(architecture|degradation|inspect|runs)\.svg)$/, /^\[Content_Types\]\.xml$/, /^extension\.vsixmanifest$/];

function packageSuite(dir) {
  const vsix = path.join(dir, 'resnet-lab.vsix');
  const vsce = spawnSync(process.execPath, [path.join(root, 'node_modules/@vscode/vsce/vsce'), 'package', '--no-dependencies', '--allow-missing-repository', '--no-rewrite-relative-links', '-o', vsix], { cwd: root, encoding: 'utf8' });
  if (vsce.status !== 0) throw new Error(`vsce package failed:\n${vsce.stdout}${vsce.stderr}`);
  const listing = spawnSync('unzip', ['-Z1', vsix], { encoding: 'utf8' });
  if (listing.status !== 0) throw new Error(`unzip -Z1 failed: ${listing.stderr}`);
  const entries = listing.stdout.split('\n').filter(Boolean);
  const stray = entries.filter((entry) => !ALLOWED_IN_VSIX.some((pattern) => pattern.test(entry)));
  if (stray.length) throw new Error(`the .vsix holds files that belong out of it: ${stray.join(', ')}`);
  for (const needed of ['extension/package.json', 'extension/dist/extension.js', 'extension/dist/architecture.js', 'extension/dist/architecture.css', 'extension/dist/trainWorker.js', 'extension/dist/training.js', 'extension/dist/training.css', 'extension/dist/inspector.js', 'extension/dist/inspectWorker.js', 'extension/dist/analysisWorker.js', 'extension/dist/inspector.css', 'extension/dist/tfjs-backend-wasm.wasm', 'extension/dist/tfjs-backend-wasm-simd.wasm', 'extension/dist/resnet_lab_trainer.py', 'extension/media/icon.png', 'extension/media/activity-bar.svg', 'extension/media/walkthrough/architecture.svg', 'extension/media/walkthrough/degradation.svg', 'extension/media/walkthrough/inspect.svg', 'extension/media/walkthrough/runs.svg']) {
    if (!entries.includes(needed)) throw new Error(`the .vsix lacks ${needed}`);
  }
  const install = spawnSync(process.execPath, [codeServerEntry, ...serverFlags(dir), '--install-extension', vsix], { env: serverEnv(dir), encoding: 'utf8' });
  if (install.status !== 0 || !/was successfully installed/.test(install.stdout)) throw new Error(`--install-extension failed:\n${install.stdout}${install.stderr}`);
  const installed = fs.readdirSync(path.join(dir, 'extensions')).filter((name) => name.startsWith('resnet-lab.resnet-lab-'));
  if (installed.length !== 1) throw new Error(`expected the extension in ${dir}/extensions, found ${installed.join(', ') || 'nothing'}`);
  return `${entries.length} entries (${(fs.statSync(vsix).size / 1024).toFixed(0)} KiB), installed as ${installed[0]}`;
}

// ---- suite: in-host mocha ------------------------------------------------------------------

async function inHostSuite(browser, port, dir) {
  const context = await browser.newContext({ viewport: { width: 1400, height: 900 } });
  await context.grantPermissions(['clipboard-read', 'clipboard-write'], { origin: `http://127.0.0.1:${port}` });
  const page = await context.newPage();
  const remote = (p) => `vscode-remote://127.0.0.1:${port}${p}`;
  const payload = [
    ['extensionDevelopmentPath', remote(root)],
    ['extensionTestsPath', remote(path.join(root, 'out/test/suite/index.js'))],
  ];
  let passing = '?';
  let failing = '0';
  // The failures' titles and first lines, repeated in the summary (CI shows only its tail).
  const failureLines = [];
  const exitCode = new Promise((resolve) => {
    page.exposeFunction('codeAutomationExit', (code) => resolve(code));
  });
  await page.exposeFunction('codeAutomationLog', (type, logArgs) => {
    // The host's console arguments, printf-style as console.log would print them.
    const text = format(...(Array.isArray(logArgs) ? logArgs : [logArgs]));
    for (const line of text.split('\n')) {
      const pass = /^\s*(\d+) passing/.exec(line);
      const fail = /^\s*(\d+) failing/.exec(line);
      if (pass) passing = pass[1];
      if (fail) failing = fail[1];
      else if (failing !== '0' && line.trim() && failureLines.length < 16) failureLines.push(line.trim());
      console.log(`  ${line}`);
    }
  });
  const url = `http://127.0.0.1:${port}/?folder=${encodeURIComponent(path.join(dir, 'workspace'))}&payload=${encodeURIComponent(JSON.stringify(payload))}`;
  await page.goto(url);
  let timer;
  const timeout = new Promise((resolve) => {
    timer = setTimeout(() => resolve('timeout'), 240_000);
  });
  const code = await Promise.race([exitCode, timeout]);
  clearTimeout(timer);
  if (code !== 0) await page.screenshot({ path: path.join(resultsDir, 'in-host-failure.png') }).catch(() => {});
  await context.close();
  if (code === 'timeout') throw new Error('the in-host suites did not finish within 240 s');
  if (code !== 0) throw new Error(`${failing} of ${Number(passing) + Number(failing)} in-host tests failed (exit code ${code}):\n    ${failureLines.join('\n    ')}`);
  return `${passing} tests passed`;
}

// ---- suite: the UI, as a user drives it -------------------------------------------------------

async function runFromPalette(page, label) {
  const widget = page.locator('.quick-input-widget');
  for (let attempt = 1; attempt <= 6; attempt++) {
    await page.keyboard.press('F1');
    await widget.locator('.quick-input-box input').waitFor({ state: 'visible', timeout: 10_000 });
    await widget.locator('.quick-input-box input').fill(`>${label}`);
    const row = widget.locator('.monaco-list-row').filter({ has: page.locator('.label-name', { hasText: new RegExp(`^${escapeRegExp(label)}$`) }) });
    try {
      await row.first().waitFor({ state: 'visible', timeout: 3000 });
      await row.first().click();
      return;
    } catch {
      // The palette came before the extension registered its command: it shows "No matching
      // commands" and does not refresh. Close it and try again.
      say(`  ui: the palette does not offer "${label}" yet (try ${attempt}); retrying`);
      await page.keyboard.press('Escape');
      await page.waitForTimeout(1000);
    }
  }
  throw new Error(`the command palette never offered "${label}"`);
}

async function pickQuickInputRow(page, filterText, label) {
  const widget = page.locator('.quick-input-widget');
  await widget.locator('.quick-input-box input').fill(filterText);
  const row = widget.locator('.monaco-list-row').filter({ has: page.locator('.label-name', { hasText: new RegExp(`^${escapeRegExp(label)}$`) }) });
  await row.first().waitFor({ state: 'visible', timeout: 10_000 });
  await row.first().click();
}

/** The frame of the webview page whose h1 names this model (the page renders the model's title). */
async function webviewFrameShowing(page, title, timeoutMs = 30_000) {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    for (const frame of page.frames()) {
      const heading = await frame.locator('h1.model-title').first().textContent({ timeout: 200 }).catch(() => null);
      if (heading?.startsWith(title)) return frame;
    }
    await page.waitForTimeout(250);
  }
  throw new Error(`no webview shows "${title}" within ${timeoutMs / 1000} s`);
}

async function answerInput(page, text) {
  const input = page.locator('.quick-input-widget .quick-input-box input');
  await input.fill(text);
  await page.keyboard.press('Enter');
  // The next question replaces this one; wait until the box no longer holds the answer.
  await page.waitForFunction(
    (answer) => document.querySelector('.quick-input-widget .quick-input-box input')?.value !== answer,
    text,
    { timeout: 10_000 },
  );
}

async function expectValidation(page, text, pattern) {
  await page.locator('.quick-input-widget .quick-input-box input').fill(text);
  const message = page.locator('.quick-input-widget .quick-input-message');
  await message.filter({ hasText: pattern }).waitFor({ timeout: 10_000 }).catch(async () => {
    throw new Error(`typing "${text}" did not show ${pattern} (the message reads "${await message.innerText().catch(() => '')}")`);
  });
}

const escapeRegExp = (text) => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

function expect(condition, message) {
  if (!condition) throw new Error(message);
}

async function uiSuite(browser, port, dir) {
  const context = await browser.newContext({ viewport: { width: 1600, height: 1000 } });
  const page = await context.newPage();
  const steps = [];
  const step = (text) => {
    steps.push(text);
    say(`  ui: ${text}`);
  };
  try {
    const workspace = path.join(dir, 'workspace');
    await page.goto(`http://127.0.0.1:${port}/?folder=${encodeURIComponent(workspace)}`);
    await page.locator('.monaco-workbench .part.statusbar').waitFor({ state: 'visible', timeout: 60_000 });
    step('workbench is up');

    await runFromPalette(page, 'ResNet Lab: Show Architecture');
    const widget = page.locator('.quick-input-widget');
    await widget.locator('.quick-input-title', { hasText: 'ResNet Lab: Show Architecture' }).waitFor({ timeout: 10_000 });
    const separators = await widget.locator('.quick-input-list .monaco-list-row .quick-input-list-separator').allTextContents();
    expect(separators.some((s) => s.includes('ImageNet')), `the model list has no ImageNet group (separators: ${separators.join(' | ')})`);
    await pickQuickInputRow(page, 'ResNet-34', 'ResNet-34');
    step('picked ResNet-34 in the model list');

    await widget.locator('.quick-input-title', { hasText: 'shortcut option' }).waitFor({ timeout: 10_000 });
    const focused = widget.locator('.monaco-list-row.focused');
    const focusedText = await focused.innerText();
    expect(/Option B/.test(focusedText) && /default/.test(focusedText), `the shortcut pick does not pre-select option B as the default: "${focusedText}"`);
    await page.keyboard.press('Enter');
    step('kept the pre-selected option B');

    const tab = page.locator('.tabs-container .tab', { hasText: 'ResNet-34' });
    await tab.waitFor({ timeout: 15_000 });
    const view = page.frameLocator('iframe.webview.ready').first().frameLocator('#active-frame');
    const table = view.locator('table.layers');
    await view.locator('h1.model-title', { hasText: /^ResNet-34$/ }).waitFor({ timeout: 30_000 });
    await view.locator('table.layers tr.layer-row').first().waitFor({ timeout: 15_000 });
    const rows = await view.locator('table.layers tr.layer-row').count();
    expect(rows > 10, `the layer table shows only ${rows} layer rows`);
    const tableText = await table.innerText();
    // ResNet-34's parameters as core counts them (21.8M in the paper's Table 3).
    expect(tableText.includes('21,797,672') || tableText.includes('21.8'), 'the layer table does not show ResNet-34\'s 21.8M parameters');
    const diagram = view.locator('.diagram svg.diagram-svg').first();
    await diagram.waitFor({ timeout: 15_000 });
    const shapes = await diagram.locator('rect, path, line').count();
    expect(shapes > 10, `the diagram draws only ${shapes} shapes`);
    step(`the webview shows the layer table (${rows} layer rows) and the diagram (${shapes} shapes)`);

    const statusItem = page.locator('.statusbar-item', { hasText: 'ResNet-34' });
    await statusItem.waitFor({ timeout: 10_000 });
    step(`status bar: "${(await statusItem.innerText()).trim()}"`);
    await page.screenshot({ path: path.join(resultsDir, 'ui-resnet34.png') });
    step('screenshot test-results/vscode/ui-resnet34.png');

    await view.locator('button.export-diagram-svg').click();
    // The web workbench's save dialog is a quick input holding the path; Enter accepts it.
    const pathInput = page.locator('.quick-input-widget .quick-input-box input');
    await pathInput.waitFor({ state: 'visible', timeout: 10_000 });
    // The dialog fills in the folder first and the suggested name a moment later.
    await page
      .waitForFunction(() => /\.svg$/.test(document.querySelector('.quick-input-widget .quick-input-box input')?.value ?? ''), null, { timeout: 10_000 })
      .catch(() => {});
    const suggested = await pathInput.inputValue();
    expect(/resnet34-diagram\.svg$/.test(suggested), `the save dialog suggests "${suggested}", not resnet34-diagram.svg`);
    await page.keyboard.press('Enter');
    const saved = path.join(workspace, 'resnet34-diagram.svg');
    await view.locator('.export-view .status-line', { hasText: 'saved to' }).waitFor({ timeout: 15_000 });
    expect(fs.existsSync(saved), `the page says saved, but ${saved} does not exist`);
    const svg = fs.readFileSync(saved, 'utf8');
    expect(/<svg[\s>]/.test(svg) && svg.includes('conv'), `${saved} is not the diagram (${svg.length} bytes)`);
    step(`exported the diagram through the real save dialog: ${path.basename(saved)} (${svg.length} bytes)`);

    await table.scrollIntoViewIfNeeded();
    await page.screenshot({ path: path.join(resultsDir, 'ui-resnet34-table.png') });
    step('screenshot test-results/vscode/ui-resnet34-table.png');

    // A custom net through the quick inputs; each bad value gets core's message.
    await runFromPalette(page, 'ResNet Lab: Show Architecture');
    await pickQuickInputRow(page, 'Custom', 'Custom…');
    await expectValidation(page, '3,0,3', /Blocks per stage must be one or more whole numbers ≥ 1 .*got 3,0,3/);
    await answerInput(page, '2,2,2');
    await expectValidation(page, 'wide', /Base width must be a whole number; got "wide"/);
    await answerInput(page, '16');
    await pickQuickInputRow(page, 'Basic', 'Basic');
    await pickQuickInputRow(page, 'CIFAR', 'CIFAR stem');
    await expectValidation(page, '2', /Input size must be a whole number from 4 to 1024 for a cifar stem with 3 stages/);
    await answerInput(page, '32');
    await answerInput(page, '10');
    await page.locator('.quick-input-widget .quick-input-title', { hasText: 'shortcut option' }).waitFor({ timeout: 10_000 });
    await page.keyboard.press('Enter');
    const customTitle = 'ResNet-14 custom (2-2-2, width 16, option A)';
    await page.locator('.tabs-container .tab', { hasText: customTitle }).waitFor({ timeout: 15_000 });
    await page.locator('.statusbar-item', { hasText: customTitle }).waitFor({ timeout: 10_000 });
    await (await webviewFrameShowing(page, customTitle)).locator('table.layers').waitFor({ timeout: 15_000 });
    step(`custom net: the bad values were refused with core's messages, then "${customTitle}" opened`);

    // The user's reload: "Developer: Reload Window" flushes the workbench state first
    // (a bare browser reload may lose the last few seconds of it in the web workbench).
    const reloaded = page.waitForEvent('load', { timeout: 60_000 });
    await runFromPalette(page, 'Developer: Reload Window');
    await reloaded;
    await page.locator('.monaco-workbench .part.statusbar').waitFor({ state: 'visible', timeout: 60_000 });
    await page.locator('.tabs-container .tab', { hasText: customTitle }).waitFor({ timeout: 30_000 });
    await page.locator('.tabs-container .tab', { hasText: 'ResNet-34' }).waitFor({ timeout: 30_000 });
    await (await webviewFrameShowing(page, customTitle)).locator('table.layers').waitFor({ timeout: 15_000 });
    await page.locator('.tabs-container .tab', { hasText: 'ResNet-34' }).click();
    await (await webviewFrameShowing(page, 'ResNet-34')).locator('table.layers').waitFor({ timeout: 15_000 });
    step('after a window reload both panels are back, with their table');
    await page.screenshot({ path: path.join(resultsDir, 'ui-after-reload.png') });
    return `${steps.length} steps passed`;
  } catch (error) {
    await page.screenshot({ path: path.join(resultsDir, 'ui-failure.png') }).catch(() => {});
    throw new Error(`${error.message}\n  (after: ${steps.join('; ') || 'nothing'}; screenshot test-results/vscode/ui-failure.png)`);
  } finally {
    await context.close();
  }
}

// ---- main ------------------------------------------------------------------------------------

async function main() {
  preflight();
  fs.mkdirSync(resultsDir, { recursive: true });
  for (const stale of fs.readdirSync(resultsDir).filter((f) => f.endsWith('.png'))) fs.rmSync(path.join(resultsDir, stale));
  const dir = makeRunFolder();
  const logPath = path.join(resultsDir, 'code-server.log');
  const log = fs.createWriteStream(logPath);
  log.path = logPath;
  say(`throw-away folder ${dir}; code-server log ${path.relative(root, logPath)}`);
  const results = [];
  const runSuite = async (name, body) => {
    if (!only.includes(name)) return;
    const suiteStarted = Date.now();
    say(`suite ${name}: started`);
    try {
      const detail = await body();
      results.push({ name, ok: true, line: `PASS ${name.padEnd(8)} ${seconds(suiteStarted).padStart(5)} s  ${detail}` });
    } catch (error) {
      results.push({ name, ok: false, line: `FAIL ${name.padEnd(8)} ${seconds(suiteStarted).padStart(5)} s  ${error.message}` });
    }
    say(results.at(-1).line.split('\n')[0]);
  };

  let browser;
  try {
    await runSuite('package', async () => packageSuite(dir));
    if (['in-host', ...UI_SUITES].some((name) => only.includes(name))) {
      if (UI_SUITES.some((name) => only.includes(name)) && !only.includes('package')) packageSuite(dir);
      const port = Number(process.env.RESNET_LAB_TEST_PORT) || (await freePort());
      activeServer = await startCodeServer(dir, port, log);
      say(`code-server on http://127.0.0.1:${port}`);
      browser = await chromium.launch({
        executablePath: chromiumPath,
        headless: !headed,
        args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
        env: { ...process.env, XDG_CONFIG_HOME: path.join(dir, 'chromium') },
      });
      await runSuite('in-host', () => inHostSuite(browser, port, dir));
      await runSuite('ui', () => uiSuite(browser, port, dir));
      await runSuite('ui-training', () => trainingUiSuite(browser, port, dir, { runFromPalette, pickQuickInputRow, say, resultsDir, expect }));
      await runSuite('ui-inspector', () => inspectorUiSuite(browser, port, dir, { runFromPalette, pickQuickInputRow, webviewFrameShowing, say, resultsDir, expect }));
      await runSuite('ui-exported-run', () => exportedRunUiSuite(browser, port, dir, { runFromPalette, say, resultsDir, expect }));
      await runSuite('ui-views', () => viewsUiSuite(browser, port, dir, { runFromPalette, pickQuickInputRow, webviewFrameShowing, say, resultsDir, expect }));
      await runSuite('ui-study', () => studyUiSuite(browser, port, dir, { runFromPalette, pickQuickInputRow, say, resultsDir, expect }));
    }
  } catch (error) {
    results.push({ name: 'setup', ok: false, line: `FAIL setup    ${error.message}` });
  } finally {
    await browser?.close().catch(() => {});
    killGroup(activeServer);
    log.end();
    if (!keep) fs.rmSync(dir, { recursive: true, force: true, maxRetries: 3 });
  }

  console.log('\nVS Code tests (code-server 4.100.3):');
  for (const result of results) console.log(`  ${result.line}`);
  const failed = results.filter((r) => !r.ok).length;
  console.log(`  ${failed ? `${failed} suite(s) failed` : 'all suites passed'} in ${seconds(started)} s`);
  process.exitCode = failed || results.length === 0 ? 1 : 0;
}

let activeServer;
for (const signal of ['SIGINT', 'SIGTERM']) {
  process.on(signal, () => {
    killGroup(activeServer);
    process.exit(130);
  });
}
await main();
