// The architecture diagram: one shortcut arc per block in the style of its kind, output sizes
// between stages, selection shared with the table, zoom, ResNet-1202 drawn collapsed and fast,
// and semantic zoom (stages → blocks → layers) that keeps every label legible.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { formatShape } from '../../core/graph';
import type { ModelRequest } from '../../core/spec';
import { eachArchitecturePage, named, PageSession, report, showMessage } from './host';

interface DrawnArc {
  block: string;
  shortcut: string;
  dash: string;
}

const drawnArcs = (session: PageSession): Promise<DrawnArc[]> =>
  session.page.$$eval('path.shortcut-arc', (paths) => paths.map((p) => ({ block: p.getAttribute('data-block-id')!, shortcut: p.getAttribute('data-shortcut')!, dash: getComputedStyle(p).strokeDasharray })));
const drawnBlocks = (session: PageSession) => session.page.$$eval('g.item.block', (blocks) => blocks.map((b) => b.getAttribute('data-block-id')!));
const selectedRows = (session: PageSession) => session.page.$$eval('tr.layer-row.selected', (rows) => rows.map((r) => r.getAttribute('data-layer-id')!));
interface DrawnLabel {
  text: string;
  /** The font's size on screen, in CSS pixels: its size × the zoom × the label's counter-scale. */
  px: number;
}

/** Every piece of text the diagram shows (hidden ones left out), with its size on screen. */
const drawnLabels = (session: PageSession): Promise<DrawnLabel[]> =>
  session.page.$$eval('svg.diagram-svg text', (texts) =>
    texts.flatMap((text) => {
      const box = text.getBoundingClientRect();
      if (box.width === 0 || getComputedStyle(text).visibility === 'hidden') return [];
      const scale = (text as SVGTextElement).getScreenCTM()!.a;
      const parts = text.querySelectorAll('tspan').length > 0 ? Array.from(text.querySelectorAll('tspan')) : [text];
      return parts.map((part) => ({ text: part.textContent ?? '', px: parseFloat(getComputedStyle(part).fontSize) * scale }));
    }),
  );
const level = (session: PageSession) => session.page.getAttribute('svg.diagram-svg', 'data-level');
const zoomScale = async (session: PageSession) => Number(/scale\(([\d.e-]+)/.exec((await session.page.getAttribute('g.diagram-content', 'transform')) ?? '')?.[1] ?? 1);

/** The smallest label on screen; fails naming it when it is below `minimum` pixels. */
function assertLegible(labels: DrawnLabel[], minimum: number, what: string): number {
  assert.ok(labels.length > 0, `${what}: some labels are drawn`);
  const smallest = labels.reduce((a, b) => (b.px < a.px ? b : a));
  assert.ok(smallest.px >= minimum - 0.01, `${what}: "${smallest.text}" is ${smallest.px.toFixed(1)} px on screen (at least ${minimum} px expected)`);
  return smallest.px;
}

/** Turns the mouse wheel over the diagram until the drawing's zoom is below `below`. */
async function zoomOutBelow(session: PageSession, below: number): Promise<void> {
  const box = (await session.page.locator('svg.diagram-svg').boundingBox())!;
  await session.page.mouse.move(box.x + box.width / 2, box.y + 40);
  for (let i = 0; i < 20 && (await zoomScale(session)) >= below; i++) {
    await session.page.mouse.wheel(0, 400);
    await session.page.waitForTimeout(60);
  }
}

/** The first paint after the extension's message, and after the page said it was ready, in ms. */
async function firstPaint(session: PageSession, request: ModelRequest): Promise<{ sinceMessage: number; sinceReady: number }> {
  await session.show(showMessage(request));
  return session.page.evaluate(() => {
    const measure = performance.getEntriesByName('first paint')[0];
    const ready = performance.getEntriesByName('ready')[0];
    return { sinceMessage: measure.duration, sinceReady: measure.startTime + measure.duration - ready.startTime };
  });
}

const selectedBlocks = (session: PageSession) => session.page.$$eval('g.item.block.selected', (blocks) => blocks.map((b) => b.getAttribute('data-block-id')!));

describe('architecture diagram', () => {
  let session: PageSession;
  eachArchitecturePage((s) => (session = s));

  test('ResNet-56 (option A): one arc per block, zero-padded and dotted on conv3_1 and conv4_1, solid identity elsewhere', async () => {
    const resnet56 = report(named('resnet56'));
    await session.show(showMessage(named('resnet56')));
    assert.deepEqual(await drawnBlocks(session), resnet56.graph.blocks.map((b) => b.id));
    await session.page.click('button.zoom-reset');
    assert.equal(await level(session), 'layer', 'at actual size every block lists its layers');
    const arcs = await drawnArcs(session);
    assert.deepEqual(arcs.map((a) => [a.block, a.shortcut]), resnet56.graph.blocks.map((b) => [b.id, b.shortcut]));
    assert.deepEqual(arcs.filter((a) => a.shortcut === 'zeropad').map((a) => a.block), ['conv3_1', 'conv4_1']);
    assert.equal(arcs.filter((a) => a.shortcut === 'identity').length, 25);
    for (const arc of arcs) {
      if (arc.shortcut === 'identity') assert.equal(arc.dash, 'none', arc.block);
      else assert.notEqual(arc.dash, 'none', arc.block);
    }
    assert.deepEqual(await session.page.$$eval('text.arc-label', (t) => t.map((e) => `${e.getAttribute('data-block-id')}:${e.textContent}`)), ['conv3_1:0-pad', 'conv4_1:0-pad']);
    // Output sizes on the edges between stages, as core computed them.
    const labels = await session.page.$$eval('g.edge-label[data-kind="stage-output"] text', (t) => t.map((e) => e.textContent));
    assert.deepEqual(labels, resnet56.graph.stages.slice(0, -1).map((s) => formatShape(s.outputShape)));
    assert.deepEqual(labels, ['32×32×16', '32×32×16', '16×16×32', '8×8×64']);
    await session.screenshot('diagram-resnet56-dark');
  });

  test('ResNet-34 (option B): dashed projections where dimensions change, identity elsewhere', async () => {
    await session.setTheme('light');
    const resnet34 = report(named('resnet34'));
    await session.show(showMessage(named('resnet34')));
    const arcs = await drawnArcs(session);
    assert.deepEqual(arcs.map((a) => [a.block, a.shortcut]), resnet34.graph.blocks.map((b) => [b.id, b.shortcut]));
    assert.deepEqual(arcs.filter((a) => a.shortcut === 'projection').map((a) => a.block), ['conv3_1', 'conv4_1', 'conv5_1']);
    for (const arc of arcs.filter((a) => a.shortcut === 'projection')) assert.match(arc.dash, /^\d+(\.\d+)?px,? \d+/);
    assert.equal(arcs.filter((a) => a.shortcut === 'identity').length, 13);
    assert.equal(await session.page.locator('g.item.layer').count(), 5, 'stem conv, max pool, avg pool, fc, softmax');
    await session.screenshot('diagram-resnet34-light');
  });

  test('plain-20 draws its blocks with no shortcut arcs', async () => {
    const plain20 = report(named('resnet20', { plain: true }));
    await session.show(showMessage(named('resnet20', { plain: true })));
    assert.equal(plain20.costs.title, 'plain-20');
    assert.equal((await drawnBlocks(session)).length, 9);
    assert.equal((await drawnArcs(session)).length, 0);
    assert.equal(await session.page.locator('g.add-node').count(), 0);
    assert.deepEqual(await session.page.$$eval('g.item.block', (b) => [...new Set(b.map((e) => e.getAttribute('data-shortcut')))]), ['none']);
  });

  test('clicking a block highlights its table rows and posts blockSelected; clicking a row highlights its block', async () => {
    const resnet56 = report(named('resnet56'));
    await session.show(showMessage(named('resnet56')));
    await session.clearPosted();
    await session.page.click('g.item.block[data-block-id="conv3_2"]');
    assert.deepEqual(await session.waitForPosted((m) => m.type === 'blockSelected'), { type: 'blockSelected', blockId: 'conv3_2' });
    assert.deepEqual(await selectedRows(session), resnet56.costs.layers.filter((l) => l.blockId === 'conv3_2').map((l) => l.id));
    assert.deepEqual(await selectedBlocks(session), ['conv3_2']);
    await session.screenshot('diagram-selected-dark');

    await session.clearPosted();
    await session.page.click('tr.layer-row[data-layer-id="conv2_3.conv1"]');
    assert.deepEqual(await session.waitForPosted((m) => m.type === 'blockSelected'), { type: 'blockSelected', blockId: 'conv2_3' });
    assert.deepEqual(await selectedBlocks(session), ['conv2_3']);
    assert.equal((await selectedRows(session)).length, 7);

    await session.clearPosted();
    await session.page.click('g.item.block[data-block-id="conv2_3"]');
    assert.deepEqual(await session.waitForPosted((m) => m.type === 'blockSelected'), { type: 'blockSelected', blockId: null }, 'a second click clears');
    assert.deepEqual(await selectedBlocks(session), []);
    assert.deepEqual(await selectedRows(session), []);
  });

  test('highlightBlock from the extension marks the block and its rows without echoing blockSelected', async () => {
    await session.show(showMessage(named('resnet56')));
    await session.clearPosted();
    await session.send({ type: 'highlightBlock', blockId: 'conv4_1' });
    await session.page.waitForSelector('g.item.block.selected[data-block-id="conv4_1"]');
    assert.deepEqual(await selectedRows(session), ['conv4_1.conv1', 'conv4_1.bn1', 'conv4_1.relu1', 'conv4_1.conv2', 'conv4_1.bn2', 'conv4_1.shortcut.zeropad', 'conv4_1.add', 'conv4_1.relu2']);
    await session.send({ type: 'highlightBlock', blockId: null });
    await session.page.waitForFunction(() => document.querySelectorAll('.selected').length === 0);
    assert.deepEqual(await session.posted(), []);
  });

  test('Inspect block: the button inspects the selected block, the I key a focused one, and a right-click carries the block and model', async () => {
    await session.show(showMessage(named('resnet56')));
    const button = session.page.locator('button.inspect-block');
    assert.equal(await button.isDisabled(), true, 'nothing selected yet');
    await session.page.click('g.item.block[data-block-id="conv3_2"]');
    assert.equal(await button.textContent(), 'Inspect conv3_2');
    await session.clearPosted();
    await button.click();
    assert.deepEqual(await session.waitForPosted((m) => m.type === 'inspectBlock'), { type: 'inspectBlock', blockId: 'conv3_2' });

    await session.clearPosted();
    await session.page.focus('g.item.block[data-block-id="conv2_5"]');
    await session.page.keyboard.press('i');
    assert.deepEqual(await session.waitForPosted((m) => m.type === 'inspectBlock'), { type: 'inspectBlock', blockId: 'conv2_5' });

    // VS Code's webview merges data-vscode-context from the element up to the root for webview/context menus.
    const context = await session.page.locator('g.item.block[data-block-id="conv4_9"]').evaluate((node) => {
      const merged: Record<string, unknown> = {};
      for (let el: Element | null = node; el; el = el.parentElement) {
        const own = el.getAttribute('data-vscode-context');
        if (own) for (const [k, v] of Object.entries(JSON.parse(own) as Record<string, unknown>)) if (!(k in merged)) merged[k] = v;
      }
      return merged;
    });
    assert.deepEqual(context, { webviewSection: 'block', blockId: 'conv4_9', preventDefaultContextMenuItems: true, modelRequest: JSON.stringify(report(named('resnet56')).request) });
  });

  test('zoom with the wheel and pan by dragging', async () => {
    await session.show(showMessage(named('resnet34')));
    const transform = () => session.page.getAttribute('g.diagram-content', 'transform');
    const box = (await session.page.locator('svg.diagram-svg').boundingBox())!;
    const before = await transform();
    await session.page.mouse.move(box.x + box.width / 2, box.y + box.height / 2);
    await session.page.mouse.wheel(0, -300);
    await session.page.waitForFunction((t) => document.querySelector('g.diagram-content')!.getAttribute('transform') !== t, before);
    const scale = (t: string | null) => Number(/scale\(([\d.]+)/.exec(t ?? '')?.[1] ?? 1);
    const zoomed = await transform();
    assert.ok(scale(zoomed) > scale(before), `${before} → ${zoomed}`);
    await session.page.mouse.move(box.x + 40, box.y + 40);
    await session.page.mouse.down();
    await session.page.mouse.move(box.x + 140, box.y + 90, { steps: 5 });
    await session.page.mouse.up();
    const panned = await transform();
    assert.notEqual(panned, zoomed);
    assert.equal(scale(panned), scale(zoomed));
    await session.page.click('button.fit-view');
    assert.equal(await transform(), before);
  });

  test('ResNet-1202: its 200-block stages start collapsed; expanding one draws its 200 blocks and arcs', async () => {
    const resnet1202 = report(named('resnet1202'));
    await session.show(showMessage(named('resnet1202')));
    assert.deepEqual(await session.page.$$eval('g.item.collapsed', (items) => items.map((i) => i.getAttribute('data-collapsed-stage'))), ['conv2_x', 'conv3_x', 'conv4_x']);
    assert.equal((await drawnBlocks(session)).length, 0);
    assert.match((await session.page.getAttribute('g.item.collapsed[data-collapsed-stage="conv3_x"]', 'aria-label')) ?? '', /200 basic blocks collapsed \(1 zero-pad, 199 identity\)/);
    assert.equal(await session.page.textContent('g.item.collapsed[data-collapsed-stage="conv3_x"] text.box-label'), '200 blocks');
    await session.screenshot('diagram-resnet1202-collapsed-dark');
    await session.page.click('g.item.collapsed[data-collapsed-stage="conv3_x"]');
    const blocks = await drawnBlocks(session);
    assert.equal(blocks.length, 200);
    assert.deepEqual(blocks, resnet1202.graph.stages.find((s) => s.id === 'conv3_x')!.blockIds);
    const arcs = await drawnArcs(session);
    assert.equal(arcs.length, 200);
    assert.deepEqual(arcs.filter((a) => a.shortcut === 'zeropad').map((a) => a.block), ['conv3_1']);
    assert.equal(await session.page.getAttribute('g.lane[data-stage-id="conv3_x"]', 'data-collapsed'), 'false');
    // The extension may ask for a block inside a collapsed stage: that stage opens.
    await session.send({ type: 'highlightBlock', blockId: 'conv4_150' });
    await session.page.waitForSelector('g.item.block.selected[data-block-id="conv4_150"]');
    assert.equal((await drawnBlocks(session)).length, 400);
    assert.equal(await session.page.locator('tr.layer-row.selected').count(), 7);
    await session.page.click('button.collapse-stages');
    assert.equal((await drawnBlocks(session)).length, 0);
  });

  test('first paint of ResNet-1202: its stages drawn as one shape each with their count, at once (the time is printed)', async () => {
    const times = await firstPaint(session, named('resnet1202'));
    console.log(`# first paint, ResNet-1202: ${times.sinceMessage.toFixed(0)} ms after the extension's message (building core's report included), ${times.sinceReady.toFixed(0)} ms after the page said it was ready`);
    assert.ok(times.sinceMessage < 10_000, `a sanity bound only: ${times.sinceMessage} ms`);
    assert.deepEqual(await session.page.$$eval('g.item.collapsed text.box-label', (t) => t.map((e) => e.textContent)), ['200 blocks', '200 blocks', '200 blocks']);
    assert.deepEqual(await session.page.$$eval('g.lane', (lanes) => lanes.map((l) => l.getAttribute('data-stage-id'))), ['conv1', 'conv2_x', 'conv3_x', 'conv4_x', 'fc']);
    assert.equal(await session.page.locator('tr.stage-row').count(), 5, 'the table follows the diagram');
    assert.equal(await session.page.locator('rect.bar').count(), 5, 'and so do the charts');
  });

  test('first paint of ResNet-152 (the time is printed)', async () => {
    const resnet152 = report(named('resnet152'));
    const times = await firstPaint(session, named('resnet152'));
    console.log(`# first paint, ResNet-152: ${times.sinceMessage.toFixed(0)} ms after the extension's message, ${times.sinceReady.toFixed(0)} ms after the page said it was ready`);
    assert.ok(times.sinceMessage < 10_000, `a sanity bound only: ${times.sinceMessage} ms`);
    const shownBlocks = resnet152.graph.stages.filter((s) => s.blockIds.length <= 24).flatMap((s) => s.blockIds);
    assert.deepEqual(await drawnBlocks(session), shownBlocks, 'conv4_x (36 blocks) starts as one shape');
    assert.deepEqual(await session.page.$$eval('g.item.collapsed', (items) => items.map((i) => i.getAttribute('data-collapsed-stage'))), ['conv4_x']);
  });

  test('semantic zoom, ResNet-1202: at Fit to view blocks by name, at actual size their layers, zoomed far out one shape per stage; text stays legible at each', async () => {
    await session.show(showMessage(named('resnet1202')));
    assert.equal(await level(session), 'block');
    const fitSmallest = assertLegible(await drawnLabels(session), 11, 'ResNet-1202 at Fit to view');
    await session.screenshot('diagram-resnet1202-fit-dark');

    await session.page.click('button.zoom-reset');
    assert.equal(await level(session), 'layer');
    await session.page.click('g.item.collapsed[data-collapsed-stage="conv3_x"]');
    assert.equal((await drawnBlocks(session)).length, 200);
    const layerSmallest = assertLegible(await drawnLabels(session), 10.5, 'ResNet-1202 at actual size');
    assert.ok((await session.page.textContent('g.item.block[data-block-id="conv3_2"] text.box-text')) === 'conv3_23×3, 323×3, 32', 'each block lists its convolutions');
    await session.screenshot('diagram-resnet1202-zoomed-dark');

    await zoomOutBelow(session, 0.5);
    assert.equal(await level(session), 'stage');
    assert.equal(await session.page.locator('g.item').count(), 0, 'no box is drawn when zoomed this far out');
    const summaries = await session.page.$$eval('g.stage-summary text.summary-text', (t) => t.map((e) => e.textContent));
    assert.deepEqual(summaries, ['conv1 · conv · 32×32×16', 'conv2_x · 200 blocks · 32×32×16', 'conv3_x · 200 blocks · 16×16×32', 'conv4_x · 200 blocks · 8×8×64', 'fc · avg pool, fc, softmax · 10']);
    const stageSmallest = assertLegible(await drawnLabels(session), 12, `ResNet-1202 zoomed out to ${(await zoomScale(session)).toFixed(2)}`);
    await session.screenshot('diagram-resnet1202-stages-dark');
    console.log(`# smallest label on screen, ResNet-1202: ${fitSmallest.toFixed(1)} px at Fit to view (blocks), ${layerSmallest.toFixed(1)} px at actual size (layers), ${stageSmallest.toFixed(1)} px zoomed out (stages)`);

    // A stage's shape zooms in on its blocks.
    await session.page.click('g.stage-summary[data-stage-id="conv2_x"]');
    await session.page.waitForFunction(() => document.querySelector('svg.diagram-svg')?.getAttribute('data-level') === 'layer');
    assert.ok(await session.page.locator('g.item.collapsed[data-collapsed-stage="conv2_x"]').isVisible());
  });

  test('semantic zoom, ResNet-50 at Fit to view: block names at a legible size', async () => {
    await session.show(showMessage(named('resnet50')));
    const k = await zoomScale(session);
    assert.ok(k < 1, `ResNet-50 needs to be scaled down to fit (${k})`);
    assert.equal(await level(session), levelFor(k));
    const smallest = assertLegible(await drawnLabels(session), 11, 'ResNet-50 at Fit to view');
    console.log(`# smallest label on screen, ResNet-50 at Fit to view (zoom ${k.toFixed(2)}): ${smallest.toFixed(1)} px`);
    await session.screenshot('diagram-resnet50-fit-dark');
  });

  test('a plain net and a custom net draw with legible labels', async () => {
    await session.show(showMessage(named('resnet110', { plain: true })));
    assert.equal((await drawnArcs(session)).length, 0);
    assertLegible(await drawnLabels(session), 10.5, 'plain-110 at Fit to view');
    await session.screenshot('diagram-plain110-fit-dark');
    const custom: ModelRequest = { kind: 'custom', options: { blocks: [2, 3, 2], baseWidth: 32, blockType: 'bottleneck', stem: 'cifar', inputSize: 64, classes: 100 } };
    await session.setTheme('light');
    await session.show(showMessage(custom));
    assert.deepEqual(await drawnBlocks(session), report(custom).graph.blocks.map((b) => b.id));
    assertLegible(await drawnLabels(session), 10.5, 'the custom net at Fit to view');
    await session.page.click('button.zoom-reset');
    assertLegible(await drawnLabels(session), 10.5, 'the custom net at actual size');
    await session.screenshot('diagram-custom-light');
  });

  test('expanding a stage of ResNet-1202 wraps its 200 blocks within the view\'s width, in a wide and a narrow panel', async () => {
    for (const width of [1280, 760]) {
      await session.page.setViewportSize({ width, height: 900 });
      await session.show(showMessage(named('resnet56'))); // another model first, so ResNet-1202 opens afresh
      await session.show(showMessage(named('resnet1202')));
      await session.page.click('g.item.collapsed[data-collapsed-stage="conv2_x"]');
      assert.equal((await drawnBlocks(session)).length, 200);
      const overflow = await session.page.evaluate(() => {
        const view = document.querySelector('svg.diagram-svg')!.getBoundingClientRect();
        const rights = Array.from(document.querySelectorAll('g.item rect.box')).map((r) => r.getBoundingClientRect().right);
        return { view: view.right, widest: Math.max(...rights) };
      });
      assert.ok(overflow.widest <= overflow.view, `${width} px: the rightmost box ends at ${overflow.widest}, the view at ${overflow.view}`);
      await session.screenshot(`diagram-resnet1202-expanded-${width}`);
    }
  });
});

/** The level the page should draw at zoom k (diagram.ts's thresholds). */
function levelFor(k: number): string {
  return k >= 0.96 ? 'layer' : k >= 0.5 ? 'block' : 'stage';
}
