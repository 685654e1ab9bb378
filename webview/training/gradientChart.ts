// Gradient flow over training (issue 11, part 3): for each net of the main run, the gradient
// norms its trainer logged at every evaluation (core/analysis/gradientLog.ts) against depth, on
// a log scale shared by the nets, one line per evaluation coloured from early (dark) to late
// (bright): per block ‖∂L/∂x‖ of the block's input, or per conv layer ‖∂L/∂W‖. Residual beside
// plain, so a plain net's gradients vanishing or exploding toward the input show against its twin's.
import { axisBottom, axisLeft, interpolateViridis, line, scaleLinear, scaleLog, select, Selection } from 'd3';
import { formatCount } from '../../core/format';
import type { GradientLog, MetricPoint, RunConfig } from '../../core/training/types';
import type { RunView } from '../../protocol/training';

type Measure = 'blocks' | 'convs';
type Div = Selection<HTMLDivElement, unknown, null, undefined>;

/** One evaluation's logged norms. */
interface Logged {
  step: number;
  gradients: GradientLog;
}

interface NetLogs {
  slot: MetricPoint['slot'];
  title: string;
  /** In step order, one per step (a step logged again replaces the earlier). */
  logs: Logged[];
}

/** Lines drawn per net at most: the evaluations evenly thinned, the first and the last always kept. */
const MAX_LINES = 40;
const HEIGHT = 260;
const MARGIN = { top: 12, right: 14, bottom: 40, left: 60 };
/** Early evaluations dark, late ones bright (the part of viridis readable on dark and light themes). */
const colourAt = (t: number) => interpolateViridis(0.12 + 0.83 * t);

const MEASURES: Record<Measure, { label: string; axis: string; unit: string }> = {
  blocks: { label: 'per block: ‖∂L/∂x‖ at its input', axis: 'block (1 = nearest the input)', unit: 'block' },
  convs: { label: 'per conv layer: ‖∂L/∂W‖ of its kernel', axis: 'conv layer (1 = the stem)', unit: 'conv' },
};

/** "3.2e-3"; a net that diverged logs NaN or ±∞, said as such. */
export function formatNorm(value: number): string {
  if (Number.isNaN(value)) return 'not a number';
  if (!Number.isFinite(value)) return value > 0 ? '∞' : '−∞';
  return value === 0 ? '0' : value.toExponential(1).replace('e+', 'e');
}

/** Ticks of a log axis: the powers of ten inside it, with 2× and 5× when it spans less than two decades. */
function logTicks([low, high]: [number, number]): number[] {
  const ticks: number[] = [];
  const multiples = Math.log10(high / low) < 2 ? [1, 2, 5] : [1];
  for (let e = Math.floor(Math.log10(low)); e <= Math.ceil(Math.log10(high)); e++) {
    for (const m of multiples) {
      const v = m * 10 ** e;
      if (v >= low && v <= high) ticks.push(v);
    }
  }
  return ticks.length >= 2 ? ticks : [low, high];
}

/** A tick: "0.01", "200", or "1e-5" outside 0.001…10,000. */
function formatTick(value: number): string {
  return value >= 1e-3 && value < 1e4 ? String(Number(value.toPrecision(2))) : value.toExponential(0).replace('e+', 'e');
}

function insertLog(logs: Logged[], entry: Logged): void {
  const at = logs.findIndex((l) => l.step >= entry.step);
  if (at < 0) logs.push(entry);
  else if (logs[at].step === entry.step) logs[at] = entry;
  else logs.splice(at, 0, entry);
}

function thinned(logs: readonly Logged[]): Logged[] {
  if (logs.length <= MAX_LINES) return logs.slice();
  const picked = new Set<number>();
  for (let i = 0; i < MAX_LINES; i++) picked.add(Math.round((i * (logs.length - 1)) / (MAX_LINES - 1)));
  return [...picked].sort((a, b) => a - b).map((i) => logs[i]);
}

export interface GradientSection {
  readonly element: HTMLElement;
  /** The runs shown (the first is the main run, whose nets are drawn). */
  replace(runs: readonly RunView[]): void;
  append(runId: string, points: readonly MetricPoint[]): void;
  /** Draws what was received since the last call (cheap when nothing changed). */
  update(): void;
}

export function gradientSection(parent: HTMLElement): GradientSection {
  const root = select(parent).append('section').attr('class', 'gradient-section') as unknown as Div;
  const headingRow = root.append('div').attr('class', 'gradient-heading');
  headingRow.append('h2').text('Gradient flow during training');
  const toggle = headingRow.append('div').attr('class', 'gradient-measure').attr('role', 'group').attr('aria-label', 'Which gradients');
  const note = root.append('p').attr('class', 'gradient-note');
  const panels = root.append('div').attr('class', 'gradient-panels');
  const scale = root.append('div').attr('class', 'gradient-scale');

  let config: RunConfig | null = null;
  let nets: NetLogs[] = [];
  let measure: Measure = 'blocks';
  let version = 0;
  let drawn = '';

  for (const m of ['blocks', 'convs'] as const) {
    toggle
      .append('button')
      .attr('type', 'button')
      .attr('class', `measure-${m}`)
      .attr('data-measure', m)
      .text(m === 'blocks' ? '‖∂L/∂x‖ per block' : '‖∂L/∂W‖ per conv')
      .on('click', () => {
        measure = m;
        update();
      });
  }

  function add(points: readonly MetricPoint[]): void {
    for (const point of points) {
      if (!point.gradients) continue;
      const net = nets.find((n) => n.slot === point.slot);
      if (!net) continue;
      insertLog(net.logs, { step: point.step, gradients: point.gradients });
      version += 1;
    }
  }

  function replace(runs: readonly RunView[]): void {
    const main = runs[0];
    config = main?.config ?? null;
    nets = (main?.config.nets ?? []).map((n) => ({ slot: n.slot, title: n.title, logs: [] }));
    if (main) add(main.metrics);
    version += 1;
  }

  function append(runId: string, points: readonly MetricPoint[]): void {
    if (config?.id === runId) add(points);
  }

  function update(): void {
    const width = Math.max(640, panels.node()!.clientWidth || root.node()!.clientWidth || 640);
    const signature = `${version}|${measure}|${width}`;
    if (signature === drawn) return;
    drawn = signature;
    toggle.selectAll<HTMLButtonElement, unknown>('button').attr('aria-pressed', function () {
      return String(this.dataset.measure === measure);
    });
    const logged = nets.filter((n) => n.logs.length > 0);
    const count = Math.max(0, ...nets.map((n) => n.logs.length));
    root.attr('data-evaluations', count).attr('data-measure', measure);
    if (logged.length === 0) {
      note.text(
        config && nets.length
          ? 'No gradient norms logged yet: each net logs them at every evaluation (this run’s were not, if it was trained before ResNet Lab logged them).'
          : '',
      );
      panels.selectAll('*').remove();
      scale.selectAll('*').remove();
      root.attr('data-state', 'empty');
      return;
    }
    root.attr('data-state', 'drawn');
    const first = logged[0].logs[0].gradients.images;
    note.text(
      `${MEASURES[measure].label}, on the same ${first} training images at every evaluation (training-mode BatchNorm, as a step). ` +
        'A plain net’s gradients that shrink or grow on the way toward the input show against its residual twin’s.',
    );

    // One log scale for every net, over the finite positive norms.
    let low = Infinity;
    let high = -Infinity;
    for (const net of logged) {
      for (const l of net.logs) {
        for (const v of l.gradients[measure]) {
          if (Number.isFinite(v) && v > 0) {
            low = Math.min(low, v);
            high = Math.max(high, v);
          }
        }
      }
    }
    if (!(low <= high)) [low, high] = [1e-3, 1];
    if (low === high) [low, high] = [low / 2, high * 2];
    const steps = logged.flatMap((n) => n.logs.map((l) => l.step));
    const firstStep = Math.min(...steps);
    const lastStep = Math.max(...steps);
    const t = (step: number) => (lastStep > firstStep ? (step - firstStep) / (lastStep - firstStep) : 1);

    // Side by side (16px apart, as styles.css), one to a row when the page is too narrow for two.
    const panelWidth = Math.max(300, Math.floor((width - 16 * (logged.length - 1)) / logged.length) - 1);
    const y = scaleLog().domain([low / 1.15, high * 1.15]).range([HEIGHT - MARGIN.bottom, MARGIN.top]);
    const panel = panels
      .selectAll<HTMLDivElement, NetLogs>('div.gradient-net')
      .data(logged, (n) => n.slot)
      .join((enter) => {
        const div = enter.append('div').attr('class', 'gradient-net');
        div.append('h3');
        const svg = div.append('svg').attr('role', 'img');
        svg.append('g').attr('class', 'gradient-lines');
        svg.append('g').attr('class', 'axis x-axis');
        svg.append('g').attr('class', 'axis y-axis');
        svg.append('text').attr('class', 'axis-label x-label');
        svg.append('text').attr('class', 'axis-label y-label');
        div.append('p').attr('class', 'gradient-summary');
        return div;
      })
      .style('width', `${panelWidth}px`)
      .attr('data-slot', (n) => n.slot)
      .attr('data-evaluations', (n) => n.logs.length);
    panel.select('h3').text((n) => n.title);
    panel.each(function (net) {
      const div = select(this);
      const latest = net.logs[net.logs.length - 1];
      const depth = latest.gradients[measure].length;
      const x = scaleLinear().domain([1, Math.max(2, depth)]).range([MARGIN.left, panelWidth - MARGIN.right]);
      const svg = div.select<SVGSVGElement>('svg').attr('width', panelWidth).attr('height', HEIGHT).attr('viewBox', `0 0 ${panelWidth} ${HEIGHT}`);
      svg.attr('aria-label', `${net.title}: ${MEASURES[measure].label} against depth, one line per evaluation (log scale)`);
      svg
        .select<SVGGElement>('g.x-axis')
        .attr('transform', `translate(0,${HEIGHT - MARGIN.bottom})`)
        .call(axisBottom(x).ticks(Math.min(depth, Math.max(2, Math.floor(panelWidth / 60)))).tickFormat((v) => (Number.isInteger(Number(v)) ? String(v) : '')));
      svg
        .select<SVGGElement>('g.y-axis')
        .attr('transform', `translate(${MARGIN.left},0)`)
        .call(axisLeft(y).tickValues(logTicks(y.domain() as [number, number])).tickFormat((v) => formatTick(Number(v))))
        .call((g) => g.selectAll('.tick line.gridline').remove())
        .call((g) => g.selectAll('.tick').append('line').attr('class', 'gridline').attr('x1', 0).attr('x2', panelWidth - MARGIN.left - MARGIN.right));
      svg.select('.x-label').attr('x', MARGIN.left + (panelWidth - MARGIN.left - MARGIN.right) / 2).attr('y', HEIGHT - 6).attr('text-anchor', 'middle').text(MEASURES[measure].axis);
      svg.select('.y-label').attr('transform', `translate(12,${MARGIN.top + (HEIGHT - MARGIN.top - MARGIN.bottom) / 2}) rotate(-90)`).attr('text-anchor', 'middle').text(measure === 'blocks' ? '‖∂L/∂x‖ (log)' : '‖∂L/∂W‖ (log)');
      const path = line<number>()
        .defined((v) => Number.isFinite(v) && v > 0)
        .x((_, i) => x(i + 1))
        .y((v) => y(v));
      svg
        .select('g.gradient-lines')
        .selectAll<SVGPathElement, Logged>('path.gradient-line')
        .data(thinned(net.logs), (l) => String(l.step))
        .join((enter) => {
          const p = enter.append('path').attr('class', 'gradient-line');
          p.append('title');
          return p;
        })
        .attr('d', (l) => path(l.gradients[measure]) ?? '')
        .attr('stroke', (l) => colourAt(t(l.step)))
        .attr('data-step', (l) => l.step)
        .attr('data-points', (l) => l.gradients[measure].length)
        .classed('latest', (l) => l === latest)
        .call((p) => p.select('title').text((l) => `iteration ${formatCount(l.step)}: ${MEASURES[measure].unit} 1 ${formatNorm(l.gradients[measure][0])}, ${MEASURES[measure].unit} ${l.gradients[measure].length} ${formatNorm(l.gradients[measure][l.gradients[measure].length - 1])}`));
      const values = latest.gradients[measure];
      const inputSide = values[0];
      const outputSide = values[values.length - 1];
      const ratio = inputSide / outputSide;
      div
        .select('.gradient-summary')
        .text(
          `At iteration ${formatCount(latest.step)}: ${formatNorm(inputSide)} at ${MEASURES[measure].unit} 1, ${formatNorm(outputSide)} at ${MEASURES[measure].unit} ${values.length}` +
            (Number.isFinite(ratio) && ratio > 0 ? `: ×${ratio >= 100 || ratio < 0.01 ? formatNorm(ratio) : ratio.toPrecision(2)} from ${MEASURES[measure].unit} ${values.length} down to ${MEASURES[measure].unit} 1.` : '.'),
        );
    });

    // The colour key: early → late.
    scale.selectAll('*').remove();
    scale.append('span').attr('class', 'scale-end').text(`iteration ${formatCount(firstStep)}`);
    scale
      .append('span')
      .attr('class', 'scale-bar')
      .style('background', `linear-gradient(to right, ${[0, 0.25, 0.5, 0.75, 1].map((v) => colourAt(v)).join(', ')})`);
    scale.append('span').attr('class', 'scale-end').text(`iteration ${formatCount(lastStep)}`);
    scale.append('span').attr('class', 'scale-note').text(`${count} evaluation${count === 1 ? '' : 's'}${count > MAX_LINES ? `, ${MAX_LINES} drawn` : ''}; the latest is bold`);
  }

  return { element: root.node()!, replace, append, update };
}
