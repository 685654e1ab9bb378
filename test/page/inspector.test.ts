// The block inspector page in a real Chromium, fed real core-computed inspections of
// ResNet-56 and plain-56: stepping by keyboard keeps both columns, the strip and the
// extension on the same block; Fig. 7 has one point per conv layer; a screenshot is saved.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { Browser } from 'playwright-core';
import type { ShowImagesMessage, ShowInspectionMessage } from '../../protocol/inspector';
import { InspectorHost, InspectorPage, inspectPair, launchBrowser, startInspectorHost } from './inspectorHost';

interface ShownView {
  appBlock: string | undefined;
  columnBlocks: string[];
  headings: string[];
  ratios: number[];
  inputNorms: number[];
  currentCells: string[];
  currentBars: string[];
}

function shownView(session: InspectorPage): Promise<ShownView> {
  return session.page.evaluate(() => {
    const all = (selector: string) => [...document.querySelectorAll<HTMLElement>(selector)];
    return {
      appBlock: document.getElementById('app')!.dataset.block,
      columnBlocks: all('.net-column:not([hidden])').map((c) => c.dataset.block ?? ''),
      headings: all('.net-column:not([hidden]) .block-heading').map((h) => h.textContent ?? ''),
      ratios: all('.net-column:not([hidden]) .block-facts').map((p) => Number(p.dataset.ratio)),
      inputNorms: all('.net-column:not([hidden]) .map-input').map((m) => Number(m.dataset.norm)),
      currentCells: all('.block-cell.current').map((c) => c.dataset.block ?? ''),
      currentBars: all('.ratio-bar.current').map((c) => c.dataset.block ?? ''),
    };
  });
}

describe('block inspector page', () => {
  let browser: Browser;
  let host: InspectorHost;
  let images: ShowImagesMessage;
  let inspection: ShowInspectionMessage;

  before(async () => {
    ({ images, inspection } = await inspectPair('resnet56', 3));
    host = await startInspectorHost();
    browser = await launchBrowser();
  });
  after(async () => {
    await browser?.close();
    await host?.close();
  });

  test('ResNet-56 and plain-56: ←/→/Home/End step through all 27 blocks with the view and the highlighted block in step', async () => {
    const session = await InspectorPage.open(browser, host);
    try {
      await session.send(images);
      await session.send(inspection);
      await session.page.waitForFunction(() => document.getElementById('app')?.dataset.block === 'conv2_1');
      const [resnet, plain] = inspection.nets;
      assert.equal(resnet.blocks.length, 27);
      assert.equal(plain.blocks.length, 27);

      const expectBlock = async (k: number) => {
        const view = await shownView(session);
        const id = resnet.blocks[k].blockId;
        assert.equal(view.appBlock, id, `block ${k}`);
        assert.deepEqual(view.columnBlocks, [id, id]);
        assert.deepEqual(view.currentCells, [id], 'the strip highlights the current block');
        assert.deepEqual(view.currentBars, [id, id], 'the ratio bars of both nets highlight the current block');
        for (const heading of view.headings) assert.ok(heading.includes(`Block ${id} (${k + 1} of 27)`), heading);
        assert.deepEqual(view.ratios, [resnet.blocks[k].residualRatio, plain.blocks[k].residualRatio]);
        assert.deepEqual(view.inputNorms, [resnet.blocks[k].input.norm, plain.blocks[k].input.norm]);
      };

      await session.page.keyboard.press('End');
      await expectBlock(26);
      await session.page.keyboard.press('Home');
      await expectBlock(0);
      await session.clearPosted();
      for (let k = 1; k < 27; k++) {
        await session.page.keyboard.press('ArrowRight');
        await expectBlock(k);
      }
      await session.page.keyboard.press('ArrowRight');
      await expectBlock(26);
      const shown = (await session.posted()).filter((m) => m.type === 'blockShown');
      assert.deepEqual(shown.map((m) => (m.type === 'blockShown' ? m.blockId : '')), resnet.blocks.slice(1).map((b) => b.blockId), 'the extension heard of every step, once');
      await session.page.keyboard.press('ArrowLeft');
      await expectBlock(25);

      // The extension's Next/Previous Block commands arrive as step messages.
      await session.send({ type: 'step', action: 'previous' });
      await expectBlock(24);
      await session.send({ type: 'step', action: 'first' });
      await expectBlock(0);
      // Clicking a block in the strip goes to it.
      await session.page.locator('.block-cell[data-block="conv3_1"]').click();
      await expectBlock(9);
      const facts = await session.page.locator('.net-column').first().locator('.block-facts').textContent();
      assert.match(facts ?? '', /zero-padded shortcut/);
      assert.equal(await session.page.locator('.net-column').nth(1).locator('.map-shortcut.absent').count(), 1, 'the plain net has no shortcut map');

      // A live refresh (newer weights) replaces the view and keeps the block the user is on.
      await session.send({ ...inspection, live: true });
      await session.page.waitForFunction(() => document.querySelector('.inspector-status')?.classList.contains('live'));
      await expectBlock(9);
      assert.match((await session.page.locator('.inspector-status').textContent()) ?? '', /^Live: refreshes from the latest weights/);

      await session.screenshot('inspector-resnet56');
      assert.deepEqual(await session.allProblems(), []);
    } finally {
      await session.close();
    }
  });

  test('Fig. 7 has one point per conv layer for each net, in layer order and sorted by magnitude', async () => {
    const session = await InspectorPage.open(browser, host);
    try {
      await session.send(inspection);
      await session.page.waitForSelector('.fig7-point');
      for (const chart of ['layer', 'sorted']) {
        for (const net of inspection.nets) {
          const points = session.page.locator(`.fig7-${chart} .fig7-series[data-net="${net.modelName}"] .fig7-point`);
          assert.equal(await points.count(), 55, `${chart}: ${net.title}`);
          assert.equal(net.responses.length, 55);
        }
      }
      const layerOrder = await session.page.locator(`.fig7-layer .fig7-series[data-net="resnet56"] .fig7-point`).evaluateAll((nodes) => nodes.map((n) => n.getAttribute('data-layer')));
      assert.deepEqual(layerOrder, inspection.nets[0].responses.map((r) => r.convId));
      const sortedY = await session.page.locator(`.fig7-sorted .fig7-series[data-net="plain56"] .fig7-point`).evaluateAll((nodes) => nodes.map((n) => Number(n.getAttribute('cy'))));
      for (let i = 1; i < sortedY.length; i++) assert.ok(sortedY[i] >= sortedY[i - 1], 'sorted by magnitude, largest first');
      assert.deepEqual(await session.allProblems(), []);
    } finally {
      await session.close();
    }
  });

  test('an inspection that names a block (picked in the diagram, or a revived panel) opens on it; the state keeps the weights for a reload', async () => {
    const session = await InspectorPage.open(browser, host);
    try {
      await session.send(images);
      const target = inspection.nets[0].blocks[12].blockId;
      await session.send({ ...inspection, blockIndex: 12 });
      await session.page.waitForFunction((id) => document.getElementById('app')?.dataset.block === id, target);
      assert.deepEqual(await session.waitForPosted((m) => m.type === 'blockShown'), { type: 'blockShown', blockIndex: 12, blockId: target });
      assert.deepEqual((await shownView(session)).columnBlocks, [target, target]);
      const state = await session.state();
      assert.deepEqual(state, { blockIndex: 12, imageIndex: 3, source: inspection.source });
      await session.page.keyboard.press('ArrowRight');
      await session.page.waitForFunction(() => document.getElementById('app')?.dataset.blockIndex === '13');
      assert.equal((await session.state())?.blockIndex, 13);
    } finally {
      await session.close();
    }
  });

  test('the picker shows thumbnails by class and asks the extension for the picked image', async () => {
    const session = await InspectorPage.open(browser, host);
    try {
      await session.send(images);
      assert.equal(await session.page.locator('.picker-row').count(), 10);
      assert.equal(await session.page.locator('.thumb').count(), images.thumbnails.length);
      const index = images.thumbnails[5].index;
      await session.page.locator(`.thumb[data-index="${index}"]`).click();
      await session.waitForPosted((m) => m.type === 'pickImage' && m.index === index);
      await session.send({ type: 'error', message: 'Run x: checkpoint missing' });
      assert.equal(await session.page.locator('.error-banner').textContent(), 'Run x: checkpoint missing');
      assert.deepEqual(await session.allProblems(), []);
    } finally {
      await session.close();
    }
  });
});
