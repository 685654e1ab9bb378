// The run training in this window: its TrainingSession (worker threads, so VS Code stays
// responsive), its progress per net (core/training/progress.ts) in the status bar and the
// panels, a notification when it starts, finishes, stops or fails (never one that stays up for
// the whole run), the log, and the measured speed remembered at the end.
import * as vscode from 'vscode';
import { BACKEND_ORDER } from '../../core/engine/backend';
import { describeRuntime } from '../../core/pytorch/python';
import { claimRun, otherOwner, releaseRun } from '../../core/training/runLock';
import { RunFolder } from '../../core/training/runFolder';
import { SessionOptions, TrainingSession } from '../../core/training/session';
import { progressLine, ProgressTracker } from '../../core/training/progress';
import type { MetricPoint, RunConfig, RunStatus } from '../../core/training/types';
import type { RunView } from '../../protocol/training';
import { showProblem } from '../errors';
import { errorMessage, log } from '../log';
import { RESUME_HINT } from './resumeHint';
import type { TrainingPanels } from './trainingPanel';
import type { TrainingStatusBar } from './trainingStatusBar';
import type { SpeedMemory } from './trainingSpeed';

export interface LiveRunServices {
  panels: () => TrainingPanels;
  statusBar: TrainingStatusBar;
  speeds: SpeedMemory;
  /** The engine, Python and device a run starts with, from the settings (read at each start). */
  sessionOptions: () => Promise<SessionOptions>;
  /** The workspace's state: remembers the run that was training when the window closed or reloaded. */
  workspaceState: vscode.Memento;
}

const LIVE_RUN_KEY = 'resnetLab.liveRunFolder';

/** A live run as tests see it. */
export interface LiveRunInfo {
  runId: string;
  folder: string;
  status: RunStatus;
  statusDetail: string;
  backend: string;
  step: number;
  /** Each net's step, as the status bar and the panel show them (core/training/progress.ts). */
  netSteps: Partial<Record<'a' | 'b', number>>;
  /** The progress line the status bar shows, e.g. "Training · plain-20 102/200 · plain-56 34/200 · about 1 min left". */
  progress: string;
}

/** Which engine trains the run and why (the setting, and what `auto` skipped on the way), for the log. */
export function engineLines(session: Pick<TrainingSession, 'engine' | 'config'>): string[] {
  const { engine } = session;
  const setting = session.config.backend;
  const chosen =
    engine.engine === 'pytorch'
      ? `${describeRuntime(engine.runtime)}${engine.amp === 'off' ? '' : `, ${engine.amp} autocast`}`
      : engine.backend === 'auto'
        ? `TensorFlow.js, the first backend of ${BACKEND_ORDER.join(', ')} that loads in the training threads`
        : `TensorFlow.js, backend ${engine.backend}`;
  return [`engine ${chosen} (setting "${setting}")`, ...engine.skipped.map((why) => `auto skipped ${why}`)];
}

const title = (config: RunConfig) => config.nets.map((n) => n.title).join(' vs ');
const count = (n: number) => n.toLocaleString('en-US');
/** The session's status text as the extension shows it: core's, and for a stopped run how to resume it. */
const shownDetail = (s: TrainingSession) => (s.status === 'stopped' ? `${s.statusDetail}. ${RESUME_HINT}` : s.statusDetail);

export class LiveRun implements vscode.Disposable {
  private session: TrainingSession | undefined;
  /** The live run's progress per net (what the status bar and the notifications say). */
  private tracker: ProgressTracker | undefined;
  /** A start or resume choosing its engine (a Python probe takes seconds). */
  private starting = false;
  private closing = false;
  private readonly changed = new vscode.EventEmitter<void>();
  /** The live run started, logged metrics, changed status or ended (the Runs view follows it). */
  readonly onDidChange = this.changed.event;

  constructor(private readonly services: LiveRunServices) {}

  /** The run training now, if any. */
  get current(): TrainingSession | undefined {
    return this.session;
  }

  info(): LiveRunInfo | undefined {
    const s = this.session;
    return s && { runId: s.id, folder: s.run.folder, status: s.status, statusDetail: shownDetail(s), backend: s.backend, step: s.step, netSteps: s.netSteps, progress: this.tracker ? progressLine(this.tracker.progress()) : '' };
  }

  liveView(runId: string): RunView | undefined {
    const s = this.session;
    if (!s || s.id !== runId) return undefined;
    return { config: s.config, status: s.status, backend: s.backend, statusDetail: shownDetail(s), metrics: s.run.readMetrics(), netSteps: s.netSteps };
  }

  control(runId: string, action: 'pause' | 'resume' | 'stop'): void {
    const s = this.session;
    if (!s || s.id !== runId) {
      showProblem(`Run ${runId} is not training in this window, so it cannot ${action}.`, [], 'warning');
      return;
    }
    if (action === 'pause') s.pause();
    else if (action === 'resume') s.resume();
    else void s.stop();
  }

  /** Refuses a second run while one trains: both would share the same cores. */
  assertIdle(): void {
    if (this.session) throw new Error(`A run is already training (${title(this.session.config)}, ${this.session.id}). Stop it ("ResNet Lab: Stop Training") or wait for it to end.`);
    if (this.starting) throw new Error('A run is starting (its engine is being chosen); wait for it.');
  }

  async start(config: RunConfig, runsRoot: string): Promise<TrainingSession> {
    this.assertIdle();
    return this.follow(await this.whileStarting(TrainingSession.start(config, runsRoot, await this.options())), false);
  }

  async resume(folder: string): Promise<TrainingSession> {
    this.assertIdle();
    const owner = otherOwner(folder);
    if (owner !== undefined) throw new Error(`Run ${folder} is training in another VS Code window or process (pid ${owner}); stop it there first.`);
    return this.follow(await this.whileStarting(TrainingSession.resume(folder, await this.options())), true);
  }

  private async options(): Promise<SessionOptions> {
    return { ...(await this.services.sessionOptions()), lowPriority: true, onEngineLog: (slot, line) => log().info(`trainer of net ${slot}: ${line}`) };
  }

  private async whileStarting<T>(work: Promise<T>): Promise<T> {
    this.starting = true;
    try {
      return await work;
    } finally {
      this.starting = false;
    }
  }

  async stop(): Promise<RunStatus | undefined> {
    return this.session?.stop();
  }

  /**
   * The run that was training when this window last closed or reloaded (it was stopped with a
   * checkpoint then), or undefined. The caller resumes it, so that a reload does not end a run.
   */
  interruptedRun(): string | undefined {
    return this.services.workspaceState.get<string>(LIVE_RUN_KEY);
  }

  forgetInterruptedRun(): void {
    void this.services.workspaceState.update(LIVE_RUN_KEY, undefined);
  }

  private follow(session: TrainingSession, resumed: boolean): TrainingSession {
    this.session = session;
    claimRun(session.run.folder);
    void this.services.workspaceState.update(LIVE_RUN_KEY, session.run.folder);
    const { config } = session;
    const { statusBar } = this.services;
    const panels = this.services.panels();
    const tracker = new ProgressTracker(config, session.status, resumed ? session.run.readMetrics() : []);
    tracker.setSteps(session.netSteps);
    this.tracker = tracker;
    statusBar.start(tracker.progress());
    log().info(`run ${config.id}: ${resumed ? 'resuming' : 'starting'} ${title(config)} in ${session.run.folder}`);
    for (const line of engineLines(session)) log().info(`run ${config.id}: ${line}`);
    const said = new Set<string>();
    const once = (line: string) => {
      if (!said.has(line)) log().info(line);
      said.add(line);
    };
    // A listener that throws would cut the session's handling of a worker message short; and
    // while the window closes, the log and the UI are already gone.
    const guard =
      <A extends unknown[]>(body: (...args: A) => void) =>
      (...args: A) => {
        try {
          body(...args);
        } catch (error) {
          if (!this.closing) console.error(`ResNet Lab: run ${config.id}: ${errorMessage(error)}`);
        }
      };
    session.addListener({
      onBackend: guard((backend: string) => {
        once(`run ${config.id}: backend ${backend}`);
        statusBar.setBackend(backend);
        panels.sendStatus(config.id, session.status, session.backend, shownDetail(session), session.netSteps);
      }),
      onData: guard((description: string) => once(`run ${config.id}: data ${description}`)),
      onCheckpoint: guard((slot: string, step: number) => log().debug(`run ${config.id}: checkpoint of ${slot} at step ${step}`)),
      onWarning: guard((message: string) => log().warn(`run ${config.id}: ${message}`)),
      onMetrics: guard((points: MetricPoint[]) => {
        panels.appendLive(config.id, points);
        tracker.add(points);
        statusBar.update(tracker.progress());
        this.changed.fire();
      }),
      onStatus: guard((status: RunStatus, detail: string) => {
        log().info(`run ${config.id}: ${status}${detail ? ` (${detail})` : ''}`);
        tracker.setStatus(status);
        tracker.setSteps(session.netSteps);
        statusBar.update(tracker.progress());
        panels.sendStatus(config.id, status, session.backend, shownDetail(session), session.netSteps);
        this.changed.fire();
      }),
    });

    // One notification as it starts (it goes by itself); the progress lives in the status bar.
    void vscode.window.showInformationMessage(
      `ResNet Lab: ${resumed ? `resuming ${title(config)} at ${progressLine(tracker.progress()).replace(/^\S+ · /, '')}` : `training ${title(config)}, ${count(config.iterations)} iterations`}. The status bar shows each net's progress; "ResNet Lab: Stop Training" stops it with a checkpoint.`,
    );

    void session.finished.then((status) => this.ended(session, status));
    this.changed.fire();
    return session;
  }

  private ended(session: TrainingSession, status: RunStatus): void {
    if (this.session === session) this.session = undefined;
    releaseRun(session.run.folder);
    this.changed.fire();
    // Stopped because the window closes: keep it remembered, so the next activation resumes it.
    if (this.closing) return;
    this.forgetInterruptedRun();
    this.services.statusBar.hide();
    const { config } = session;
    try {
      this.services.speeds.recordRun(config, RunFolder.open(session.run.folder).readMetrics(), session.backend, 'run');
    } catch (error) {
      log().warn(`run ${config.id}: could not remember its speed: ${(error as Error).message}`);
    }
    const where = session.run.folder;
    const tracker = new ProgressTracker(config, status);
    tracker.setSteps(session.netSteps);
    const line = progressLine(tracker.progress());
    if (status === 'finished') {
      void vscode.window.showInformationMessage(`ResNet Lab: ${title(config)} finished ${count(config.iterations)} iterations. The run is in ${where}.`);
    } else if (status === 'stopped') {
      void vscode.window.showInformationMessage(`ResNet Lab: ${title(config)}: ${line}. The checkpoints are kept in ${where}. ${RESUME_HINT}.`);
    } else {
      showProblem(`${title(config)} failed: ${session.statusDetail}. The checkpoints are kept in ${where}. ${RESUME_HINT}.`);
    }
  }

  /** The window closes or reloads: stop after the current step, writing a checkpoint, so nothing trained is lost. */
  async close(): Promise<void> {
    if (!this.session) return;
    this.closing = true;
    log().info(`run ${this.session.id}: the window is closing; stopping with a checkpoint (it resumes when ResNet Lab next starts in this workspace)`);
    await this.session.stop();
  }

  dispose(): void {
    this.changed.dispose();
    void this.close();
  }
}
