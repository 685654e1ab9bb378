// `resnet-lab train` and `resnet-lab runs`: headless training with a terminal progress line,
// writing the same run folders the extension writes.
import * as os from 'node:os';
import * as path from 'node:path';
import { parseArgs } from 'node:util';
import { CIFAR10_URL, ensureCifar10 } from '../data/download';
import { parseBackendSetting } from '../engine/backend';
import { describePlan, planRun, RunChoices } from '../training/plan';
import { claimRun, lockRun, otherOwner, releaseRun } from '../training/runLock';
import { listRuns, RunFolder, RUNS_FOLDER } from '../training/runFolder';
import { exportRun, TRAINER_FILE } from '../pytorch/export';
import { CLI_PYTHON_REQUEST } from '../training/engineChoice';
import { SessionOptions, TrainingSession } from '../training/session';
import { netSpeedsText, progressLine, ProgressTracker } from '../training/progress';
import { describeRuntime, MIXED_PRECISION_SETTINGS, MixedPrecision, TORCH_DEVICE_SETTINGS, TorchDeviceSetting } from '../pytorch/python';
import type { MetricPoint, RunConfig } from '../training/types';
import { ModelRequest } from '../spec';
import { UsageError } from './usageError';

export interface CommandIo {
  out: (text: string) => void;
  err: (text: string) => void;
  /** A transient status line (a terminal's \r line); undefined prints nothing. */
  progress?: (text: string) => void;
}

/** Where downloaded CIFAR-10 is cached: outside any workspace. */
export function defaultDataCache(): string {
  const base = process.env.XDG_CACHE_HOME || path.join(os.homedir(), '.cache');
  return path.join(base, 'resnet-lab', 'cifar-10');
}

const count = (n: number) => n.toLocaleString('en-US');
const percent = (e: number | undefined) => (e === undefined ? '  -  ' : `${(e * 100).toFixed(1).padStart(5)}%`);

/** Turns --data into a DataPlan location, downloading or unpacking CIFAR-10 when asked. */
export async function resolveData(data: string, downloadUrl: string | undefined, cache: string, io: CommandIo): Promise<RunChoices['data']> {
  if (data === 'synthetic') return { kind: 'synthetic' };
  const source = data === 'cifar10' ? (downloadUrl ?? CIFAR10_URL) : path.resolve(data);
  if (data === 'cifar10') io.err(`CIFAR-10: using the cache ${cache} (downloading ${source} if it is not there yet)`);
  let lastShown = 0;
  const folder = await ensureCifar10({
    cacheDir: cache,
    source,
    onProgress: (p) => {
      const now = Date.now();
      if (now - lastShown < 200) return;
      lastShown = now;
      const total = p.total ? ` of ${(p.total / 2 ** 20).toFixed(0)} MiB` : '';
      io.progress?.(`${p.phase}: ${(p.received / 2 ** 20).toFixed(0)} MiB${total}`);
    },
  });
  io.progress?.('');
  return { kind: 'cifar10', location: folder };
}

/** The terminal's line: a bar, the run's progress per net (core/training/progress.ts, as the extension shows it), each net's errors and speed. */
export function terminalLine(tracker: ProgressTracker, latest: Map<string, { train?: MetricPoint; test?: MetricPoint }>): string {
  const progress = tracker.progress();
  const errors = tracker.config.nets.map((net) => {
    const m = latest.get(net.slot) ?? {};
    return `${net.title}: train ${percent(m.train?.error)} test ${percent(m.test?.error)}`;
  });
  const width = 20;
  const done = Math.round(progress.fraction * width);
  const speeds = netSpeedsText(progress);
  return `[${'#'.repeat(done)}${'.'.repeat(width - done)}] ${progressLine(progress)}  ${errors.join('  ')}${speeds ? `  ${speeds}` : ''}`;
}

/** Runs a session to its end, printing progress; Ctrl-C stops it with a checkpoint. The caller holds the run's lock. */
async function follow(session: TrainingSession, io: CommandIo): Promise<number> {
  const { config } = session;
  const latest = new Map<string, { train?: MetricPoint; test?: MetricPoint }>();
  const tracker = new ProgressTracker(config, session.status);
  tracker.setSteps(session.netSteps);
  const said = new Set<string>();
  const once = (line: string) => {
    if (!said.has(line)) io.err(line);
    said.add(line);
  };
  // Off a terminal (a log, CI) a plain line every 10 s instead of a self-rewriting one.
  let lastLine = 0;
  const showProgress =
    io.progress ??
    ((text: string) => {
      if (text && Date.now() - lastLine >= 10_000) {
        lastLine = Date.now();
        io.err(text);
      }
    });
  session.addListener({
    // Each net's worker reports these; say each once.
    onBackend: (title) => once(`Backend: ${title}`),
    onData: (description) => once(`Data: ${description}`),
    onWarning: (message) => io.err(`Warning: ${message}`),
    onMetrics: (points) => {
      for (const p of points) latest.set(p.slot, { ...latest.get(p.slot), [p.split]: p });
      tracker.add(points);
      showProgress(terminalLine(tracker, latest));
    },
    onStatus: (status) => {
      tracker.setStatus(status);
      tracker.setSteps(session.netSteps);
      if (status === 'stopping') showProgress(terminalLine(tracker, latest));
    },
  });
  const onInterrupt = () => {
    io.err('\nStopping after the current step (writing a checkpoint)…');
    void session.stop();
  };
  process.once('SIGINT', onInterrupt);
  const status = await session.finished;
  process.removeListener('SIGINT', onInterrupt);
  io.progress?.('');
  for (const net of config.nets) {
    const m = latest.get(net.slot);
    if (m) io.out(`${net.title}: step ${count(m.train?.step ?? 0)}, training error ${percent(m.train?.error).trim()}, test error ${percent(m.test?.error).trim()}`);
  }
  io.out(`Run ${status}: ${session.statusDetail}`);
  io.out(`Run folder: ${session.run.folder}`);
  if (status === 'stopped' || status === 'failed') io.out(`Resume with: resnet-lab train --resume ${session.run.folder}`);
  return status === 'finished' || status === 'stopped' ? 0 : 1;
}

/** Which engine trains, and why the ones before it in 'auto' did not. */
function sayEngine(session: TrainingSession, io: CommandIo): void {
  const { engine } = session;
  if (engine.engine === 'pytorch') io.err(`Engine: ${describeRuntime(engine.runtime)}${engine.amp === 'off' ? '' : `, ${engine.amp} autocast`}`);
  for (const reason of engine.skipped) io.err(`Skipped ${reason}`);
}

function modelRequest(name: string): ModelRequest {
  return { kind: 'named', name };
}

/** The flags that plan a run, shared by `train` and `export`. */
const PLAN_OPTIONS = {
  model: { type: 'string' },
  compare: { type: 'string' },
  data: { type: 'string', default: 'synthetic' },
  'download-url': { type: 'string' },
  cache: { type: 'string' },
  'train-size': { type: 'string' },
  'test-size': { type: 'string' },
  iterations: { type: 'string' },
  epochs: { type: 'string' },
  batch: { type: 'string' },
  seed: { type: 'string' },
  backend: { type: 'string' },
} as const;

type PlanFlags = { [K in keyof typeof PLAN_OPTIONS]?: string };

function numberFlag(values: PlanFlags, name: keyof PlanFlags): number | undefined {
  const v = values[name];
  if (v === undefined) return undefined;
  const n = Number(v);
  if (!Number.isFinite(n)) throw new UsageError(`--${name} must be a number; got "${v}".`);
  return n;
}

/** The run the flags plan (downloading CIFAR-10 when asked); `command` names the caller in messages. */
async function planFromFlags(values: PlanFlags, command: string, io: CommandIo): Promise<RunConfig> {
  if (!values.model) throw new UsageError(`${command} needs --model, e.g. resnet-lab ${command} --model resnet20 --compare plain20.`);
  const nets = [modelRequest(values.model), ...(values.compare ? [modelRequest(values.compare)] : [])];
  const data = await resolveData(values.data ?? 'synthetic', values['download-url'], values.cache ? path.resolve(values.cache) : defaultDataCache(), io);
  return planRun({
    nets,
    data: { ...data, trainSize: numberFlag(values, 'train-size'), testSize: numberFlag(values, 'test-size') },
    iterations: numberFlag(values, 'iterations'),
    epochs: numberFlag(values, 'epochs'),
    batchSize: numberFlag(values, 'batch'),
    seed: numberFlag(values, 'seed'),
    backend: values.backend === undefined ? 'auto' : parseBackendSetting(values.backend),
  });
}

export async function trainCommand(args: string[], io: CommandIo): Promise<number> {
  const { values } = parseArgs({
    args,
    allowPositionals: false,
    options: {
      ...PLAN_OPTIONS,
      python: { type: 'string' },
      device: { type: 'string', default: 'auto' },
      amp: { type: 'string', default: 'off' },
      out: { type: 'string', default: RUNS_FOLDER },
      resume: { type: 'string' },
    },
  });
  const choose = <T extends string>(name: 'device' | 'amp', allowed: readonly T[]): T => {
    const v = values[name] as string;
    if (!(allowed as readonly string[]).includes(v)) throw new UsageError(`--${name} must be one of ${allowed.join(', ')}; got "${v}".`);
    return v as T;
  };
  const options: SessionOptions = {
    backend: values.backend === undefined ? undefined : parseBackendSetting(values.backend),
    python: { ...CLI_PYTHON_REQUEST, device: choose<TorchDeviceSetting>('device', TORCH_DEVICE_SETTINGS), explicit: values.python ? { command: values.python, source: '--python' } : undefined },
    amp: choose<MixedPrecision>('amp', MIXED_PRECISION_SETTINGS),
    // What a trainer says outside the protocol (PyTorch's warnings, a malformed message) goes to stderr.
    onEngineLog: (slot, line) => io.err(`trainer of net ${slot}: ${line}`),
  };
  if (values.resume) {
    // Refused while another live process trains it (the extension, or another resnet-lab train), before anything is touched.
    const folder = RunFolder.open(path.resolve(values.resume)).folder;
    lockRun(folder);
    try {
      const session = await TrainingSession.resume(folder, options);
      io.err(`Resuming ${session.config.nets.map((n) => n.title).join(' vs ')} from its checkpoints (step ${count(session.run.latestCheckpoint('a')?.step ?? 0)}).`);
      sayEngine(session, io);
      return await follow(session, io);
    } finally {
      releaseRun(folder);
    }
  }
  const config = await planFromFlags(values, 'train', io);
  io.err(describePlan(config));
  const session = await TrainingSession.start(config, path.resolve(values.out!), options);
  claimRun(session.run.folder);
  try {
    sayEngine(session, io);
    return await follow(session, io);
  } finally {
    releaseRun(session.run.folder);
  }
}

/** `resnet-lab export`: a planned run (the flags of train) or a run folder (--run), for torchrun elsewhere. */
export async function exportCommand(args: string[], io: CommandIo): Promise<number> {
  const { values } = parseArgs({ args, allowPositionals: false, options: { ...PLAN_OPTIONS, run: { type: 'string' }, to: { type: 'string' } } });
  if (!values.to) throw new UsageError('export needs --to DIR, a new folder to write the exported run into.');
  let result;
  if (values.run) {
    const run = RunFolder.open(path.resolve(values.run));
    result = await exportRun(run.readConfig(), path.resolve(values.to), run);
  } else {
    const config = await planFromFlags(values, 'export', io);
    io.err(describePlan(config));
    result = await exportRun(config, path.resolve(values.to));
  }
  io.out(`Exported to ${result.folder}: ${TRAINER_FILE}, job.json, init/ (the initial weights), the data's files and README.md (the commands for 1 GPU, N GPUs and N machines).`);
  io.out(`The run folder will be ${result.runFolder}; copy it into a workspace's ${RUNS_FOLDER} to open it.`);
  return 0;
}

export function runsCommand(args: string[], io: CommandIo): number {
  const { values } = parseArgs({ args, options: { out: { type: 'string', default: RUNS_FOLDER } } });
  const root = path.resolve(values.out!);
  const runs = listRuns(root);
  if (runs.length === 0) {
    io.out(`No runs in ${root}. Start one with: resnet-lab train --model resnet20 --compare plain20`);
    return 0;
  }
  for (const run of runs) {
    if (!run.config) {
      io.out(`${run.id}  (unreadable: ${run.problem})`);
      continue;
    }
    const c = run.config;
    const owner = otherOwner(run.folder);
    const state = owner !== undefined ? `training (pid ${owner})` : run.status === 'failed' ? `failed: ${run.outcome?.detail}` : run.status;
    io.out(`${run.id}  ${c.nets.map((n) => n.title).join(' vs ')}  step ${count(run.lastStep)}/${count(c.iterations)}  ${c.data.description}  ${state}`);
  }
  return 0;
}
