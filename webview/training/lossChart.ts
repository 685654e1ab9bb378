// Loss (train thin, test bold) against iterations, with the learning rate in a small
// log-scale strip below on the same x axis; one hover rule across both.
import { curveStepAfter, line, scaleLinear, scaleLog, select } from 'd3';
import { formatCount } from '../../core/format';
import type { ScheduleMilestone } from '../../core/training/types';
import type { Range } from './brushZoom';
import { brushZoom } from './brushZoom';
import { axisTicks, ChartZoom, createFrame, drawBands, drawCurves, drawOutliers, Frame, HoverReadout, layoutFrame, Margin, Measure, readoutRows, ReadoutRow, Scale, stepDomain, valueExtent } from './chartParts';
import type { CurvePoint, Series } from './curveStore';
import type { CurveView } from './curveView';
import { robustRange } from './robustRange';

export interface LossChartData {
  /** What to draw (hidden series already left out). */
  view: Pick<CurveView, 'lines' | 'raw'>;
  /** Per run, the series whose points carry the learning rate (its first net's train points). */
  lrSeries: readonly Series[];
  iterations: number;
  /** "Zoom to data": both axes fitted to the curves. */
  fit: boolean;
  log: boolean;
  /** Iterations and loss dragged with the mouse; null where not zoomed. */
  x: Range | null;
  y: Range | null;
  seriesLabel: (series: Series) => string;
  runLabel: (series: Series) => string;
  /** The learning-rate changes of a series' run, as planned (config.schedule.milestones). */
  milestonesOf: (series: Series) => readonly ScheduleMilestone[];
}

export interface LossChart {
  readonly element: HTMLDivElement;
  update(data: LossChartData): void;
}

const LOSS_MARGIN: Margin = { top: 12, right: 16, bottom: 40, left: 56 };
const LOSS_HEIGHT = 220;
const LR_MARGIN: Margin = { top: 8, right: 16, bottom: 36, left: 56 };
const LR_HEIGHT = 140;
const lrValue = (p: CurvePoint) => p.lr;

const formatLoss = (v: number): string => (Math.abs(v) >= 1000 ? formatCount(v) : v.toFixed(Math.abs(v) < 1 ? 3 : 2));
const formatLr = (v: number): string => `${Number(v.toPrecision(3))}`;
const lossMeasure: Measure = { name: 'loss', value: (p) => p.loss, spread: (p) => p.spread?.loss, format: formatLoss };
const lrMeasure: Measure = { name: 'learning rate', value: lrValue, spread: () => undefined, format: formatLr };

/** Every loss value drawn: the curves, the logged curves behind smoothed ones, the bands' edges. */
function lossValues(lines: readonly Series[], raw: readonly Series[]): number[] {
  const values: number[] = [];
  for (const s of raw) for (const p of s.points) values.push(p.loss);
  for (const s of lines) {
    for (const p of s.points) {
      values.push(p.loss);
      if (p.spread && p.spread.runs >= 2) values.push(p.loss - p.spread.loss, p.loss + p.spread.loss);
    }
  }
  return values;
}

export function lossChart(parent: HTMLElement, zoom: ChartZoom): LossChart {
  const root = select(parent).append('div').attr('class', 'chart loss-chart');
  const lossFrame: Frame = createFrame(root, 'loss-svg', 'iterations', 'loss');
  const lrRoot = root.append('div').attr('class', 'lr-strip');
  const lrFrame: Frame = createFrame(lrRoot, 'lr-svg', 'iterations', 'learning rate');
  lrFrame.svg.attr('aria-label', 'Learning rate against iterations (log scale)');
  let x: Scale = scaleLinear();
  let lrX: Scale = scaleLinear();
  let y: Scale = scaleLinear();
  let lrY: Scale = scaleLog();
  let current: LossChartData | null = null;

  const lossHover = new HoverReadout(lossFrame, root, (pointerX) => {
    if (!current) return null;
    const found = readoutRows(current.view.lines, x, y, pointerX, lossMeasure, current.seriesLabel);
    if (!found) return null;
    const lrRows: ReadoutRow[] = [];
    for (const s of current.lrSeries) {
      const lr = readoutRows([s], x, y, found.x, lrMeasure, current.runLabel);
      if (lr) lrRows.push(...lr.rows.map((row) => ({ ...row, key: `${row.key}/lr`, label: `learning rate${current!.lrSeries.length > 1 ? ` (${current!.runLabel(s)})` : ''}`, dot: null })));
    }
    return { ...found, rows: [...found.rows, ...lrRows] };
  });
  const lrHover = new HoverReadout(lrFrame, lrRoot, (pointerX) => {
    if (!current) return null;
    const found = readoutRows(current.lrSeries, lrX, lrY, pointerX, lrMeasure, (s) => `learning rate (${current!.runLabel(s)})`);
    return found && { ...found, rows: found.rows.map((row) => ({ ...row, label: row.label.replace(/ train$/, '') })) };
  });
  brushZoom(lossFrame, () => ({ x, y }), zoom.onZoom, zoom.onReset);

  /** The loss axis: a dragged range, else the values without far outliers (fitted to the x range when zoomed to data). */
  function lossScale(data: LossChartData, isOutlier: (v: number) => boolean, robust: [number, number] | undefined): Scale {
    const range = [LOSS_HEIGHT - LOSS_MARGIN.bottom, LOSS_MARGIN.top];
    const { lines, raw } = data.view;
    const fitted = data.fit ? valueExtent([...lines, ...raw], lossMeasure.value, (v) => !isOutlier(v) && (!data.log || v > 0), x.domain()) : robust;
    if (data.log) {
      let [low, high] = data.y ?? (fitted ? [fitted[0] / 1.15, fitted[1] * 1.15] : [0.01, 10]);
      if (!(low > 0)) low = Math.min(high, 1) / 1000; // a dragged range that reaches 0 or below
      if (!(high > low)) high = low * 10;
      return scaleLog().domain([low, high]).range(range);
    }
    if (data.y) return scaleLinear().domain(data.y).range(range);
    if (data.fit && fitted) {
      const pad = (fitted[1] - fitted[0]) * 0.05 || Math.abs(fitted[1]) * 0.05 || 1;
      return scaleLinear().domain([fitted[0] - pad, fitted[1] + pad]).range(range);
    }
    const highest = robust?.[1] ?? 1;
    return scaleLinear()
      .domain([0, highest > 0 ? highest * 1.05 : 1])
      .nice()
      .range(range);
  }

  function update(data: LossChartData): void {
    current = data;
    const { lines, raw } = data.view;
    const width = Math.max(320, root.node()!.clientWidth);
    const innerWidth = width - LOSS_MARGIN.left - LOSS_MARGIN.right;
    const domain = stepDomain(lines, data.iterations, data.fit, data.x);
    x = scaleLinear().domain(domain).range([LOSS_MARGIN.left, width - LOSS_MARGIN.right]);
    const robust = robustRange(lossValues(lines, raw), data.log);
    y = lossScale(data, robust.isOutlier, robust.extent);
    lossFrame.svg.attr('aria-label', `Training loss (thin) and test loss (bold) against iterations, ${data.log ? 'log' : 'linear'} scale; values far off the others marked at the edge; drag to zoom, double-click to reset`);
    layoutFrame(lossFrame, width, LOSS_HEIGHT, LOSS_MARGIN, x, y, undefined, undefined, data.log);
    root.attr('data-scale', data.log ? 'log' : 'linear').attr('data-y-domain', y.domain().join(','));
    drawBands(lossFrame.bandLayer, lines, x, y, lossMeasure, 'loss');
    const atEdge = data.y ? undefined : robust.isOutlier;
    drawCurves(lossFrame.rawLayer, raw, x, y, lossMeasure.value, innerWidth, 'loss', 'series-raw', atEdge);
    drawCurves(lossFrame.plot, lines, x, y, lossMeasure.value, innerWidth, 'loss', 'series-line', atEdge);
    // Off-axis points are marked only when the axis left them out, not when a zoom cut them off.
    drawOutliers(lossFrame.outlierLayer, data.y ? [] : lines, x, y, lossMeasure, robust.isOutlier, data.seriesLabel);
    lossHover.render(LOSS_MARGIN.top, LOSS_HEIGHT - LOSS_MARGIN.bottom);

    lrX = scaleLinear().domain(domain).range([LR_MARGIN.left, width - LR_MARGIN.right]);
    const [low, high] = valueExtent(data.lrSeries, lrValue, (v) => v > 0) ?? [1e-3, 1e-1];
    lrY = scaleLog()
      .domain([low / 2, high * 2])
      .range([LR_HEIGHT - LR_MARGIN.bottom, LR_MARGIN.top]);
    layoutFrame(lrFrame, width, LR_HEIGHT, LR_MARGIN, lrX, lrY, axisTicks(lrY, 5, true).format, powersOfTen(low / 2, high * 2));
    // The learning rate is a step function: drawn from its logged changes only (placed by the schedule).
    const step = line<CurvePoint>()
      .x((p) => lrX(p.step))
      .y((p) => lrY(p.lr))
      .curve(curveStepAfter);
    lrFrame.plot
      .selectAll<SVGPathElement, Series>('path.lr-line')
      .data(data.lrSeries, (s) => s.key)
      .join('path')
      .attr('class', (s) => `lr-line color-${s.colorIndex % 8}${s.runIndex > 0 ? ' overlay' : ''}`)
      .attr('data-key', (s) => `${s.key}/lr`)
      .attr('d', (s) => step(lrChanges(s.points, data.milestonesOf(s))) ?? '');
    lrHover.render(LR_MARGIN.top, LR_HEIGHT - LR_MARGIN.bottom);
  }

  return { element: root.node()!, update };
}

/** 0.1, 0.01, … within [low, high]: the learning-rate axis's ticks (a log axis's own are crowded). */
function powersOfTen(low: number, high: number): number[] {
  const values: number[] = [];
  for (let e = Math.ceil(Math.log10(low)); e <= Math.floor(Math.log10(high)); e += 1) values.push(Number(`1e${e}`));
  return values;
}

/**
 * The points where the learning rate changes, and the last one (a few points per run). A point
 * logged at step s carries the rate of the iteration from s − 1 to s, so a rate first logged at s
 * began at an iteration between the previous logged step and s − 1: at the run's milestone of
 * that rate there (exact whatever the log interval), else at s − 1.
 */
function lrChanges(points: readonly CurvePoint[], milestones: readonly ScheduleMilestone[]): CurvePoint[] {
  const out: CurvePoint[] = [];
  let previous: CurvePoint | undefined;
  for (const point of points) {
    if (!Number.isFinite(point.lr) || point.lr <= 0) continue;
    if (!previous) out.push(point);
    else if (previous.lr !== point.lr) {
      const from = previous.step;
      const milestone = milestones.find((m) => m.lr === point.lr && m.step >= from && m.step < point.step);
      out.push({ ...point, step: milestone?.step ?? point.step - 1 });
    }
    previous = point;
  }
  if (previous && out[out.length - 1].step < previous.step) out.push(previous);
  return out;
}
