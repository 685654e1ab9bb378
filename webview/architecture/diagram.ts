// The architecture drawn as in the paper's Fig. 3: stem, stages, blocks in order, each
// block with its shortcut arc (identity solid, projection dashed, zero-pad dotted), output
// sizes on the edges between stages, large stages collapsed, zoom and pan.
import { select, Selection, zoom, ZoomBehavior, zoomIdentity } from 'd3';
import type { ModelReport } from '../../core/report';
import { stagesCollapsedByDefault } from './largeStages';
import { DiagramArc, DiagramEdge, DiagramItem, DiagramLane, layoutDiagram } from './diagramLayout';

export interface DiagramOptions {
  /** The user clicked a block (or cleared the selection). */
  onSelectBlock: (blockId: string | null) => void;
  /** The user asked to inspect a block's outputs (the Inspect block button, or the I key on a block). */
  onInspectBlock: (blockId: string) => void;
}

const ARC_LABELS: Record<DiagramArc['shortcut'], string> = { identity: '', projection: '1×1 proj', zeropad: '0-pad' };
const MAX_VIEW_HEIGHT = 620;

export class Diagram {
  private readonly root: Selection<HTMLDivElement, unknown, null, undefined>;
  private readonly svg: Selection<SVGSVGElement, unknown, null, undefined>;
  private readonly content: Selection<SVGGElement, unknown, null, undefined>;
  private readonly zoomBehavior: ZoomBehavior<SVGSVGElement, unknown>;
  private readonly legend: Selection<HTMLDivElement, unknown, null, undefined>;
  private report: ModelReport | null = null;
  private collapsed = new Set<string>();
  private selectedBlock: string | null = null;
  private size = { width: 0, height: 0 };
  private readonly inspectButton: Selection<HTMLButtonElement, unknown, null, undefined>;

  constructor(container: HTMLElement, private readonly options: DiagramOptions) {
    this.root = select(container).append('div').attr('class', 'diagram');
    const toolbar = this.root.append('div').attr('class', 'toolbar');
    toolbar.append('button').attr('class', 'fit-view').text('Fit to view').on('click', () => this.fit());
    toolbar.append('button').attr('class', 'zoom-reset').text('Actual size').on('click', () => this.svg.call(this.zoomBehavior.transform, zoomIdentity.translate(8, 8)));
    toolbar.append('button').attr('class', 'expand-stages').text('Expand all stages').on('click', () => {
      this.collapsed.clear();
      this.render();
    });
    toolbar.append('button').attr('class', 'collapse-stages').text('Collapse all stages').on('click', () => {
      this.collapsed = new Set(this.report?.graph.stages.filter((s) => s.blockIds.length > 0).map((s) => s.id) ?? []);
      this.render();
    });
    this.inspectButton = toolbar
      .append('button')
      .attr('class', 'inspect-block')
      .attr('title', 'Step through this block\'s input, residual branch, shortcut and output (also: right-click a block)')
      .text('Inspect block')
      .property('disabled', true)
      .on('click', () => {
        if (this.selectedBlock) this.options.onInspectBlock(this.selectedBlock);
      });
    this.legend = toolbar.append('div').attr('class', 'legend diagram-legend');
    this.svg = this.root.append('svg').attr('class', 'diagram-svg').attr('role', 'img');
    const defs = this.svg.append('defs');
    defs
      .append('marker')
      .attr('id', 'diagram-arrow')
      .attr('viewBox', '0 0 8 8')
      .attr('refX', 7)
      .attr('refY', 4)
      .attr('markerWidth', 7)
      .attr('markerHeight', 7)
      .attr('orient', 'auto')
      .append('path')
      .attr('class', 'arrow-head')
      .attr('d', 'M0,0L8,4L0,8Z');
    this.svg.append('rect').attr('class', 'diagram-background').attr('width', '100%').attr('height', '100%');
    this.content = this.svg.append('g').attr('class', 'diagram-content').attr('data-zoom-content', '');
    for (const layer of ['lanes', 'edges', 'edge-labels', 'items', 'arcs', 'adds']) this.content.append('g').attr('class', `layer-${layer}`);
    this.zoomBehavior = zoom<SVGSVGElement, unknown>()
      .scaleExtent([0.05, 4])
      .on('zoom', (event: { transform: { toString(): string } }) => this.content.attr('transform', event.transform.toString()));
    this.svg.call(this.zoomBehavior).on('dblclick.zoom', null);
    this.svg.on('click', (event: MouseEvent) => {
      if (event.target === this.svg.node() || (event.target as Element).classList.contains('diagram-background')) this.options.onSelectBlock(null);
    });
  }

  /** The diagram's SVG, for export. */
  svgElement(): SVGSVGElement {
    return this.svg.node() as SVGSVGElement;
  }

  /** The drawn content's size, without zoom (export uses it). */
  contentSize(): { width: number; height: number } {
    return this.size;
  }

  update(report: ModelReport): void {
    const sameModel = this.report?.costs.model === report.costs.model && this.report.costs.title === report.costs.title;
    this.report = report;
    // VS Code merges this with a block's own context for the right-click menu ("Inspect This Block").
    this.root.attr('data-vscode-context', JSON.stringify({ modelRequest: JSON.stringify(report.request) }));
    if (!sameModel) {
      this.collapsed = stagesCollapsedByDefault(report.graph);
      this.selectedBlock = null;
      this.render();
      this.fit();
    } else {
      this.render();
    }
  }

  /** Marks a block (null clears), expanding its stage and panning to it. */
  highlightBlock(blockId: string | null): void {
    this.selectedBlock = blockId;
    const block = blockId ? this.report?.graph.blocks.find((b) => b.id === blockId) : undefined;
    if (block && this.collapsed.delete(block.stageId)) this.render();
    else this.markSelection();
    const item = block ? this.content.select<SVGGElement>(`g.block[data-block-id="${block.id}"]`) : null;
    if (item && !item.empty()) {
      const d = item.datum() as DiagramItem;
      const box = (this.svg.node() as SVGSVGElement).getBoundingClientRect();
      const t = this.currentTransform();
      const [sx, sy] = [t.x + d.x * t.k, t.y + d.y * t.k];
      const visible = sx >= 0 && sy >= 0 && sx + d.w * t.k <= box.width && sy + d.h * t.k <= box.height;
      if (!visible) this.svg.call(this.zoomBehavior.translateTo, d.x + d.w / 2, d.y + d.h / 2);
    }
  }

  private currentTransform(): { x: number; y: number; k: number } {
    const node = this.svg.node() as SVGSVGElement & { __zoom?: { x: number; y: number; k: number } };
    return node.__zoom ?? { x: 0, y: 0, k: 1 };
  }

  /** Scales the whole drawing to the view's width (never above actual size). */
  fit(): void {
    const width = (this.root.node() as HTMLDivElement).clientWidth || 800;
    // Fit the width; fit the height too unless the text would get too small to read.
    const k = Math.min(1, (width - 16) / this.size.width, Math.max(0.6, (MAX_VIEW_HEIGHT - 16) / this.size.height));
    this.svg.attr('height', Math.round(Math.max(200, Math.min(MAX_VIEW_HEIGHT, this.size.height * k + 16))));
    this.svg.call(this.zoomBehavior.transform, zoomIdentity.translate(8, 8).scale(k));
  }

  private render(): void {
    const report = this.report;
    if (!report) return;
    const layout = layoutDiagram(report.graph, this.collapsed);
    this.size = { width: layout.width, height: layout.height };
    this.svg.attr('width', '100%').attr('aria-label', `Architecture of ${report.costs.title}: ${report.graph.blocks.length} blocks in ${report.graph.stages.length} stages`);
    if (!this.svg.attr('height')) this.svg.attr('height', MAX_VIEW_HEIGHT);

    this.renderLanes(layout.lanes, layout.width);
    this.renderEdges(layout.edges, layout.input, layout.output);
    this.renderItems(layout.items);
    this.renderArcs(layout.arcs);
    this.renderLegend();
    this.markSelection();
  }

  private renderLanes(lanes: DiagramLane[], width: number): void {
    const lane = this.content
      .select('g.layer-lanes')
      .selectAll<SVGGElement, DiagramLane>('g.lane')
      .data(lanes, (l) => l.stage.id)
      .join((enter) => {
        const g = enter.append('g').attr('class', 'lane');
        g.append('rect').attr('class', 'lane-bg');
        g.append('text').attr('class', 'lane-label');
        return g;
      })
      .attr('data-stage-id', (l) => l.stage.id)
      .classed('collapsible', (l) => l.blocks > 0)
      .attr('data-collapsed', (l) => (l.blocks > 0 ? String(l.collapsed) : null));
    lane
      .select('rect.lane-bg')
      .attr('x', 4)
      .attr('y', (l) => l.y)
      .attr('width', width - 8)
      .attr('height', (l) => l.height)
      .attr('rx', 6);
    lane
      .select('text.lane-label')
      .attr('x', 16)
      .attr('y', (l) => l.y + 26)
      .selectAll('tspan')
      .data((l) => l.lines.map((text, i) => ({ text, i })))
      .join('tspan')
      .attr('x', 16)
      .attr('dy', (d) => (d.i === 0 ? 0 : 16))
      .attr('class', (d) => (d.i === 0 ? 'lane-title' : d.i === 2 ? 'lane-toggle' : 'lane-shape'))
      .text((d) => d.text);
    lane.on('click', (event: MouseEvent, l) => {
      if (l.blocks === 0 || !(event.target as Element).closest('text.lane-label')) return;
      this.toggleStage(l.stage.id);
    });
  }

  private renderEdges(edges: DiagramEdge[], input: { x: number; y: number; text: string; d: string }, output: { x: number; y: number; text: string }): void {
    const all = [{ key: 'input', d: input.d, label: null }, ...edges];
    this.content
      .select('g.layer-edges')
      .selectAll<SVGPathElement, DiagramEdge>('path.edge')
      .data(all, (e) => e.key)
      .join('path')
      .attr('class', 'edge')
      .attr('d', (e) => e.d)
      .attr('marker-end', 'url(#diagram-arrow)');
    const labels = [...edges.filter((e) => e.label).map((e) => ({ key: e.key, ...e.label!, kind: 'stage-output' })), { key: 'input', ...input, kind: 'io' }, { key: 'output', ...output, kind: 'io' }];
    const label = this.content
      .select('g.layer-edge-labels')
      .selectAll<SVGGElement, (typeof labels)[number]>('g.edge-label')
      .data(labels, (l) => l.key)
      .join((enter) => {
        const g = enter.append('g').attr('class', 'edge-label');
        g.append('rect').attr('class', 'edge-label-bg');
        g.append('text');
        return g;
      })
      .attr('data-kind', (l) => l.kind);
    label
      .select('text')
      .attr('x', (l) => l.x)
      .attr('y', (l) => (l.kind === 'stage-output' ? l.y + 4 : l.y))
      .attr('text-anchor', (l) => (l.kind === 'stage-output' ? 'middle' : 'start'))
      .text((l) => l.text);
    label.each(function (l) {
      const width = l.text.length * 6.5 + 8;
      select(this)
        .select('rect')
        .attr('x', l.kind === 'stage-output' ? l.x - width / 2 : l.x - 4)
        .attr('y', (l.kind === 'stage-output' ? l.y + 4 : l.y) - 12)
        .attr('width', width)
        .attr('height', 16)
        .attr('rx', 3)
        .attr('visibility', l.kind === 'stage-output' ? 'visible' : 'hidden');
    });
  }

  private renderItems(items: DiagramItem[]): void {
    const item = this.content
      .select('g.layer-items')
      .selectAll<SVGGElement, DiagramItem>('g.item')
      .data(items, (d) => d.key)
      .join((enter) => {
        const g = enter.append('g');
        g.append('rect').attr('class', 'stack-shadow');
        g.append('rect').attr('class', 'box');
        g.append('text').attr('class', 'box-text');
        g.append('title');
        return g;
      })
      .attr('class', (d) => `item ${d.kind}`)
      .attr('data-block-id', (d) => d.blockId)
      .attr('data-stage-id', (d) => d.stageId)
      .attr('data-collapsed-stage', (d) => (d.kind === 'collapsed' ? d.stageId : null))
      .attr('data-shortcut', (d) => (d.kind === 'block' ? d.shortcut : null))
      .attr('data-vscode-context', (d) => (d.kind === 'block' ? JSON.stringify({ webviewSection: 'block', blockId: d.blockId, preventDefaultContextMenuItems: true }) : null))
      .attr('tabindex', (d) => (d.kind === 'layer' ? null : 0))
      .attr('role', (d) => (d.kind === 'layer' ? null : 'button'))
      .attr('aria-label', (d) => d.title)
      .attr('transform', (d) => `translate(${d.x},${d.y})`);
    item
      .select('rect.stack-shadow')
      .attr('x', 4)
      .attr('y', 4)
      .attr('width', (d) => d.w)
      .attr('height', (d) => d.h)
      .attr('rx', 5)
      .attr('visibility', (d) => (d.kind === 'collapsed' ? 'visible' : 'hidden'));
    item
      .select('rect.box')
      .attr('width', (d) => d.w)
      .attr('height', (d) => d.h)
      .attr('rx', 5);
    item
      .select('text.box-text')
      .selectAll('tspan')
      .data((d) => d.lines.map((text, i) => ({ text, i, d })))
      .join('tspan')
      .attr('x', (t) => t.d.w / 2)
      .attr('y', (t) => (t.d.h - (t.d.lines.length - 1) * 13) / 2 + 4 + t.i * 13)
      .attr('class', (t) => (t.i === 0 ? 'box-title' : 'box-line'))
      .text((t) => t.text);
    item.select('title').text((d) => d.title);
    const activate = (d: DiagramItem) => {
      if (d.kind === 'collapsed') this.toggleStage(d.stageId);
      else if (d.kind === 'block') this.options.onSelectBlock(d.blockId === this.selectedBlock ? null : d.blockId);
    };
    item.on('click', (event: MouseEvent, d) => {
      event.stopPropagation();
      activate(d);
    });
    item.on('keydown', (event: KeyboardEvent, d) => {
      if ((event.key === 'i' || event.key === 'I') && d.kind === 'block' && d.blockId) {
        event.preventDefault();
        this.options.onInspectBlock(d.blockId);
        return;
      }
      if (event.key !== 'Enter' && event.key !== ' ') return;
      event.preventDefault();
      activate(d);
    });
  }

  private renderArcs(arcs: DiagramArc[]): void {
    this.content
      .select('g.layer-arcs')
      .selectAll<SVGPathElement, DiagramArc>('path.shortcut-arc')
      .data(arcs, (a) => a.blockId)
      .join('path')
      .attr('class', (a) => `shortcut-arc shortcut-${a.shortcut}`)
      .attr('data-block-id', (a) => a.blockId)
      .attr('data-shortcut', (a) => a.shortcut)
      .attr('d', (a) => a.d);
    const labelled = arcs.filter((a) => ARC_LABELS[a.shortcut] !== '');
    this.content
      .select('g.layer-arcs')
      .selectAll<SVGTextElement, DiagramArc>('text.arc-label')
      .data(labelled, (a) => a.blockId)
      .join('text')
      .attr('class', (a) => `arc-label shortcut-${a.shortcut}`)
      .attr('data-block-id', (a) => a.blockId)
      .attr('x', (a) => a.apexX)
      .attr('y', (a) => a.apexY)
      .attr('text-anchor', 'middle')
      .text((a) => ARC_LABELS[a.shortcut]);
    const add = this.content
      .select('g.layer-adds')
      .selectAll<SVGGElement, DiagramArc>('g.add-node')
      .data(arcs, (a) => a.blockId)
      .join((enter) => {
        const g = enter.append('g').attr('class', 'add-node');
        g.append('circle').attr('r', 5);
        g.append('path').attr('d', 'M-3,0H3M0,-3V3');
        return g;
      })
      .attr('transform', (a) => `translate(${a.addX},${a.addY})`);
    add.attr('data-block-id', (a) => a.blockId);
  }

  private renderLegend(): void {
    const kinds = new Set(this.report?.graph.blocks.map((b) => b.shortcut));
    const entries: Array<{ kind: string; text: string }> = [];
    if (kinds.has('identity')) entries.push({ kind: 'identity', text: 'identity' });
    if (kinds.has('zeropad')) entries.push({ kind: 'zeropad', text: 'zero-padded identity (option A)' });
    if (kinds.has('projection')) entries.push({ kind: 'projection', text: 'projection 1×1 conv (option B/C)' });
    if (kinds.has('none')) entries.push({ kind: 'none', text: 'plain net: no shortcuts' });
    const item = this.legend
      .selectAll<HTMLSpanElement, (typeof entries)[number]>('span.legend-item')
      .data(entries, (e) => e.kind)
      .join((enter) => {
        const span = enter.append('span').attr('class', 'legend-item');
        span.append('span');
        span.append('span').attr('class', 'legend-text');
        return span;
      });
    item.select('span').attr('class', (e) => `line-swatch shortcut-${e.kind}`);
    item.select('.legend-text').text((e) => e.text);
  }

  private toggleStage(stageId: string): void {
    if (!this.collapsed.delete(stageId)) this.collapsed.add(stageId);
    this.render();
  }

  private markSelection(): void {
    this.content.selectAll<SVGGElement, DiagramItem>('g.item').classed('selected', (d) => d.kind === 'block' && d.blockId === this.selectedBlock);
    this.content.selectAll<SVGPathElement, DiagramArc>('path.shortcut-arc').classed('selected', (a) => a.blockId === this.selectedBlock);
    this.inspectButton.property('disabled', this.selectedBlock === null).text(this.selectedBlock ? `Inspect ${this.selectedBlock}` : 'Inspect block');
  }
}
