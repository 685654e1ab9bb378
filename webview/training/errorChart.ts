// Training error (thin) and test error (bold) in % against iterations for every net of
// every run shown, as the paper's Fig. 6; learning-rate drops as faint vertical lines.
import { scaleLinear, select } from 'd3';
import type { ScheduleMilestone } from '../../core/training/types';
import type { Range } from './brushZoom';
import { brushZoom } from './brushZoom';
import { ChartZoom, createFrame, drawBands, drawCurves, formatIterations, Frame, HoverReadout, layoutFrame, Margin, Measure, readoutRows, Scale, stepDomain, valueExtent } from './chartParts';
import type { Series } from './curveStore';
import type { CurveView } from './curveView';

export interface ErrorChartData {
  /** What to draw (hidden series already left out). */
  view: Pick<CurveView, 'lines' | 'raw'>;
  /** Right end of the x axis: the planned iterations of the longest run. */
  iterations: number;
  /** The main run's learning-rate changes. */
  milestones: readonly ScheduleMilestone[];
  /** Fit both axes to the data instead of 0–100% over the whole run. */
  fit: boolean;
  /** Iterations and error (%) dragged with the mouse; null where not zoomed. */
  x: Range | null;
  y: Range | null;
  /** Legend names of the series' runs, for read-outs when runs are overlaid. */
  seriesLabel: (series: Series) => string;
}

export interface ErrorChart {
  readonly element: HTMLDivElement;
  update(data: ErrorChartData): void;
}

const MARGIN: Margin = { top: 16, right: 16, bottom: 40, left: 56 };
const HEIGHT = 320;

const formatPercent = (value: number): string => `${value.toFixed(value < 10 ? 2 : 1)}%`;
const errorMeasure: Measure = {
  name: 'error',
  value: (p) => p.error * 100,
  spread: (p) => (p.spread ? p.spread.error * 100 : undefined),
  format: formatPercent,
};

export function errorChart(parent: HTMLElement, zoom: ChartZoom): ErrorChart {
  const root = select(parent).append('div').attr('class', 'chart error-chart');
  const frame: Frame = createFrame(root, 'error-svg', 'iterations', 'error (%)');
  frame.svg.attr('aria-label', 'Training error (thin) and test error (bold) in percent against iterations; drag to zoom, double-click to reset');
  let x: Scale = scaleLinear();
  let y: Scale = scaleLinear();
  let current: ErrorChartData | null = null;
  const hover = new HoverReadout(frame, root, (pointerX) => (current ? readoutRows(current.view.lines, x, y, pointerX, errorMeasure, current.seriesLabel) : null));
  brushZoom(frame, () => ({ x, y }), zoom.onZoom, zoom.onReset);

  function update(data: ErrorChartData): void {
    current = data;
    const { lines, raw } = data.view;
    const width = Math.max(320, root.node()!.clientWidth);
    const innerWidth = width - MARGIN.left - MARGIN.right;
    x = scaleLinear()
      .domain(stepDomain(lines, data.iterations, data.fit, data.x))
      .range([MARGIN.left, width - MARGIN.right]);
    let domain: [number, number] = [0, 100];
    if (data.y) domain = data.y;
    else if (data.fit) {
      const [low, high] = valueExtent([...lines, ...raw], errorMeasure.value, undefined, x.domain()) ?? [0, 100];
      const pad = Math.max(0.5, (high - low) * 0.05);
      domain = [Math.max(0, low - pad), Math.min(100, high + pad)];
    }
    y = scaleLinear().domain(domain).range([HEIGHT - MARGIN.bottom, MARGIN.top]);
    layoutFrame(frame, width, HEIGHT, MARGIN, x, y);
    root.attr('data-zoomed', data.fit ? 'true' : 'false');
    root.attr('data-y-domain', y.domain().join(','));

    const drops = data.milestones.filter((m) => m.step > x.domain()[0] && m.step <= x.domain()[1]);
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
          .select<SVGTextElement>('text')
          .attr('y', MARGIN.top + 10)
          .text((m) => `lr ${m.lr}`)
          // Right of its line, or left of it where the plot ends first (a zoom ending at a drop).
          .each(function (m) {
            const left = this.getComputedTextLength() + 3 > width - MARGIN.right - x(m.step);
            select(this).attr('x', x(m.step) + (left ? -3 : 3)).attr('text-anchor', left ? 'end' : 'start');
          }),
      )
      .call((g) => g.select('title').text((m) => `learning rate ${m.lr} from iteration ${formatIterations(m.step)}`));

    drawBands(frame.bandLayer, lines, x, y, errorMeasure, 'error');
    drawCurves(frame.rawLayer, raw, x, y, errorMeasure.value, innerWidth, 'error', 'series-raw');
    drawCurves(frame.plot, lines, x, y, errorMeasure.value, innerWidth, 'error');
    hover.render(MARGIN.top, HEIGHT - MARGIN.bottom);
  }

  return { element: root.node()!, update };
}
