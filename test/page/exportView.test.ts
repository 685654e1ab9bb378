// Export: the diagram and the charts as standalone SVG (colours inlined, parses as XML) and
// as PNG data URLs, and the status line showing what the extension answered.
import assert from 'node:assert/strict';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import type { Browser } from 'playwright-core';
import type { ExportFileMessage } from '../../protocol/architecture';
import { eachArchitecturePage, named, PageSession, SCREENSHOT_DIR, showMessage } from './host';

/** Width and height from a PNG's IHDR chunk, after checking the signature. */
function pngSize(dataUrl: string): { width: number; height: number } {
  const prefix = 'data:image/png;base64,';
  assert.ok(dataUrl.startsWith(prefix), dataUrl.slice(0, 40));
  const bytes = Buffer.from(dataUrl.slice(prefix.length), 'base64');
  assert.deepEqual([...bytes.subarray(0, 8)], [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
  assert.equal(bytes.subarray(12, 16).toString('latin1'), 'IHDR');
  return { width: bytes.readUInt32BE(16), height: bytes.readUInt32BE(20) };
}

describe('export', () => {
  let session: PageSession;
  let browser: Browser;
  eachArchitecturePage((s, b) => ((session = s), (browser = b)));

  /** Parses SVG text in a blank page of its own (no CSP there: the exported file stands alone). */
  const inBlankPage = async <T>(svgText: string, read: (text: string) => T): Promise<T> => {
    const blank = await browser.newPage();
    try {
      return await blank.evaluate(read, svgText);
    } finally {
      await blank.close();
    }
  };

  const exported = async (view: string, format: 'svg' | 'png'): Promise<ExportFileMessage> => {
    await session.clearPosted();
    await session.page.click(`button.export-${view}-${format}`);
    return (await session.waitForPosted((m) => m.type === 'exportFile')) as ExportFileMessage;
  };

  test('the diagram as SVG: parses, holds every arc, and carries the theme colours instead of CSS variables', async () => {
    await session.show(showMessage(named('resnet56')));
    const message = await exported('diagram', 'svg');
    assert.equal(message.view, 'diagram');
    assert.equal(message.format, 'svg');
    assert.doesNotMatch(message.data, /var\(--/);
    const parsed = await inBlankPage(message.data, (text) => {
      const doc = new DOMParser().parseFromString(text, 'image/svg+xml');
      const arcs = [...doc.querySelectorAll('path[data-shortcut]')];
      return {
        error: doc.querySelector('parsererror')?.textContent ?? null,
        root: doc.documentElement.localName,
        namespace: doc.documentElement.namespaceURI,
        arcs: arcs.map((a) => a.getAttribute('data-shortcut')),
        zeropadStyle: arcs.find((a) => a.getAttribute('data-shortcut') === 'zeropad')!.getAttribute('style'),
        identityStyle: arcs.find((a) => a.getAttribute('data-shortcut') === 'identity')!.getAttribute('style'),
        transform: doc.querySelector('[data-zoom-content]')?.getAttribute('transform') ?? null,
      };
    });
    assert.equal(parsed.error, null);
    assert.equal(parsed.root, 'svg');
    assert.equal(parsed.namespace, 'http://www.w3.org/2000/svg');
    assert.equal(parsed.arcs.length, 27);
    assert.equal(parsed.arcs.filter((a) => a === 'zeropad').length, 2);
    assert.match(parsed.identityStyle!, /stroke: rgb\(55, 148, 255\)/, 'Dark Modern charts-blue');
    assert.match(parsed.zeropadStyle!, /stroke: rgb\(209, 134, 22\).*stroke-dasharray: 2px, 3px/);
    assert.equal(parsed.transform, null, 'the zoom is not exported');
    // What the exported file looks like on its own, for a person to check.
    mkdirSync(SCREENSHOT_DIR, { recursive: true });
    writeFileSync(join(SCREENSHOT_DIR, 'export-diagram-resnet56.svg'), message.data);
    const viewer = await browser.newPage({ viewport: { width: 1300, height: 800 } });
    await viewer.setContent(message.data);
    await viewer.screenshot({ path: join(SCREENSHOT_DIR, 'export-diagram-resnet56-svg.png') });
    await viewer.close();
  });

  test('the diagram as PNG: a PNG data URL of the whole drawing at twice its size', async () => {
    await session.show(showMessage(named('resnet34')));
    const message = await exported('diagram', 'png');
    assert.equal(message.format, 'png');
    const size = pngSize(message.data);
    const content = await session.page.evaluate(() => {
      const svg = document.querySelector('svg.diagram-svg')!;
      const box = (svg.querySelector('[data-zoom-content]') as SVGGElement).getBBox();
      return { width: box.x + box.width, height: box.y + box.height };
    });
    assert.ok(size.width >= 2 * content.width && size.height >= 2 * content.height, `${JSON.stringify(size)} for ${JSON.stringify(content)}`);
    writeFileSync(join(SCREENSHOT_DIR, 'export-diagram-resnet34.png'), Buffer.from(message.data.split(',')[1], 'base64'));
  });

  test('the charts as SVG and PNG, with both series when comparing', async () => {
    await session.show(showMessage(named('resnet56'), named('resnet56', { plain: true })));
    const svg = await exported('charts', 'svg');
    assert.equal(svg.view, 'charts');
    const bars = await inBlankPage(svg.data, (text) => {
      const doc = new DOMParser().parseFromString(text, 'image/svg+xml');
      if (doc.querySelector('parsererror')) return null;
      return [...doc.querySelectorAll('rect[data-stage-id]')].map((r) => `${r.getAttribute('data-series')}:${(r.getAttribute('style') ?? '').match(/fill: ([^;]+)/)?.[1]}`);
    });
    assert.ok(bars, 'the SVG parses');
    assert.deepEqual([...new Set(bars)], ['primary:rgb(55, 148, 255)', 'compare:rgb(241, 76, 76)']);
    assert.equal(bars.length, 10);
    const png = await exported('charts', 'png');
    const size = pngSize(png.data);
    assert.ok(size.width > 900 && size.height >= 600, JSON.stringify(size));
    writeFileSync(join(SCREENSHOT_DIR, 'export-charts-compare.png'), Buffer.from(png.data.split(',')[1], 'base64'));
  });

  test('the status line shows the saved path, a cancel, or the error the extension sent back', async () => {
    await session.show(showMessage(named('resnet20')));
    const status = () => session.page.textContent('.status-line');
    const first = await exported('diagram', 'svg');
    assert.equal(await status(), 'Export diagram as SVG…');
    await session.send({ type: 'exportResult', requestId: first.requestId, ok: true, detail: '/home/me/resnet20-diagram.svg' });
    await session.page.waitForFunction(() => document.querySelector('.status-line')!.getAttribute('data-kind') === 'ok');
    assert.equal(await status(), 'Export diagram as SVG: saved to /home/me/resnet20-diagram.svg');
    const second = await exported('charts', 'png');
    await session.send({ type: 'exportResult', requestId: second.requestId, ok: false, detail: 'cancelled' });
    await session.page.waitForFunction(() => document.querySelector('.status-line')!.getAttribute('data-kind') === 'info');
    assert.equal(await status(), 'Export charts as PNG: cancelled');
    const third = await exported('charts', 'svg');
    await session.send({ type: 'exportResult', requestId: third.requestId, ok: false, detail: 'EACCES: permission denied, open /root/x.svg' });
    await session.page.waitForFunction(() => document.querySelector('.status-line')!.getAttribute('data-kind') === 'error');
    assert.equal(await status(), 'Export charts as SVG failed: EACCES: permission denied, open /root/x.svg');
  });
});
