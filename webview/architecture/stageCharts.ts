// Bars per stage for multiply-adds, parameters or activation memory, with the comparison
// model as a second series beside each bar. Values are core's stage subtotals.
import { axisBottom, axisLeft, max, scaleBand, scaleLinear, ScaleLinear, select, Selection } from 'd3';
import { BYTES_PER_VALUE } from '../../core/costs';
import type { GroupCostRow } from '../../core/costs';
import type { ModelReport } from '../../core/report';
import { netColorClass, netColorIndex } from '../netPalette';
import type { ModelRequest } from '../../core/spec';
import type { ModelChoice } from '../../protocol/architecture';
import { formatActivationBytes, formatCount, formatFlops } from '../../core/format';

export type ChartMetric = 'flops' | 'params' | 'activations';

const METRICS: Array<{ key: ChartMetric; label: string; axis: string }> = [
  { key: 'flops', label: 'Multiply-adds', axis: 'multiply-adds (conv + fc)' },
  { key: 'params', label: 'Parameters', axis: 'trainable parameters' },
  { key: 'activations', label: 'Activation memory', axis: 'activation values per image' },
];

/** One bar: a stage of one model. */
interface StageBar {
  series: 'primary' | 'compare';
  model: string;
  stage: GroupCostRow;
  value: number;
  total: number;
}

function metricValue(cost: { params: number; flops: number; activations: number }, metric: ChartMetric): number {
  return cost[metric];
}

function describeValue(value: number, metric: ChartMetric): string {
  if (metric === 'flops') return `${formatCount(value)} multiply-adds (${formatFlops(value)})`;
  if (metric === 'params') return `${formatCount(value)} parameters`;
  return `${formatCount(value)} values (${formatActivationBytes(value)} at float32)`;
}

function shortValue(value: number, metric: ChartMetric): string {
  return metric === 'activations' ? formatActivationBytes(value) : formatFlops(value, 2);
}

const BINARY_UNITS = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];

interface ValueAxis {
  /** The axis's own scale (in the unit its ticks are written in). */
  scale: ScaleLinear<number, number>;
  tickFormat: (tick: number) => string;
  /** Where a value (a count, or activation values) lies. */
  y: (value: number) => number;
}

/**
 * The value axis: counts with d3's SI format, one prefix and one precision for every tick
 * ("0.0 G, 0.2 G … 1.2 G"); memory in one binary unit with round steps ("0, 10 … 60 MiB").
 */
export function valueAxis(maxValue: number, metric: ChartMetric, range: [number, number]): ValueAxis {
  if (metric === 'activations') {
    const bytes = maxValue * BYTES_PER_VALUE;
    const power = Math.min(BINARY_UNITS.length - 1, Math.max(0, Math.floor(Math.log2(Math.max(1, bytes)) / 10)));
    const unit = 1024 ** power;
    const scale = scaleLinear().domain([0, bytes / unit || 1]).nice().range(range);
    const format = scale.tickFormat(5);
    return { scale, tickFormat: (tick) => `${format(tick)} ${BINARY_UNITS[power]}`, y: (value) => scale((value * BYTES_PER_VALUE) / unit) };
  }
  const scale = scaleLinear().domain([0, maxValue || 1]).nice().range(range);
  const si = scale.tickFormat(5, 's');
  return { scale, tickFormat: (tick) => si(tick).replace(/(\d)([yzafpnµmkMGTPEZYRQ])$/, '$1 $2'), y: (value) => scale(value) };
}

const sameRequest = (a: unknown, b: unknown) => JSON.stringify(a) === JSON.stringify(b);

export interface StageChartsOptions {
  /** The user picked a comparison model (null: none). */
  onCompare(request: ModelRequest | null): void;
}

export class StageCharts {
  private readonly root: Selection<HTMLDivElement, unknown, null, undefined>;
  private readonly picker: Selection<HTMLSelectElement, unknown, null, undefined>;
  private readonly svg: Selection<SVGSVGElement, unknown, null, undefined>;
  private readonly tooltip: Selection<HTMLDivElement, unknown, null, undefined>;
  private metric: ChartMetric = 'flops';
  private primary: ModelReport | null = null;
  private compare: ModelReport | null = null;
  private choices: ModelChoice[] = [];
  private width = 0;

  constructor(container: HTMLElement, private readonly options: StageChartsOptions) {
    this.root = select(container).append('div').attr('class', 'stage-charts');
    const toolbar = this.root.append('div').attr('class', 'toolbar');
    const switcher = toolbar.append('div').attr('class', 'metric-switch').attr('role', 'radiogroup').attr('aria-label', 'Quantity per stage');
    switcher
      .selectAll('button')
      .data(METRICS)
      .join('button')
      .attr('role', 'radio')
      .attr('data-metric', (m) => m.key)
      .text((m) => m.label)
      .on('click', (_event: MouseEvent, m) => {
        this.metric = m.key;
        this.render();
      });
    const label = toolbar.append('label').attr('class', 'compare-picker');
    label.append('span').text('Compare with ');
    this.picker = label.append('select').attr('class', 'compare-select').on('change', () => this.pickCompare());
    const frame = this.root.append('div').attr('class', 'chart-frame');
    this.svg = frame.append('svg').attr('class', 'chart').attr('role', 'img');
    this.tooltip = frame.append('div').attr('class', 'chart-tooltip').attr('role', 'status').attr('hidden', true);
    const observer = new ResizeObserver(() => {
      const width = (this.root.node() as HTMLDivElement).clientWidth;
      if (Math.abs(width - this.width) > 4 && this.primary) this.render();
    });
    observer.observe(this.root.node() as HTMLDivElement);
  }

  /** The chart's SVG, for export. */
  svgElement(): SVGSVGElement {
    return this.svg.node() as SVGSVGElement;
  }

  update(primary: ModelReport, compare: ModelReport | null, choices: ModelChoice[]): void {
    this.primary = primary;
    this.compare = compare;
    this.choices = choices;
    this.renderPicker();
    this.render();
  }

  private renderPicker(): void {
    const compare = this.compare;
    let selectedIndex = compare ? this.choices.findIndex((c) => sameRequest(c.request, compare.request) || c.label === compare.costs.title) : -1;
    const options: Array<{ value: string; text: string; title: string }> = [{ value: 'none', text: 'No comparison', title: 'Show only the primary model' }];
    this.choices.forEach((c, i) => options.push({ value: String(i), text: c.label, title: c.description }));
    if (compare && selectedIndex < 0) {
      options.push({ value: 'current', text: compare.costs.title, title: 'The model shown now' });
      selectedIndex = options.length - 2;
    }
    this.picker
      .selectAll('option')
      .data(options)
      .join('option')
      .attr('value', (o) => o.value)
      .attr('title', (o) => o.title)
      .text((o) => o.text);
    this.picker.property('value', compare ? options[selectedIndex + 1].value : 'none');
  }

  private pickCompare(): void {
    const value = (this.picker.node() as HTMLSelectElement).value;
    if (value === 'current') return;
    const choice = value === 'none' ? null : this.choices[Number(value)];
    this.options.onCompare(choice ? choice.request : null);
  }

  private bars(): StageBar[] {
    const bars: StageBar[] = [];
    const add = (series: StageBar['series'], report: ModelReport) => {
      for (const stage of report.costs.stages) bars.push({ series, model: report.costs.title, stage, value: metricValue(stage, this.metric), total: metricValue(report.costs.total, this.metric) });
    };
    if (this.primary) add('primary', this.primary);
    if (this.compare) add('compare', this.compare);
    return bars;
  }

  private render(): void {
    const primary = this.primary;
    if (!primary) return;
    const metric = this.metric;
    const metricInfo = METRICS.find((m) => m.key === metric)!;
    this.root.selectAll<HTMLButtonElement, (typeof METRICS)[number]>('.metric-switch button').attr('aria-checked', (m) => String(m.key === metric)).classed('active', (m) => m.key === metric);

    const bars = this.bars();
    const stageIds: string[] = [];
    const stageTitles = new Map<string, string>();
    for (const bar of bars) {
      if (stageTitles.has(bar.stage.id)) continue;
      stageIds.push(bar.stage.id);
      stageTitles.set(bar.stage.id, bar.stage.title);
    }
    const seriesIds: StageBar['series'][] = this.compare ? ['primary', 'compare'] : ['primary'];
    // Each model in its net colour (webview/netPalette.ts): the residual net blue, its plain twin red, as in the curves.
    const seriesColor = (series: StageBar['series']) => {
      const report = series === 'primary' ? primary : this.compare;
      return report ? netColorClass(netColorIndex(report.graph.spec.residual, series === 'primary' ? 'a' : 'b')) : '';
    };

    this.width = (this.root.node() as HTMLDivElement).clientWidth;
    const width = Math.max(480, this.width);
    const height = 300;
    const margin = { top: 28, right: 16, bottom: 44, left: 72 };
    const x = scaleBand<string>().domain(stageIds).range([margin.left, width - margin.right]).paddingInner(0.25).paddingOuter(0.15);
    const inner = scaleBand<string>().domain(seriesIds).range([0, x.bandwidth()]).padding(0.08);
    const axis = valueAxis(max(bars, (b) => b.value) ?? 0, metric, [height - margin.bottom, margin.top]);
    const y = axis.y;

    const svg = this.svg.attr('width', width).attr('height', height).attr('viewBox', `0 0 ${width} ${height}`);
    svg.attr('aria-label', `${metricInfo.label} per stage of ${primary.costs.title}${this.compare ? ` and ${this.compare.costs.title}` : ''}`);

    svg
      .selectAll<SVGGElement, null>('g.y-axis')
      .data([null])
      .join('g')
      .attr('class', 'axis y-axis')
      .attr('transform', `translate(${margin.left},0)`)
      .call(axisLeft(axis.scale).ticks(5).tickFormat((v) => axis.tickFormat(Number(v))));
    svg
      .selectAll<SVGGElement, null>('g.x-axis')
      .data([null])
      .join('g')
      .attr('class', 'axis x-axis')
      .attr('transform', `translate(0,${height - margin.bottom})`)
      .call(axisBottom(x).tickSizeOuter(0).tickFormat((id) => stageTitles.get(id) ?? id));
    svg
      .selectAll('text.axis-title')
      .data([metricInfo.axis])
      .join('text')
      .attr('class', 'axis-title')
      .attr('x', margin.left)
      .attr('y', 14)
      .text((t) => `${t}${metric === 'activations' ? ' (labels: float32 memory)' : ''}`);

    const barKey = (b: StageBar) => `${b.series}:${b.stage.id}`;
    const barGroup = svg.selectAll<SVGGElement, null>('g.bars').data([null]).join('g').attr('class', 'bars');
    barGroup
      .selectAll<SVGRectElement, StageBar>('rect.bar')
      .data(bars, barKey)
      .join('rect')
      .attr('class', (b) => `bar series-${b.series} ${seriesColor(b.series)}`)
      .attr('data-stage-id', (b) => b.stage.id)
      .attr('data-series', (b) => b.series)
      .attr('data-value', (b) => b.value)
      .attr('tabindex', 0)
      .attr('aria-label', (b) => `${b.model}, ${b.stage.title}: ${describeValue(b.value, metric)}`)
      .attr('x', (b) => (x(b.stage.id) ?? 0) + (inner(b.series) ?? 0))
      .attr('width', inner.bandwidth())
      .attr('y', (b) => y(b.value))
      .attr('height', (b) => Math.max(0, y(0) - y(b.value)))
      .on('mouseenter mousemove', (event: MouseEvent, b) => this.showTooltip(b, event.clientX, event.clientY))
      .on('focus', (event: FocusEvent, b) => {
        const box = (event.target as SVGRectElement).getBoundingClientRect();
        this.showTooltip(b, box.left + box.width / 2, box.top);
      })
      .on('mouseleave blur', () => this.tooltip.attr('hidden', true));
    barGroup
      .selectAll<SVGTextElement, StageBar>('text.bar-label')
      .data(bars, barKey)
      .join('text')
      .attr('class', 'bar-label')
      .attr('x', (b) => (x(b.stage.id) ?? 0) + (inner(b.series) ?? 0) + inner.bandwidth() / 2)
      .attr('y', (b) => y(b.value) - 4)
      .attr('text-anchor', 'middle')
      .text((b) => shortValue(b.value, metric));

    // The legend lives in the SVG so that an exported chart still says which bar is which.
    const legendItems = [primary, this.compare].filter((r): r is ModelReport => r !== null).map((r, i) => ({ series: seriesIds[i], text: `${r.costs.title}: ${shortValue(metricValue(r.costs.total, metric), metric)} in all` }));
    const legend = svg
      .selectAll<SVGGElement, null>('g.chart-legend')
      .data([null])
      .join('g')
      .attr('class', 'chart-legend')
      .attr('transform', `translate(${width - margin.right},6)`);
    const item = legend
      .selectAll<SVGGElement, (typeof legendItems)[number]>('g.legend-item')
      .data(legendItems)
      .join((enter) => {
        const g = enter.append('g').attr('class', 'legend-item');
        g.append('rect').attr('width', 10).attr('height', 10).attr('rx', 2);
        g.append('text').attr('x', 14).attr('y', 9);
        return g;
      })
      .attr('data-series', (d) => d.series);
    item.select('rect').attr('class', (d) => `swatch-mark series-${d.series} ${seriesColor(d.series)}`);
    item.select('text').text((d) => d.text);
    // Right-aligned, one after the other, measured once drawn.
    let right = 0;
    item.nodes().reverse().forEach((node) => {
      const w = (node as SVGGElement).getBBox().width;
      right -= w;
      select(node).attr('transform', `translate(${right},0)`);
      right -= 16;
    });
  }

  private showTooltip(bar: StageBar, clientX: number, clientY: number): void {
    const frame = (this.svg.node() as SVGSVGElement).parentElement as HTMLElement;
    const box = frame.getBoundingClientRect();
    const share = bar.total > 0 ? ` (${((100 * bar.value) / bar.total).toFixed(1)}% of the model)` : '';
    this.tooltip.attr('hidden', null).selectAll('div').data([`${bar.model} · ${bar.stage.title}`, `${describeValue(bar.value, this.metric)}${share}`]).join('div').text((t) => t);
    const tip = this.tooltip.node() as HTMLDivElement;
    const left = Math.min(clientX - box.left + 12, box.width - tip.offsetWidth - 4);
    this.tooltip.style('left', `${Math.max(0, left)}px`).style('top', `${Math.max(0, clientY - box.top - tip.offsetHeight - 8)}px`);
  }
}
