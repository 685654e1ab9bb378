// The layer table: every layer with its output shape and costs, grouped by stage under the
// stage's subtotal row (core's figures), collapsible, sortable, searchable, copyable.
import { select, Selection } from 'd3';
import type { GroupCostRow, LayerCostRow } from '../../core/costs';
import type { ModelReport } from '../../core/report';
import { stagesCollapsedByDefault } from './largeStages';
import { formatActivationBytes, formatCount } from '../../core/format';
import { formatShape } from '../../core/graph';
import { StageGroup, tableAsCsv, tableAsMarkdown } from './tableText';

type SortKey = 'order' | 'id' | 'name' | 'output' | 'params' | 'nonTrainable' | 'flops' | 'activations';
interface SortState {
  key: SortKey;
  descending: boolean;
}

interface Column {
  key: Exclude<SortKey, 'order'>;
  label: string;
  numeric: boolean;
  title: string;
}

const COLUMNS: Column[] = [
  { key: 'id', label: 'Layer', numeric: false, title: 'Stable layer id' },
  { key: 'name', label: 'Description', numeric: false, title: 'What the layer does' },
  { key: 'output', label: 'Output', numeric: false, title: 'Output shape (height×width×channels) for one image' },
  { key: 'params', label: 'Params', numeric: true, title: 'Trainable parameters' },
  { key: 'nonTrainable', label: 'Non-trainable', numeric: true, title: 'BatchNorm moving mean and variance' },
  { key: 'flops', label: 'Multiply-adds', numeric: true, title: 'Multiply-adds of conv and fc layers, as in the paper' },
  { key: 'activations', label: 'Activations', numeric: true, title: 'Output values per image (memory at float32 in brackets)' },
];

type TableRow =
  | { kind: 'stage'; key: string; stage: GroupCostRow; blocks: number; layers: number; shown: number; expanded: boolean }
  | { kind: 'layer'; key: string; layer: LayerCostRow }
  /** The rest of a long stage's rows, drawn on request. */
  | { kind: 'more'; key: string; stageId: string; hidden: number; total: number };

/** An open stage draws this many layer rows until asked for all (ResNet-1202's stages have 1,401). */
const ROWS_PER_STAGE = 280;

const volume = (shape: readonly number[]) => shape[0] * shape[1] * shape[2];

function sortValue(layer: LayerCostRow, key: SortKey, order: number): number | string {
  switch (key) {
    case 'order':
      return order;
    case 'id':
      return layer.id;
    case 'name':
      return layer.name;
    case 'output':
      return volume(layer.outputShape);
    default:
      return layer[key];
  }
}

export interface LayerTableOptions {
  /** Copies the table's text (the page asks the extension to put it on the clipboard). */
  onCopy(format: 'markdown' | 'csv', text: string): void;
  /** The user clicked a layer row: select its block everywhere (null for stem and head layers). */
  onSelectBlock: (blockId: string | null) => void;
  /** Stages opened or closed (the page saves them with its state). */
  onViewChange: () => void;
}

export class LayerTable {
  private readonly root: Selection<HTMLDivElement, unknown, null, undefined>;
  private readonly tbody: Selection<HTMLTableSectionElement, unknown, null, undefined>;
  private readonly tfoot: Selection<HTMLTableSectionElement, unknown, null, undefined>;
  private readonly summary: Selection<HTMLSpanElement, unknown, null, undefined>;
  private readonly search: Selection<HTMLInputElement, unknown, null, undefined>;
  private report: ModelReport | null = null;
  private collapsed = new Set<string>();
  private sort: SortState = { key: 'order', descending: false };
  private query = '';
  private selectedBlock: string | null = null;
  /** Long stages the user asked to see every row of. */
  private full = new Set<string>();

  constructor(container: HTMLElement, private readonly options: LayerTableOptions) {
    this.root = select(container).append('div').attr('class', 'layer-table');
    const toolbar = this.root.append('div').attr('class', 'toolbar');
    this.search = toolbar
      .append('input')
      .attr('type', 'search')
      .attr('class', 'table-search')
      .attr('placeholder', 'Filter layers by id or description')
      .attr('aria-label', 'Filter layers by id or description')
      .on('input', (event: Event) => {
        this.query = (event.target as HTMLInputElement).value.trim().toLowerCase();
        this.render();
      });
    toolbar.append('button').attr('class', 'expand-all').text('Expand all').on('click', () => {
      this.collapsed.clear();
      this.render();
      this.options.onViewChange();
    });
    toolbar.append('button').attr('class', 'collapse-all').text('Collapse all').on('click', () => {
      this.collapsed = new Set(this.report?.costs.stages.map((s) => s.id) ?? []);
      this.render();
      this.options.onViewChange();
    });
    toolbar.append('button').attr('class', 'copy-markdown').attr('title', 'Copy every layer that matches the filter, with stage subtotals and totals').text('Copy as Markdown').on('click', () => this.copy('markdown'));
    toolbar.append('button').attr('class', 'copy-csv').attr('title', 'Copy every layer that matches the filter, with stage subtotals and totals').text('Copy as CSV').on('click', () => this.copy('csv'));
    this.summary = toolbar.append('span').attr('class', 'table-summary');

    const table = this.root.append('div').attr('class', 'table-scroll').append('table').attr('class', 'layers');
    table
      .append('thead')
      .append('tr')
      .selectAll('th')
      .data(COLUMNS)
      .join('th')
      .attr('class', (c) => (c.numeric ? 'numeric sortable' : 'sortable'))
      .attr('data-sort-key', (c) => c.key)
      .attr('title', (c) => `${c.title}. Click to sort.`)
      .attr('tabindex', 0)
      .text((c) => c.label)
      .on('click', (_event: MouseEvent, c: Column) => this.toggleSort(c))
      .on('keydown', (event: KeyboardEvent, c: Column) => {
        if (event.key === 'Enter' || event.key === ' ') {
          event.preventDefault();
          this.toggleSort(c);
        }
      });
    this.tbody = table.append('tbody');
    this.tfoot = table.append('tfoot');
  }

  /** Shows a model; `expanded` brings back the stages that were open before its tab was hidden. */
  update(report: ModelReport, expanded?: string[]): void {
    const sameModel = this.report?.costs.model === report.costs.model && this.report.costs.title === report.costs.title;
    if (!sameModel) {
      const open = expanded ? new Set(expanded) : null;
      this.collapsed = open ? new Set(report.costs.stages.map((s) => s.id).filter((id) => !open.has(id))) : stagesCollapsedByDefault(report.graph);
      this.full.clear();
      this.selectedBlock = null;
    }
    this.report = report;
    this.render();
  }

  /** The stages shown layer by layer. */
  expandedStages(): string[] {
    return this.report?.costs.stages.filter((s) => !this.collapsed.has(s.id)).map((s) => s.id) ?? [];
  }

  /** Marks the rows of a block (null clears), expanding its stage and scrolling to it (unless `scroll` is false). */
  highlightBlock(blockId: string | null, scroll = true): void {
    this.selectedBlock = blockId;
    const block = blockId ? this.report?.graph.blocks.find((b) => b.id === blockId) : undefined;
    const drawn = block ? !this.tbody.select(`tr.layer-row[data-block-id="${block.id}"]`).empty() : true;
    if (block && !drawn) this.full.add(block.stageId);
    if (block && (this.collapsed.delete(block.stageId) || !drawn)) this.render();
    else this.markSelection();
    if (block && scroll) {
      const first = this.tbody.select<HTMLTableRowElement>(`tr.layer-row[data-block-id="${block.id}"]`).node();
      // Scrolls the table only: the page stays where the user clicked (the diagram, say).
      const scroller = this.root.select<HTMLDivElement>('.table-scroll').node();
      if (first && scroller) {
        const top = first.getBoundingClientRect().top - scroller.getBoundingClientRect().top;
        const header = this.root.select<HTMLTableSectionElement>('thead').node()?.offsetHeight ?? 0;
        if (top < header || top + first.offsetHeight > scroller.clientHeight) scroller.scrollTop += top - header - scroller.clientHeight / 3;
      }
    }
  }

  /** The groups as shown: stages in order, layers filtered and sorted (collapse ignored). */
  private groups(): StageGroup[] {
    const report = this.report;
    if (!report) return [];
    const { key, descending } = this.sort;
    const order = new Map(report.costs.layers.map((l, i) => [l.id, i]));
    const matches = (l: LayerCostRow) => !this.query || l.id.toLowerCase().includes(this.query) || l.name.toLowerCase().includes(this.query);
    return report.costs.stages.map((stage) => {
      const layers = report.costs.layers.filter((l) => l.stageId === stage.id && matches(l));
      if (key !== 'order') {
        layers.sort((a, b) => {
          const va = sortValue(a, key, order.get(a.id)!);
          const vb = sortValue(b, key, order.get(b.id)!);
          const cmp = typeof va === 'number' && typeof vb === 'number' ? va - vb : String(va).localeCompare(String(vb), 'en', { numeric: true });
          return (descending ? -cmp : cmp) || order.get(a.id)! - order.get(b.id)!;
        });
      }
      return { stage, layers };
    });
  }

  private toggleSort(column: Column): void {
    const { key, descending } = this.sort;
    // Numbers sort largest first on the first click; text A→Z; the third click restores layer order.
    if (key !== column.key) this.sort = { key: column.key, descending: column.numeric };
    else if (descending === column.numeric) this.sort = { key, descending: !descending };
    else this.sort = { key: 'order', descending: false };
    this.render();
  }

  private copy(format: 'markdown' | 'csv'): void {
    if (!this.report) return;
    const groups = this.groups();
    const text = format === 'markdown' ? tableAsMarkdown(this.report.costs, groups) : tableAsCsv(this.report.costs, groups);
    this.options.onCopy(format, text);
  }

  private render(): void {
    const report = this.report;
    if (!report) return;
    const blocksPerStage = new Map(report.graph.stages.map((s) => [s.id, s.blockIds.length]));
    const layersPerStage = new Map(report.graph.stages.map((s) => [s.id, s.layerIds.length]));
    const rows: TableRow[] = [];
    let shownLayers = 0;
    let matchingLayers = 0;
    for (const { stage, layers } of this.groups()) {
      // While filtering, a stage with matches opens so the matches can be seen.
      const expanded = this.query ? layers.length > 0 && !this.collapsed.has(stage.id) : !this.collapsed.has(stage.id);
      rows.push({ kind: 'stage', key: `stage:${stage.id}`, stage, blocks: blocksPerStage.get(stage.id) ?? 0, layers: layersPerStage.get(stage.id) ?? 0, shown: layers.length, expanded });
      matchingLayers += layers.length;
      if (expanded) {
        const shown = this.full.has(stage.id) ? layers : layers.slice(0, ROWS_PER_STAGE);
        for (const layer of shown) rows.push({ kind: 'layer', key: `layer:${layer.id}`, layer });
        if (shown.length < layers.length) rows.push({ kind: 'more', key: `more:${stage.id}`, stageId: stage.id, hidden: layers.length - shown.length, total: layers.length });
        shownLayers += shown.length;
      }
    }

    this.tbody
      .selectAll<HTMLTableRowElement, TableRow>('tr')
      .data(rows, (r) => r.key)
      .join((enter) =>
        enter.append('tr').each(function (row) {
          const tr = select(this);
          if (row.kind === 'stage') {
            tr.attr('class', 'stage-row').attr('data-stage-id', row.stage.id);
            const first = tr.append('th').attr('scope', 'rowgroup').attr('class', 'stage-name');
            first.append('button').attr('class', 'stage-toggle');
          } else if (row.kind === 'more') {
            tr.attr('class', 'more-row').attr('data-stage-id', row.stageId);
            tr.append('td').attr('colspan', COLUMNS.length).append('button').attr('class', 'show-all-rows');
            return;
          } else {
            tr.attr('class', `layer-row role-${row.layer.role}`).attr('data-layer-id', row.layer.id).attr('data-stage-id', row.layer.stageId);
            if (row.layer.blockId) tr.attr('data-block-id', row.layer.blockId);
            tr.append('td').attr('class', 'layer-id');
          }
          for (const column of COLUMNS.slice(1)) tr.append('td').attr('class', `${column.numeric ? 'numeric ' : ''}col-${column.key}`);
        }),
      )
      .order()
      .each((row, i, nodes) => this.fillRow(select(nodes[i]), row));

    this.tbody.selectAll<HTMLButtonElement, TableRow>('button.stage-toggle').on('click', (_event: MouseEvent, row: TableRow) => {
      if (row.kind !== 'stage') return;
      if (row.expanded) this.collapsed.add(row.stage.id);
      else this.collapsed.delete(row.stage.id);
      this.render();
      this.options.onViewChange();
    });
    this.tbody.selectAll<HTMLButtonElement, TableRow>('button.show-all-rows').on('click', (_event: MouseEvent, row: TableRow) => {
      if (row.kind !== 'more') return;
      this.full.add(row.stageId);
      this.render();
    });
    this.tbody.selectAll<HTMLTableRowElement, TableRow>('tr.layer-row').on('click', (_event: MouseEvent, row: TableRow) => {
      if (row.kind === 'layer') this.options.onSelectBlock(row.layer.blockId);
    });

    const { total } = report.costs;
    this.tfoot
      .selectAll('tr')
      .data([total])
      .join((enter) => {
        const tr = enter.append('tr').attr('class', 'total-row');
        tr.append('th').attr('scope', 'row').text('Total');
        for (const column of COLUMNS.slice(1)) tr.append('td').attr('class', `${column.numeric ? 'numeric ' : ''}col-${column.key}`);
        return tr;
      })
      .each(function (t) {
        const tr = select(this);
        tr.select('.col-name').text(`${report.costs.layers.length} layers, ${report.graph.blocks.length} blocks`);
        tr.select('.col-output').text(formatShape(report.graph.layers[report.graph.layers.length - 1].outputShape));
        tr.select('.col-params').text(formatCount(t.params));
        tr.select('.col-nonTrainable').text(formatCount(t.nonTrainable));
        tr.select('.col-flops').text(formatCount(t.flops));
        tr.select('.col-activations').text(`${formatCount(t.activations)} (${formatActivationBytes(t.activations)})`);
      });

    this.root
      .selectAll<HTMLTableCellElement, Column>('th.sortable')
      .attr('aria-sort', (c) => (c.key === this.sort.key ? (this.sort.descending ? 'descending' : 'ascending') : 'none'))
      .classed('sorted', (c) => c.key === this.sort.key);
    const filterText = this.query ? `${matchingLayers} of ${report.costs.layers.length} layers match` : `${report.costs.layers.length} layers`;
    this.summary.text(`${filterText}; ${shownLayers} shown`);
    this.search.property('value', this.query);
    this.markSelection();
  }

  private fillRow(tr: Selection<HTMLTableRowElement, TableRow, null, undefined>, row: TableRow): void {
    if (row.kind === 'more') {
      tr.select('button.show-all-rows').text(`Show all ${formatCount(row.total)} layers (${formatCount(row.total - row.hidden)} shown)`);
      return;
    }
    const cost = row.kind === 'stage' ? row.stage : row.layer;
    if (row.kind === 'stage') {
      tr.attr('aria-expanded', String(row.expanded)).classed('collapsed', !row.expanded);
      tr.select('button.stage-toggle')
        .attr('aria-expanded', String(row.expanded))
        .attr('title', row.expanded ? `Collapse ${row.stage.id}` : `Expand ${row.stage.id}`)
        .text(`${row.expanded ? '▾' : '▸'} ${row.stage.title}`);
      const counts = row.blocks > 0 ? `${row.blocks} blocks, ${row.layers} layers` : `${row.layers} layers`;
      tr.select('.col-name').text(this.query ? `subtotal of ${counts}; ${row.shown} match` : `subtotal of ${counts}`);
    } else {
      tr.select('.layer-id').text(row.layer.id);
      tr.select('.col-name').text(row.layer.name);
    }
    tr.select('.col-output').text(formatShape(cost.outputShape));
    tr.select('.col-params').text(formatCount(cost.params));
    tr.select('.col-nonTrainable').text(formatCount(cost.nonTrainable));
    tr.select('.col-flops').text(formatCount(cost.flops));
    tr.select('.col-activations').text(`${formatCount(cost.activations)} (${formatActivationBytes(cost.activations)})`);
  }

  private markSelection(): void {
    this.tbody.selectAll<HTMLTableRowElement, TableRow>('tr.layer-row').classed('selected', (row) => row.kind === 'layer' && row.layer.blockId !== null && row.layer.blockId === this.selectedBlock);
  }
}
