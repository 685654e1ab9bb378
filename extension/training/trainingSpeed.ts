// Training speed as measured on this machine, kept in the extension's global state per net and
// backend setting: from the last run's logged images/s, or from a short probe (a few real
// training steps in a throw-away run folder). Time estimates for a budget come from these.
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';
import { formatDuration } from '../../core/format';
import { planRun, RunChoices } from '../../core/training/plan';
import { SessionOptions, TrainingSession } from '../../core/training/session';
import type { BackendSetting, MetricPoint, RunConfig } from '../../core/training/types';
import { shortBackendName } from './trainingStatusBar';

const KEY = 'resnetLab.trainingSpeed';

export interface SpeedRecord {
  /** Training images per second of one net (one worker thread). */
  imagesPerSec: number;
  batchSize: number;
  /** The backend that was in use, as the worker named it. */
  backend: string;
  /** ISO time of the measurement. */
  measuredAt: string;
  /** How many nets trained side by side, sharing the cores, when it was measured (absent in older records: as many as the run estimated). */
  sharing?: number;
  source: 'probe' | 'run';
}

const speedKey = (netTitle: string, backend: BackendSetting) => `${netTitle}|${backend}`;

/** The median of the later half of a net's logged speeds (the first steps include warm-up). */
function steadySpeed(points: MetricPoint[], slot: MetricPoint['slot']): number | undefined {
  const speeds = points.filter((p) => p.slot === slot && p.split === 'train' && p.imagesPerSec !== undefined).map((p) => p.imagesPerSec!);
  const later = speeds.slice(Math.floor(speeds.length / 2));
  if (later.length === 0) return undefined;
  const sorted = [...later].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)];
}

export class SpeedMemory {
  constructor(private readonly memento: vscode.Memento) {}

  get(netTitle: string, backend: BackendSetting): SpeedRecord | undefined {
    return this.all()[speedKey(netTitle, backend)];
  }

  /**
   * Records the steady speed of each net of a run (or probe) that logged some, from the steps all
   * its nets trained side by side: a net that ends gives its cores to the rest
   * (core/training/netTrainer.ts). A net that logged speeds only after its twin ended (a short
   * probe's slower net) is recorded as measured alone.
   */
  recordRun(config: RunConfig, points: MetricPoint[], backendTitle: string, source: SpeedRecord['source']): void {
    const all = this.all();
    const lastTimes = config.nets.map((net) => points.filter((p) => p.slot === net.slot && p.split === 'train').reduce((last, p) => Math.max(last, p.time), -Infinity));
    const sideBySideUntil = Math.min(...lastTimes.filter((t) => t > -Infinity));
    const sideBySide = points.filter((p) => p.time <= sideBySideUntil);
    for (const net of config.nets) {
      const together = steadySpeed(sideBySide, net.slot);
      const imagesPerSec = together ?? steadySpeed(points, net.slot);
      if (imagesPerSec === undefined) continue;
      const sharing = together === undefined ? 1 : config.nets.length;
      all[speedKey(net.title, config.backend)] = { imagesPerSec, batchSize: config.batchSize, backend: backendTitle, measuredAt: new Date().toISOString(), source, sharing };
    }
    void this.memento.update(KEY, all);
  }

  private all(): Record<string, SpeedRecord> {
    return { ...(this.memento.get<Record<string, SpeedRecord>>(KEY) ?? {}) };
  }
}

/**
 * A net's speed in a run of `nets` nets, from one measured while `sharing` nets trained: the nets
 * of a run split the cores among them (core/training/session.ts, netTrainer.ts), so a net
 * measured alone trains about half as fast beside its twin, and one measured beside a twin
 * about twice as fast alone.
 */
export function sharedSpeed(record: Pick<SpeedRecord, 'imagesPerSec' | 'sharing'>, nets: number): number {
  return (record.imagesPerSec * (record.sharing ?? nets)) / nets;
}

/**
 * How long a run will take at the measured speeds (each net's as it trains beside the others,
 * storedSpeeds). The nets train side by side on equal shares of the cores, and a net that ends
 * gives its share to the rest (core/training/netTrainer.ts), which then go faster in proportion.
 */
export function estimateSeconds(config: RunConfig, speeds: ReadonlyMap<string, number>): number {
  const evaluations = Math.ceil(config.iterations / config.evalEvery);
  // Each net's time on its share of the cores, shortest first.
  const times = config.nets
    .map((net) => {
      const speed = speeds.get(net.slot);
      if (!speed) throw new Error(`No measured speed for ${net.title}.`);
      // An evaluation is a forward pass only: about a third of a training step's work per image.
      return (config.iterations * config.batchSize) / speed + (evaluations * config.data.testSize) / (3 * speed);
    })
    .sort((a, b) => a - b);
  let elapsed = 0;
  let reached = 0; // how far (in time on a share) the nets still training have come
  for (const [ended, time] of times.entries()) {
    elapsed += ((time - reached) * (times.length - ended)) / times.length;
    reached = time;
  }
  return elapsed;
}

export function describeEstimate(seconds: number): string {
  return `about ${formatDuration(seconds)}`;
}

/** The speeds to estimate with: stored ones, or undefined for a net never measured at this setting. */
export function storedSpeeds(memory: SpeedMemory, config: RunConfig): { speeds: Map<string, number>; records: SpeedRecord[] } | undefined {
  const speeds = new Map<string, number>();
  const records: SpeedRecord[] = [];
  for (const net of config.nets) {
    const record = memory.get(net.title, config.backend);
    if (!record) return undefined;
    speeds.set(net.slot, sharedSpeed(record, config.nets.length));
    records.push(record);
  }
  return { speeds, records };
}

/** "from 412 images/s for ResNet-20 and 430 for plain-20, side by side, measured at batch 128 on WebAssembly (your last run, 24 Nov)" */
export function describeSource(config: RunConfig, records: SpeedRecord[]): string {
  const side = config.nets.length > 1 ? ' as they train side by side' : '';
  const parts = config.nets.map((net, i) => `${sharedSpeed(records[i], config.nets.length).toFixed(0)} images/s for ${net.title}${i === config.nets.length - 1 ? side : ''}`);
  const first = records[0];
  const when = new Date(first.measuredAt).toLocaleString('en-GB', { day: 'numeric', month: 'short', hour: '2-digit', minute: '2-digit' });
  const source = first.source === 'probe' ? 'a speed probe' : 'your last run';
  return `from ${parts.join(' and ')} measured at batch ${first.batchSize} on ${shortBackendName(first.backend)} (${source}, ${when})`;
}

export const PROBE_STEPS = 3;

/**
 * Measures each net's speed with PROBE_STEPS real training steps at the run's batch size, in a
 * throw-away run folder under `scratch` (deleted afterwards), on the engine a run would use
 * (`options`: the settings' Python, device and precision). Resolves undefined when cancelled.
 * An engine that cannot run (a PythonError) rejects with its own message, before anything trains.
 */
export async function probeSpeed(
  choices: RunChoices,
  scratch: string,
  options: SessionOptions,
  token: vscode.CancellationToken,
): Promise<{ points: MetricPoint[]; backend: string; config: RunConfig } | undefined> {
  const batchSize = choices.batchSize ?? 128;
  // Synthetic images of the same size cost the same to train on: no data to load for a probe.
  const config = planRun({ ...choices, data: { kind: 'synthetic', trainSize: Math.max(batchSize, 10), testSize: 10 }, iterations: PROBE_STEPS, epochs: undefined, batchSize });
  fs.mkdirSync(scratch, { recursive: true });
  const session = await TrainingSession.start({ ...config, id: `probe-${config.id}` }, scratch, { ...options, lowPriority: true });
  const points: MetricPoint[] = [];
  session.addListener({ onMetrics: (p) => points.push(...p) });
  const cancel = token.onCancellationRequested(() => void session.stop());
  try {
    const status = await session.finished;
    if (token.isCancellationRequested) return undefined;
    if (status !== 'finished') throw new Error(`The speed probe ${status}: ${session.statusDetail}`);
    return { points, backend: session.backend, config };
  } finally {
    cancel.dispose();
    fs.rmSync(path.join(scratch, `probe-${config.id}`), { recursive: true, force: true });
  }
}
