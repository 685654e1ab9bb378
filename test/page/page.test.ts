// The page as a whole: loads under the real CSP, says it is ready, saves the panel state,
// shows the title, the totals and the FLOPs convention, and draws in dark and light themes.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { Browser } from 'playwright-core';
import { formatCount } from '../../core/format';
import { contentSecurityPolicy, makeNonce, webviewHtml } from '../../extension/panelHtml';
import type { ArchitecturePanelState } from '../../protocol/architecture';
import { Host, launchBrowser, named, PageSession, report, showMessage, startHost } from './host';

describe('architecture page', () => {
  let host: Host;
  let browser: Browser;
  before(async () => {
    host = await startHost();
    browser = await launchBrowser();
  });
  after(async () => {
    await browser?.close();
    await host?.close();
  });

  test('the HTML carries a strict CSP with the script nonce', () => {
    const nonce = makeNonce();
    assert.match(nonce, /^[A-Za-z0-9]{32}$/);
    assert.notEqual(makeNonce(), nonce);
    const html = webviewHtml({ scriptUri: 'https://x.test/dist/webview.js', styleUri: 'https://x.test/dist/webview.css', cspSource: 'https://x.test', nonce, title: 'A <title>' });
    assert.ok(html.includes(`content="${contentSecurityPolicy('https://x.test', nonce)}"`));
    assert.ok(html.includes("default-src 'none'; img-src https://x.test data: blob:; style-src https://x.test; script-src 'nonce-"));
    assert.ok(html.includes(`<script nonce="${nonce}" src="https://x.test/dist/webview.js"></script>`));
    assert.ok(html.includes('<title>A &lt;title&gt;</title>'));
    assert.doesNotMatch(html, /<style|style="/);
    assert.throws(() => webviewHtml({ scriptUri: '', styleUri: '', cspSource: '', nonce: 'bad" nonce', title: '' }), /nonce/);
  });

  test('posts ready, then shows the model, its totals and the FLOPs convention, and saves its state', async () => {
    const session = await PageSession.open(browser, host, 'dark');
    const posted = await session.posted();
    assert.deepEqual(posted, [{ type: 'ready' }]);
    const message = showMessage(named('resnet56'));
    await session.show(message);
    const { page } = session;
    const total = report(named('resnet56')).costs.total;
    assert.equal(await page.textContent('.model-title'), 'ResNet-56');
    const totals = (await page.textContent('.model-totals')) ?? '';
    assert.ok(totals.includes(`${formatCount(total.params)} parameters`), totals);
    assert.ok(totals.includes('853,018 parameters'), 'the paper-checked count reaches the page');
    assert.ok(totals.includes(`${formatCount(total.nonTrainable)} non-trainable`), totals);
    assert.ok(totals.includes(`${formatCount(total.flops)} multiply-adds`), totals);
    assert.match((await page.textContent('.convention')) ?? '', /multiply-adds of conv and fc layers, as in the paper/);
    assert.match((await page.textContent('.model-description')) ?? '', /option A shortcuts/);
    const state = await session.state();
    assert.deepEqual({ model: state?.model, compare: state?.compare }, { model: message.primary, compare: null });
    assert.equal(state?.view?.selectedBlock, null);
    await session.assertNoProblems();
    await session.screenshot('overview-dark');
    await session.close();
  });

  test('draws with the light theme variables too, and saves the comparison in its state', async () => {
    const session = await PageSession.open(browser, host, 'light');
    const message = showMessage(named('resnet34'), named('resnet34', { plain: true }));
    await session.show(message);
    const { page } = session;
    assert.equal(await page.textContent('.model-title'), 'ResNet-34 (compared with plain-34)');
    const colours = await page.evaluate(() => ({
      background: getComputedStyle(document.body).backgroundColor,
      text: getComputedStyle(document.body).color,
      bar: getComputedStyle(document.querySelector('rect.bar.series-primary')!).fill,
    }));
    assert.deepEqual(colours, { background: 'rgb(255, 255, 255)', text: 'rgb(59, 59, 59)', bar: 'rgb(26, 133, 255)' });
    await session.setTheme('dark');
    assert.equal(await page.evaluate(() => getComputedStyle(document.body).backgroundColor), 'rgb(31, 31, 31)');
    await session.setTheme('light');
    const state = await session.state();
    assert.deepEqual({ model: state?.model, compare: state?.compare }, { model: message.primary, compare: message.compare });
    await session.assertNoProblems();
    await session.screenshot('overview-light');
    await session.close();
  });

  test('a tab hidden and shown again comes back as it was: selection, zoom, open stages, scroll; the extension\'s selected block wins', async () => {
    const first = await PageSession.open(browser, host, 'dark', { width: 1280, height: 700 });
    let state: ArchitecturePanelState | undefined;
    try {
      await first.show(showMessage(named('resnet56')));
      const fitted = (await first.state())?.view?.zoom.k;
      assert.ok(fitted !== undefined && fitted < 1, `ResNet-56 is fitted to the view (${fitted})`);
      const box = (await first.page.locator('svg.diagram-svg').boundingBox())!;
      await first.page.mouse.move(box.x + 300, box.y + 200);
      await first.page.mouse.wheel(0, -300);
      await first.page.waitForFunction((fitted) => ((window.__webviewHost.state as ArchitecturePanelState | undefined)?.view?.zoom.k ?? 0) > fitted, fitted);
      await first.page.click('g.item.block[data-block-id="conv3_2"]');
      assert.equal(await first.page.evaluate(() => window.scrollY), 0, 'selecting a block scrolls the table, not the page');
      await first.page.click('tr.stage-row[data-stage-id="conv2_x"] button.stage-toggle');
      await first.page.evaluate(() => window.scrollTo(0, 420));
      await first.page.waitForFunction(() => (window.__webviewHost.state as ArchitecturePanelState | undefined)?.view?.scrollY === 420);
      state = await first.state();
      assert.equal(state?.view?.selectedBlock, 'conv3_2');
      assert.ok(!state?.view?.tableExpanded.includes('conv2_x'));
    } finally {
      await first.close();
    }
    const transform = `translate(${state!.view!.zoom.x},${state!.view!.zoom.y}) scale(${state!.view!.zoom.k})`;
    // VS Code loads the page again with the state it kept; the extension sends the model and the block its status bar names.
    const again = await PageSession.open(browser, host, 'dark', { width: 1280, height: 700 }, `window.__webviewHost.state = ${JSON.stringify(state)};`);
    try {
      await again.show(showMessage(named('resnet56'), null, undefined, 'conv3_2'));
      assert.deepEqual(await again.page.$$eval('g.item.block.selected', (b) => b.map((e) => e.getAttribute('data-block-id'))), ['conv3_2']);
      assert.equal(await again.page.textContent('button.inspect-block'), 'Inspect conv3_2');
      assert.equal(await again.page.getAttribute('g.diagram-content', 'transform'), transform);
      assert.equal(await again.page.getAttribute('tr.stage-row[data-stage-id="conv2_x"]', 'aria-expanded'), 'false');
      assert.equal(await again.page.evaluate(() => Math.round(window.scrollY)), 420);
      await again.screenshot('state-restored-dark');
      await again.assertNoProblems();
    } finally {
      await again.close();
    }
    // The inspector moved on while the tab was hidden: the extension's block is the one shown.
    const moved = await PageSession.open(browser, host, 'dark', { width: 1280, height: 700 }, `window.__webviewHost.state = ${JSON.stringify(state)};`);
    try {
      await moved.show(showMessage(named('resnet56'), null, undefined, 'conv4_7'));
      assert.deepEqual(await moved.page.$$eval('g.item.block.selected', (b) => b.map((e) => e.getAttribute('data-block-id'))), ['conv4_7']);
      assert.deepEqual(await moved.page.$$eval('tr.layer-row.selected', (r) => [...new Set(r.map((e) => e.getAttribute('data-block-id')))]), ['conv4_7']);
      assert.equal((await moved.state())?.view?.selectedBlock, 'conv4_7');
      assert.ok(!(await moved.posted()).some((m) => m.type === 'blockSelected'), 'no echo back to the extension');
    } finally {
      await moved.close();
    }
  });

  test('a failure while drawing is shown in the page and logged, never silent', async () => {
    const session = await PageSession.open(browser, host, 'dark');
    const broken = showMessage(named('resnet19'));
    await session.page.evaluate((m) => window.postMessage(m, '*'), broken);
    await session.page.waitForSelector('.error-banner:not([hidden])');
    assert.match((await session.page.textContent('.error-banner')) ?? '', /Could not handle "showArchitecture": Unknown model "resnet19"/);
    const log = await session.waitForPosted((m) => m.type === 'log');
    assert.equal(log.type === 'log' && log.level, 'error');
    await session.close();
  });
});
