// Loss (train thin, test bold) against iterations, with the learning rate in a small
// log-scale strip below on the same x axis; one hover rule across both.
import { curveStepAfter, line, scaleLinear, scaleLog, select } from 'd3';
import { createFrame, drawCurves, Frame, HoverReadout, layoutFrame, Margin, readoutRows, ReadoutRow, Scale, valueExtent } from './chartParts';
import type { CurvePoint, Series } from './curveStore';

export interface LossChartData {
  series: readonly Series[];
  /** Per run, the series whose points carry the learning rate (its first net's train points). */
  lrSeries: readonly Series[];
  iterations: number;
  zoomed: boolean;
  seriesLabel: (series: Series) => string;
  runLabel: (series: Series) => string;
}

export interface LossChart {
  readonly element: HTMLDivElement;
  update(data: LossChartData): void;
}

const LOSS_MARGIN: Margin = { top: 12, right: 16, bottom: 40, left: 52 };
const LOSS_HEIGHT = 220;
const LR_MARGIN: Margin = { top: 8, right: 16, bottom: 36, left: 52 };
const LR_HEIGHT = 140;
const lossValue = (p: CurvePoint) => p.loss;
const lrValue = (p: CurvePoint) => p.lr;

const formatLoss = (v: number): string => v.toFixed(v < 1 ? 3 : 2);
const formatLr = (v: number): string => `${Number(v.toPrecision(3))}`;

export function lossChart(parent: HTMLElement): LossChart {
  const root = select(parent).append('div').attr('class', 'chart loss-chart');
  const lossFrame: Frame = createFrame(root, 'loss-svg', 'iterations', 'loss');
  lossFrame.svg.attr('aria-label', 'Training loss (thin) and test loss (bold) against iterations');
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
    const found = readoutRows(current.series, x, y, pointerX, lossValue, formatLoss, current.seriesLabel);
    if (!found) return null;
    const lrRows: ReadoutRow[] = [];
    for (const s of current.lrSeries) {
      const lr = readoutRows([s], x, y, found.x, lrValue, formatLr, current.runLabel);
      if (lr) lrRows.push(...lr.rows.map((row) => ({ ...row, key: `${row.key}/lr`, label: `learning rate${current!.lrSeries.length > 1 ? ` (${current!.runLabel(s)})` : ''}`, dot: null })));
    }
    return { ...found, rows: [...found.rows, ...lrRows] };
  });
  const lrHover = new HoverReadout(lrFrame, lrRoot, (pointerX) => {
    if (!current) return null;
    const found = readoutRows(current.lrSeries, lrX, lrY, pointerX, lrValue, formatLr, (s) => `learning rate (${current!.runLabel(s)})`);
    return found && { ...found, rows: found.rows.map((row) => ({ ...row, label: row.label.replace(/ train$/, '') })) };
  });

  function update(data: LossChartData): void {
    current = data;
    const width = Math.max(320, root.node()!.clientWidth);
    const innerWidth = width - LOSS_MARGIN.left - LOSS_MARGIN.right;
    const lastStep = Math.max(0, ...data.series.map((s) => s.points[s.points.length - 1]?.step ?? 0));
    const domain = [0, data.zoomed ? Math.max(lastStep, 1) : Math.max(data.iterations, lastStep, 1)];
    x = scaleLinear().domain(domain).range([LOSS_MARGIN.left, width - LOSS_MARGIN.right]);
    const highest = valueExtent(data.series, lossValue)?.[1] ?? 1;
    y = scaleLinear()
      .domain([0, highest > 0 ? highest * 1.05 : 1])
      .nice()
      .range([LOSS_HEIGHT - LOSS_MARGIN.bottom, LOSS_MARGIN.top]);
    layoutFrame(lossFrame, width, LOSS_HEIGHT, LOSS_MARGIN, x, y, (v) => `${v}`);
    drawCurves(lossFrame.plot, data.series, x, y, lossValue, innerWidth, 'loss');
    lossHover.render(LOSS_MARGIN.top, LOSS_HEIGHT - LOSS_MARGIN.bottom);

    lrX = scaleLinear().domain(domain).range([LR_MARGIN.left, width - LR_MARGIN.right]);
    const [low, high] = valueExtent(data.lrSeries, lrValue, (v) => v > 0) ?? [1e-3, 1e-1];
    lrY = scaleLog()
      .domain([low / 2, high * 2])
      .range([LR_HEIGHT - LR_MARGIN.bottom, LR_MARGIN.top]);
    layoutFrame(lrFrame, width, LR_HEIGHT, LR_MARGIN, lrX, lrY, formatLr, powersOfTen(low / 2, high * 2));
    // The learning rate is a step function: drawn from its logged changes only.
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
      .attr('d', (s) => step(lrChanges(s.points)) ?? '');
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

/** The points where the learning rate changes, and the last one (a few points per run). */
function lrChanges(points: readonly CurvePoint[]): CurvePoint[] {
  const out: CurvePoint[] = [];
  for (const point of points) {
    if (!Number.isFinite(point.lr) || point.lr <= 0) continue;
    if (out.length === 0 || out[out.length - 1].lr !== point.lr) out.push(point);
  }
  const last = points[points.length - 1];
  if (last && out.length > 0 && out[out.length - 1] !== last && Number.isFinite(last.lr) && last.lr > 0) out.push(last);
  return out;
}
