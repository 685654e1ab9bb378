// A training run in progress: one worker thread (TF.js) or one Python process (PyTorch) per
// net, so a comparison uses both cores; metrics appended to the run folder as they come,
// pause/resume/stop, and one status.
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { BackendSetting } from '../engine/backend';
import { JobError } from '../pytorch/job';
import { startPythonNet } from '../pytorch/netProcess';
import type { MixedPrecision, PythonRequest } from '../pytorch/python';
import { chooseEngine, EngineChoice } from './engineChoice';
import { NetChannel, startWorkerNet, workerErrand } from './netChannel';
import { netStepsText, runProgress } from './progress';
import { RunFolder } from './runFolder';
import type { MetricPoint, NetPlan, RunConfig, RunOutcome, RunStatus } from './types';
import type { FromWorkerMessage, NetControlMessage, StartNetMessage } from './workerProtocol';

export interface SessionListener {
  onMetrics?(points: MetricPoint[]): void;
  onStatus?(status: RunStatus, detail: string): void;
  onBackend?(title: string): void;
  onData?(description: string): void;
  onCheckpoint?(slot: NetPlan['slot'], step: number): void;
  /** Something went wrong that does not stop the run (it is told, never swallowed). */
  onWarning?(message: string): void;
}

type NetState = 'starting' | 'running' | 'paused' | 'finished' | 'stopped' | 'failed';

interface NetWorker {
  slot: NetPlan['slot'];
  channel: NetChannel;
  state: NetState;
  step: number;
  error: string;
  exited: boolean;
}

/** The bundled worker sits beside the bundle (dist/trainWorker.js); compiled tests use out/…/worker.js. */
function defaultWorkerPath(): string {
  const bundled = path.join(__dirname, 'trainWorker.js');
  return fs.existsSync(bundled) ? bundled : path.join(__dirname, 'worker.js');
}

export interface SessionOptions {
  workerPath?: string;
  /** The engine setting for this session; default: the run's config.backend (Resume may change engine). */
  backend?: BackendSetting;
  /** For PyTorch: which Python and device, and the names of those knobs in messages. */
  python?: PythonRequest;
  /** For PyTorch on a GPU: bf16 or fp16 autocast (default off: fp32, as the paper). */
  amp?: MixedPrecision;
  /** Lines the PyTorch process prints on stderr (the extension's log). */
  onEngineLog?: (slot: NetPlan['slot'], line: string) => void;
  /** Passed to each worker's backend choice (BackendOptions.nodeModulePaths). */
  nodeModulePaths?: string[];
  /** Train at a lower thread priority (StartNetMessage.lowPriority): the extension host sets it. */
  lowPriority?: boolean;
}

export class TrainingSession {
  status: RunStatus = 'starting';
  statusDetail = '';
  backend = '';
  dataDescription = '';
  /** Resolves with the final status once every worker has ended. */
  readonly finished: Promise<RunStatus>;
  private readonly nets: NetWorker[] = [];
  private readonly listeners = new Set<SessionListener>();
  private resolveFinished!: (status: RunStatus) => void;
  private stopRequested = false;

  private constructor(readonly run: RunFolder, readonly config: RunConfig, readonly engine: EngineChoice, resume: boolean, options: SessionOptions, jobFolder: string | null) {
    this.finished = new Promise((resolve) => (this.resolveFinished = resolve));
    run.clearOutcome();
    const workerPath = options.workerPath ?? defaultWorkerPath();
    // The nets of a comparison share the CPU's cores (PyTorch on the CPU; TF.js splits its own).
    const threads = Math.max(1, Math.floor(os.cpus().length / config.nets.length));
    const netsTraining = new SharedArrayBuffer(4);
    new Int32Array(netsTraining)[0] = config.nets.length;
    for (const net of config.nets) {
      const state = { slot: net.slot, state: 'starting', step: 0, error: '', exited: false } as NetWorker;
      this.nets.push(state);
      const handlers = {
        message: (message: FromWorkerMessage) => this.onWorkerMessage(state, message),
        failed: (reason: string) => this.onWorkerFailed(state, reason),
        exited: () => {
          state.exited = true;
          if (this.nets.every((n) => n.exited)) {
            if (jobFolder) fs.rmSync(jobFolder, { recursive: true, force: true });
            this.resolveFinished(this.status);
          }
        },
        log: options.onEngineLog && ((line: string) => options.onEngineLog!(net.slot, line)),
      };
      if (engine.engine === 'pytorch') {
        state.channel = startPythonNet({ runtime: engine.runtime, jobFolder: jobFolder!, runFolder: run.folder, slot: net.slot, threads, amp: engine.amp, lowPriority: options.lowPriority }, handlers);
      } else {
        const start: StartNetMessage = { type: 'start', config, slot: net.slot, runFolder: run.folder, backend: engine.backend, resume, nodeModulePaths: options.nodeModulePaths, lowPriority: options.lowPriority, netsTraining };
        state.channel = startWorkerNet(workerPath, start, handlers);
      }
    }
  }

  /**
   * Chooses the engine (a PyTorch engine that cannot run throws its PythonError here, before
   * anything is written), creates the run folder under runsRoot and starts training every net.
   */
  static async start(config: RunConfig, runsRoot: string, options: SessionOptions = {}): Promise<TrainingSession> {
    const engine = await TrainingSession.engineFor(config, options);
    const jobFolder = await TrainingSession.prepareJob(config, engine, options.workerPath ?? defaultWorkerPath());
    let run: RunFolder;
    try {
      run = RunFolder.create(runsRoot, config);
    } catch (error) {
      if (jobFolder) fs.rmSync(jobFolder, { recursive: true, force: true });
      throw error;
    }
    return new TrainingSession(run, config, engine, false, options, jobFolder);
  }

  /** Continues a stopped or crashed run from each net's latest checkpoint, on options.backend or the run's own. */
  static async resume(runFolder: string, options: SessionOptions = {}): Promise<TrainingSession> {
    const run = RunFolder.open(runFolder);
    const config = run.readConfig();
    const engine = await TrainingSession.engineFor(config, options);
    const jobFolder = await TrainingSession.prepareJob(config, engine, options.workerPath ?? defaultWorkerPath());
    for (const net of config.nets) run.truncateMetricsAfter(run.latestCheckpoint(net.slot)?.step ?? 0, net.slot);
    return new TrainingSession(run, config, engine, true, options, jobFolder);
  }

  private static engineFor(config: RunConfig, options: SessionOptions): Promise<EngineChoice> {
    const workerPath = options.workerPath ?? defaultWorkerPath();
    return chooseEngine(options.backend ?? config.backend, { python: options.python, amp: options.amp, nodeModulePaths: options.nodeModulePaths, workerPath });
  }

  /** PyTorch trains from a job folder (core/pytorch/job.ts), written to a temporary folder here. */
  private static async prepareJob(config: RunConfig, engine: EngineChoice, workerPath: string): Promise<string | null> {
    if (engine.engine !== 'pytorch') return null;
    const folder = fs.mkdtempSync(path.join(os.tmpdir(), 'resnet-lab-job-'));
    // In a worker thread: the data and the initial weights take seconds for big runs.
    const answer = await workerErrand(workerPath, { type: 'job', config, folder });
    if (answer.type === 'failed') {
      fs.rmSync(folder, { recursive: true, force: true });
      throw new JobError(answer.message);
    }
    return folder;
  }

  get id(): string {
    return this.config.id;
  }

  /** The lowest step reached by the nets. */
  get step(): number {
    return Math.min(...this.nets.map((n) => n.step));
  }

  /** The step each net's trainer reached (a stopped net's checkpoint is at it). */
  get netSteps(): Partial<Record<NetPlan['slot'], number>> {
    return Object.fromEntries(this.nets.map((n) => [n.slot, n.step]));
  }

  addListener(listener: SessionListener): { dispose(): void } {
    this.listeners.add(listener);
    return { dispose: () => this.listeners.delete(listener) };
  }

  pause(): void {
    this.send({ type: 'pause' });
  }

  resume(): void {
    this.send({ type: 'resume' });
  }

  /** Stops after the current step; each net writes a checkpoint first. */
  stop(): Promise<RunStatus> {
    this.stopRequested = true;
    this.send({ type: 'stop' });
    // Says "stopping" at once: the nets finish their step and write a checkpoint first (seconds).
    this.updateStatus();
    return this.finished;
  }

  private send(message: NetControlMessage): void {
    for (const net of this.nets) if (isActive(net.state)) net.channel.post(message);
  }

  private emit<K extends keyof SessionListener>(name: K, ...args: Parameters<NonNullable<SessionListener[K]>>): void {
    for (const listener of this.listeners) (listener[name] as ((...a: typeof args) => void) | undefined)?.(...args);
  }

  private onWorkerMessage(net: NetWorker, message: FromWorkerMessage): void {
    switch (message.type) {
      case 'backend':
        this.backend = message.title;
        this.emit('onBackend', message.title);
        break;
      case 'data':
        this.dataDescription = message.description;
        this.emit('onData', message.description);
        break;
      case 'started':
      case 'resumed':
        net.state = 'running';
        net.step = message.step;
        break;
      case 'metrics':
        this.run.appendMetrics(message.points);
        net.step = message.points[message.points.length - 1].step;
        this.emit('onMetrics', message.points);
        break;
      case 'checkpoint':
        this.emit('onCheckpoint', net.slot, message.step);
        break;
      case 'paused':
        net.state = 'paused';
        net.step = message.step;
        break;
      case 'done':
        net.state = message.reason;
        net.step = message.step;
        break;
      case 'failed':
        net.state = 'failed';
        net.error = message.message;
        // One net failing stops the other, with its checkpoint.
        this.send({ type: 'stop' });
        break;
    }
    this.updateStatus();
  }

  /** A worker that crashed or exited while still active has failed (no-op once it has ended). */
  private onWorkerFailed(net: NetWorker, reason: string): void {
    if (isActive(net.state)) {
      net.state = 'failed';
      net.error = reason;
      this.send({ type: 'stop' });
    }
    this.updateStatus();
  }

  private recordOutcome(status: RunOutcome['status'], detail: string): void {
    try {
      this.run.writeOutcome({ status, detail, step: this.step, at: new Date().toISOString(), backend: this.backend || undefined });
    } catch (error) {
      // The run itself (metrics, checkpoints) is intact; only the past-run label is lost.
      this.emit('onWarning', `could not record how run ${this.id} ended in ${this.run.outcomeFile}: ${(error as Error).message}`);
    }
  }

  private updateStatus(): void {
    const states = this.nets.map((n) => n.state);
    const title = (slot: NetPlan['slot']) => this.config.nets.find((n) => n.slot === slot)?.title ?? slot;
    let status: RunStatus;
    let detail = '';
    const failed = this.nets.filter((n) => n.state === 'failed');
    const steps = () => netStepsText(runProgress(this.config, 'stopped', [], this.netSteps));
    if (states.some(isActive)) {
      if (this.stopRequested && !failed.length) status = 'stopping';
      else status = states.every((s) => s === 'starting') ? 'starting' : states.filter(isActive).every((s) => s === 'paused') ? 'paused' : 'running';
      if (status === 'paused') detail = `paused: ${steps()}`;
      if (status === 'stopping') detail = 'stopping: each net finishes its step and writes a checkpoint';
    } else if (failed.length) {
      status = 'failed';
      detail = failed.map((n) => `${title(n.slot)}: ${n.error}`).join('; ');
    } else if (states.every((s) => s === 'finished')) {
      status = 'finished';
      detail = `finished ${this.config.iterations.toLocaleString('en-US')} iterations`;
    } else {
      status = 'stopped';
      detail = `stopped${this.stopRequested ? ' by you' : ''}: ${steps()}; the checkpoints are kept`;
    }
    if (status !== this.status || detail !== this.statusDetail) {
      this.status = status;
      this.statusDetail = detail;
      if (status === 'finished' || status === 'stopped' || status === 'failed') this.recordOutcome(status, detail);
      this.emit('onStatus', status, detail);
    }
  }
}

function isActive(state: NetState): boolean {
  return state === 'starting' || state === 'running' || state === 'paused';
}
