// One net's side of the view: its title and weights, its top-5 prediction, and the current
// block's x, F(x), shortcut and y as heat-map grids.
import type { BlockInspection, NetInspection } from '../../core/inspect/types';
import { shownNetColorClass } from '../netPalette';
import { heatmap } from './heatmap';
import { formatValue } from './pixels';

const SHORTCUT_TEXT: Record<BlockInspection['shortcutKind'], string> = {
  identity: 'identity shortcut',
  zeropad: 'zero-padded shortcut (option A)',
  projection: 'projection shortcut (1×1 conv + BN)',
  none: 'no shortcut (plain net)',
};

export interface NetColumn {
  element: HTMLElement;
  /** slotIndex: the net's place in its run (0 for slot a), which with its role picks its colour. */
  update(net: NetInspection, blockIndex: number, slotIndex: number): void;
}

export function netColumn(parent: HTMLElement): NetColumn {
  const element = document.createElement('section');
  element.className = 'net-column';
  const title = document.createElement('h2');
  title.className = 'net-title';
  const source = document.createElement('p');
  source.className = 'net-source';
  const top5 = document.createElement('ol');
  top5.className = 'top5';
  const blockHeading = document.createElement('h3');
  blockHeading.className = 'block-heading';
  const blockFacts = document.createElement('p');
  blockFacts.className = 'block-facts';
  const maps = document.createElement('div');
  maps.className = 'maps';
  element.append(title, source, top5, blockHeading, blockFacts, maps);
  parent.append(element);
  const views = {
    input: heatmap(maps, 'input', 'x (block input)'),
    residual: heatmap(maps, 'residual', 'F(x) (after last BN)'),
    shortcut: heatmap(maps, 'shortcut', 'shortcut'),
    output: heatmap(maps, 'output', 'y = ReLU(F(x) + shortcut)'),
  };

  let shownNet: NetInspection | null = null;
  function update(net: NetInspection, blockIndex: number, slotIndex: number): void {
    if (net !== shownNet) {
      shownNet = net;
      element.dataset.net = net.modelName;
      element.classList.toggle('plain', !net.residual);
      element.className = element.className.replace(/ ?net-color-\d/g, '') + ` ${shownNetColorClass(net, slotIndex)}`;
      title.textContent = net.title;
      source.textContent = `Weights: ${net.weightsSource}`;
      top5.replaceChildren(
        ...net.top5.map((c, i) => {
          const item = document.createElement('li');
          item.className = 'top5-row';
          item.dataset.rank = String(i + 1);
          const bar = document.createElement('span');
          bar.className = 'top5-bar';
          bar.style.width = `${Math.round(c.probability * 100)}%`;
          const label = document.createElement('span');
          label.className = 'top5-label';
          label.textContent = `${c.className} ${(c.probability * 100).toFixed(1)}%`;
          item.append(bar, label);
          return item;
        }),
      );
    }
    const block = net.blocks[blockIndex];
    element.dataset.block = block.blockId;
    blockHeading.textContent = `Block ${block.blockId} (${blockIndex + 1} of ${net.blocks.length})`;
    blockFacts.textContent = `${SHORTCUT_TEXT[block.shortcutKind]} · ‖F(x)‖ / ‖x‖ = ${formatValue(block.residualRatio)}`;
    blockFacts.dataset.ratio = String(block.residualRatio);
    views.input.update(block.input);
    views.residual.update(block.residual);
    views.shortcut.update(block.shortcut, 'no shortcut: a plain net’s block is y = ReLU(F(x))');
    views.output.update(block.output);
    views.output.element.querySelector('.map-title')!.textContent = block.shortcut ? 'y = ReLU(F(x) + shortcut)' : 'y = ReLU(F(x))';
  }
  return { element, update };
}
