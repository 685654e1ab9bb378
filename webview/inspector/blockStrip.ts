// The whole net as a strip of blocks: ‖F(x)‖/‖x‖ as one bar per block (a row per net, each
// net's own blocks across the full width), and below, the deepest net's blocks grouped by
// stage with their shortcut kind. Each row highlights its net's current (aligned) block;
// clicking a block goes to it (a shallower net's bar: to the first deepest-net block aligned
// with it).
import type { NetInspection } from '../../core/inspect/types';
import { shownNetColorClass } from '../netPalette';
import { deepestBlocks, deepestIndexFor } from '../../core/inspect/alignment';
import { formatValue } from './pixels';

export interface BlockStrip {
  element: HTMLElement;
  /** `blockIndex` indexes the deepest net's blocks; `aligned` has each net's aligned block. */
  update(nets: NetInspection[], blockIndex: number, aligned: number[]): void;
}

/** `onPick` gets an index into the deepest net's blocks. */
export function blockStrip(parent: HTMLElement, onPick: (blockIndex: number) => void): BlockStrip {
  const element = document.createElement('section');
  element.className = 'block-strip';
  const heading = document.createElement('h2');
  heading.textContent = '‖F(x)‖ / ‖x‖ per block';
  const bars = document.createElement('div');
  bars.className = 'ratio-rows';
  const cells = document.createElement('div');
  cells.className = 'block-cells';
  cells.setAttribute('role', 'listbox');
  cells.setAttribute('aria-label', 'Blocks');
  element.append(heading, bars, cells);
  parent.append(element);

  let drawnFor: NetInspection[] | null = null;
  function build(nets: NetInspection[]): void {
    drawnFor = nets;
    const max = Math.max(...nets.flatMap((n) => n.blocks.map((b) => b.residualRatio)), 1e-12);
    const deepest = deepestBlocks(nets);
    bars.replaceChildren(
      ...nets.map((net, netIndex) => {
        const row = document.createElement('div');
        row.className = `ratio-row ${net.residual ? 'residual' : 'plain'} ${shownNetColorClass(net, netIndex)}`;
        row.dataset.net = net.modelName;
        const label = document.createElement('span');
        label.className = 'ratio-label';
        label.textContent = net.title;
        const track = document.createElement('div');
        track.className = 'ratio-track';
        net.blocks.forEach((block, index) => {
          const bar = document.createElement('div');
          // A gap before each stage, as in the block cells, so the rows line up stage by stage.
          bar.className = `ratio-bar${index === 0 || block.stageId !== net.blocks[index - 1].stageId ? ' stage-start' : ''}`;
          bar.dataset.block = block.blockId;
          bar.dataset.index = String(index);
          bar.title = `${block.blockId}: ‖F(x)‖/‖x‖ = ${formatValue(block.residualRatio)}`;
          const fill = document.createElement('div');
          fill.className = 'ratio-fill';
          fill.style.height = `${Math.max(1, (block.residualRatio / max) * 100)}%`;
          bar.append(fill);
          bar.addEventListener('click', () => onPick(net.blocks === deepest ? index : deepestIndexFor(deepest, net.blocks, index)));
          track.append(bar);
        });
        row.append(label, track);
        return row;
      }),
    );
    const blocks = deepest;
    const label = document.createElement('span');
    label.className = 'ratio-label';
    label.textContent = 'blocks';
    const track = document.createElement('div');
    track.className = 'cell-track';
    let stage = '';
    blocks.forEach((block, index) => {
      const cell = document.createElement('div');
      cell.className = `block-cell shortcut-${block.shortcutKind}${block.stageId !== stage ? ' stage-start' : ''}`;
      cell.setAttribute('role', 'option');
      cell.dataset.block = block.blockId;
      cell.dataset.index = String(index);
      cell.title = `${block.blockId} (${block.shortcutKind === 'none' ? 'no shortcut' : `${block.shortcutKind} shortcut`})`;
      if (block.stageId !== stage) cell.dataset.stage = block.stageId;
      stage = block.stageId;
      cell.addEventListener('click', () => onPick(index));
      track.append(cell);
    });
    cells.replaceChildren(label, track);
  }

  function update(nets: NetInspection[], blockIndex: number, aligned: number[]): void {
    if (nets !== drawnFor) build(nets);
    bars.querySelectorAll<HTMLElement>('.ratio-row').forEach((row, i) => {
      for (const bar of row.querySelectorAll<HTMLElement>('.ratio-bar')) bar.classList.toggle('current', Number(bar.dataset.index) === aligned[i]);
    });
    for (const cell of cells.querySelectorAll<HTMLElement>('.block-cell')) {
      const current = Number(cell.dataset.index) === blockIndex;
      cell.classList.toggle('current', current);
      cell.setAttribute('aria-selected', String(current));
    }
  }
  return { element, update };
}
