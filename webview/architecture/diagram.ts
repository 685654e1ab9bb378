// The architecture drawn as in the paper's Fig. 3: stem, stages, blocks in order, each
// block with its shortcut arc (identity solid, projection dashed, zero-pad dotted), output
// sizes on the edges between stages, large stages collapsed, zoom and pan.
// Semantic zoom: text keeps a readable size on screen and what is drawn follows the zoom:
// stages as one shape each (zoomed far out), blocks by name, then each block's layers.
import { select, Selection, zoom, ZoomBehavior, zoomIdentity, ZoomTransform } from 'd3';
import type { ModelReport } from '../../core/report';
import { stagesCollapsedByDefault } from './largeStages';
import { DiagramArc, DiagramEdge, DiagramItem, DiagramLane, DiagramLayout, itemsPerRowFor, layoutDiagram } from './diagramLayout';

export interface DiagramOptions {
  /** The user clicked a block (or cleared the selection). */
  onSelectBlock: (blockId: string | null) => void;
  /** The user asked to inspect a block's outputs (the Inspect block button, or the I key on a block). */
  onInspectBlock: (blockId: string) => void;
  /** The zoom or the open stages changed (the page saves them with its state). */
  onViewChange: () => void;
}

/** What the diagram draws at a zoom: each stage as one shape, each block by name, or each block's layers. */
export type DiagramLevel = 'stage' | 'block' | 'layer';

/** From this zoom up, boxes list their layers (their 11 px text is then at least 10.5 px on screen). */
const LAYER_LEVEL_ZOOM = 0.96;
/** From this zoom up, boxes are drawn with their names (below: stages as one shape each). */
const BLOCK_LEVEL_ZOOM = 0.5;
/** Below this zoom, a block's name is shortened to its number ("150" for conv4_150) to fit its box. */
const SHORT_LABEL_ZOOM = 0.75;
const MIN_ZOOM = 0.15;

export function levelAt(k: number): DiagramLevel {
  return k >= LAYER_LEVEL_ZOOM ? 'layer' : k >= BLOCK_LEVEL_ZOOM ? 'block' : 'stage';
}

const ARC_LABELS: Record<DiagramArc['shortcut'], string> = { identity: '', projection: '1×1 proj', zeropad: '0-pad' };
const MAX_VIEW_HEIGHT = 620;

export interface DiagramView {
  zoom: { x: number; y: number; k: number };
  expandedStages: string[];
}

export class Diagram {
  private readonly root: Selection<HTMLDivElement, unknown, null, undefined>;
  private readonly svg: Selection<SVGSVGElement, unknown, null, undefined>;
  private readonly content: Selection<SVGGElement, unknown, null, undefined>;
  private readonly zoomBehavior: ZoomBehavior<SVGSVGElement, unknown>;
  private readonly legend: Selection<HTMLDivElement, unknown, null, undefined>;
  private readonly levelNote: Selection<HTMLSpanElement, unknown, null, undefined>;
  private report: ModelReport | null = null;
  private collapsed = new Set<string>();
  private selectedBlock: string | null = null;
  private layout: DiagramLayout | null = null;
  private itemsPerRow = 12;
  /** The level drawn now; null before the first drawing. */
  private level: DiagramLevel | null = null;
  private readonly inspectButton: Selection<HTMLButtonElement, unknown, null, undefined>;

  constructor(container: HTMLElement, private readonly options: DiagramOptions) {
    this.root = select(container).append('div').attr('class', 'diagram');
    const toolbar = this.root.append('div').attr('class', 'toolbar');
    toolbar.append('button').attr('class', 'fit-view').text('Fit to view').on('click', () => this.fit());
    toolbar.append('button').attr('class', 'zoom-reset').text('Actual size').on('click', () => this.svg.call(this.zoomBehavior.transform, zoomIdentity.translate(8, 8)));
    toolbar.append('button').attr('class', 'expand-stages').text('Expand all stages').on('click', () => {
      this.collapsed.clear();
      this.changed();
    });
    toolbar.append('button').attr('class', 'collapse-stages').text('Collapse all stages').on('click', () => {
      this.collapsed = new Set(this.report?.graph.stages.filter((s) => s.blockIds.length > 0).map((s) => s.id) ?? []);
      this.changed();
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
    this.levelNote = toolbar.append('span').attr('class', 'level-note').attr('role', 'status');
    this.legend = toolbar.append('div').attr('class', 'legend diagram-legend');
    this.svg = this.root.append('svg').attr('class', 'diagram-svg').attr('role', 'img').attr('width', '100%').attr('height', MAX_VIEW_HEIGHT);
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
    for (const layer of ['lanes', 'edges', 'edge-labels', 'items', 'arcs', 'adds', 'summaries']) this.content.append('g').attr('class', `layer-${layer}`);
    this.zoomBehavior = zoom<SVGSVGElement, unknown>()
      .scaleExtent([MIN_ZOOM, 4])
      .on('zoom', (event: { transform: ZoomTransform }) => this.zoomed(event.transform))
      .on('end', () => this.options.onViewChange());
    this.svg.call(this.zoomBehavior).on('dblclick.zoom', null);
    this.svg.on('click', (event: MouseEvent) => {
      if (event.target === this.svg.node() || (event.target as Element).classList.contains('diagram-background')) this.options.onSelectBlock(null);
    });
    // Rows wrap at the view's width: a wider or narrower panel draws its rows again.
    new ResizeObserver(() => {
      const perRow = itemsPerRowFor(this.viewWidth());
      if (perRow !== this.itemsPerRow && this.report) {
        this.itemsPerRow = perRow;
        this.relayout();
      }
    }).observe(this.root.node() as HTMLDivElement);
  }

  /** The diagram's SVG, for export: drawn in full (every layer, at actual size) until the next frame. */
  svgElement(): SVGSVGElement {
    if (this.level !== 'layer') {
      this.draw('layer');
      requestAnimationFrame(() => this.zoomed(this.currentTransform()));
    }
    return this.svg.node() as SVGSVGElement;
  }

  /** The drawn content's size, without zoom (export uses it). */
  contentSize(): { width: number; height: number } {
    return { width: this.layout?.width ?? 0, height: this.layout?.height ?? 0 };
  }

  /** The zoom and the open stages, for the page's saved state. */
  view(): DiagramView {
    const { x, y, k } = this.currentTransform();
    const expandedStages = this.report?.graph.stages.filter((s) => s.blockIds.length > 0 && !this.collapsed.has(s.id)).map((s) => s.id) ?? [];
    return { zoom: { x, y, k }, expandedStages };
  }

  /** Draws a model; `restore` brings back how the same model looked before its tab was hidden. */
  update(report: ModelReport, restore?: DiagramView): void {
    const sameModel = this.report?.costs.model === report.costs.model && this.report.costs.title === report.costs.title;
    this.report = report;
    // VS Code merges this with a block's own context for the right-click menu ("Inspect This Block").
    this.root.attr('data-vscode-context', JSON.stringify({ modelRequest: JSON.stringify(report.request) }));
    this.itemsPerRow = itemsPerRowFor(this.viewWidth());
    if (sameModel) {
      this.relayout();
      return;
    }
    this.selectedBlock = null;
    this.level = null; // a new model: draw it whatever the level
    if (restore) {
      const expanded = new Set(restore.expandedStages);
      this.collapsed = new Set(report.graph.stages.filter((s) => s.blockIds.length > 0 && !expanded.has(s.id)).map((s) => s.id));
      this.layout = this.computeLayout();
      this.setHeight(MAX_VIEW_HEIGHT);
      const { x, y, k } = restore.zoom;
      this.svg.call(this.zoomBehavior.transform, zoomIdentity.translate(x, y).scale(k));
    } else {
      this.collapsed = stagesCollapsedByDefault(report.graph);
      this.layout = this.computeLayout();
      this.fit();
    }
  }

  /** Marks a block (null clears), expanding its stage and panning to it. */
  highlightBlock(blockId: string | null): void {
    this.selectedBlock = blockId;
    const block = blockId ? this.report?.graph.blocks.find((b) => b.id === blockId) : undefined;
    if (block && this.collapsed.delete(block.stageId)) this.changed();
    else this.markSelection();
    const placed = block ? this.layout?.items.find((i) => i.blockId === block.id) : undefined;
    if (placed) {
      const box = (this.svg.node() as SVGSVGElement).getBoundingClientRect();
      const t = this.currentTransform();
      const [sx, sy] = [t.x + placed.x * t.k, t.y + placed.y * t.k];
      const visible = sx >= 0 && sy >= 0 && sx + placed.w * t.k <= box.width && sy + placed.h * t.k <= box.height;
      if (!visible) this.svg.call(this.zoomBehavior.translateTo, placed.x + placed.w / 2, placed.y + placed.h / 2);
    }
  }

  private currentTransform(): ZoomTransform {
    const node = this.svg.node() as SVGSVGElement & { __zoom?: ZoomTransform };
    return node.__zoom ?? zoomIdentity;
  }

  private viewWidth(): number {
    return (this.root.node() as HTMLDivElement).clientWidth || 800;
  }

  private setHeight(height: number): void {
    this.svg.attr('height', Math.round(Math.max(200, Math.min(MAX_VIEW_HEIGHT, height))));
  }

  /** Scales the whole drawing into the view (never above actual size); text keeps its size. */
  fit(): void {
    if (!this.layout) return;
    const { width, height } = this.layout;
    const k = Math.max(MIN_ZOOM, Math.min(1, (this.viewWidth() - 16) / width, (MAX_VIEW_HEIGHT - 16) / height));
    this.setHeight(height * k + 16);
    this.svg.call(this.zoomBehavior.transform, zoomIdentity.translate(8, 8).scale(k));
  }

  private computeLayout(): DiagramLayout {
    return layoutDiagram(this.report!.graph, this.collapsed, this.itemsPerRow);
  }

  /** The open stages changed: lay out again, keep the zoom, and say so. */
  private changed(): void {
    this.relayout();
    this.options.onViewChange();
  }

  private relayout(): void {
    if (!this.report) return;
    this.layout = this.computeLayout();
    this.level = null;
    this.zoomed(this.currentTransform());
  }

  /** Applies a zoom: labels keep their size on screen; the level drawn follows the scale. */
  private zoomed(transform: ZoomTransform): void {
    this.content.attr('transform', transform.toString());
    const k = transform.k;
    // Labels are drawn at their size on screen: scaled by 1/k inside a zoomed-out drawing.
    this.svg.style('--label-scale', String(k < 1 ? 1 / k : 1));
    this.svg.attr('data-short-labels', k < SHORT_LABEL_ZOOM ? 'true' : null);
    const level = levelAt(k);
    if (level !== this.level) this.draw(level);
  }

  private draw(level: DiagramLevel): void {
    const report = this.report;
    const layout = this.layout;
    if (!report || !layout) return;
    this.level = level;
    this.svg.attr('data-level', level).attr('aria-label', `Architecture of ${report.costs.title}: ${report.graph.blocks.length} blocks in ${report.graph.stages.length} stages`);
    const note: Record<DiagramLevel, string> = { stage: 'Zoomed out: one shape per stage (click one, or zoom in, to see its blocks)', block: 'Blocks by name (zoom in to see their layers)', layer: 'Every block with its layers' };
    this.levelNote.text(note[level]).attr('data-level', level);
    const stageLevel = level === 'stage';
    this.renderLanes(stageLevel ? [] : layout.lanes, layout.width);
    this.renderSummaries(stageLevel ? layout.lanes : [], layout.width);
    this.renderEdges(stageLevel ? [] : layout.edges, layout.input, layout.output, stageLevel);
    this.renderItems(stageLevel ? [] : layout.items, level);
    this.renderArcs(stageLevel ? [] : layout.arcs, level);
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
        g.append('g').attr('class', 'label-anchor').append('g').attr('class', 'counter-scaled').append('text').attr('class', 'lane-label');
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
    lane.select('g.label-anchor').attr('transform', (l) => `translate(16,${l.y + 26})`);
    lane
      .select('text.lane-label')
      .selectAll('tspan')
      .data((l) => l.lines.map((text, i) => ({ text, i })))
      .join('tspan')
      .attr('x', 0)
      .attr('dy', (d) => (d.i === 0 ? 0 : '1.35em'))
      .attr('class', (d) => (d.i === 0 ? 'lane-title' : d.i === 2 ? 'lane-toggle' : 'lane-shape'))
      .text((d) => d.text);
    lane.on('click', (event: MouseEvent, l) => {
      if (l.blocks === 0 || !(event.target as Element).closest('text.lane-label')) return;
      this.toggleStage(l.stage.id);
    });
  }

  /** Zoomed far out: each stage is one shape that names it, counts its blocks and gives its output size. */
  private renderSummaries(lanes: DiagramLane[], width: number): void {
    const summary = this.content
      .select('g.layer-summaries')
      .selectAll<SVGGElement, DiagramLane>('g.stage-summary')
      .data(lanes, (l) => l.stage.id)
      .join((enter) => {
        const g = enter.append('g').attr('class', 'stage-summary').attr('tabindex', 0).attr('role', 'button');
        g.append('rect').attr('class', 'summary-box');
        g.append('g').attr('class', 'label-anchor').append('g').attr('class', 'counter-scaled').append('text').attr('class', 'summary-text');
        g.append('title');
        return g;
      })
      .attr('data-stage-id', (l) => l.stage.id)
      .attr('aria-label', (l) => `${l.summary}: zoom in`);
    summary
      .select('rect.summary-box')
      .attr('x', 4)
      .attr('y', (l) => l.y)
      .attr('width', width - 8)
      .attr('height', (l) => l.height)
      .attr('rx', 6);
    summary.select('g.label-anchor').attr('transform', (l) => `translate(${width / 2},${l.y + l.height / 2})`);
    summary.select('text.summary-text').text((l) => l.summary);
    summary.select('title').text((l) => `${l.summary}. Click to zoom in on its blocks.`);
    const zoomInto = (l: DiagramLane) => this.svg.transition().duration(250).call(this.zoomBehavior.transform, zoomIdentity.translate(8, 8 - l.y).scale(1));
    summary.on('click', (event: MouseEvent, l) => {
      event.stopPropagation();
      zoomInto(l);
    });
    summary.on('keydown', (event: KeyboardEvent, l) => {
      if (event.key !== 'Enter' && event.key !== ' ') return;
      event.preventDefault();
      zoomInto(l);
    });
  }

  private renderEdges(edges: DiagramEdge[], input: { x: number; y: number; text: string; d: string }, output: { x: number; y: number; text: string }, stageLevel: boolean): void {
    const all = stageLevel ? [] : [{ key: 'input', d: input.d, label: null }, ...edges];
    this.content
      .select('g.layer-edges')
      .selectAll<SVGPathElement, DiagramEdge>('path.edge')
      .data(all, (e) => e.key)
      .join('path')
      .attr('class', 'edge')
      .attr('d', (e) => e.d)
      .attr('marker-end', 'url(#diagram-arrow)');
    const labels = stageLevel ? [] : [...edges.filter((e) => e.label).map((e) => ({ key: e.key, ...e.label!, kind: 'stage-output' })), { key: 'input', ...input, kind: 'io' }, { key: 'output', ...output, kind: 'io' }];
    const label = this.content
      .select('g.layer-edge-labels')
      .selectAll<SVGGElement, (typeof labels)[number]>('g.edge-label')
      .data(labels, (l) => l.key)
      .join((enter) => {
        const g = enter.append('g').attr('class', 'edge-label').append('g').attr('class', 'counter-scaled');
        g.append('rect').attr('class', 'edge-label-bg');
        g.append('text');
        return g.select(function () {
          return this.parentNode as SVGGElement;
        });
      })
      .attr('data-kind', (l) => l.kind)
      .attr('transform', (l) => `translate(${l.x},${l.kind === 'stage-output' ? l.y + 4 : l.y})`);
    label
      .select('text')
      .attr('x', 0)
      .attr('y', 0)
      .attr('text-anchor', (l) => (l.kind === 'stage-output' ? 'middle' : 'start'))
      .text((l) => l.text);
    label.each(function (l) {
      const width = l.text.length * 6.5 + 8;
      select(this)
        .select('rect')
        .attr('x', l.kind === 'stage-output' ? -width / 2 : -4)
        .attr('y', -12)
        .attr('width', width)
        .attr('height', 16)
        .attr('rx', 3)
        .attr('visibility', l.kind === 'stage-output' ? 'visible' : 'hidden');
    });
  }

  private renderItems(items: DiagramItem[], level: DiagramLevel): void {
    const item = this.content
      .select('g.layer-items')
      .selectAll<SVGGElement, DiagramItem>('g.item')
      .data(items, (d) => d.key)
      .join((enter) => {
        const g = enter.append('g');
        g.append('rect').attr('class', 'stack-shadow');
        g.append('rect').attr('class', 'box');
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
    // Layer level: the box lists its layers, at the drawing's scale.
    item
      .selectAll<SVGTextElement, DiagramItem>('text.box-text')
      .data((d) => (level === 'layer' ? [d] : []))
      .join('text')
      .attr('class', 'box-text')
      .selectAll('tspan')
      .data((d) => d.lines.map((text, i) => ({ text, i, d })))
      .join('tspan')
      .attr('x', (t) => t.d.w / 2)
      .attr('y', (t) => (t.d.h - (t.d.lines.length - 1) * 14) / 2 + 4 + t.i * 14)
      .attr('class', (t) => (t.i === 0 ? 'box-title' : 'box-line'))
      .text((t) => t.text);
    // Block level: the box's name alone, at its size on screen.
    const label = item
      .selectAll<SVGGElement, DiagramItem>('g.label-anchor')
      .data((d) => (level === 'block' ? [d] : []))
      .join((enter) => {
        const g = enter.append('g').attr('class', 'label-anchor').append('g').attr('class', 'counter-scaled');
        g.append('text').attr('class', 'box-label');
        g.append('text').attr('class', 'box-label-short');
        return g.select(function () {
          return this.parentNode as SVGGElement;
        });
      })
      .attr('transform', (d) => `translate(${d.w / 2},${d.h / 2})`);
    label.select('text.box-label').text((d) => d.label);
    label.select('text.box-label-short').text((d) => d.shortLabel);
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

  private renderArcs(arcs: DiagramArc[], level: DiagramLevel): void {
    this.content
      .select('g.layer-arcs')
      .selectAll<SVGPathElement, DiagramArc>('path.shortcut-arc')
      .data(arcs, (a) => a.blockId)
      .join('path')
      .attr('class', (a) => `shortcut-arc shortcut-${a.shortcut}`)
      .attr('data-block-id', (a) => a.blockId)
      .attr('data-shortcut', (a) => a.shortcut)
      .attr('d', (a) => a.d);
    const labelled = level === 'layer' ? arcs.filter((a) => ARC_LABELS[a.shortcut] !== '') : [];
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
    this.changed();
  }

  private markSelection(): void {
    this.content.selectAll<SVGGElement, DiagramItem>('g.item').classed('selected', (d) => d.kind === 'block' && d.blockId === this.selectedBlock);
    this.content.selectAll<SVGPathElement, DiagramArc>('path.shortcut-arc').classed('selected', (a) => a.blockId === this.selectedBlock);
    this.inspectButton.property('disabled', this.selectedBlock === null).text(this.selectedBlock ? `Inspect ${this.selectedBlock}` : 'Inspect block');
  }
}
