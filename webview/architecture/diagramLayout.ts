// Where everything of the architecture diagram goes, as in the paper's Fig. 3 turned into
// lanes: one lane per stage, its layers and blocks left to right, wrapping at the view's width.
import type { BlockNode, LayerNode, NetworkGraph, ShortcutKind, StageNode } from '../../core/graph';
import { formatShape } from '../../core/graph';

const BOX_W = 86;
const BOX_H = 62;
const GAP = 28;
/** Room above a row for the shortcut arcs. */
const ARC_SPACE = 34;
const ROW_GAP = 20;
const LANE_GAP = 30;
const ITEMS_X = 176;
/** Rows hold at most this many boxes, however wide the view. */
const MAX_ITEMS_PER_ROW = 16;
const TOP = 34;
const ROW_H = ARC_SPACE + BOX_H + ROW_GAP;
const COLLAPSED_W = 2 * BOX_W + GAP;

/** How many boxes a row holds so that the drawing at actual size is no wider than `width` pixels. */
export function itemsPerRowFor(width: number): number {
  return Math.max(2, Math.min(MAX_ITEMS_PER_ROW, Math.floor((width - ITEMS_X - 8) / (BOX_W + GAP))));
}

export interface DiagramItem {
  key: string;
  kind: 'layer' | 'block' | 'collapsed';
  stageId: string;
  blockId: string | null;
  /** What the box says when zoomed out: the block id, the layer's kind, or the stage's count. */
  label: string;
  /** The shortest form of `label` ("150" for conv4_150). */
  shortLabel: string;
  x: number;
  y: number;
  w: number;
  h: number;
  lines: string[];
  /** Hover text. */
  title: string;
  shortcut: ShortcutKind | null;
}

export interface DiagramArc {
  blockId: string;
  shortcut: Exclude<ShortcutKind, 'none'>;
  d: string;
  apexX: number;
  apexY: number;
  addX: number;
  addY: number;
}

export interface DiagramEdge {
  key: string;
  d: string;
  /** Output size written on the edge between stages. */
  label: { x: number; y: number; text: string } | null;
}

export interface DiagramLane {
  stage: StageNode;
  y: number;
  height: number;
  blocks: number;
  collapsed: boolean;
  lines: string[];
  /** The one line that stands for the whole stage when zoomed out. */
  summary: string;
}

export interface DiagramLayout {
  width: number;
  height: number;
  lanes: DiagramLane[];
  items: DiagramItem[];
  arcs: DiagramArc[];
  edges: DiagramEdge[];
  input: { x: number; y: number; text: string; d: string };
  output: { x: number; y: number; text: string };
}

const DRAWN_LAYER_KINDS: ReadonlySet<LayerNode['kind']> = new Set(['conv', 'maxpool', 'avgpool', 'fc', 'softmax']);

/** "conv 7×7, 64, /2" → ["conv", "7×7, 64, /2"]; "global average pool" → ["global", "average pool"]. */
function layerLines(name: string): string[] {
  const split = /^([^\d]+?) (\d.*)$/.exec(name);
  if (split) return [split[1], split[2]];
  const words = name.split(' ');
  if (words.length < 3) return [name];
  return [words[0], words.slice(1).join(' ')];
}

/** "conv", "max pool", "avg pool", "fc", "softmax". */
function layerLabel(layer: LayerNode): string {
  if (layer.kind === 'maxpool') return 'max pool';
  if (layer.kind === 'avgpool') return 'avg pool';
  return layer.kind;
}

const convText = (layer: LayerNode) => layer.name.replace(/^conv /, '');

function shortcutText(kind: ShortcutKind): string {
  switch (kind) {
    case 'identity':
      return 'identity shortcut';
    case 'projection':
      return 'projection shortcut (1×1 conv + BN)';
    case 'zeropad':
      return 'identity shortcut, zero-padded channels (option A)';
    case 'none':
      return 'no shortcut (plain net)';
  }
}

function blockItem(block: BlockNode, layers: Map<string, LayerNode>): Pick<DiagramItem, 'lines' | 'title'> {
  const convs = block.branch.map((id) => layers.get(id)!).filter((l) => l.kind === 'conv');
  return {
    lines: [block.id, ...convs.map(convText)],
    title: `${block.id}: ${block.type} block, ${convs.map((c) => c.name).join(' → ')}; ${shortcutText(block.shortcut)}; output ${formatShape(block.outputShape)}. Right-click or press I to inspect its outputs.`,
  };
}

function collapsedItem(stage: StageNode, blocks: BlockNode[], layers: Map<string, LayerNode>): Pick<DiagramItem, 'lines' | 'title'> {
  const sample = blocks[blocks.length - 1];
  const convs = sample.branch.map((id) => layers.get(id)!).filter((l) => l.kind === 'conv');
  const counts = new Map<ShortcutKind, number>();
  for (const b of blocks) counts.set(b.shortcut, (counts.get(b.shortcut) ?? 0) + 1);
  const names: Record<ShortcutKind, string> = { identity: 'identity', zeropad: 'zero-pad', projection: 'projection', none: 'no shortcut' };
  const shortcuts = [...counts].map(([kind, n]) => `${n} ${names[kind]}`).join(', ');
  return {
    lines: [`${stage.id}: ${blocks.length} blocks`, `[${convs.map(convText).join('; ')}]`, shortcuts, 'click to expand'],
    title: `${stage.id}: ${blocks.length} ${sample.type} blocks collapsed (${shortcuts}). Click to draw every block.`,
  };
}

export function layoutDiagram(graph: NetworkGraph, collapsed: ReadonlySet<string>, itemsPerRow: number): DiagramLayout {
  const rowRight = ITEMS_X + Math.max(2, itemsPerRow) * (BOX_W + GAP) - GAP;
  const layers = new Map(graph.layers.map((l) => [l.id, l]));
  const blocks = new Map(graph.blocks.map((b) => [b.id, b]));
  const items: DiagramItem[] = [];
  const lanes: DiagramLane[] = [];
  const arcs: DiagramArc[] = [];
  const edges: DiagramEdge[] = [];
  let y = TOP;
  let previous: DiagramItem | null = null;
  let width = 0;

  for (const stage of graph.stages) {
    const stageBlocks = stage.blockIds.map((id) => blocks.get(id)!);
    const isCollapsed = stageBlocks.length > 0 && collapsed.has(stage.id);
    const laneItems: Array<Omit<DiagramItem, 'x' | 'y'>> = [];
    const seenBlocks = new Set<string>();
    for (const layerId of stage.layerIds) {
      const layer = layers.get(layerId)!;
      if (layer.blockId === null) {
        if (DRAWN_LAYER_KINDS.has(layer.kind)) {
          const lines = layerLines(layer.name);
          laneItems.push({ key: `layer:${layer.id}`, kind: 'layer', stageId: stage.id, blockId: null, label: layerLabel(layer), shortLabel: layerLabel(layer), w: BOX_W, h: BOX_H, lines, title: `${layer.id}: ${layer.name}, output ${formatShape(layer.outputShape)}`, shortcut: null });
        }
        continue;
      }
      if (seenBlocks.has(layer.blockId)) continue;
      seenBlocks.add(layer.blockId);
      if (isCollapsed) {
        if (seenBlocks.size === 1) laneItems.push({ key: `collapsed:${stage.id}`, kind: 'collapsed', stageId: stage.id, blockId: null, label: `${stageBlocks.length} blocks`, shortLabel: `×${stageBlocks.length}`, w: COLLAPSED_W, h: BOX_H, ...collapsedItem(stage, stageBlocks, layers), shortcut: null });
        continue;
      }
      const block = blocks.get(layer.blockId)!;
      laneItems.push({ key: `block:${block.id}`, kind: 'block', stageId: stage.id, blockId: block.id, label: block.id, shortLabel: block.id.slice(block.id.lastIndexOf('_') + 1), w: BOX_W, h: BOX_H, ...blockItem(block, layers), shortcut: block.shortcut });
    }

    let x = ITEMS_X;
    let rowY = y + ARC_SPACE;
    let rows = 1;
    for (const item of laneItems) {
      if (x > ITEMS_X && x + item.w > rowRight) {
        x = ITEMS_X;
        rowY += ROW_H;
        rows += 1;
      }
      const placed: DiagramItem = { ...item, x, y: rowY };
      items.push(placed);
      width = Math.max(width, x + item.w);
      if (previous) edges.push(edgeBetween(previous, placed, previous.stageId !== stage.id ? formatShape(graph.stages.find((s) => s.id === previous!.stageId)!.outputShape) : null));
      if (placed.kind === 'block' && placed.shortcut && placed.shortcut !== 'none') arcs.push(arcOver(placed, placed.shortcut));
      previous = placed;
      x += item.w + GAP;
    }
    const height = rows * ROW_H - ROW_GAP;
    const shape = formatShape(stage.outputShape);
    const lines = [stage.id, shape];
    if (stageBlocks.length > 0) lines.push(`${isCollapsed ? '▸' : '▾'} ${stageBlocks.length} block${stageBlocks.length === 1 ? '' : 's'}`);
    const count = stageBlocks.length > 0 ? `${stageBlocks.length} block${stageBlocks.length === 1 ? '' : 's'}` : stage.layerIds.map((id) => layers.get(id)!).filter((l) => DRAWN_LAYER_KINDS.has(l.kind)).map(layerLabel).join(', ');
    lanes.push({ stage, y, height, blocks: stageBlocks.length, collapsed: isCollapsed, lines, summary: `${stage.id} · ${count} · ${shape}` });
    y += height + ROW_GAP + LANE_GAP;
  }

  const first = items[0];
  const last = items[items.length - 1];
  const inputX = first.x + first.w / 2;
  const outputText = `→ ${graph.spec.classes} class probabilities`;
  return {
    width: Math.max(width, last.x + last.w + 8 + outputText.length * 6.5) + GAP,
    height: y - LANE_GAP,
    lanes,
    items,
    arcs,
    edges,
    input: { x: inputX + 6, y: 16, text: `input ${formatShape(graph.inputShape)}`, d: `M${inputX},20V${first.y}` },
    output: { x: last.x + last.w + 8, y: last.y + last.h / 2 + 4, text: outputText },
  };
}

function edgeBetween(a: DiagramItem, b: DiagramItem, stageOutput: string | null): DiagramEdge {
  const aMid = a.y + a.h / 2;
  const bMid = b.y + b.h / 2;
  const key = `${a.key}->${b.key}`;
  if (Math.abs(aMid - bMid) < 1 && b.x > a.x) {
    return { key, d: `M${a.x + a.w},${aMid}H${b.x}`, label: null };
  }
  const turnX = a.x + a.w + GAP / 2;
  const turnY = stageOutput ? a.y + a.h + (ROW_GAP + LANE_GAP) / 2 : a.y + a.h + ROW_GAP / 2;
  const backX = b.x - GAP / 2;
  const d = `M${a.x + a.w},${aMid}H${turnX}V${turnY}H${backX}V${bMid}H${b.x}`;
  return { key, d, label: stageOutput ? { x: Math.max(backX + 8, Math.min(turnX - 8, (turnX + backX) / 2)), y: turnY, text: stageOutput } : null };
}

function arcOver(item: DiagramItem, shortcut: Exclude<ShortcutKind, 'none'>): DiagramArc {
  const mid = item.y + item.h / 2;
  const startX = item.x - GAP / 2 + 4;
  const endX = item.x + item.w + GAP / 2 - 4;
  const controlY = item.y - ARC_SPACE + 2;
  return {
    blockId: item.blockId!,
    shortcut,
    d: `M${startX},${mid}C${startX},${controlY} ${endX},${controlY} ${endX},${mid - 5}`,
    apexX: (startX + endX) / 2,
    apexY: mid - 0.75 * (mid - controlY) - 3,
    addX: endX,
    addY: mid,
  };
}
