// The training-curves panels: one per main run (opening it again reveals it), hosting
// dist/training.js under a strict CSP, fed the run's metrics from its folder on every "ready"
// (so closing, reopening and a window reload catch up) and live points in batches while it
// trains. The page's buttons come back here: pause/resume/stop, CSV export, overlays.
import { homedir } from 'node:os';
import * as path from 'node:path';
import * as vscode from 'vscode';
import { runState, runStateText } from '../../core/training/runState';
import { RunFolder } from '../../core/training/runFolder';
import type { MetricPoint, RunStatus } from '../../core/training/types';
import type { LogMessage } from '../../protocol/channel';
import { fromTrainingPage, FromTrainingPage, NetSteps, RunView, ToTrainingPage, TrainingPanelState } from '../../protocol/training';
import type { SaveDialog } from '../architecture/architecturePanel';
import { INSPECT_COMMAND } from '../inspector/inspectorCommands';
import { showProblem } from '../errors';
import { errorMessage, log } from '../log';
import { HostedPanel, PanelCollection, PanelHost, panelOptions } from '../panelHost';
import { RESUME_HINT } from './resumeHint';

export const TRAINING_VIEW_TYPE = 'resnetLab.training';
/** Live points are sent in batches at this interval (the page redraws at least once a second). */
const METRICS_FLUSH_MS = 250;

/** What a panel needs of the runs training in this window. */
export interface LiveRunSource {
  /** The run's view if it trains in this window (config, status, backend; metrics from its folder). */
  liveView(runId: string): RunView | undefined;
  control(runId: string, action: 'pause' | 'resume' | 'stop'): void;
}

/** What the panels need from the rest of the extension. */
export interface TrainingPanelServices {
  extensionUri: vscode.Uri;
  live: LiveRunSource;
  /** The folder of a run by id, searched in the workspace's run folders. */
  findRunFolder(runId: string): string | undefined;
  /** Continues a stopped or failed run from its checkpoints (the panel's Resume on a run not training). */
  resumeRun(folder: string): Promise<unknown>;
  /** Asks which runs to overlay (their folders), leaving out those already shown. */
  pickOverlays(shownIds: string[]): Promise<string[] | undefined>;
  saveDialog: SaveDialog;
}

/** A panel as tests see it. */
export interface TrainingPanelInfo {
  runIds: string[];
  title: string;
  visible: boolean;
  active: boolean;
  /** How many times the page said "ready" (each is answered with showRuns). */
  readyCount: number;
  /** Metric points the page accepted (showRuns and appendMetrics whose postMessage was delivered). */
  deliveredPoints: number;
  /** The highest step of the main run delivered to the page. */
  deliveredStep: number;
}

/** A past run as the page shows it: finished when its metrics reached the end, else how its last session ended. */
function pastRunView(folder: string): RunView {
  const run = RunFolder.open(folder);
  const config = run.readConfig();
  const metrics = run.readMetrics();
  const state = runState(config, metrics, run.readOutcome());
  const resume = state.finished ? '' : `. ${RESUME_HINT}`;
  // Where each net stopped: its latest checkpoint, which a resume continues from.
  const netSteps: NetSteps = {};
  for (const net of config.nets) {
    const step = run.latestCheckpoint(net.slot)?.step;
    if (step !== undefined) netSteps[net.slot] = step;
  }
  return { config, status: state.status, backend: state.outcome?.backend ?? '', statusDetail: runStateText(config, state) + resume, metrics, netSteps };
}

export class TrainingPanel implements HostedPanel {
  readonly host: PanelHost<ToTrainingPage, FromTrainingPage>;
  private readonly pending: MetricPoint[] = [];
  private flushTimer: ReturnType<typeof setTimeout> | undefined;
  /** Whether the page holds the runs (statuses before that would name a run it does not know). */
  private shown = false;
  private deliveredPoints = 0;
  private deliveredStep = 0;

  constructor(
    readonly panel: vscode.WebviewPanel,
    /** The main run first, then the overlays. */
    private runIds: string[],
    private readonly services: TrainingPanelServices,
  ) {
    this.host = new PanelHost(panel, { extensionUri: services.extensionUri, page: 'training', label: () => `training page (run ${this.mainRunId})`, contract: fromTrainingPage, handle: (message) => this.handleMessage(message) });
    this.host.onDidDispose(() => clearTimeout(this.flushTimer));
  }

  get mainRunId(): string {
    return this.runIds[0];
  }

  shows(runId: string): boolean {
    return this.runIds.includes(runId);
  }

  info(): TrainingPanelInfo {
    return {
      runIds: [...this.runIds],
      title: this.panel.title,
      visible: this.panel.visible,
      active: this.panel.active,
      readyCount: this.host.readyCount,
      deliveredPoints: this.deliveredPoints,
      deliveredStep: this.deliveredStep,
    };
  }

  async handleMessage(message: Exclude<FromTrainingPage, LogMessage>): Promise<void> {
    switch (message.type) {
      case 'ready':
        this.shown = false;
        await this.sendRuns();
        return;
      case 'control':
        log().info(`run ${message.runId}: ${message.action} (from the panel)`);
        // Resume on a run that is not training here continues it from its checkpoints.
        if (message.action === 'resume' && !this.services.live.liveView(message.runId)) {
          await this.services.resumeRun(this.folderOf(message.runId, 'resume'));
          return;
        }
        this.services.live.control(message.runId, message.action);
        return;
      case 'exportCsv':
        await this.exportCsv(message.runId);
        return;
      case 'inspect':
        // The command reports its own problems (e.g. no checkpoint yet) to the user.
        await vscode.commands.executeCommand(INSPECT_COMMAND, { runFolder: this.folderOf(message.runId, 'inspect') });
        return;
      case 'addOverlay':
        await this.addOverlay();
        return;
    }
  }

  /** The folder of a run shown here; throws naming what could not be done without it. */
  private folderOf(runId: string, what: string): string {
    const folder = this.services.findRunFolder(runId);
    if (!folder) throw new Error(`Cannot ${what} run ${runId}: its folder is not in this workspace's .resnet-lab/runs.`);
    return folder;
  }

  /** Everything shown, read afresh from the run folders (live runs with their current status). */
  async sendRuns(): Promise<void> {
    // Points waiting to be sent are in the folder already (the session appends before it tells us).
    this.pending.length = 0;
    const views: RunView[] = [];
    for (const runId of this.runIds) {
      try {
        const live = this.services.live.liveView(runId);
        if (live) {
          views.push(live);
          continue;
        }
        const folder = this.services.findRunFolder(runId);
        if (!folder) throw new Error(`no folder for run ${runId} in this workspace's .resnet-lab/runs`);
        views.push(pastRunView(folder));
      } catch (error) {
        showProblem(`Cannot show run ${runId}: ${errorMessage(error)}`);
      }
    }
    if (views.length === 0) return;
    const points = views.reduce((n, v) => n + v.metrics.length, 0);
    const mainStep = views[0].metrics.reduce((m, p) => Math.max(m, p.step), 0);
    if (await this.post({ type: 'showRuns', runs: views })) {
      this.shown = true;
      this.deliveredPoints = points;
      this.deliveredStep = mainStep;
    }
  }

  /** A live run's new points: sent in one batch every METRICS_FLUSH_MS. */
  appendLive(runId: string, points: MetricPoint[]): void {
    if (!this.shows(runId)) return;
    for (const p of points) this.pending.push(p);
    this.pendingRun = runId;
    this.flushTimer ??= setTimeout(() => void this.flush(), METRICS_FLUSH_MS);
  }

  private pendingRun = '';

  private async flush(): Promise<void> {
    this.flushTimer = undefined;
    // Before the page has its runs, points would name a run it does not know; showRuns brings them from the folder.
    if (!this.shown) this.pending.length = 0;
    if (this.host.disposed || this.pending.length === 0) return;
    const points = this.pending.splice(0);
    const delivered = await this.post({ type: 'appendMetrics', runId: this.pendingRun, points });
    // A hidden page is rebuilt when shown again and catches up from the folder on "ready".
    if (delivered) {
      this.deliveredPoints += points.length;
      if (this.pendingRun === this.mainRunId) this.deliveredStep = Math.max(this.deliveredStep, ...points.map((p) => p.step));
    }
  }

  async sendStatus(runId: string, status: RunStatus, backend: string, statusDetail: string, netSteps?: NetSteps): Promise<void> {
    if (!this.shows(runId) || !this.shown) return;
    await this.flush();
    await this.post({ type: 'runStatus', runId, status, backend, statusDetail, netSteps });
  }

  private post(message: ToTrainingPage): Promise<boolean> {
    return this.host.post(message);
  }

  async addOverlays(folders: string[]): Promise<void> {
    for (const folder of folders) {
      const id = path.basename(folder);
      if (!this.runIds.includes(id)) this.runIds.push(id);
    }
    log().info(`training panel ${this.mainRunId}: overlaying ${this.runIds.slice(1).join(', ') || 'nothing'}`);
    await this.sendRuns();
  }

  private async addOverlay(): Promise<void> {
    const folders = await this.services.pickOverlays(this.runIds);
    if (folders?.length) await this.addOverlays(folders);
  }

  private async exportCsv(runId: string): Promise<void> {
    const csv = RunFolder.open(this.folderOf(runId, 'export')).metricsCsv();
    const base = vscode.workspace.workspaceFolders?.[0]?.uri ?? vscode.Uri.file(homedir());
    const target = await this.services.saveDialog({
      title: `Export the metrics of run ${runId}`,
      defaultUri: vscode.Uri.joinPath(base, `${runId}-metrics.csv`),
      filters: { 'CSV file': ['csv'] },
      saveLabel: 'Export',
    });
    if (!target) return;
    try {
      await vscode.workspace.fs.writeFile(target, Buffer.from(csv, 'utf8'));
    } catch (error) {
      throw new Error(`Could not write ${target.fsPath}: ${errorMessage(error)}`);
    }
    const rows = csv.split('\n').length - 2;
    log().info(`run ${runId}: exported ${rows} metric rows to ${target.fsPath}`);
    void vscode.window.showInformationMessage(`ResNet Lab: saved ${rows} metric rows to ${target.fsPath}`);
  }
}

/** The open training panels, one per main run. */
export class TrainingPanels implements vscode.Disposable {
  private readonly panels = new PanelCollection<TrainingPanel>();

  constructor(private readonly services: TrainingPanelServices) {}

  /** Opens the curves of a run (with overlays), or reveals its panel and adds the overlays. */
  async show(runId: string, overlayFolders: string[] = [], title = runId): Promise<TrainingPanel> {
    const { panel, created } = this.panels.showOrCreate(runId, () => {
      const runIds = [runId, ...overlayFolders.map((f) => path.basename(f)).filter((id) => id !== runId)];
      return new TrainingPanel(vscode.window.createWebviewPanel(TRAINING_VIEW_TYPE, title, vscode.ViewColumn.Active, panelOptions(this.services.extensionUri)), runIds, this.services);
    });
    if (created) log().info(`opened the curves of run ${runId}`);
    else if (overlayFolders.length) await panel.addOverlays(overlayFolders);
    return panel;
  }

  /** Brings back a panel after a window reload, from the run ids its page saved. */
  revive(panel: vscode.WebviewPanel, savedState: unknown): void {
    const state = savedState as Partial<TrainingPanelState> | undefined;
    const runIds = Array.isArray(state?.runIds) ? state.runIds.filter((id): id is string => typeof id === 'string') : [];
    if (runIds.length === 0) throw new Error(`the panel "${panel.title}" saved no run`);
    this.panels.add(runIds[0], new TrainingPanel(panel, runIds, this.services));
    log().info(`revived the curves of run ${runIds[0]} after a reload`);
  }

  appendLive(runId: string, points: MetricPoint[]): void {
    for (const panel of this.panels.all()) panel.appendLive(runId, points);
  }

  sendStatus(runId: string, status: RunStatus, backend: string, statusDetail: string, netSteps?: NetSteps): void {
    for (const panel of this.panels.all()) void panel.sendStatus(runId, status, backend, statusDetail, netSteps);
  }

  find(runId: string): TrainingPanel | undefined {
    return this.panels.find(runId);
  }

  all(): TrainingPanel[] {
    return this.panels.all();
  }

  dispose(): void {
    this.panels.dispose();
  }
}
