// Training error (thin) and test error (bold) in % against iterations for every net of
// every run shown, as the paper's Fig. 6; learning-rate drops as faint vertical lines.
import { scaleLinear, select } from 'd3';
import type { ScheduleMilestone } from '../../core/training/types';
import { createFrame, drawCurves, formatIterations, Frame, HoverReadout, layoutFrame, Margin, readoutRows, Scale, valueExtent } from './chartParts';
import type { CurvePoint, Series } from './curveStore';

export interface ErrorChartData {
  /** Series to draw (hidden ones already left out). */
  series: readonly Series[];
  /** Right end of the x axis: the planned iterations of the longest run. */
  iterations: number;
  /** The main run's learning-rate changes. */
  milestones: readonly ScheduleMilestone[];
  /** Fit both axes to the data instead of 0–100% over the whole run. */
  zoomed: boolean;
  /** Legend names of the series' runs, for read-outs when runs are overlaid. */
  seriesLabel: (series: Series) => string;
}

export interface ErrorChart {
  readonly element: HTMLDivElement;
  update(data: ErrorChartData): void;
}

const MARGIN: Margin = { top: 16, right: 16, bottom: 40, left: 52 };
const HEIGHT = 320;
const errorPercent = (p: CurvePoint) => p.error * 100;

const formatPercent = (value: number): string => `${value.toFixed(value < 10 ? 2 : 1)}%`;

export function errorChart(parent: HTMLElement): ErrorChart {
  const root = select(parent).append('div').attr('class', 'chart error-chart');
  const frame: Frame = createFrame(root, 'error-svg', 'iterations', 'error (%)');
  frame.svg.attr('aria-label', 'Training error (thin) and test error (bold) in percent against iterations');
  let x: Scale = scaleLinear();
  let y: Scale = scaleLinear();
  let current: ErrorChartData | null = null;
  const hover = new HoverReadout(frame, root, (pointerX) =>
    current ? readoutRows(current.series, x, y, pointerX, errorPercent, formatPercent, current.seriesLabel) : null,
  );

  function update(data: ErrorChartData): void {
    current = data;
    const width = Math.max(320, root.node()!.clientWidth);
    const innerWidth = width - MARGIN.left - MARGIN.right;
    const lastStep = Math.max(0, ...data.series.map((s) => s.points[s.points.length - 1]?.step ?? 0));
    x = scaleLinear()
      .domain([0, data.zoomed ? Math.max(lastStep, 1) : Math.max(data.iterations, lastStep, 1)])
      .range([MARGIN.left, width - MARGIN.right]);
    if (data.zoomed) {
      const [low, high] = valueExtent(data.series, errorPercent) ?? [undefined, undefined];
      const pad = low === undefined || high === undefined ? 1 : Math.max(0.5, (high - low) * 0.05);
      y = scaleLinear()
        .domain([Math.max(0, (low ?? 0) - pad), Math.min(100, (high ?? 100) + pad)])
        .range([HEIGHT - MARGIN.bottom, MARGIN.top]);
    } else {
      y = scaleLinear().domain([0, 100]).range([HEIGHT - MARGIN.bottom, MARGIN.top]);
    }
    layoutFrame(frame, width, HEIGHT, MARGIN, x, y, (v) => `${v}`);
    root.attr('data-zoomed', data.zoomed ? 'true' : 'false');

    const drops = data.milestones.filter((m) => m.step > 0 && m.step <= x.domain()[1]);
    frame.overlayLayer
      .selectAll<SVGGElement, ScheduleMilestone>('g.milestone')
      .data(drops, (m) => String(m.step))
      .join((enter) => {
        const g = enter.append('g').attr('class', 'milestone');
        g.append('line');
        g.append('text');
        g.append('title');
        return g;
      })
      .attr('data-step', (m) => m.step)
      .call((g) => g.select('line').attr('x1', (m) => x(m.step)).attr('x2', (m) => x(m.step)).attr('y1', MARGIN.top).attr('y2', HEIGHT - MARGIN.bottom))
      .call((g) =>
        g
          .select('text')
          .attr('x', (m) => x(m.step) + 3)
          .attr('y', MARGIN.top + 10)
          .text((m) => `lr ${m.lr}`),
      )
      .call((g) => g.select('title').text((m) => `learning rate ${m.lr} from iteration ${formatIterations(m.step)}`));

    drawCurves(frame.plot, data.series, x, y, errorPercent, innerWidth, 'error');
    hover.render(MARGIN.top, HEIGHT - MARGIN.bottom);
  }

  return { element: root.node()!, update };
}
