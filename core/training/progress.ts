// One progress model of a run, per net, that every display derives from (the curves panel's
// header, the status bar, the notifications, the CLI's line): each net's step of its
// iterations, its latest images/s, an ETA from the pace it keeps, and the run's state,
// "stopping" included, so that no two displays can disagree.
import { formatCount, formatDuration } from '../format';
import type { MetricPoint, NetPlan, RunConfig, RunStatus } from './types';

type Slot = NetPlan['slot'];

export interface NetProgress {
  slot: Slot;
  title: string;
  /** The step this net reached (its last logged step, or the trainer's when it said so). */
  step: number;
  iterations: number;
  /** Its latest logged training speed (a training step's images over its time). */
  imagesPerSec: number | undefined;
  /** Seconds until it reaches the end at the pace it keeps (evaluations included); undefined while unmeasured or not training. */
  etaSeconds: number | undefined;
}

export interface RunProgress {
  status: RunStatus;
  nets: NetProgress[];
  iterations: number;
  /** The nets train side by side: the run ends with the slowest one. */
  etaSeconds: number | undefined;
  /** All nets' steps over all their iterations, from 0 to 1. */
  fraction: number;
}

interface Timed {
  step: number;
  time: number;
}

interface NetTrack {
  net: NetPlan;
  step: number;
  imagesPerSec: number | undefined;
  /** Recent train points' (step, time), oldest first, for the pace. */
  timed: Timed[];
}

/** Logged points the pace looks back over. */
const PACE_WINDOW = 24;
/** A gap this many times the median gap between logs is a pause or a resume, not training. */
const PAUSE_FACTOR = 10;

/** Steps per second over the recent logs, leaving out pauses and the gap before a resume. */
export function paceOf(timed: readonly Timed[]): number | undefined {
  const gaps: { steps: number; ms: number }[] = [];
  for (let i = 1; i < timed.length; i++) {
    const steps = timed[i].step - timed[i - 1].step;
    const ms = timed[i].time - timed[i - 1].time;
    if (steps > 0 && ms >= 0) gaps.push({ steps, ms });
  }
  if (gaps.length === 0) return undefined;
  const perStep = gaps.map((g) => g.ms / g.steps).sort((a, b) => a - b);
  const median = perStep[Math.floor(perStep.length / 2)];
  let steps = 0;
  let ms = 0;
  for (const g of gaps) {
    if (g.ms / g.steps > PAUSE_FACTOR * Math.max(median, 1)) continue;
    steps += g.steps;
    ms += g.ms;
  }
  return ms > 0 ? (1000 * steps) / ms : undefined;
}

const isTraining = (status: RunStatus) => status === 'starting' || status === 'running';

/** Follows a run from its metric points and status; progress() is the model every display reads. */
export class ProgressTracker {
  private readonly tracks: NetTrack[];
  private status: RunStatus;

  constructor(
    readonly config: RunConfig,
    status: RunStatus = 'starting',
    points: readonly MetricPoint[] = [],
  ) {
    this.status = status;
    this.tracks = config.nets.map((net) => ({ net, step: 0, imagesPerSec: undefined, timed: [] }));
    this.add(points);
  }

  add(points: readonly MetricPoint[]): void {
    for (const p of points) {
      const track = this.tracks.find((t) => t.net.slot === p.slot);
      if (!track) continue;
      track.step = Math.max(track.step, p.step);
      if (p.split !== 'train') continue;
      if (p.imagesPerSec !== undefined && Number.isFinite(p.imagesPerSec)) track.imagesPerSec = p.imagesPerSec;
      const last = track.timed[track.timed.length - 1];
      // A step logged again after a resume from an earlier checkpoint starts the pace afresh.
      if (last && p.step <= last.step) track.timed.length = 0;
      track.timed.push({ step: p.step, time: p.time });
      if (track.timed.length > PACE_WINDOW) track.timed.shift();
    }
  }

  setStatus(status: RunStatus): void {
    this.status = status;
  }

  /** The steps the trainers reached (a stopped net's checkpoint may be past its last logged step; a trainer not started yet says 0). */
  setSteps(steps: Partial<Record<Slot, number>>): void {
    for (const track of this.tracks) {
      const step = steps[track.net.slot];
      if (step !== undefined) track.step = Math.max(track.step, step);
    }
  }

  progress(): RunProgress {
    const training = isTraining(this.status);
    const { iterations } = this.config;
    const nets = this.tracks.map((t): NetProgress => {
      const pace = paceOf(t.timed);
      const left = Math.max(0, iterations - t.step);
      const etaSeconds = training && pace ? left / pace : training && left === 0 ? 0 : undefined;
      return { slot: t.net.slot, title: t.net.title, step: Math.min(t.step, iterations), iterations, imagesPerSec: t.imagesPerSec, etaSeconds };
    });
    const etas = nets.map((n) => n.etaSeconds);
    const etaSeconds = etas.every((e) => e !== undefined) ? Math.max(...(etas as number[])) : undefined;
    const fraction = nets.reduce((sum, n) => sum + n.step, 0) / Math.max(1, iterations * nets.length);
    return { status: this.status, nets, iterations, etaSeconds, fraction };
  }
}

/** The model of a past run, or of one whose points are all at hand. */
export function runProgress(config: RunConfig, status: RunStatus, points: readonly MetricPoint[], steps?: Partial<Record<Slot, number>>): RunProgress {
  const tracker = new ProgressTracker(config, status, points);
  if (steps) tracker.setSteps(steps);
  return tracker.progress();
}

// ---- the texts every display shows ------------------------------------------------------

/** "plain-20 102/200 · plain-56 34/200" */
export function netCountsText(p: RunProgress): string {
  return p.nets.map((n) => `${n.title} ${formatCount(n.step)}/${formatCount(n.iterations)}`).join(' · ');
}

/** "plain-20 412 images/s · plain-56 140 images/s", the nets measured so far; '' before any. */
export function netSpeedsText(p: RunProgress): string {
  return p.nets
    .filter((n) => n.imagesPerSec !== undefined)
    .map((n) => `${n.title} ${formatCount(n.imagesPerSec!)} images/s`)
    .join(' · ');
}

/** "about 1 min 20 s left", or '' while there is no ETA. */
export function etaText(p: RunProgress): string {
  return p.etaSeconds === undefined ? '' : `about ${formatDuration(p.etaSeconds)} left`;
}

/** "plain-20 at step 102 of 200, plain-56 at step 34 of 200" */
export function netStepsText(p: RunProgress): string {
  return p.nets.map((n) => `${n.title} at step ${formatCount(n.step)} of ${formatCount(n.iterations)}`).join(', ');
}

const STATE_WORD: Record<RunStatus, string> = {
  starting: 'Starting…',
  running: 'Training',
  paused: 'Paused',
  stopping: 'Stopping…',
  stopped: 'Stopped',
  finished: 'Finished',
  failed: 'Failed',
};

/** The run's state in one word: "Training", "Stopping…", "Stopped"… */
export function stateText(status: RunStatus): string {
  return STATE_WORD[status];
}

/**
 * One line for the status bar, the notification and the CLI:
 * "Training · plain-20 102/200 · plain-56 34/200 · about 1 min left";
 * "Stopped at step 102 of 200 (plain-20) · 34 of 200 (plain-56)" once stopped.
 */
export function progressLine(p: RunProgress): string {
  if (p.status === 'stopped' || p.status === 'failed') {
    const at = p.nets.map((n) => `${formatCount(n.step)} of ${formatCount(n.iterations)}${p.nets.length > 1 ? ` (${n.title})` : ''}`).join(' · ');
    return `${stateText(p.status)} at step ${at}`;
  }
  const eta = p.status === 'running' ? etaText(p) : '';
  return [stateText(p.status), netCountsText(p), eta].filter(Boolean).join(' · ');
}
