// What the error and loss charts share: the frame (svg, axes, labels), one tick format for
// every axis of the page, curves joined by series key, per-pixel downsampling, seed bands,
// outlier marks, and the hover rule with its read-out.
import { area, axisBottom, axisLeft, format, line, pointer, ScaleContinuousNumeric, select, Selection } from 'd3';
import { formatCount } from '../../core/format';
import type { CurvePoint, Series } from './curveStore';

export type Div = Selection<HTMLDivElement, unknown, null, undefined>;
export type Svg = Selection<SVGSVGElement, unknown, null, undefined>;
export type G = Selection<SVGGElement, unknown, null, undefined>;
export type Scale = ScaleContinuousNumeric<number, number>;

export interface Margin {
  top: number;
  right: number;
  bottom: number;
  left: number;
}

/** "16k" for 16,000 iterations, as the paper's axes. */
export const formatIterations = (step: number): string => (step >= 1000 ? `${format('~s')(step)}` : `${step}`);

/** What a chart plots of a point: its value, the spread of a seed band, and how to write them. */
export interface Measure {
  name: string;
  value(p: CurvePoint): number;
  /** The standard deviation of a band's point (undefined on a single run's curve). */
  spread(p: CurvePoint): number | undefined;
  format(v: number): string;
}

/** Ticks of an axis and their labels, one format per axis for the whole page. */
export interface AxisTicks {
  values: number[];
  format(v: number): string;
}

const plainFormat = format('~g');
const siFormat = format('~s');

/**
 * Every axis of the page writes its ticks the same way, with d3's formats: an SI prefix for
 * thousands and up, one prefix and one precision for the whole axis (never 800.00 M beside
 * 1.00 G), where its ticks are whole in that prefix; plain decimals otherwise (a loss of 0.01
 * is not "10m"). A log axis gets its
 * powers of ten, with 2 and 5 between them when it spans few decades.
 */
export function axisTicks(scale: Scale, count: number, log = false): AxisTicks {
  if (log) {
    let values = scale.ticks(count);
    const mantissa = (v: number) => Math.round(v / 10 ** Math.floor(Math.log10(v) + 1e-9));
    if (values.length > count + 2) values = values.filter((v) => [1, 2, 5].includes(mantissa(v)));
    if (values.length > count + 2) values = values.filter((v) => mantissa(v) === 1);
    while (values.length > count + 2) values = values.filter((_, i) => i % 2 === 0);
    return { values, format: (v) => (Math.abs(v) >= 1000 ? siFormat(v) : plainFormat(v)) };
  }
  const values = scale.ticks(count);
  const [a, b] = scale.domain();
  // The prefix only where the ticks are whole in it ("5k", "10k"); "200 … 1,200", not "0.2k … 1.2k".
  const largest = Math.max(Math.abs(a), Math.abs(b));
  const step = values.length > 1 ? Math.abs(values[1] - values[0]) : largest;
  const si = largest >= 1000 && step >= 10 ** (3 * Math.floor(Math.log10(largest) / 3));
  const formatTick = scale.tickFormat(count, si ? '~s' : ',~f');
  return { values, format: (v) => (v === 0 ? '0' : formatTick(v)) };
}

/** Class names that give a curve its colour (per net of each run) and its style (split, overlay). */
function seriesClasses(series: Series, base = 'series-line'): string {
  return `${base} color-${series.colorIndex % 8} split-${series.split}${series.runIndex > 0 ? ' overlay' : ''}${series.seeds ? ' band-mean' : ''}`;
}

function nearestIndex(points: readonly CurvePoint[], step: number): number {
  let low = 0;
  let high = points.length - 1;
  if (high < 0) return -1;
  while (low < high) {
    const mid = (low + high) >> 1;
    if (points[mid].step < step) low = mid + 1;
    else high = mid;
  }
  if (low > 0 && Math.abs(points[low - 1].step - step) <= Math.abs(points[low].step - step)) return low - 1;
  return low;
}

/**
 * The points worth drawing at this width: all of them when there are at most two per pixel,
 * otherwise the lowest and highest value of each pixel column in step order (the noisy
 * train curve keeps its envelope). The last point is always kept so the curve ends where
 * the run is.
 */
function drawablePoints(points: readonly CurvePoint[], x: Scale, value: (p: CurvePoint) => number, pixelWidth: number): CurvePoint[] {
  if (points.length <= 2 * Math.max(1, pixelWidth)) return points.slice();
  const out: CurvePoint[] = [];
  let column = Number.NaN;
  let low: CurvePoint | undefined;
  let high: CurvePoint | undefined;
  const flush = () => {
    if (!low || !high) return;
    if (low === high) out.push(low);
    else if (low.step < high.step) out.push(low, high);
    else out.push(high, low);
  };
  for (const point of points) {
    const c = Math.floor(x(point.step));
    const v = value(point);
    if (c !== column) {
      flush();
      column = c;
      low = high = point;
    } else if (Number.isFinite(v)) {
      if (!(value(low!) <= v)) low = point;
      if (!(value(high!) >= v)) high = point;
    }
  }
  flush();
  const last = points[points.length - 1];
  if (out[out.length - 1] !== last) out.push(last);
  return out;
}

/** An svg with a plot group, two axes and their labels; sized on each draw. */
export interface Frame {
  svg: Svg;
  /** The plot area's clip: curves zoomed past it end at its edge. */
  clipRect: Selection<SVGRectElement, unknown, null, undefined>;
  bandLayer: G;
  rawLayer: G;
  plot: G;
  outlierLayer: G;
  xAxis: G;
  yAxis: G;
  overlayLayer: G;
  hoverLayer: G;
  hoverTarget: Selection<SVGRectElement, unknown, null, undefined>;
  xLabel: Selection<SVGTextElement, unknown, null, undefined>;
  yLabel: Selection<SVGTextElement, unknown, null, undefined>;
}

let clipIds = 0;

export function createFrame(parent: Div, className: string, xLabel: string, yLabel: string): Frame {
  const svg = parent.append('svg').attr('class', className).attr('role', 'img') as Svg;
  const clipId = `plot-clip-${++clipIds}`;
  const clipRect = svg.append('defs').append('clipPath').attr('id', clipId).append('rect');
  const overlayLayer = svg.append('g').attr('class', 'marks-under');
  const bandLayer = svg.append('g').attr('class', 'bands').attr('clip-path', `url(#${clipId})`);
  const rawLayer = svg.append('g').attr('class', 'raw-curves').attr('clip-path', `url(#${clipId})`);
  const plot = svg.append('g').attr('class', 'curves').attr('clip-path', `url(#${clipId})`);
  const xAxis = svg.append('g').attr('class', 'axis x-axis');
  const yAxis = svg.append('g').attr('class', 'axis y-axis');
  const hoverLayer = svg.append('g').attr('class', 'hover-marks');
  const hoverTarget = svg.append('rect').attr('class', 'hover-target');
  // Above the hover target, so an outlier's mark shows its value on hover.
  const outlierLayer = svg.append('g').attr('class', 'outliers');
  return {
    svg,
    clipRect,
    bandLayer,
    rawLayer,
    plot,
    outlierLayer,
    xAxis,
    yAxis,
    overlayLayer,
    hoverLayer,
    hoverTarget,
    xLabel: svg.append('text').attr('class', 'axis-label x-label').text(xLabel),
    yLabel: svg.append('text').attr('class', 'axis-label y-label').text(yLabel),
  };
}

/** Sizes the frame and draws both axes; every tick carries its value in data-value. */
const frameSignature = new WeakMap<SVGSVGElement, string>();

/**
 * Ticks come from axisTicks unless the chart gives its own (yTickFormat, yTickValues); the y
 * label stands left of the widest tick label, never over it.
 */
export function layoutFrame(frame: Frame, width: number, height: number, margin: Margin, x: Scale, y: Scale, yTickFormat?: (v: number) => string, yTickValues?: number[], yLog = false): void {
  // Unchanged size and scales (the usual case while a run streams): nothing to redo.
  const signature = `${width}|${height}|${x.domain()}|${x.range()}|${y.domain()}|${y.range()}|${yTickValues ?? ''}|${yLog}`;
  if (frameSignature.get(frame.svg.node()!) === signature) return;
  frameSignature.set(frame.svg.node()!, signature);
  frame.svg.attr('width', width).attr('height', height).attr('viewBox', `0 0 ${width} ${height}`);
  const innerWidth = Math.max(0, width - margin.left - margin.right);
  const innerHeight = height - margin.top - margin.bottom;
  const xTicks = axisTicks(x, Math.max(2, Math.floor(innerWidth / 80)));
  const yTicks = yTickFormat ? { values: yTickValues ?? y.ticks(5), format: yTickFormat } : axisTicks(y, 5, yLog);
  frame.xAxis
    .attr('transform', `translate(0,${height - margin.bottom})`)
    .call(axisBottom(x).tickValues(xTicks.values).tickFormat((v) => xTicks.format(Number(v))))
    .call((g) => g.selectAll<SVGGElement, number>('.tick').attr('data-value', (d) => d));
  frame.yAxis
    .attr('transform', `translate(${margin.left},0)`)
    .call(axisLeft(y).tickValues(yTicks.values).tickFormat((v) => yTicks.format(Number(v))))
    .call((g) => g.selectAll<SVGGElement, number>('.tick').attr('data-value', (d) => d))
    .call((g) => g.selectAll<SVGLineElement, number>('.tick line.gridline').remove())
    .call((g) => g.selectAll<SVGGElement, number>('.tick').append('line').attr('class', 'gridline').attr('x1', 0).attr('x2', innerWidth));
  frame.xLabel.attr('x', margin.left + innerWidth / 2).attr('y', height - 4).attr('text-anchor', 'middle');
  // The rotated label's glyphs stand left of its baseline: the baseline 6 px left of the widest tick label.
  let widest = 0;
  frame.yAxis.selectAll<SVGTextElement, number>('.tick text').each(function () {
    widest = Math.max(widest, this.getComputedTextLength());
  });
  const labelX = Math.max(12, margin.left - 9 - widest - 6);
  frame.yLabel.attr('transform', `translate(${labelX},${margin.top + innerHeight / 2}) rotate(-90)`).attr('text-anchor', 'middle');
  frame.clipRect.attr('x', margin.left).attr('y', margin.top).attr('width', innerWidth).attr('height', Math.max(0, innerHeight));
  frame.hoverTarget
    .attr('x', margin.left)
    .attr('y', margin.top)
    .attr('width', innerWidth)
    .attr('height', Math.max(0, innerHeight));
}

/** The lowest and highest finite value over the series, within `steps` if given (undefined when there is none). */
export function valueExtent(series: readonly Series[], value: (p: CurvePoint) => number, keep: (v: number) => boolean = () => true, steps?: readonly number[]): [number, number] | undefined {
  let low = Infinity;
  let high = -Infinity;
  for (const s of series) {
    for (const point of s.points) {
      if (steps && (point.step < steps[0] || point.step > steps[1])) continue;
      const v = value(point);
      if (!Number.isFinite(v) || !keep(v)) continue;
      if (v < low) low = v;
      if (v > high) high = v;
    }
  }
  return low <= high ? [low, high] : undefined;
}

/** What a drawn curve depends on; a path whose signature is unchanged is left as it is. */
const drawnSignature = new WeakMap<SVGPathElement, string>();

/**
 * Joins one path per series (keyed, so paths persist across redraws) with its drawable points;
 * `className` "series-raw" draws the logged curves faint behind smoothed ones; `isOutlier`: values
 * drawn at the plot's edge.
 */
export function drawCurves(
  layer: G,
  series: readonly Series[],
  x: Scale,
  y: Scale,
  value: (p: CurvePoint) => number,
  pixelWidth: number,
  chartName: string,
  className = 'series-line',
  isOutlier: (v: number) => boolean = () => false,
): void {
  // An outlier the axis leaves out is drawn at the edge it is marked on, so the curve's spike stands at its step.
  const pixel = (v: number) => (isOutlier(v) ? clampToRange(y, y(v)) : y(v));
  const path = line<CurvePoint>()
    .defined((p) => Number.isFinite(pixel(value(p))))
    .x((p) => x(p.step))
    .y((p) => pixel(value(p)));
  const scales = `${x.domain()}|${x.range()}|${y.domain()}|${y.range()}|${pixelWidth}`;
  layer
    .selectAll<SVGPathElement, Series>(`path.${className}`)
    .data(series, (s) => s.key)
    .join('path')
    // Overlaid runs underneath, the main run on top.
    .sort((a, b) => b.runIndex - a.runIndex)
    .attr('class', (s) => seriesClasses(s, className))
    .attr('data-key', (s) => s.key)
    .attr('data-split', (s) => s.split)
    .attr('data-chart', chartName)
    .attr('data-seeds', (s) => s.seeds?.join(',') ?? null)
    .attr('aria-label', (s) => `${s.netTitle} ${s.split} ${chartName}${className === 'series-raw' ? ' as logged' : ''}`)
    .each(function (s) {
      const signature = `${s.version}|${scales}`;
      if (drawnSignature.get(this) === signature) return;
      drawnSignature.set(this, signature);
      const points = drawablePoints(s.points, x, value, pixelWidth);
      select(this)
        .attr('d', path(points) ?? '')
        .attr('data-drawn-points', points.length)
        .attr('data-last-step', s.points[s.points.length - 1]?.step ?? '');
    });
}

/** The shaded mean ± standard deviation of each band of two or more runs (series with `seeds`), where two or more logged the step. */
export function drawBands(layer: G, series: readonly Series[], x: Scale, y: Scale, measure: Measure, chartName: string): void {
  const spread = area<CurvePoint>()
    .defined((p) => (p.spread?.runs ?? 0) >= 2 && Number.isFinite(measure.value(p)) && Number.isFinite(measure.spread(p) ?? NaN))
    .x((p) => x(p.step))
    .y0((p) => clampToRange(y, y(measure.value(p) - measure.spread(p)!)))
    .y1((p) => clampToRange(y, y(measure.value(p) + measure.spread(p)!)));
  layer
    .selectAll<SVGPathElement, Series>('path.series-band')
    .data(
      series.filter((s) => (s.seeds?.length ?? 0) >= 2),
      (s) => s.key,
    )
    .join('path')
    .attr('class', (s) => seriesClasses(s, 'series-band'))
    .attr('data-key', (s) => s.key)
    .attr('data-chart', chartName)
    .attr('data-seeds', (s) => s.seeds!.join(','))
    .attr('d', (s) => spread(s.points) ?? '');
}

/** A y pixel kept inside the plot (a log axis maps values ≤ 0 to NaN: the bottom edge). */
function clampToRange(y: Scale, pixel: number): number {
  const [a, b] = y.range();
  if (!Number.isFinite(pixel)) return Math.max(a, b);
  return Math.min(Math.max(a, b), Math.max(Math.min(a, b), pixel));
}

/**
 * A mark at the plot's top (or bottom) edge for each point the axis leaves out as an outlier,
 * its value in its title; marks within the x range only.
 */
export function drawOutliers(layer: G, series: readonly Series[], x: Scale, y: Scale, measure: Measure, isOutlier: (v: number) => boolean, label: (s: Series) => string): void {
  interface Mark {
    key: string;
    series: Series;
    point: CurvePoint;
    value: number;
  }
  const marks: Mark[] = [];
  const [x0, x1] = x.domain();
  for (const s of series) {
    for (const point of s.points) {
      const value = measure.value(point.raw ?? point);
      if (point.step < x0 || point.step > x1 || !isOutlier(value)) continue;
      marks.push({ key: `${s.key}@${point.step}`, series: s, point, value });
    }
  }
  const [bottom, top] = y.range();
  layer
    .selectAll<SVGGElement, Mark>('g.outlier-mark')
    .data(marks, (m) => m.key)
    .join((enter) => {
      const g = enter.append('g').attr('class', 'outlier-mark');
      g.append('path');
      g.append('title');
      return g;
    })
    .attr('class', (m) => `outlier-mark color-${m.series.colorIndex % 8}`)
    .attr('data-key', (m) => m.series.key)
    .attr('data-step', (m) => m.point.step)
    .attr('data-value', (m) => m.value)
    .attr('transform', (m) => {
      const above = !(m.value < y.domain()[0]);
      return `translate(${x(m.point.step)},${above ? top : bottom})${above ? '' : ' rotate(180)'}`;
    })
    .call((g) => g.select('path').attr('d', 'M0,0 L-5,8 L5,8 Z'))
    .call((g) =>
      g.select('title').text((m) => `${label(m.series)} ${m.series.split} ${measure.name} ${measure.format(m.value)} at iteration ${formatCount(m.point.step)}: off the axis, which leaves out outliers`),
    );
}

/** One line of the hover read-out. */
export interface ReadoutRow {
  key: string;
  colorIndex: number;
  split: string;
  label: string;
  value: string;
  /** Where the marker dot goes; null for rows without a dot (e.g. learning rate). */
  dot: { x: number; y: number } | null;
  overlay: boolean;
}

/**
 * Tracks the pointer over a frame and renders the vertical rule, the dots and the read-out;
 * the chart gives it the rows for a pointer position on each draw, so a live redraw keeps the
 * read-out current under a still mouse.
 */
export class HoverReadout {
  private pointerX: number | null = null;
  private readonly tooltip: Div;

  constructor(
    private readonly frame: Frame,
    container: Div,
    private readonly rowsAt: (pointerX: number) => { step: number; x: number; rows: ReadoutRow[] } | null,
  ) {
    this.tooltip = container.append('div').attr('class', 'readout').attr('role', 'status').attr('hidden', '');
    frame.hoverTarget
      .on('pointermove', (event: PointerEvent) => {
        this.pointerX = pointer(event, frame.svg.node())[0];
        this.render();
      })
      .on('pointerleave', () => {
        this.pointerX = null;
        this.render();
      });
  }

  render(top = 0, bottom = 0): void {
    const found = this.pointerX === null ? null : this.rowsAt(this.pointerX);
    const layer = this.frame.hoverLayer;
    if (!found || found.rows.length === 0) {
      layer.selectAll('*').remove();
      this.tooltip.attr('hidden', '');
      return;
    }
    if (bottom > top) this.ruleExtent = [top, bottom];
    const [y1, y2] = this.ruleExtent;
    layer
      .selectAll('line.hover-rule')
      .data([found.x])
      .join('line')
      .attr('class', 'hover-rule')
      .attr('x1', (d) => d)
      .attr('x2', (d) => d)
      .attr('y1', y1)
      .attr('y2', y2);
    layer
      .selectAll<SVGCircleElement, ReadoutRow>('circle.hover-dot')
      .data(found.rows.filter((row) => row.dot !== null), (row) => row.key)
      .join('circle')
      .attr('class', (row) => `hover-dot color-${row.colorIndex % 8}`)
      .attr('r', 3)
      .attr('cx', (row) => row.dot!.x)
      .attr('cy', (row) => row.dot!.y);
    this.tooltip.attr('hidden', null).attr('data-step', found.step);
    this.tooltip
      .selectAll('p.readout-step')
      .data([found.step])
      .join('p')
      .attr('class', 'readout-step')
      .text((step) => `iteration ${formatCount(step)}`);
    const rows = this.tooltip
      .selectAll<HTMLDivElement, ReadoutRow>('div.readout-row')
      .data(found.rows, (row) => row.key)
      .join((enter) => {
        const row = enter.append('div').attr('class', 'readout-row');
        row.append('span').attr('class', 'swatch');
        row.append('span').attr('class', 'readout-label');
        row.append('span').attr('class', 'readout-value');
        return row;
      })
      .attr('data-key', (row) => row.key);
    rows.select('.swatch').attr('class', (row) => `swatch color-${row.colorIndex % 8} split-${row.split}${row.overlay ? ' overlay' : ''}`);
    rows.select('.readout-label').text((row) => row.label);
    rows.select('.readout-value').text((row) => row.value);
    const svgWidth = Number(this.frame.svg.attr('width'));
    const onRight = found.x < svgWidth * 0.6;
    this.tooltip
      .classed('on-left', !onRight)
      .style('left', onRight ? `${found.x + 12}px` : 'auto')
      .style('right', onRight ? 'auto' : `${svgWidth - found.x + 12}px`);
  }

  private ruleExtent: [number, number] = [0, 0];
}

/** A read-out value: a band's mean ± std and its seed count, a smoothed value with the logged one. */
function readoutValue(point: CurvePoint, measure: Measure): string {
  const v = measure.value(point);
  if (!Number.isFinite(v)) return 'not a number';
  const spread = measure.spread(point);
  if (point.spread && spread !== undefined) {
    const runs = point.spread.runs;
    return `${measure.format(v)} ± ${Number.isFinite(spread) ? measure.format(spread) : '–'} (${runs} seed${runs === 1 ? '' : 's'})`;
  }
  if (point.raw) return `${measure.format(v)} (logged ${Number.isFinite(measure.value(point.raw)) ? measure.format(measure.value(point.raw)) : 'not a number'})`;
  return measure.format(v);
}

/** Rows of the read-out at a pointer position: every shown series at its logged step nearest the rule. */
export function readoutRows(
  series: readonly Series[],
  x: Scale,
  y: Scale,
  pointerX: number,
  measure: Measure,
  label: (s: Series) => string,
): { step: number; x: number; rows: ReadoutRow[] } | null {
  const wanted = x.invert(pointerX);
  // The rule snaps to the logged step nearest the pointer among all shown series.
  let step: number | null = null;
  for (const s of series) {
    const i = nearestIndex(s.points, wanted);
    if (i >= 0 && (step === null || Math.abs(s.points[i].step - wanted) < Math.abs(step - wanted))) step = s.points[i].step;
  }
  if (step === null) return null;
  const rows: ReadoutRow[] = [];
  for (const s of series) {
    const i = nearestIndex(s.points, step);
    if (i < 0) continue;
    const point = s.points[i];
    const v = measure.value(point);
    const at = point.step === step ? '' : ` (at ${formatCount(point.step)})`;
    const pixel = y(v);
    rows.push({
      key: s.key,
      colorIndex: s.colorIndex,
      split: s.split,
      label: `${label(s)} ${s.split}${s.seeds ? ' mean' : ''}`,
      value: `${readoutValue(point, measure)}${at}`,
      dot: Number.isFinite(pixel) ? { x: x(point.step), y: clampToRange(y, pixel) } : null,
      overlay: s.runIndex > 0,
    });
  }
  return { step, x: x(step), rows };
}

/** What a chart tells the page when the user zooms it with the mouse. */
export interface ChartZoom {
  onZoom(x: [number, number] | null, y: [number, number] | null): void;
  onReset(): void;
}

/** The x axis's iterations: a dragged range, or from 0 to the last step (fit) or to the planned end. */
export function stepDomain(series: readonly Series[], iterations: number, fit: boolean, zoomed: readonly number[] | null): [number, number] {
  if (zoomed) return [zoomed[0], zoomed[1]];
  const lastStep = Math.max(0, ...series.map((s) => s.points[s.points.length - 1]?.step ?? 0));
  return [0, fit ? Math.max(lastStep, 1) : Math.max(iterations, lastStep, 1)];
}
