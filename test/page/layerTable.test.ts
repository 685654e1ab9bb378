// The layer table: one row per layer, stage subtotals and totals equal to core's figures,
// collapsing, sorting, filtering, copying as Markdown and CSV, and ResNet-1202 kept small.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { formatCount } from '../../core/format';
import type { CopyTextMessage } from '../../protocol/architecture';
import { eachArchitecturePage, named, PageSession, report, showMessage } from './host';

/** RFC 4180 CSV: quoted fields may hold commas and doubled quotes. */
function parseCsv(text: string): string[][] {
  return text
    .trim()
    .split('\n')
    .map((line) => [...line.matchAll(/("(?:[^"]|"")*"|[^,]*)(,|$)/g)].filter((m) => m.index! < line.length || m[1] !== '').map((m) => (m[1].startsWith('"') ? m[1].slice(1, -1).replace(/""/g, '"') : m[1])));
}

const rowIds = (session: PageSession, selector = 'tr.layer-row') => session.page.$$eval(selector, (rows) => rows.map((r) => r.getAttribute('data-layer-id')!));

describe('layer table', () => {
  let session: PageSession;
  eachArchitecturePage((s) => (session = s));

  test('ResNet-56: one row per layer, in order, with stage subtotals and totals from core', async () => {
    const resnet56 = report(named('resnet56'));
    await session.show(showMessage(named('resnet56')));
    assert.deepEqual(await rowIds(session), resnet56.costs.layers.map((l) => l.id));
    assert.equal(resnet56.costs.layers.length, 197);
    for (const stage of resnet56.costs.stages) {
      const row = session.page.locator(`tr.stage-row[data-stage-id="${stage.id}"]`);
      assert.equal(await row.locator('.col-params').textContent(), formatCount(stage.params), `${stage.id} params`);
      assert.equal(await row.locator('.col-nonTrainable').textContent(), formatCount(stage.nonTrainable), `${stage.id} non-trainable`);
      assert.equal(await row.locator('.col-flops').textContent(), formatCount(stage.flops), `${stage.id} multiply-adds`);
      assert.match((await row.locator('.col-activations').textContent()) ?? '', new RegExp(`^${formatCount(stage.activations)} \\(`));
    }
    const total = session.page.locator('tfoot tr.total-row');
    assert.equal(await total.locator('.col-params').textContent(), '853,018');
    assert.equal(await total.locator('.col-nonTrainable').textContent(), formatCount(resnet56.costs.total.nonTrainable));
    assert.equal(await total.locator('.col-flops').textContent(), formatCount(resnet56.costs.total.flops));
    const conv3 = session.page.locator('tr.layer-row[data-layer-id="conv3_1.conv1"]');
    assert.equal(await conv3.locator('.col-output').textContent(), '16×16×32');
    assert.equal(await conv3.locator('.col-flops').textContent(), formatCount(resnet56.costs.layers.find((l) => l.id === 'conv3_1.conv1')!.flops));
    await session.screenshot('layer-table-resnet56-dark');
  });

  test('stages collapse to their subtotal row and expand again', async () => {
    const resnet56 = report(named('resnet56'));
    await session.show(showMessage(named('resnet56')));
    const stage = resnet56.graph.stages.find((s) => s.id === 'conv3_x')!;
    await session.page.click('tr.stage-row[data-stage-id="conv3_x"] button.stage-toggle');
    const ids = await rowIds(session);
    assert.equal(ids.length, 197 - stage.layerIds.length);
    assert.ok(!ids.some((id) => id.startsWith('conv3_')));
    assert.equal(await session.page.getAttribute('tr.stage-row[data-stage-id="conv3_x"]', 'aria-expanded'), 'false');
    await session.page.click('tr.stage-row[data-stage-id="conv3_x"] button.stage-toggle');
    assert.equal((await rowIds(session)).length, 197);
    await session.page.click('button.collapse-all');
    assert.equal((await rowIds(session)).length, 0);
    assert.equal(await session.page.locator('tr.stage-row').count(), resnet56.costs.stages.length);
    await session.page.click('button.expand-all');
    assert.equal((await rowIds(session)).length, 197);
  });

  test('sorting by multiply-adds orders each stage largest first; a third click restores layer order', async () => {
    const resnet34 = report(named('resnet34'));
    await session.show(showMessage(named('resnet34')));
    const flopsOf = new Map(resnet34.costs.layers.map((l) => [l.id, l.flops]));
    const header = session.page.locator('th[data-sort-key="flops"]');
    await header.click();
    assert.equal(await header.getAttribute('aria-sort'), 'descending');
    for (const stage of resnet34.graph.stages) {
      const values = (await rowIds(session, `tr.layer-row[data-stage-id="${stage.id}"]`)).map((id) => flopsOf.get(id)!);
      assert.equal(values.length, stage.layerIds.length);
      assert.deepEqual(values, [...values].sort((a, b) => b - a), `${stage.id} sorted largest first`);
    }
    await header.click();
    assert.equal(await header.getAttribute('aria-sort'), 'ascending');
    const ascending = (await rowIds(session, 'tr.layer-row[data-stage-id="conv4_x"]')).map((id) => flopsOf.get(id)!);
    assert.deepEqual(ascending, [...ascending].sort((a, b) => a - b));
    await header.click();
    assert.deepEqual(await rowIds(session), resnet34.costs.layers.map((l) => l.id));
  });

  test('the search box keeps the layers whose id or description matches', async () => {
    const resnet34 = report(named('resnet34'));
    await session.show(showMessage(named('resnet34')));
    await session.page.fill('input.table-search', 'shortcut');
    const expected = resnet34.costs.layers.filter((l) => l.id.includes('shortcut') || l.name.includes('shortcut')).map((l) => l.id);
    assert.ok(expected.includes('conv3_1.shortcut.conv') && expected.includes('conv2_1.add'));
    assert.deepEqual(await rowIds(session), expected);
    assert.match((await session.page.textContent('.table-summary')) ?? '', new RegExp(`^${expected.length} of ${resnet34.costs.layers.length} layers match`));
    await session.page.fill('input.table-search', '');
    assert.equal((await rowIds(session)).length, resnet34.costs.layers.length);
  });

  test('copy posts the table as Markdown and as CSV, and the status line shows the result', async () => {
    const resnet20 = report(named('resnet20'));
    await session.show(showMessage(named('resnet20')));
    await session.page.click('button.copy-markdown');
    const markdown = (await session.waitForPosted((m) => m.type === 'copyText' && m.format === 'markdown')) as CopyTextMessage;
    const tableLines = markdown.text.split('\n').filter((line) => line.startsWith('| ') && !line.startsWith('| ---'));
    // Header (without the separator), one subtotal per stage, one row per layer, the total.
    assert.equal(tableLines.length, 1 + resnet20.costs.stages.length + resnet20.costs.layers.length + 1);
    const conv = resnet20.costs.layers.find((l) => l.id === 'conv3_1.conv1')!;
    assert.ok(tableLines.includes(`| conv3_1.conv1 | ${conv.name} | 16×16×32 | ${formatCount(conv.params)} | 0 | ${formatCount(conv.flops)} | ${formatCount(conv.activations)} |`));
    assert.match(tableLines[tableLines.length - 1], /^\| \*\*Total\*\* \|  \|  \| \*\*269,722\*\* \|/);

    await session.page.click('button.copy-csv');
    const csv = (await session.waitForPosted((m) => m.type === 'copyText' && m.format === 'csv')) as CopyTextMessage;
    const rows = parseCsv(csv.text);
    assert.ok(rows.every((r) => r.length === 10), 'ten fields on every line');
    assert.equal(rows.find((r) => r[1] === 'fc')![4], 'fc (avg pool, fc) subtotal');
    assert.deepEqual(rows[0], ['row', 'stage', 'block', 'layer', 'description', 'output_shape', 'params', 'non_trainable', 'multiply_adds', 'activations']);
    assert.deepEqual(rows.filter((r) => r[0] === 'layer').map((r) => r[3]), resnet20.costs.layers.map((l) => l.id));
    for (const stage of resnet20.costs.stages) {
      const row = rows.find((r) => r[0] === 'stage' && r[1] === stage.id)!;
      assert.deepEqual(row.slice(6).map(Number), [stage.params, stage.nonTrainable, stage.flops, stage.activations]);
    }
    const total = rows.find((r) => r[0] === 'total')!;
    assert.deepEqual(total.slice(6).map(Number), [269_722, resnet20.costs.total.nonTrainable, resnet20.costs.total.flops, resnet20.costs.total.activations]);

    await session.send({ type: 'exportResult', requestId: csv.requestId, ok: true, detail: 'clipboard' });
    await session.page.waitForFunction(() => document.querySelector('.status-line')?.textContent === 'Copy table as CSV: done (clipboard)');

    await session.page.fill('input.table-search', 'zeropad');
    await session.page.click('button.copy-csv');
    await session.page.waitForFunction(() => window.__webviewHost.posted.filter((m) => m.type === 'copyText').length === 3);
    const filtered = (await session.posted()).filter((m): m is CopyTextMessage => m.type === 'copyText')[2];
    assert.deepEqual(parseCsv(filtered.text).filter((r) => r[0] === 'layer').map((r) => r[3]), ['conv3_1.shortcut.zeropad', 'conv4_1.shortcut.zeropad']);
  });

  test('ResNet-1202: the 200-block stages start as subtotal rows; expanding one shows its first 280 layers, then all on request', async () => {
    const resnet1202 = report(named('resnet1202'));
    await session.show(showMessage(named('resnet1202')));
    const small = resnet1202.graph.stages.filter((s) => s.blockIds.length === 0).flatMap((s) => s.layerIds);
    assert.deepEqual(await rowIds(session), small);
    for (const id of ['conv2_x', 'conv3_x', 'conv4_x']) assert.equal(await session.page.getAttribute(`tr.stage-row[data-stage-id="${id}"]`, 'aria-expanded'), 'false');
    const conv3 = resnet1202.costs.stages.find((s) => s.id === 'conv3_x')!;
    assert.equal(await session.page.locator('tr.stage-row[data-stage-id="conv3_x"] .col-flops').textContent(), formatCount(conv3.flops));
    await session.page.click('tr.stage-row[data-stage-id="conv3_x"] button.stage-toggle');
    const stage = resnet1202.graph.stages.find((s) => s.id === 'conv3_x')!;
    assert.equal(stage.layerIds.length, 200 * 7 + 1);
    assert.deepEqual(await session.page.$$eval('tr.layer-row[data-stage-id="conv3_x"]', (r) => r.map((e) => e.getAttribute('data-layer-id'))), stage.layerIds.slice(0, 280));
    assert.equal(await session.page.textContent('tr.more-row[data-stage-id="conv3_x"] button'), 'Show all 1,401 layers (280 shown)');
    await session.page.click('tr.more-row[data-stage-id="conv3_x"] button');
    assert.equal(await session.page.locator('tr.layer-row[data-stage-id="conv3_x"]').count(), stage.layerIds.length);
    assert.equal(await session.page.locator('tr.more-row').count(), 0);
    // A block past the first rows, selected elsewhere, is drawn and marked.
    await session.send({ type: 'highlightBlock', blockId: 'conv4_150' });
    await session.page.waitForSelector('tr.layer-row.selected[data-block-id="conv4_150"]');
    assert.equal(await session.page.locator('tr.layer-row.selected').count(), 7);
    assert.equal(await session.page.locator('tfoot .col-params').textContent(), '19,421,274');
  });
});
