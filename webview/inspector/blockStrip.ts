// The whole net as a strip of blocks: ‖F(x)‖/‖x‖ as one bar per block (a row per net), and
// below, the blocks grouped by stage with their shortcut kind; the current block is
// highlighted in both, and clicking a block goes to it.
import type { NetInspection } from '../../core/inspect/types';
import { formatValue } from './pixels';

export interface BlockStrip {
  element: HTMLElement;
  update(nets: NetInspection[], blockIndex: number): void;
}

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
    bars.replaceChildren(
      ...nets.map((net) => {
        const row = document.createElement('div');
        row.className = `ratio-row ${net.residual ? 'residual' : 'plain'}`;
        row.dataset.net = net.modelName;
        const label = document.createElement('span');
        label.className = 'ratio-label';
        label.textContent = net.title;
        const track = document.createElement('div');
        track.className = 'ratio-track';
        for (const block of net.blocks) {
          const bar = document.createElement('div');
          bar.className = 'ratio-bar';
          bar.dataset.block = block.blockId;
          bar.dataset.index = String(block.index);
          bar.title = `${block.blockId}: ‖F(x)‖/‖x‖ = ${formatValue(block.residualRatio)}`;
          const fill = document.createElement('div');
          fill.className = 'ratio-fill';
          fill.style.height = `${Math.max(1, (block.residualRatio / max) * 100)}%`;
          bar.append(fill);
          bar.addEventListener('click', () => onPick(block.index));
          track.append(bar);
        }
        row.append(label, track);
        return row;
      }),
    );
    const blocks = nets[0].blocks;
    const label = document.createElement('span');
    label.className = 'ratio-label';
    label.textContent = 'blocks';
    const track = document.createElement('div');
    track.className = 'cell-track';
    let stage = '';
    for (const block of blocks) {
      const cell = document.createElement('div');
      cell.className = `block-cell shortcut-${block.shortcutKind}${block.stageId !== stage ? ' stage-start' : ''}`;
      cell.setAttribute('role', 'option');
      cell.dataset.block = block.blockId;
      cell.dataset.index = String(block.index);
      cell.title = `${block.blockId} (${block.shortcutKind === 'none' ? 'no shortcut' : `${block.shortcutKind} shortcut`})`;
      if (block.stageId !== stage) cell.dataset.stage = block.stageId;
      stage = block.stageId;
      cell.addEventListener('click', () => onPick(block.index));
      track.append(cell);
    }
    cells.replaceChildren(label, track);
  }

  function update(nets: NetInspection[], blockIndex: number): void {
    if (nets !== drawnFor) build(nets);
    for (const node of element.querySelectorAll<HTMLElement>('.ratio-bar, .block-cell')) {
      const current = Number(node.dataset.index) === blockIndex;
      node.classList.toggle('current', current);
      if (node.classList.contains('block-cell')) node.setAttribute('aria-selected', String(current));
    }
  }
  return { element, update };
}
