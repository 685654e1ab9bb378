// The "ui-study" suite of scripts/vscode-tests.mjs: studies as a user runs them from the palette.
// F1 → "ResNet Lab: New Study…" → Fig. 1 → A short look → a name: the study file opens in the
// editor; the file is then cut to a tiny study (plain-8 on the embedded data, 6 iterations);
// F1 → "ResNet Lab: Run Study…" trains it (the study's status bar item shows); F1 → "ResNet Lab:
// Show Reproduction Report" opens the Markdown preview, whose first line says the run is not
// comparable with the paper; a screenshot of it.
import * as fs from 'node:fs';
import * as path from 'node:path';

export async function studyUiSuite(browser, port, dir, { runFromPalette, pickQuickInputRow, say, resultsDir, expect }) {
  const context = await browser.newContext({ viewport: { width: 1500, height: 1000 } });
  const page = await context.newPage();
  const steps = [];
  const step = (text) => {
    steps.push(text);
    say(`  ui-study: ${text}`);
  };
  const workspace = path.join(dir, 'workspace');
  const studyFile = path.join(workspace, '.resnet-lab', 'studies', 'uistudy.json');
  const runFolder = path.join(workspace, '.resnet-lab', 'runs', 'uistudy-plain8-seed1');
  const waitUntil = async (what, check, timeoutMs) => {
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline) {
      if (await check()) return;
      await page.waitForTimeout(250);
    }
    throw new Error(`timed out after ${timeoutMs / 1000} s waiting for ${what}`);
  };
  try {
    await page.goto(`http://127.0.0.1:${port}/?folder=${encodeURIComponent(workspace)}`);
    await page.locator('.monaco-workbench .part.statusbar').waitFor({ state: 'visible', timeout: 60_000 });

    await runFromPalette(page, 'ResNet Lab: New Study…');
    await pickQuickInputRow(page, 'Fig. 1', 'Fig. 1 (plain-20 vs plain-56)');
    await pickQuickInputRow(page, 'short', 'A short look');
    const input = page.locator('.quick-input-widget .quick-input-box input');
    await input.waitFor({ state: 'visible', timeout: 10_000 });
    await input.fill('uistudy');
    await page.keyboard.press('Enter');
    await waitUntil('the study file', () => fs.existsSync(studyFile), 15_000);
    await page.locator('.tab', { hasText: 'uistudy.json' }).first().waitFor({ state: 'visible', timeout: 15_000 });
    const written = JSON.parse(fs.readFileSync(studyFile, 'utf8'));
    expect(written.budget.iterations === 2000 && written.data.trainSize === 5000, `"A short look" wrote ${JSON.stringify(written.budget)} on ${written.data.trainSize} images`);
    step('New Study wrote .resnet-lab/studies/uistudy.json (Fig. 1, a short look) and opened it');

    // A tiny study instead, so that it trains in seconds (the user would edit the file the same way,
    // title included: the report is headed with it).
    fs.writeFileSync(studyFile, JSON.stringify({ ...written, title: 'Fig. 1 in miniature: plain-8 on synthetic shapes', depths: [8], data: { kind: 'synthetic', trainSize: 64, testSize: 32 }, budget: { iterations: 6, batch: 8 }, engine: 'wasm' }, null, 2) + '\n');
    await page.waitForTimeout(1500);
    await runFromPalette(page, 'ResNet Lab: Run Study…');
    await page.locator('.statusbar-item', { hasText: 'Study uistudy' }).first().waitFor({ state: 'visible', timeout: 30_000 });
    step('Run Study started it; the status bar shows the study');
    await waitUntil('the study run to finish', () => {
      try {
        return JSON.parse(fs.readFileSync(path.join(runFolder, 'outcome.json'), 'utf8')).status === 'finished';
      } catch {
        return false;
      }
    }, 180_000);
    step('its run finished');

    await runFromPalette(page, 'ResNet Lab: Show Reproduction Report');
    // With other studies in the workspace (the in-host suite leaves one) the command asks which.
    const thisStudy = page.locator('.quick-input-widget .monaco-list-row').filter({ has: page.locator('.label-name', { hasText: /^uistudy$/ }) });
    if (await thisStudy.first().waitFor({ state: 'visible', timeout: 5_000 }).then(() => true, () => false)) {
      await thisStudy.first().click();
      step('Show Reproduction Report asked which study; picked uistudy');
    }
    const markdown = path.join(workspace, '.resnet-lab', 'studies', 'uistudy-report.md');
    await waitUntil('the report file', () => fs.existsSync(markdown), 120_000);
    let preview;
    await waitUntil('the Markdown preview showing the report', async () => {
      for (const frame of page.frames()) {
        const text = await frame.locator('body').first().textContent({ timeout: 200 }).catch(() => null);
        if (text && text.includes('Reproduction report: Fig. 1 in miniature') && text.includes('not comparable')) {
          preview = frame;
          return true;
        }
      }
      return false;
    }, 60_000);
    const first = (await preview.locator('p').first().textContent()) ?? '';
    expect(first.startsWith('6 of 64,000 iterations, synthetic shapes, not CIFAR-10') && first.endsWith("not comparable with the paper's figures."), `the preview's first line is "${first}"`);
    const images = await preview.locator('img').count();
    expect(images === 2, `the preview shows ${images} figures`);
    await page.waitForTimeout(1500);
    await page.screenshot({ path: path.join(resultsDir, 'ui-study-report.png') });
    step('Show Reproduction Report opened the Markdown preview with its 2 figures; screenshot test-results/vscode/ui-study-report.png');
    return 'New Study, Run Study and Show Reproduction Report from the palette';
  } catch (error) {
    await page.screenshot({ path: path.join(resultsDir, 'ui-study-failure.png') }).catch(() => {});
    throw new Error(`${error.message}\n  (after: ${steps.join('; ') || 'nothing'}; screenshot test-results/vscode/ui-study-failure.png)`);
  } finally {
    await context.close();
  }
}
