// The run folder: .resnet-lab/runs/<run-id>/ with config.json, metrics.jsonl and atomic
// checkpoints, so nothing a user trained is lost when a run is stopped, crashes or resumes.
import { createHash, randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { runState, RunState } from './runState';
import { MetricPoint, metricPoint, NetPlan, RunConfig, RunOutcome } from './types';

export const RUNS_FOLDER = path.join('.resnet-lab', 'runs');

/** A named float tensor, as a checkpoint stores it. */
export interface NamedTensor {
  name: string;
  shape: number[];
  data: Float32Array;
}

export interface CheckpointInfo {
  slot: NetPlan['slot'];
  step: number;
  /** Where the checkpoint's folder is. */
  folder: string;
}

interface CheckpointManifest {
  version: 1;
  slot: NetPlan['slot'];
  step: number;
  tensors: Array<{ name: string; shape: number[]; offset: number; length: number }>;
  /** SHA-256 of weights.bin, checked on load. */
  sha256: string;
}

/** A problem with a run folder or its files, naming the file. */
export class RunStoreError extends Error {
  constructor(readonly file: string, problem: string) {
    super(`${file}: ${problem}`);
    this.name = 'RunStoreError';
  }
}

/** Writes a file so that readers see either the old content or the new, never half. */
export function writeFileAtomic(file: string, data: string | Uint8Array): void {
  const temp = `${file}.tmp-${process.pid}-${randomBytes(4).toString('hex')}`;
  const fd = fs.openSync(temp, 'w');
  try {
    fs.writeSync(fd, typeof data === 'string' ? Buffer.from(data) : data);
    fs.fsyncSync(fd);
  } finally {
    fs.closeSync(fd);
  }
  fs.renameSync(temp, file);
}

/** "20261123-191500-resnet20-vs-plain20" */
export function makeRunId(nets: NetPlan[], now = new Date()): string {
  const stamp = now.toISOString().replace(/[-:]/g, '').replace('T', '-').slice(0, 15);
  const names = nets.map((n) => n.title.toLowerCase().replace(/[^a-z0-9]+/g, '')).join('-vs-');
  return `${stamp}-${names}`;
}

export class RunFolder {
  readonly configFile: string;
  readonly metricsFile: string;
  readonly checkpointsFolder: string;
  readonly outcomeFile: string;

  constructor(readonly folder: string) {
    this.outcomeFile = path.join(folder, 'outcome.json');
    this.configFile = path.join(folder, 'config.json');
    this.metricsFile = path.join(folder, 'metrics.jsonl');
    this.checkpointsFolder = path.join(folder, 'checkpoints');
  }

  get id(): string {
    return path.basename(this.folder);
  }

  /** Creates the folder of a new run; refuses to overwrite an existing run. */
  static create(runsRoot: string, config: RunConfig): RunFolder {
    const run = new RunFolder(path.join(runsRoot, config.id));
    if (fs.existsSync(run.configFile)) throw new RunStoreError(run.configFile, 'a run with this id already exists');
    fs.mkdirSync(run.checkpointsFolder, { recursive: true });
    writeFileAtomic(run.configFile, JSON.stringify(config, null, 2) + '\n');
    return run;
  }

  static open(folder: string): RunFolder {
    const run = new RunFolder(folder);
    if (!fs.existsSync(run.configFile)) throw new RunStoreError(run.configFile, 'not found: this folder is not a ResNet Lab run');
    return run;
  }

  readConfig(): RunConfig {
    let parsed: unknown;
    try {
      parsed = JSON.parse(fs.readFileSync(this.configFile, 'utf8'));
    } catch (error) {
      throw new RunStoreError(this.configFile, `cannot be read as JSON (${(error as Error).message})`);
    }
    const config = parsed as RunConfig;
    if (config.version !== 1 || !Array.isArray(config.nets) || typeof config.iterations !== 'number') {
      throw new RunStoreError(this.configFile, 'is not a ResNet Lab run configuration (version 1)');
    }
    return config;
  }

  writeOutcome(outcome: RunOutcome): void {
    writeFileAtomic(this.outcomeFile, JSON.stringify(outcome, null, 2) + '\n');
  }

  /** A session is training it again: the last outcome no longer holds. */
  clearOutcome(): void {
    fs.rmSync(this.outcomeFile, { force: true });
  }

  /** How the last session ended; null when none ended (still training, or the process died). */
  readOutcome(): RunOutcome | null {
    try {
      const outcome = JSON.parse(fs.readFileSync(this.outcomeFile, 'utf8')) as RunOutcome;
      return ['finished', 'stopped', 'failed'].includes(outcome.status) && typeof outcome.detail === 'string' ? outcome : null;
    } catch {
      return null;
    }
  }

  appendMetrics(points: MetricPoint[]): void {
    if (points.length === 0) return;
    fs.appendFileSync(this.metricsFile, points.map((p) => JSON.stringify(p)).join('\n') + '\n');
  }

  /** All metric points; a torn last line (a crash mid-write) is skipped, any other bad line is an error. */
  readMetrics(): MetricPoint[] {
    if (!fs.existsSync(this.metricsFile)) return [];
    const lines = fs.readFileSync(this.metricsFile, 'utf8').split('\n');
    const points: MetricPoint[] = [];
    lines.forEach((line, i) => {
      if (!line.trim()) return;
      try {
        const point = metricPoint.safeParse(JSON.parse(line));
        if (!point.success) throw new Error(`${point.error.issues[0].path.join('.')}: ${point.error.issues[0].message}`);
        points.push(point.data);
      } catch (error) {
        // A torn last line is what a crash mid-write leaves: skipped; any other is named.
        if (i < lines.length - 2) throw new RunStoreError(this.metricsFile, `line ${i + 1} is not a metric point (${error instanceof SyntaxError ? 'not valid JSON' : (error as Error).message})`);
      }
    });
    return points;
  }

  /** Drops metric points after `step` (a resumed run repeats them from its checkpoint). */
  truncateMetricsAfter(step: number, slot: NetPlan['slot']): void {
    const kept = this.readMetrics().filter((p) => p.slot !== slot || p.step <= step);
    writeFileAtomic(this.metricsFile, kept.map((p) => JSON.stringify(p) + '\n').join(''));
  }

  metricsCsv(): string {
    const header = 'net,step,epoch,split,loss,error,lr,images_per_sec,time';
    const config = this.readConfig();
    const title = new Map(config.nets.map((n) => [n.slot, n.title]));
    const rows = this.readMetrics().map((p) =>
      [title.get(p.slot) ?? p.slot, p.step, p.epoch, p.split, p.loss, p.error, p.lr, p.imagesPerSec ?? '', new Date(p.time).toISOString()].join(','),
    );
    return [header, ...rows].join('\n') + '\n';
  }

  /** Writes a checkpoint atomically: a temp folder renamed into place, then `latest` updated. */
  writeCheckpoint(slot: NetPlan['slot'], step: number, tensors: NamedTensor[]): CheckpointInfo {
    const slotFolder = path.join(this.checkpointsFolder, slot);
    fs.mkdirSync(slotFolder, { recursive: true });
    const name = `step-${String(step).padStart(8, '0')}`;
    const final = path.join(slotFolder, name);
    const temp = path.join(slotFolder, `.${name}.tmp-${process.pid}-${randomBytes(4).toString('hex')}`);
    fs.mkdirSync(temp);
    let offset = 0;
    const entries = tensors.map((t) => {
      const entry = { name: t.name, shape: t.shape, offset, length: t.data.length };
      offset += t.data.length;
      return entry;
    });
    const all = new Float32Array(offset);
    tensors.forEach((t, i) => all.set(t.data, entries[i].offset));
    const bytes = new Uint8Array(all.buffer);
    writeFileAtomic(path.join(temp, 'weights.bin'), bytes);
    const manifest: CheckpointManifest = { version: 1, slot, step, tensors: entries, sha256: createHash('sha256').update(bytes).digest('hex') };
    writeFileAtomic(path.join(temp, 'manifest.json'), JSON.stringify(manifest) + '\n');
    fs.rmSync(final, { recursive: true, force: true });
    fs.renameSync(temp, final);
    writeFileAtomic(path.join(slotFolder, 'latest'), name + '\n');
    this.pruneCheckpoints(slotFolder, name);
    return { slot, step, folder: final };
  }

  /** Keeps the latest checkpoint and the two before it. */
  private pruneCheckpoints(slotFolder: string, latest: string): void {
    const all = fs.readdirSync(slotFolder).filter((f) => /^step-\d{8}$/.test(f)).sort();
    for (const old of all.slice(0, Math.max(0, all.length - 3))) if (old !== latest) fs.rmSync(path.join(slotFolder, old), { recursive: true, force: true });
  }

  listCheckpoints(slot: NetPlan['slot']): CheckpointInfo[] {
    const slotFolder = path.join(this.checkpointsFolder, slot);
    if (!fs.existsSync(slotFolder)) return [];
    return fs
      .readdirSync(slotFolder)
      .filter((f) => /^step-\d{8}$/.test(f))
      .sort()
      .map((f) => ({ slot, step: Number(f.slice(5)), folder: path.join(slotFolder, f) }));
  }

  latestCheckpoint(slot: NetPlan['slot']): CheckpointInfo | null {
    const pointer = path.join(this.checkpointsFolder, slot, 'latest');
    if (!fs.existsSync(pointer)) return null;
    const name = fs.readFileSync(pointer, 'utf8').trim();
    const folder = path.join(this.checkpointsFolder, slot, name);
    if (!fs.existsSync(folder)) throw new RunStoreError(pointer, `names ${name}, which does not exist`);
    return { slot, step: Number(name.slice(5)), folder };
  }

  readCheckpoint(info: CheckpointInfo): NamedTensor[] {
    const manifestFile = path.join(info.folder, 'manifest.json');
    const weightsFile = path.join(info.folder, 'weights.bin');
    if (!fs.existsSync(manifestFile)) throw new RunStoreError(manifestFile, 'missing');
    if (!fs.existsSync(weightsFile)) throw new RunStoreError(weightsFile, 'missing');
    const manifest = JSON.parse(fs.readFileSync(manifestFile, 'utf8')) as CheckpointManifest;
    const bytes = fs.readFileSync(weightsFile);
    const expectedBytes = manifest.tensors.reduce((s, t) => s + t.length, 0) * 4;
    if (bytes.length !== expectedBytes) throw new RunStoreError(weightsFile, `has ${bytes.length} bytes; the manifest says ${expectedBytes}`);
    if (createHash('sha256').update(bytes).digest('hex') !== manifest.sha256) throw new RunStoreError(weightsFile, 'checksum mismatch: the file is corrupt');
    const all = new Float32Array(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.length));
    return manifest.tensors.map((t) => ({ name: t.name, shape: t.shape, data: all.slice(t.offset, t.offset + t.length) }));
  }
}

/** A run as the lists show it: its state (runState.ts) beside its id and folder. */
export interface RunListing extends RunState {
  id: string;
  folder: string;
  config: RunConfig | null;
  /** Why the config could not be read, when it could not. */
  problem: string | null;
}

/** The runs under a runs root, newest first; broken runs are listed with their problem (and as failed). */
export function listRuns(runsRoot: string): RunListing[] {
  if (!fs.existsSync(runsRoot)) return [];
  return fs
    .readdirSync(runsRoot, { withFileTypes: true })
    .filter((d) => d.isDirectory())
    .map((d): RunListing => {
      const run = new RunFolder(path.join(runsRoot, d.name));
      try {
        const config = run.readConfig();
        return { id: d.name, folder: run.folder, config, problem: null, ...runState(config, run.readMetrics(), run.readOutcome()) };
      } catch (error) {
        return { id: d.name, folder: run.folder, config: null, problem: (error as Error).message, lastStep: 0, finished: false, status: 'failed', outcome: null };
      }
    })
    .sort((a, b) => b.id.localeCompare(a.id));
}
