// The `summary` views of a model: a readable layer table (like torchinfo's) and its JSON form.
import { BYTES_PER_VALUE, Cost } from '../costs';
import { formatBytes, formatCount, formatFlops } from '../format';
import { formatShape, Shape } from '../graph';
import { ModelReport } from '../report';

export type SummaryLevel = 'stages' | 'blocks' | 'layers';

export interface SummaryJson {
  model: string;
  title: string;
  family: string;
  inputShape: Shape;
  /** Trainable parameters. */
  params: number;
  /** BatchNorm moving statistics, not trainable. */
  nonTrainable: number;
  /** Multiply-adds of conv and fc layers for one image (the paper's FLOPs). */
  flops: number;
  /** Forward activation memory of one image at float32, in bytes. */
  activationBytes: number;
  stages: Array<{ name: string; outputShape: Shape; params: number; nonTrainable: number; flops: number; activationBytes: number }>;
  blocks: Array<{ id: string; stage: string; shortcut: string; outputShape: Shape; params: number; flops: number }>;
  layers: Array<{ id: string; name: string; kind: string; stage: string; block: string | null; role: string; outputShape: Shape; params: number; nonTrainable: number; flops: number; activationBytes: number }>;
}

export function summaryJson(report: ModelReport): SummaryJson {
  const { graph, costs } = report;
  const shortcutOf = new Map(graph.blocks.map((b) => [b.id, b.shortcut]));
  return {
    model: graph.spec.name,
    title: graph.spec.title,
    family: graph.spec.family,
    inputShape: graph.inputShape,
    params: costs.total.params,
    nonTrainable: costs.total.nonTrainable,
    flops: costs.total.flops,
    activationBytes: costs.total.activations * BYTES_PER_VALUE,
    stages: costs.stages.map((s) => ({ name: s.id, outputShape: s.outputShape, params: s.params, nonTrainable: s.nonTrainable, flops: s.flops, activationBytes: s.activations * BYTES_PER_VALUE })),
    blocks: costs.blocks.map((b) => ({ id: b.id, stage: b.id.replace(/_\d+$/, '_x'), shortcut: shortcutOf.get(b.id) ?? 'none', outputShape: b.outputShape, params: b.params, flops: b.flops })),
    layers: costs.layers.map((l) => ({
      id: l.id,
      name: l.name,
      kind: l.kind,
      stage: l.stageId,
      block: l.blockId,
      role: l.role,
      outputShape: l.outputShape,
      params: l.params,
      nonTrainable: l.nonTrainable,
      flops: l.flops,
      activationBytes: l.activations * BYTES_PER_VALUE,
    })),
  };
}

interface Row {
  label: string;
  shape: string;
  params: string;
  flops: string;
}

const costCells = (c: Cost) => ({ params: c.params ? formatCount(c.params) : '--', flops: c.flops ? formatCount(c.flops) : '--' });

function describeModel(report: ModelReport): string {
  const { spec } = report.graph;
  const data = spec.family === 'cifar' ? 'CIFAR-10' : spec.family === 'imagenet' ? 'ImageNet' : 'custom';
  const shortcuts = spec.residual ? `option ${spec.shortcut} shortcuts` : 'no shortcuts (plain net)';
  const blocks = `${spec.blockType} blocks [${spec.stages.map((s) => s.blocks).join(', ')}]`;
  return `${spec.title} — ${data}, ${spec.inputSize}×${spec.inputSize}×${spec.inputChannels} input, ${spec.classes} classes, ${blocks}, ${shortcuts}`;
}

/** The layer table as text: one row per layer (or per block or stage), stage subtotals, totals. */
export function summaryText(report: ModelReport, level: SummaryLevel = 'layers'): string {
  const { graph, costs } = report;
  const rows: Row[] = [];
  const layerCosts = new Map(costs.layers.map((l) => [l.id, l]));
  const blockCosts = new Map(costs.blocks.map((b) => [b.id, b]));
  const blockNodes = new Map(graph.blocks.map((b) => [b.id, b]));
  graph.stages.forEach((stageNode, i) => {
    const stage = costs.stages[i];
    rows.push({ label: stage.title, shape: formatShape(stage.outputShape), ...costCells(stage) });
    if (level === 'stages') return;
    let currentBlock: string | null = null;
    for (const id of stageNode.layerIds) {
      const layer = layerCosts.get(id)!;
      if (layer.blockId && layer.blockId !== currentBlock) {
        currentBlock = layer.blockId;
        const block = blockNodes.get(layer.blockId)!;
        const blockCost = blockCosts.get(block.id)!;
        rows.push({ label: `  ${block.id} (${block.type}, shortcut: ${block.shortcut})`, shape: formatShape(block.outputShape), ...costCells(blockCost) });
      }
      if (level === 'blocks' && layer.blockId) continue;
      const indent = layer.blockId ? '    ' : '  ';
      rows.push({ label: `${indent}${layer.id}: ${layer.name}`, shape: formatShape(layer.outputShape), ...costCells(layer) });
    }
  });
  const header: Row = { label: 'Layer (id: kind)', shape: 'Output shape', params: 'Params', flops: 'Mult-adds' };
  const widths = {
    label: Math.max(header.label.length, ...rows.map((r) => r.label.length)),
    shape: Math.max(header.shape.length, ...rows.map((r) => r.shape.length)),
    params: Math.max(header.params.length, ...rows.map((r) => r.params.length)),
    flops: Math.max(header.flops.length, ...rows.map((r) => r.flops.length)),
  };
  const line = (r: Row) => `${r.label.padEnd(widths.label)}  ${r.shape.padStart(widths.shape)}  ${r.params.padStart(widths.params)}  ${r.flops.padStart(widths.flops)}`;
  const width = widths.label + widths.shape + widths.params + widths.flops + 6;
  const t = costs.total;
  const inputBytes = graph.inputShape[0] * graph.inputShape[1] * graph.inputShape[2] * BYTES_PER_VALUE;
  return [
    describeModel(report),
    '='.repeat(width),
    line(header),
    '-'.repeat(width),
    ...rows.map(line),
    '='.repeat(width),
    `Trainable params: ${formatCount(t.params)}`,
    `Non-trainable values (BatchNorm moving mean and variance): ${formatCount(t.nonTrainable)}`,
    `Mult-adds per image (conv and fc only, the paper's FLOPs): ${formatCount(t.flops)} (${formatFlops(t.flops)})`,
    '-'.repeat(width),
    `Input size (float32): ${formatBytes(inputBytes)}`,
    `Forward activations per image (float32): ${formatBytes(t.activations * BYTES_PER_VALUE)}`,
    `Params size (float32): ${formatBytes((t.params + t.nonTrainable) * BYTES_PER_VALUE)}`,
    '='.repeat(width),
  ].join('\n');
}
