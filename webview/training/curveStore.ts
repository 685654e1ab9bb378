// The runs the page shows, kept as one sorted series per run × net × split so that appending
// a point and redrawing a curve never re-scans all metrics.
import type { MetricPoint, NetPlan, RunConfig, RunStatus } from '../../core/training/types';
import type { RunStatusMessage, RunView } from '../../protocol/training';
import { runNetColorIndex } from '../netPalette';

export type Split = MetricPoint['split'];
export type Slot = NetPlan['slot'];

/** What a curve needs of one logged point. */
export interface CurvePoint {
  step: number;
  error: number;
  loss: number;
  lr: number;
  /** On a smoothed curve: the point as logged. */
  raw?: CurvePoint;
  /** On a seed band's mean curve: the standard deviation across the runs, and how many runs logged this step. */
  spread?: { error: number; loss: number; runs: number };
}

export interface Series {
  /** Stable across redraws: `${runId}/${slot}/${split}`. */
  key: string;
  runId: string;
  runIndex: number;
  slot: Slot;
  split: Split;
  netTitle: string;
  /** Index into the pages' palette (webview/netPalette.ts): one colour per net, by its role and slot. */
  colorIndex: number;
  points: CurvePoint[];
  /** Bumped on every change to points, so a chart can keep a curve it has already drawn. */
  version: number;
  /** A seed band's mean curve: the seeds of the runs it averages. */
  seeds?: number[];
}

export interface RunEntry {
  config: RunConfig;
  status: RunStatus;
  backend: string;
  statusDetail: string;
  /** One per net × split, in the order of config.nets, train before test. */
  series: Series[];
  /** The latest training speed of each net (images/s), from its last train point that had one. */
  imagesPerSec: Map<Slot, number>;
  pointCount: number;
}

const SPLITS: readonly Split[] = ['train', 'test'];

function seriesKey(runId: string, slot: Slot, split: Split): string {
  return `${runId}/${slot}/${split}`;
}

function emptyRun(view: RunView, runIndex: number): RunEntry {
  const series: Series[] = [];
  view.config.nets.forEach((net) => {
    for (const split of SPLITS) {
      series.push({
        key: seriesKey(view.config.id, net.slot, split),
        runId: view.config.id,
        runIndex,
        slot: net.slot,
        split,
        netTitle: net.title,
        colorIndex: runNetColorIndex(net, runIndex),
        points: [],
        version: 0,
      });
    }
  });
  return { config: view.config, status: view.status, backend: view.backend, statusDetail: view.statusDetail, series, imagesPerSec: new Map(), pointCount: 0 };
}

/** A diverged reading: NaN, or null where it came through JSON (which has no NaN). */
const reading = (value: number | null): number => (typeof value === 'number' ? value : Number.NaN);

/** Inserts in step order; points normally arrive in order, so this is a push. */
function insertSorted(points: CurvePoint[], point: CurvePoint): void {
  const last = points[points.length - 1];
  if (!last || last.step < point.step) {
    points.push(point);
    return;
  }
  let low = 0;
  let high = points.length;
  while (low < high) {
    const mid = (low + high) >> 1;
    if (points[mid].step < point.step) low = mid + 1;
    else high = mid;
  }
  // A step logged again (e.g. after a resume from a checkpoint) replaces the earlier value.
  if (points[low]?.step === point.step) points[low] = point;
  else points.splice(low, 0, point);
}

export class CurveStore {
  runs: RunEntry[] = [];

  /** Replaces everything shown; the first run is the live or main one. */
  replace(views: RunView[]): void {
    this.runs = views.map((view, index) => {
      const run = emptyRun(view, index);
      this.addPoints(run, view.metrics);
      return run;
    });
  }

  get main(): RunEntry | undefined {
    return this.runs[0];
  }

  find(runId: string): RunEntry | undefined {
    return this.runs.find((run) => run.config.id === runId);
  }

  /** Appends points to a run; returns the points that name a net the run does not have. */
  append(runId: string, points: MetricPoint[]): { run: RunEntry | undefined; unknownSlots: string[] } {
    const run = this.find(runId);
    if (!run) return { run, unknownSlots: [] };
    return { run, unknownSlots: this.addPoints(run, points) };
  }

  setStatus(message: RunStatusMessage): RunEntry | undefined {
    const run = this.find(message.runId);
    if (!run) return undefined;
    run.status = message.status;
    run.backend = message.backend;
    run.statusDetail = message.statusDetail;
    return run;
  }

  allSeries(): Series[] {
    return this.runs.flatMap((run) => run.series);
  }

  private addPoints(run: RunEntry, points: MetricPoint[]): string[] {
    const unknown: string[] = [];
    for (const point of points) {
      const series = run.series.find((s) => s.slot === point.slot && s.split === point.split);
      if (!series) {
        unknown.push(point.slot);
        continue;
      }
      insertSorted(series.points, { step: point.step, error: reading(point.error), loss: reading(point.loss), lr: reading(point.lr) });
      series.version += 1;
      if (point.split === 'train' && point.imagesPerSec !== undefined) run.imagesPerSec.set(point.slot, point.imagesPerSec);
      run.pointCount += 1;
    }
    return unknown;
  }
}

/** The last step any net of the run has logged (0 before the first point). */
export function lastStep(run: RunEntry): number {
  let step = 0;
  for (const series of run.series) {
    const last = series.points[series.points.length - 1];
    if (last && last.step > step) step = last.step;
  }
  return step;
}

/** "ResNet-20 vs plain-20", or the single net's title. */
export function runTitle(config: RunConfig): string {
  return config.nets.map((net) => net.title).join(' vs ');
}

/** The run's short name in legends: its title and its id, to tell overlaid runs apart. */
export function runLabel(config: RunConfig): string {
  return `${runTitle(config)} (${config.id})`;
}
