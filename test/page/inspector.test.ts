// The block inspector page in a real Chromium, fed real core-computed inspections of
// ResNet-56 and plain-56: stepping by keyboard keeps both columns, the strip and the
// extension on the same block; Fig. 7 has one point per conv layer; a screenshot is saved.
// And of plain-20 beside plain-56 (depths differ): every plain-56 block is reachable, each
// column shows its own block aligned by stage and relative depth, Fig. 7 has each net's own
// layers, and the page says the depths differ. The alignment rule is checked on its own first.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { Browser } from 'playwright-core';
import type { InspectorPanelState, ShowImagesMessage, ShowInspectionMessage } from '../../protocol/inspector';
import { alignedIndex, alignedIndices, deepestIndexFor, deepestNet } from '../../core/inspect/alignment';
import { InspectorHost, InspectorPage, inspectModels, inspectPair, launchBrowser, startInspectorHost } from './inspectorHost';

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

/** Blocks named like a CIFAR net's: `counts[s]` blocks in stage conv{s+2}. */
function stagedBlocks(counts: number[]): { stageId: string; blockId: string }[] {
  return counts.flatMap((count, s) => Array.from({ length: count }, (_, k) => ({ stageId: `conv${s + 2}`, blockId: `conv${s + 2}_${k + 1}` })));
}

describe('block alignment (nets of different depths)', () => {
  const plain20 = stagedBlocks([3, 3, 3]);
  const plain56 = stagedBlocks([9, 9, 9]);

  test('the deepest net is the one with most blocks, the first on a tie', () => {
    assert.equal(deepestNet([plain20, plain56]), 1);
    assert.equal(deepestNet([plain56, plain20]), 0);
    assert.equal(deepestNet([plain56, stagedBlocks([9, 9, 9])]), 0);
  });

  test('equal depths align block for block', () => {
    for (let p = 0; p < 27; p++) assert.deepEqual(alignedIndices([plain56, stagedBlocks([9, 9, 9])], p), [p, p]);
  });

  test('9 blocks beside 27: floor((p + 0.5)·m/n) within each stage', () => {
    // Stage position q of 9 → floor((q + 0.5)·3/9): 0,0,0,1,1,1,2,2,2 in the same stage.
    const expected = ['conv2_1', 'conv2_1', 'conv2_1', 'conv2_2', 'conv2_2', 'conv2_2', 'conv2_3', 'conv2_3', 'conv2_3'];
    const all = ['conv2', 'conv3', 'conv4'].flatMap((stage) => expected.map((id) => id.replace('conv2', stage)));
    assert.deepEqual(plain56.map((_, p) => plain20[alignedIndex(plain56, p, plain20)].blockId), all);
    // Block 12 of 27 (conv3_3) stands beside plain-20's conv3_1 (4 of 9).
    assert.deepEqual(alignedIndices([plain20, plain56], 11), [3, 11]);
    // A shallower net's block goes to the first deepest-net block aligned with it.
    assert.deepEqual(plain20.map((_, j) => deepestIndexFor(plain56, plain20, j)), [0, 3, 6, 9, 12, 15, 18, 21, 24]);
  });

  test('uneven stages, a missing stage, and a stage where the shallower net has more blocks', () => {
    // [6, 2] (the deeper, 8 blocks) beside [2, 5]: conv2 positions q of 6 → floor((q + 0.5)·2/6) = 0,0,0,1,1,1;
    // conv3 positions q of 2 (5 in the other) → floor((q + 0.5)·5/2) = 1, 3, after the other's 2 conv2 blocks.
    const a = stagedBlocks([6, 2]);
    const b = stagedBlocks([2, 5]);
    assert.equal(deepestNet([b, a]), 1);
    assert.deepEqual(a.map((_, p) => alignedIndex(a, p, b)), [0, 0, 0, 1, 1, 1, 2 + 1, 2 + 3]);
    assert.deepEqual(alignedIndices([b, a], 7), [5, 7]);
    // b's blocks go to the first of a's aligned with them; b's conv3_1, conv3_3 and conv3_5 have none: the nearest in conv3.
    assert.deepEqual(b.map((_, j) => deepestIndexFor(a, b, j)), [0, 3, 6, 6, 6, 7, 7]);
    // A net without the stage falls back to relative depth over the whole net: floor((p + 0.5)·3/6).
    const short = [{ stageId: 'stem' }, { stageId: 'stem' }, { stageId: 'stem' }];
    const deep = stagedBlocks([2, 2, 2]);
    assert.deepEqual(deep.map((_, p) => alignedIndex(deep, p, short)), [0, 0, 1, 1, 2, 2]);
  });
});

describe('block inspector page', () => {
  let browser: Browser;
  let host: InspectorHost;
  let images: ShowImagesMessage;
  let inspection: ShowInspectionMessage;
  let uneven: ShowInspectionMessage;

  before(async () => {
    ({ images, inspection } = await inspectPair('resnet56', 3));
    ({ inspection: uneven } = await inspectModels(['plain20', 'plain56'], 3));
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
      assert.deepEqual(await session.waitForPosted((m) => m.type === 'blockShown'), {
        type: 'blockShown',
        blockIndex: 12,
        blockId: target,
        netBlocks: [
          { modelName: 'resnet56', blockId: target },
          { modelName: 'plain56', blockId: target },
        ],
      });
      assert.deepEqual((await shownView(session)).columnBlocks, [target, target]);
      const state = await session.state();
      assert.deepEqual(state, { blockIndex: 12, imageIndex: 3, source: inspection.source, scrollY: 0 });
      await session.page.keyboard.press('ArrowRight');
      await session.page.waitForFunction(() => document.getElementById('app')?.dataset.blockIndex === '13');
      assert.equal((await session.state())?.blockIndex, 13);
    } finally {
      await session.close();
    }
  });

  test('a tab hidden and shown again comes back on its block and at its scroll (the state VS Code kept)', async () => {
    const first = await InspectorPage.open(browser, host, { width: 1200, height: 600 });
    let state: InspectorPanelState | undefined;
    try {
      await first.send(images);
      await first.send(inspection);
      await first.page.waitForFunction(() => document.getElementById('app')?.dataset.block === 'conv2_1');
      for (let i = 0; i < 5; i++) await first.page.keyboard.press('ArrowRight');
      await first.page.waitForFunction(() => document.getElementById('app')?.dataset.blockIndex === '5');
      await first.page.evaluate(() => window.scrollTo(0, 300));
      await first.page.waitForFunction(() => (window.__webviewHost.state as { scrollY?: number } | undefined)?.scrollY === 300);
      state = await first.state();
      assert.equal(state?.blockIndex, 5);
    } finally {
      await first.close();
    }
    // VS Code drops a hidden page and loads it again, handing it the state it saved; the extension sends the inspection again.
    const again = await InspectorPage.open(browser, host, { width: 1200, height: 600 }, `window.__webviewHost.state = ${JSON.stringify(state)};`);
    try {
      await again.send(images);
      await again.send(inspection);
      await again.page.waitForFunction((id) => document.getElementById('app')?.dataset.block === id, inspection.nets[0].blocks[5].blockId);
      const shown = await again.waitForPosted((m) => m.type === 'blockShown');
      assert.equal(shown.type === 'blockShown' && shown.blockIndex, 5, 'the extension is told the same block');
      assert.equal(await again.page.evaluate(() => Math.round(window.scrollY)), 300);
      await again.assertNoProblems();
    } finally {
      await again.close();
    }
  });

  test('plain-20 beside plain-56: every plain-56 block is reachable, each column shows its own aligned block, and the page says the depths differ', async () => {
    const session = await InspectorPage.open(browser, host);
    try {
      await session.send(images);
      await session.send(uneven);
      await session.page.waitForFunction(() => document.getElementById('app')?.dataset.block === 'conv2_1');
      const [shallow, deep] = uneven.nets;
      assert.equal(shallow.modelName, 'plain20');
      assert.equal(shallow.blocks.length, 9);
      assert.equal(deep.blocks.length, 27);
      // One colour per net by role and slot, as in the curves: plain-20 (slot a) orange, plain-56 (slot b) red, in Fig. 7 too (not by position).
      const colours = await session.page.evaluate(() => {
        const color = (selector: string, property: 'color' | 'stroke' | 'backgroundColor') => [...document.querySelectorAll<HTMLElement>(selector)].map((e) => getComputedStyle(e)[property]);
        const root = getComputedStyle(document.documentElement);
        const resolve = (name: string) => {
          const probe = document.createElement('span');
          probe.style.color = `var(${name})`;
          document.body.append(probe);
          const value = getComputedStyle(probe).color;
          probe.remove();
          return value;
        };
        return { titles: color('.net-column .net-title', 'color'), fig7: color('.fig7-layer .fig7-series .fig7-line', 'stroke'), bars: color('.ratio-row .ratio-fill', 'backgroundColor').filter((c, i, all) => all.indexOf(c) === i), orange: resolve('--net-color-2'), red: resolve('--net-color-3'), blue: root.getPropertyValue('--net-color-0') && resolve('--net-color-0') };
      });
      assert.deepEqual(colours.titles, [colours.orange, colours.red], 'column titles: plain-20 orange, plain-56 red');
      assert.deepEqual(colours.fig7, [colours.orange, colours.red], "Fig. 7: each net's line in its colour, plain-20 not blue");
      assert.deepEqual(colours.bars, [colours.orange, colours.red], 'the block strip');
      assert.notEqual(colours.fig7[0], colours.blue);

      const note = session.page.locator('.depth-note');
      assert.ok(await note.isVisible(), 'the mismatch is said in the page');
      assert.equal(await note.textContent(), 'plain-20 has 9 blocks, plain-56 has 27: each column shows its own block, aligned by stage and relative depth.');

      // The rule, written out for plain-20 (3 per stage) beside plain-56 (9 per stage):
      // plain-56's convS_k stands beside plain-20's convS_{floor((k − 1 + 0.5)·3/9) + 1}.
      const alignedId = (id: string) => {
        const [, stage, k] = /^(conv\d+)_(\d+)$/.exec(id)!;
        return `${stage}_${Math.floor(((Number(k) - 1 + 0.5) * 3) / 9) + 1}`;
      };
      const expectBlock = async (k: number) => {
        const view = await shownView(session);
        const id = deep.blocks[k].blockId;
        const j = shallow.blocks.findIndex((b) => b.blockId === alignedId(id));
        assert.ok(j >= 0, id);
        assert.equal(view.appBlock, id, `block ${k}`);
        assert.deepEqual(view.columnBlocks, [shallow.blocks[j].blockId, id]);
        assert.equal(view.headings[0], `Block ${shallow.blocks[j].blockId} (${j + 1} of 9)`);
        assert.equal(view.headings[1], `Block ${id} (${k + 1} of 27)`);
        assert.deepEqual(view.currentCells, [id], 'the block cells follow plain-56');
        assert.deepEqual(view.currentBars, [shallow.blocks[j].blockId, id], 'each row highlights its own block');
        assert.deepEqual(view.ratios, [shallow.blocks[j].residualRatio, deep.blocks[k].residualRatio]);
        assert.deepEqual(view.inputNorms, [shallow.blocks[j].input.norm, deep.blocks[k].input.norm]);
        return j;
      };
      assert.equal(await session.page.locator('.block-cell').count(), 27);
      assert.equal(await session.page.locator('.ratio-row[data-net="plain20"] .ratio-bar').count(), 9);
      assert.equal(await session.page.locator('.ratio-row[data-net="plain56"] .ratio-bar').count(), 27);

      await session.page.keyboard.press('End');
      await expectBlock(26);
      const headings = (await shownView(session)).headings;
      assert.ok(headings[1].endsWith('(27 of 27)') && headings[0].endsWith('(9 of 9)'), headings.join(' | '));

      await session.page.keyboard.press('Home');
      await expectBlock(0);
      await session.clearPosted();
      const visited = [deep.blocks[0].blockId];
      for (let k = 1; k < 27; k++) {
        await session.page.keyboard.press('ArrowRight');
        await expectBlock(k);
        visited.push((await shownView(session)).appBlock ?? '');
      }
      assert.deepEqual(visited, deep.blocks.map((b) => b.blockId), 'all 27 plain-56 blocks, in order');
      const shown = (await session.posted()).filter((m) => m.type === 'blockShown');
      assert.equal(shown.length, 26);
      assert.deepEqual(shown[10], {
        type: 'blockShown',
        blockIndex: 11,
        blockId: 'conv3_3',
        netBlocks: [
          { modelName: 'plain20', blockId: 'conv3_1' },
          { modelName: 'plain56', blockId: 'conv3_3' },
        ],
      });

      // Block 12 of 27 (conv3_3): plain-20 shows conv3_1, its 4th of 9.
      await session.send({ type: 'step', action: 'first' });
      for (let k = 0; k < 11; k++) await session.send({ type: 'step', action: 'next' });
      assert.equal(await expectBlock(11), 3);
      assert.deepEqual((await shownView(session)).headings, ['Block conv3_1 (4 of 9)', 'Block conv3_3 (12 of 27)']);
      assert.equal((await session.state())?.blockIndex, 11, 'the saved index is plain-56’s');

      // Clicking plain-56's 21st bar goes to its block 21; plain-20's 6th bar (conv3_3) to the first plain-56 block beside it (conv3_7).
      await session.page.locator('.ratio-row[data-net="plain56"] .ratio-bar').nth(20).click();
      await expectBlock(20);
      assert.equal((await shownView(session)).headings[1], `Block ${deep.blocks[20].blockId} (21 of 27)`);
      await session.page.locator('.ratio-row[data-net="plain20"] .ratio-bar').nth(5).click();
      assert.equal(await expectBlock(15), 5);
      assert.equal(deep.blocks[15].blockId, 'conv3_7');

      // Fig. 7: each net over its own conv layers; the x axis spans the longer.
      assert.equal(shallow.responses.length, 19);
      assert.equal(deep.responses.length, 55);
      for (const [net, count] of [['plain20', 19], ['plain56', 55]] as const) {
        for (const chart of ['layer', 'sorted']) assert.equal(await session.page.locator(`.fig7-${chart} .fig7-series[data-net="${net}"] .fig7-point`).count(), count, `${chart}: ${net}`);
      }
      assert.equal(await session.page.locator('.fig7-note').textContent(), `Over ${shallow.responseImages} test images; plain-20: 19 conv layers, plain-56: 55 conv layers.`);
      const lastX = (net: string) => session.page.locator(`.fig7-layer .fig7-series[data-net="${net}"] .fig7-point`).last().evaluate((n) => Number(n.getAttribute('cx')));
      assert.ok((await lastX('plain20')) < (await lastX('plain56')), 'plain-20’s last layer is left of plain-56’s');

      await session.page.keyboard.press('Home');
      await session.page.keyboard.press('ArrowRight');
      await session.screenshot('inspector-plain20-plain56');
      assert.deepEqual(await session.allProblems(), []);
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
