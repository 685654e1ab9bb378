// The lesion study's and the gradient flow's charts (d3), one series per net in the page's net
// colours (webview/netPalette.ts, as Fig. 7): values per position (a block, or a pair of blocks)
// as grouped bars with each net's intact error drawn across, a curve with its spread (error
// against k deleted blocks), and values against depth on a log scale (gradient norms).
// They draw what core computed; every number shown is formatted by core/format.ts.
import { area, axisBottom, axisLeft, line, max, min, range, scaleBand, scaleLinear, scaleLog, select } from 'd3';
import type { Selection } from 'd3';

const WIDTH = 460;
const HEIGHT = 230;
const MARGIN = { top: 10, right: 12, bottom: 34, left: 50 };

type Svg = Selection<SVGSVGElement, unknown, null, undefined>;

/** A figure with a caption and an empty chart. */
function figureWithSvg(className: string, caption: string): { figure: HTMLElement; svg: Svg } {
  const figure = document.createElement('figure');
  figure.className = `analysis-chart ${className}`;
  const text = document.createElement('figcaption');
  text.textContent = caption;
  figure.append(text);
  const svg = select(figure).append('svg').attr('class', 'analysis-svg').attr('viewBox', `0 0 ${WIDTH} ${HEIGHT}`).attr('width', WIDTH).attr('height', HEIGHT);
  return { figure, svg };
}

function axisLabels(svg: Svg, xLabel: string, yLabel: string): void {
  svg.append('text').attr('class', 'axis-label').attr('x', (MARGIN.left + WIDTH - MARGIN.right) / 2).attr('y', HEIGHT - 4).attr('text-anchor', 'middle').text(xLabel);
  svg.append('text').attr('class', 'axis-label').attr('transform', `translate(12,${HEIGHT / 2}) rotate(-90)`).attr('text-anchor', 'middle').text(yLabel);
}

/** At most about `most` tick positions out of 0…count−1. */
function sparseTicks(count: number, most = 14): number[] {
  const step = Math.max(1, Math.ceil(count / most));
  return range(0, count, step);
}

/** A net's series: its title, and its colour class from webview/netPalette.ts (the same on every page). */
export interface NetSeries {
  title: string;
  colorClass: string;
}

export interface PositionValue {
  /** Readable, for the hover text and data-item: a block id or "a ↔ b". */
  label: string;
  /** Null where the change cannot be made on this net. */
  value: number | null;
  /** Why not, where value is null. */
  reason: string | null;
}

export interface PositionSeries extends NetSeries {
  /** The net's error without any change, drawn across the chart. */
  baseline: number;
  items: PositionValue[];
}

/**
 * Grouped bars: one group per position (1-based on the axis), one bar per net, each net's
 * baseline as a dashed line in its colour; "×" at the foot where a net's change is impossible.
 */
export function positionBars(
  className: string,
  caption: string,
  xLabel: string,
  series: PositionSeries[],
  format: (v: number) => string,
  hover: (s: PositionSeries, item: PositionValue) => string,
): HTMLElement {
  const { figure, svg } = figureWithSvg(className, caption);
  const count = max(series, (s) => s.items.length) ?? 1;
  const x = scaleBand<number>().domain(range(count)).range([MARGIN.left, WIDTH - MARGIN.right]).paddingInner(0.2).paddingOuter(0.1);
  const inner = scaleBand<number>().domain(range(series.length)).range([0, x.bandwidth()]).padding(0.05);
  const top = max(series, (s) => Math.max(s.baseline, max(s.items, (i) => i.value ?? 0) ?? 0)) ?? 1;
  const y = scaleLinear().domain([0, top * 1.08 || 1]).nice().range([HEIGHT - MARGIN.bottom, MARGIN.top]);
  svg.append('g').attr('class', 'axis x-axis').attr('transform', `translate(0,${HEIGHT - MARGIN.bottom})`).call(axisBottom(x).tickValues(sparseTicks(count)).tickFormat((i) => String(i + 1)));
  svg.append('g').attr('class', 'axis y-axis').attr('transform', `translate(${MARGIN.left},0)`).call(axisLeft(y).ticks(5).tickFormat((v) => format(Number(v))));
  axisLabels(svg, xLabel, 'test error');
  series.forEach((s, n) => {
    const g = svg.append('g').attr('class', `analysis-series series-${n} ${s.colorClass}`).attr('data-net', s.title);
    const bars = s.items.map((item, i) => ({ item, i })).filter((d) => d.item.value !== null);
    g.selectAll('rect')
      .data(bars)
      .join('rect')
      .attr('class', 'analysis-bar')
      .attr('data-item', (d) => d.item.label)
      .attr('data-value', (d) => String(d.item.value))
      .attr('x', (d) => x(d.i)! + inner(n)!)
      .attr('width', inner.bandwidth())
      .attr('y', (d) => y(d.item.value!))
      .attr('height', (d) => y(0) - y(d.item.value!))
      .append('title')
      .text((d) => hover(s, d.item));
    const impossible = s.items.map((item, i) => ({ item, i })).filter((d) => d.item.value === null);
    g.selectAll('text.impossible')
      .data(impossible)
      .join('text')
      .attr('class', 'impossible')
      .attr('data-item', (d) => d.item.label)
      .attr('x', (d) => x(d.i)! + inner(n)! + inner.bandwidth() / 2)
      .attr('y', y(0) - 3)
      .attr('text-anchor', 'middle')
      .text('×')
      .append('title')
      .text((d) => `${s.title}, ${d.item.label}: ${d.item.reason}`);
    g.append('line')
      .attr('class', 'baseline')
      .attr('data-value', String(s.baseline))
      .attr('x1', MARGIN.left)
      .attr('x2', WIDTH - MARGIN.right)
      .attr('y1', y(s.baseline))
      .attr('y2', y(s.baseline))
      .append('title')
      .text(`${s.title} intact: ${format(s.baseline)}`);
  });
  return figure;
}

export interface SpreadSeries extends NetSeries {
  /** Per x: the mean, its standard deviation, and every draw. */
  points: Array<{ x: number; mean: number; std: number; draws: number[] }>;
}

/** A mean curve per net with a band of ± one standard deviation and each draw as a faint dot. */
export function spreadChart(className: string, caption: string, xLabel: string, series: SpreadSeries[], format: (v: number) => string): HTMLElement {
  const { figure, svg } = figureWithSvg(className, caption);
  const xs = series.flatMap((s) => s.points.map((p) => p.x));
  const x = scaleLinear().domain([min(xs) ?? 0, Math.max((max(xs) ?? 1), (min(xs) ?? 0) + 1)]).range([MARGIN.left, WIDTH - MARGIN.right]);
  const top = max(series, (s) => max(s.points, (p) => Math.max(p.mean + p.std, ...p.draws))) ?? 1;
  const y = scaleLinear().domain([0, Math.min(1, top * 1.08) || 1]).nice().range([HEIGHT - MARGIN.bottom, MARGIN.top]);
  svg.append('g').attr('class', 'axis x-axis').attr('transform', `translate(0,${HEIGHT - MARGIN.bottom})`).call(axisBottom(x).ticks(Math.min(10, xs.length)).tickFormat((v) => String(v)));
  svg.append('g').attr('class', 'axis y-axis').attr('transform', `translate(${MARGIN.left},0)`).call(axisLeft(y).ticks(5).tickFormat((v) => format(Number(v))));
  axisLabels(svg, xLabel, 'test error');
  type P = SpreadSeries['points'][number];
  const band = area<P>().x((p) => x(p.x)).y0((p) => y(Math.max(0, p.mean - p.std))).y1((p) => y(Math.min(1, p.mean + p.std)));
  const path = line<P>().x((p) => x(p.x)).y((p) => y(p.mean));
  series.forEach((s, n) => {
    const g = svg.append('g').attr('class', `analysis-series series-${n} ${s.colorClass}`).attr('data-net', s.title);
    g.append('path').attr('class', 'spread-band').attr('d', band(s.points));
    g.selectAll('circle.draw')
      .data(s.points.flatMap((p) => p.draws.map((v) => ({ x: p.x, v }))))
      .join('circle')
      .attr('class', 'draw')
      .attr('cx', (d) => x(d.x))
      .attr('cy', (d) => y(d.v))
      .attr('r', 1.6);
    g.append('path').attr('class', 'analysis-line').attr('d', path(s.points));
    g.selectAll('circle.mean')
      .data(s.points)
      .join('circle')
      .attr('class', 'analysis-point mean')
      .attr('data-x', (p) => String(p.x))
      .attr('data-value', (p) => String(p.mean))
      .attr('cx', (p) => x(p.x))
      .attr('cy', (p) => y(p.mean))
      .attr('r', 2.6)
      .append('title')
      .text((p) => `${s.title}, ${p.x} deleted: ${format(p.mean)} ± ${format(p.std)} over ${p.draws.length} draw${p.draws.length === 1 ? '' : 's'}`);
  });
  return figure;
}

export interface DepthSeries extends NetSeries {
  points: Array<{ label: string; value: number }>;
}

/** Values against depth (position 1, 2, … in the net's order) on a log scale, one line per net. */
export function depthLogChart(className: string, caption: string, xLabel: string, yLabel: string, series: DepthSeries[], format: (v: number) => string): HTMLElement {
  const { figure, svg } = figureWithSvg(className, caption);
  const count = max(series, (s) => s.points.length) ?? 1;
  const positive = series.flatMap((s) => s.points.map((p) => p.value).filter((v) => v > 0 && Number.isFinite(v)));
  const lo = min(positive) ?? 1e-3;
  const hi = max(positive) ?? 1;
  const x = scaleLinear().domain([1, Math.max(2, count)]).range([MARGIN.left, WIDTH - MARGIN.right]);
  const y = scaleLog().domain([lo / 1.3, hi * 1.3]).range([HEIGHT - MARGIN.bottom, MARGIN.top]);
  svg.append('g').attr('class', 'axis x-axis').attr('transform', `translate(0,${HEIGHT - MARGIN.bottom})`).call(axisBottom(x).ticks(Math.min(10, count)).tickFormat((v) => String(v)));
  svg.append('g').attr('class', 'axis y-axis').attr('transform', `translate(${MARGIN.left},0)`).call(axisLeft(y).ticks(5, '~e'));
  axisLabels(svg, xLabel, `${yLabel} (log scale)`);
  type P = { x: number; label: string; value: number };
  const path = line<P>().x((p) => x(p.x)).y((p) => y(p.value));
  series.forEach((s, n) => {
    const points = s.points.map((p, i) => ({ ...p, x: i + 1 })).filter((p) => p.value > 0 && Number.isFinite(p.value));
    const g = svg.append('g').attr('class', `analysis-series series-${n} ${s.colorClass}`).attr('data-net', s.title);
    g.append('path').attr('class', 'analysis-line').attr('d', path(points));
    g.selectAll('circle')
      .data(points)
      .join('circle')
      .attr('class', 'analysis-point')
      .attr('data-item', (p) => p.label)
      .attr('data-value', (p) => String(p.value))
      .attr('cx', (p) => x(p.x))
      .attr('cy', (p) => y(p.value))
      .attr('r', 2.2)
      .append('title')
      .text((p) => `${s.title} ${p.label}: ${format(p.value)}`);
  });
  return figure;
}
