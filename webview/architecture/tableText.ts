// The layer table as Markdown or CSV text, for the "Copy as …" buttons.
import type { GroupCostRow, LayerCostRow, NetworkCosts } from '../../core/costs';
import { formatCount } from '../../core/format';
import { formatShape } from '../../core/graph';

/** One stage of the table: its subtotal row and the layers shown under it. */
export interface StageGroup {
  stage: GroupCostRow;
  layers: LayerCostRow[];
}

const markdownCell = (text: string) => text.replace(/\|/g, '\\|');

export function tableAsMarkdown(costs: NetworkCosts, groups: StageGroup[]): string {
  const header = ['Layer', 'Description', 'Output', 'Params', 'Non-trainable', 'Multiply-adds', 'Activations'];
  const line = (cells: string[]) => `| ${cells.map(markdownCell).join(' | ')} |`;
  const lines = [
    `**${costs.title}**: multiply-adds of conv and fc layers, as in the paper; activations are output values per image.`,
    '',
    line(header),
    `| --- | --- | --- | ${header.slice(3).map(() => '---:').join(' | ')} |`,
  ];
  for (const { stage, layers } of groups) {
    lines.push(line([`**${stage.id}**`, `**${stage.title} subtotal**`, formatShape(stage.outputShape), ...[stage.params, stage.nonTrainable, stage.flops, stage.activations].map((n) => `**${formatCount(n)}**`)]));
    for (const layer of layers) {
      lines.push(line([layer.id, layer.name, formatShape(layer.outputShape), ...[layer.params, layer.nonTrainable, layer.flops, layer.activations].map(formatCount)]));
    }
  }
  const { total } = costs;
  lines.push(line(['**Total**', '', '', ...[total.params, total.nonTrainable, total.flops, total.activations].map((n) => `**${formatCount(n)}**`)]));
  return lines.join('\n') + '\n';
}

const csvCell = (text: string) => (/[",\n]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text);

export function tableAsCsv(costs: NetworkCosts, groups: StageGroup[]): string {
  const rows: string[][] = [['row', 'stage', 'block', 'layer', 'description', 'output_shape', 'params', 'non_trainable', 'multiply_adds', 'activations']];
  const numbers = (c: { params: number; nonTrainable: number; flops: number; activations: number }) => [c.params, c.nonTrainable, c.flops, c.activations].map(String);
  for (const { stage, layers } of groups) {
    rows.push(['stage', stage.id, '', '', `${stage.title} subtotal`, formatShape(stage.outputShape), ...numbers(stage)]);
    for (const layer of layers) {
      rows.push(['layer', layer.stageId, layer.blockId ?? '', layer.id, layer.name, formatShape(layer.outputShape), ...numbers(layer)]);
    }
  }
  rows.push(['total', '', '', '', costs.title, '', ...numbers(costs.total)]);
  return rows.map((row) => row.map(csvCell).join(',')).join('\n') + '\n';
}
