// The training-curves panels: one per main run (opening it again reveals it), hosting
// dist/training.js under a strict CSP, fed the run's metrics from its folder on every "ready"
// (so closing, reopening and a window reload catch up) and live points in batches while it
// trains. The page's buttons come back here: pause/resume/stop, CSV export, overlays.
import { homedir } from 'node:os';
import * as path from 'node:path';
import * as vscode from 'vscode';
import { RunFolder } from '../core/training/runStore';
import type { MetricPoint, RunStatus } from '../core/training/types';
import { makeNonce, webviewHtml } from '../webview/html';
import type { FromTrainingWebviewMessage, RunView, ToTrainingWebviewMessage, TrainingPanelState } from '../webview/trainingProtocol';
import type { SaveDialog } from './architecturePanel';
import { INSPECT_COMMAND } from './inspector';
import { errorMessage, log } from './log';

export const TRAINING_VIEW_TYPE = 'resnetLab.training';
/** Live points are sent in batches at this interval (the page redraws at least once a second). */
export const METRICS_FLUSH_MS = 250;

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
export function pastRunView(folder: string): RunView {
  const run = RunFolder.open(folder);
  const config = run.readConfig();
  const metrics = run.readMetrics();
  const step = metrics.reduce((m, p) => Math.max(m, p.step), 0);
  const done = config.nets.every((net) => metrics.some((p) => p.slot === net.slot && p.step >= config.iterations));
  const resume = '"ResNet Lab: Resume Training" continues it from its checkpoint';
  const of = `${step.toLocaleString('en-US')} of ${config.iterations.toLocaleString('en-US')}`;
  const outcome = run.readOutcome();
  const backend = outcome?.backend ?? '';
  if (done) return { config, status: 'finished', backend, statusDetail: `finished ${config.iterations.toLocaleString('en-US')} iterations`, metrics };
  if (outcome?.status === 'failed') return { config, status: 'failed', backend, statusDetail: `failed at step ${of}: ${outcome.detail}; ${resume}`, metrics };
  return { config, status: 'stopped', backend, statusDetail: `not training: last logged step ${of}; ${resume}`, metrics };
}

export class TrainingPanel {
  private disposed = false;
  private readonly disposables: vscode.Disposable[] = [];
  private readonly pending: MetricPoint[] = [];
  private flushTimer: ReturnType<typeof setTimeout> | undefined;
  private readyCount = 0;
  /** Whether the page holds the runs (statuses before that would name a run it does not know). */
  private shown = false;
  private deliveredPoints = 0;
  private deliveredStep = 0;
  private readonly disposeEmitter = new vscode.EventEmitter<void>();
  readonly onDidDispose = this.disposeEmitter.event;

  constructor(
    readonly panel: vscode.WebviewPanel,
    /** The main run first, then the overlays. */
    private runIds: string[],
    private readonly services: TrainingPanelServices,
  ) {
    const dist = vscode.Uri.joinPath(services.extensionUri, 'dist');
    panel.webview.options = { enableScripts: true, localResourceRoots: [dist] };
    panel.webview.html = webviewHtml({
      scriptUri: panel.webview.asWebviewUri(vscode.Uri.joinPath(dist, 'training.js')).toString(),
      styleUri: panel.webview.asWebviewUri(vscode.Uri.joinPath(dist, 'training.css')).toString(),
      cspSource: panel.webview.cspSource,
      nonce: makeNonce(),
      title: panel.title,
    });
    this.disposables.push(
      panel.webview.onDidReceiveMessage((message: FromTrainingWebviewMessage) => {
        this.handleMessage(message).catch((error) => log().error(`training panel ${this.mainRunId}: handling "${message?.type}" failed: ${errorMessage(error)}`));
      }),
      panel.onDidDispose(() => this.dispose()),
    );
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
      readyCount: this.readyCount,
      deliveredPoints: this.deliveredPoints,
      deliveredStep: this.deliveredStep,
    };
  }

  reveal(): void {
    this.panel.reveal(this.panel.viewColumn);
  }

  async handleMessage(message: FromTrainingWebviewMessage): Promise<void> {
    switch (message.type) {
      case 'ready':
        this.readyCount += 1;
        this.shown = false;
        await this.sendRuns();
        return;
      case 'control':
        log().info(`run ${message.runId}: ${message.action} (from the panel)`);
        this.services.live.control(message.runId, message.action);
        return;
      case 'exportCsv':
        await this.exportCsv(message.runId);
        return;
      case 'inspect': {
        const folder = this.services.findRunFolder(message.runId);
        if (!folder) {
          void vscode.window.showErrorMessage(`ResNet Lab: cannot inspect run ${message.runId}: its folder is not in this workspace's .resnet-lab/runs.`);
          return;
        }
        // The command reports its own problems (e.g. no checkpoint yet) to the user.
        await vscode.commands.executeCommand(INSPECT_COMMAND, { runFolder: folder });
        return;
      }
      case 'addOverlay':
        await this.addOverlay();
        return;
      case 'log':
        if (message.level === 'error') log().error(`training page: ${message.message}`);
        else if (message.level === 'warn') log().warn(`training page: ${message.message}`);
        else log().info(`training page: ${message.message}`);
        return;
      default:
        log().warn(`training panel: ignored an unknown message from the page: ${JSON.stringify(message)}`);
    }
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
        const problem = `Cannot show run ${runId}: ${errorMessage(error)}`;
        log().error(problem);
        void vscode.window.showErrorMessage(`ResNet Lab: ${problem}`);
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
    if (this.disposed || this.pending.length === 0) return;
    const points = this.pending.splice(0);
    const delivered = await this.post({ type: 'appendMetrics', runId: this.pendingRun, points });
    // A hidden page is rebuilt when shown again and catches up from the folder on "ready".
    if (delivered) {
      this.deliveredPoints += points.length;
      if (this.pendingRun === this.mainRunId) this.deliveredStep = Math.max(this.deliveredStep, ...points.map((p) => p.step));
    }
  }

  async sendStatus(runId: string, status: RunStatus, backend: string, statusDetail: string): Promise<void> {
    if (!this.shows(runId) || !this.shown) return;
    await this.flush();
    await this.post({ type: 'runStatus', runId, status, backend, statusDetail });
  }

  private async post(message: ToTrainingWebviewMessage): Promise<boolean> {
    if (this.disposed) return false;
    try {
      return await this.panel.webview.postMessage(message);
    } catch {
      return false; // the panel closed while the message was on its way
    }
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
    const folder = this.services.findRunFolder(runId);
    if (!folder) {
      void vscode.window.showErrorMessage(`ResNet Lab: cannot export run ${runId}: its folder is not in this workspace's .resnet-lab/runs.`);
      return;
    }
    let csv: string;
    try {
      csv = RunFolder.open(folder).metricsCsv();
    } catch (error) {
      void vscode.window.showErrorMessage(`ResNet Lab: cannot export run ${runId}: ${errorMessage(error)}`);
      return;
    }
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
      const problem = `Could not write ${target.fsPath}: ${errorMessage(error)}`;
      log().error(problem);
      void vscode.window.showErrorMessage(`ResNet Lab: ${problem}`);
      return;
    }
    const rows = csv.split('\n').length - 2;
    log().info(`run ${runId}: exported ${rows} metric rows to ${target.fsPath}`);
    void vscode.window.showInformationMessage(`ResNet Lab: saved ${rows} metric rows to ${target.fsPath}`);
  }

  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    clearTimeout(this.flushTimer);
    this.disposeEmitter.fire();
    while (this.disposables.length) this.disposables.pop()?.dispose();
    this.panel.dispose();
    this.disposeEmitter.dispose();
  }
}

/** The open training panels, one per main run. */
export class TrainingPanels implements vscode.Disposable {
  private readonly panels = new Map<string, TrainingPanel>();

  constructor(private readonly services: TrainingPanelServices) {}

  /** Opens the curves of a run (with overlays), or reveals its panel and adds the overlays. */
  async show(runId: string, overlayFolders: string[] = [], title = runId): Promise<TrainingPanel> {
    const existing = this.panels.get(runId);
    if (existing) {
      existing.reveal();
      if (overlayFolders.length) await existing.addOverlays(overlayFolders);
      return existing;
    }
    const panel = vscode.window.createWebviewPanel(TRAINING_VIEW_TYPE, title, vscode.ViewColumn.Active, {
      enableScripts: true,
      localResourceRoots: [vscode.Uri.joinPath(this.services.extensionUri, 'dist')],
    });
    log().info(`opened the curves of run ${runId}`);
    return this.track(new TrainingPanel(panel, [runId, ...overlayFolders.map((f) => path.basename(f)).filter((id) => id !== runId)], this.services));
  }

  /** Brings back a panel after a window reload, from the run ids its page saved. */
  revive(panel: vscode.WebviewPanel, savedState: unknown): void {
    const state = savedState as Partial<TrainingPanelState> | undefined;
    const runIds = Array.isArray(state?.runIds) ? state.runIds.filter((id): id is string => typeof id === 'string') : [];
    if (runIds.length === 0) {
      log().warn(`the training panel "${panel.title}" from the last session had no saved run; closing it`);
      panel.dispose();
      return;
    }
    const duplicate = this.panels.get(runIds[0]);
    if (duplicate) {
      panel.dispose();
      duplicate.reveal();
      return;
    }
    this.track(new TrainingPanel(panel, runIds, this.services));
    log().info(`revived the curves of run ${runIds[0]} after a reload`);
  }

  private track(panel: TrainingPanel): TrainingPanel {
    const id = panel.mainRunId;
    this.panels.set(id, panel);
    panel.onDidDispose(() => {
      if (this.panels.get(id) === panel) this.panels.delete(id);
    });
    return panel;
  }

  appendLive(runId: string, points: MetricPoint[]): void {
    for (const panel of this.panels.values()) panel.appendLive(runId, points);
  }

  sendStatus(runId: string, status: RunStatus, backend: string, statusDetail: string): void {
    for (const panel of this.panels.values()) void panel.sendStatus(runId, status, backend, statusDetail);
  }

  find(runId: string): TrainingPanel | undefined {
    return this.panels.get(runId);
  }

  all(): TrainingPanel[] {
    return [...this.panels.values()];
  }

  dispose(): void {
    for (const panel of [...this.panels.values()]) panel.dispose();
  }
}
