// What the error and loss charts share: the frame (svg, axes, labels), curves joined by
// series key, per-pixel downsampling, and the hover rule with its read-out.
import { axisBottom, axisLeft, format, line, pointer, ScaleContinuousNumeric, select, Selection } from 'd3';
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

/** Class names that give a curve its colour (per net of each run) and its style (split, overlay). */
function seriesClasses(series: Series): string {
  return `series-line color-${series.colorIndex % 8} split-${series.split}${series.runIndex > 0 ? ' overlay' : ''}`;
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
  plot: G;
  xAxis: G;
  yAxis: G;
  overlayLayer: G;
  hoverLayer: G;
  hoverTarget: Selection<SVGRectElement, unknown, null, undefined>;
  xLabel: Selection<SVGTextElement, unknown, null, undefined>;
  yLabel: Selection<SVGTextElement, unknown, null, undefined>;
}

export function createFrame(parent: Div, className: string, xLabel: string, yLabel: string): Frame {
  const svg = parent.append('svg').attr('class', className).attr('role', 'img') as Svg;
  const overlayLayer = svg.append('g').attr('class', 'marks-under');
  const plot = svg.append('g').attr('class', 'curves');
  const xAxis = svg.append('g').attr('class', 'axis x-axis');
  const yAxis = svg.append('g').attr('class', 'axis y-axis');
  const hoverLayer = svg.append('g').attr('class', 'hover-marks');
  const hoverTarget = svg.append('rect').attr('class', 'hover-target');
  return {
    svg,
    plot,
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

export function layoutFrame(frame: Frame, width: number, height: number, margin: Margin, x: Scale, y: Scale, yTickFormat: (v: number) => string, yTickValues?: number[]): void {
  // Unchanged size and scales (the usual case while a run streams): nothing to redo.
  const signature = `${width}|${height}|${x.domain()}|${x.range()}|${y.domain()}|${y.range()}|${yTickValues ?? ''}`;
  if (frameSignature.get(frame.svg.node()!) === signature) return;
  frameSignature.set(frame.svg.node()!, signature);
  frame.svg.attr('width', width).attr('height', height).attr('viewBox', `0 0 ${width} ${height}`);
  const innerHeight = height - margin.top - margin.bottom;
  frame.xAxis
    .attr('transform', `translate(0,${height - margin.bottom})`)
    .call(axisBottom(x).ticks(Math.max(2, Math.floor((width - margin.left - margin.right) / 80))).tickFormat((v) => formatIterations(Number(v))))
    .call((g) => g.selectAll<SVGGElement, number>('.tick').attr('data-value', (d) => d));
  frame.yAxis
    .attr('transform', `translate(${margin.left},0)`)
    .call(yTickValues ? axisLeft(y).tickValues(yTickValues).tickFormat((v) => yTickFormat(Number(v))) : axisLeft(y).ticks(5).tickFormat((v) => yTickFormat(Number(v))))
    .call((g) => g.selectAll<SVGGElement, number>('.tick').attr('data-value', (d) => d))
    .call((g) => g.selectAll<SVGLineElement, number>('.tick line.gridline').remove())
    .call((g) => g.selectAll<SVGGElement, number>('.tick').append('line').attr('class', 'gridline').attr('x1', 0).attr('x2', width - margin.left - margin.right));
  frame.xLabel.attr('x', margin.left + (width - margin.left - margin.right) / 2).attr('y', height - 4).attr('text-anchor', 'middle');
  frame.yLabel.attr('transform', `translate(12,${margin.top + innerHeight / 2}) rotate(-90)`).attr('text-anchor', 'middle');
  frame.hoverTarget
    .attr('x', margin.left)
    .attr('y', margin.top)
    .attr('width', Math.max(0, width - margin.left - margin.right))
    .attr('height', Math.max(0, innerHeight));
}

/** The lowest and highest finite value over the series (undefined when there is none). */
export function valueExtent(series: readonly Series[], value: (p: CurvePoint) => number, keep: (v: number) => boolean = () => true): [number, number] | undefined {
  let low = Infinity;
  let high = -Infinity;
  for (const s of series) {
    for (const point of s.points) {
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

/** Joins one path per series (keyed, so paths persist across redraws) with its drawable points. */
export function drawCurves(layer: G, series: readonly Series[], x: Scale, y: Scale, value: (p: CurvePoint) => number, pixelWidth: number, chartName: string): void {
  const path = line<CurvePoint>()
    .defined((p) => Number.isFinite(value(p)))
    .x((p) => x(p.step))
    .y((p) => y(value(p)));
  const scales = `${x.domain()}|${x.range()}|${y.domain()}|${y.range()}|${pixelWidth}`;
  layer
    .selectAll<SVGPathElement, Series>('path.series-line')
    .data(series, (s) => s.key)
    .join('path')
    // Overlaid runs underneath, the main run on top.
    .sort((a, b) => b.runIndex - a.runIndex)
    .attr('class', seriesClasses)
    .attr('data-key', (s) => s.key)
    .attr('data-split', (s) => s.split)
    .attr('data-chart', chartName)
    .attr('aria-label', (s) => `${s.netTitle} ${s.split} ${chartName}`)
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

/** Rows of the read-out at a pointer position: every shown series at its logged step nearest the rule. */
export function readoutRows(
  series: readonly Series[],
  x: Scale,
  y: Scale,
  pointerX: number,
  value: (p: CurvePoint) => number,
  formatValue: (v: number) => string,
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
    const v = value(point);
    const at = point.step === step ? '' : ` (at ${formatCount(point.step)})`;
    rows.push({
      key: s.key,
      colorIndex: s.colorIndex,
      split: s.split,
      label: `${label(s)} ${s.split}`,
      value: `${Number.isFinite(v) ? formatValue(v) : 'not a number'}${at}`,
      dot: Number.isFinite(v) ? { x: x(point.step), y: y(v) } : null,
      overlay: s.runIndex > 0,
    });
  }
  return { step, x: x(step), rows };
}

