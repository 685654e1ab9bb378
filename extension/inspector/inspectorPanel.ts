// The block-inspector panel: one panel (opening it again reveals it) hosting dist/inspector.js
// under a strict CSP. The inspections run in a worker thread (core/inspect/worker.ts) so the
// extension host stays responsive; this file only moves their results to the page and the
// page's requests back, and, while a run trains, refreshes from its newest checkpoint. The
// lesion study and the gradient flow of the shown checkpoint run in a thread of their own
// (core/analysis/worker.ts), one at a time, cancellable.
import * as vscode from 'vscode';
import { AnalysisCancelled, RunningAnalysis } from '../../core/analysis/client';
import type { GradientFlow, LesionStudy } from '../../core/analysis/types';
import type { AnalysisKind, AnalysisRequest } from '../../core/analysis/workerProtocol';
import type { InspectorClient } from '../../core/inspect/client';
import { deepestBlocks, deepestIndexFor } from '../../core/inspect/alignment';
import { LIVE_CHECK_MS, liveRefreshDelay } from '../../core/inspect/live';
import type { NetInspection, PickerImages, RunProgress } from '../../core/inspect/types';
import type { LogMessage } from '../../protocol/channel';
import { fromInspectorPage, FromInspectorPage, InspectorSourceState, StepBlockMessage, ToInspectorPage } from '../../protocol/inspector';
import { showProblem } from '../errors';
import { errorMessage, log } from '../log';
import { HostedPanel, PanelHost } from '../panelHost';

export const INSPECTOR_VIEW_TYPE = 'resnetLab.inspector';

/** What the worker opened: the images, whether the view follows a run's latest checkpoint, and how far the run is. */
export interface OpenedInspection {
  client: InspectorClient;
  images: PickerImages;
  follows: boolean;
  progress: RunProgress;
  /** Saved in the page's state so a window reload reopens the same weights. */
  source: InspectorSourceState;
}

/** A net's current block, as the page reports it. */
export interface NetBlock {
  modelName: string;
  blockId: string;
}

/** The block to show first: one picked in the diagram (by id), or the one a revived panel was on. */
export type BlockTarget = { blockId: string } | { blockIndex: number };

/** Starts an analysis in its own thread (the backend settings are the launcher's). */
export type AnalysisLauncher = (request: Omit<AnalysisRequest, 'backend' | 'nodeModulePaths'>, onProgress: (text: string, fraction: number) => void) => RunningAnalysis;

const ANALYSIS_NAMES: Record<AnalysisKind, string> = { lesion: 'lesion study', gradients: 'gradient flow' };

/** The analyses of the panel as tests see them: the last result of each, what runs, how the last one stopped. */
export interface InspectorAnalysisInfo {
  running: AnalysisKind | null;
  lesion: LesionStudy | null;
  gradients: GradientFlow | null;
  /** The last analysis that ended without a result, and why. */
  stopped: { kind: AnalysisKind; outcome: 'cancelled' | 'failed'; message: string } | null;
}

/** The panel as tests see it. */
export interface InspectorPanelInfo {
  title: string;
  active: boolean;
  imageIndex: number;
  /** The block the page shows (as it last said), and its id. */
  blockIndex: number;
  blockId: string | null;
  /** Each net's current block (nets of different depth show different blocks). */
  netBlocks: NetBlock[];
  nets: Array<{ title: string; step: number | null; weightsSource: string }>;
  live: boolean;
  /** How many inspections were sent to the page. */
  inspectionsSent: number;
  analysis: InspectorAnalysisInfo;
}

export class InspectorPanel implements HostedPanel {
  readonly host: PanelHost<ToInspectorPage, FromInspectorPage>;
  private blockIndex = 0;
  private blockId: string | null = null;
  private netBlocks: NetBlock[] = [];
  private nets: NetInspection[] = [];
  private inspectionsSent = 0;
  private liveTimer: ReturnType<typeof setTimeout> | undefined;
  /** The steps and training state last shown (a change re-inspects). */
  private shownProgress = '';
  /** Bumped by every new source or image, so a late reply for an old one is dropped. */
  private generation = 0;
  private running: { kind: AnalysisKind; analysis: RunningAnalysis } | null = null;
  private readonly analysisInfo: InspectorAnalysisInfo = { running: null, lesion: null, gradients: null, stopped: null };

  constructor(
    readonly panel: vscode.WebviewPanel,
    private opened: OpenedInspection,
    private imageIndex: number,
    extensionUri: vscode.Uri,
    private target?: BlockTarget,
    /** Told each net's current block (the architecture diagrams of those models follow it). */
    private readonly onBlockShown?: (netBlocks: NetBlock[]) => void,
    private readonly launchAnalysis?: AnalysisLauncher,
  ) {
    this.host = new PanelHost(panel, { extensionUri, page: 'inspector', label: () => 'inspector page', contract: fromInspectorPage, handle: (message) => this.handleMessage(message) });
    this.host.onDidDispose(() => {
      clearTimeout(this.liveTimer);
      this.cancelAnalysis('the inspector panel was closed');
    });
    this.scheduleLive(LIVE_CHECK_MS);
  }

  /** A new source (another "Inspect Blocks" while the panel is open). */
  setSource(opened: OpenedInspection, imageIndex: number, target?: BlockTarget): void {
    this.cancelAnalysis('the inspector now shows other weights');
    this.opened = opened;
    this.imageIndex = imageIndex;
    this.target = target;
    this.shownProgress = '';
    this.post({ type: 'showImages', ...opened.images });
    void this.refresh();
    this.scheduleLive(LIVE_CHECK_MS);
  }

  /** Following the latest weights of a run that a live process trains now. */
  get live(): boolean {
    return this.opened.follows && this.opened.progress.training;
  }

  info(): InspectorPanelInfo {
    return {
      title: this.panel.title,
      active: this.panel.active,
      imageIndex: this.imageIndex,
      blockIndex: this.blockIndex,
      blockId: this.blockId,
      netBlocks: this.netBlocks,
      nets: this.nets.map((n) => ({ title: n.title, step: n.step, weightsSource: n.weightsSource })),
      live: this.live,
      inspectionsSent: this.inspectionsSent,
      analysis: { ...this.analysisInfo },
    };
  }

  step(action: StepBlockMessage['action']): void {
    this.post({ type: 'step', action });
  }

  handleMessage(message: Exclude<FromInspectorPage, LogMessage>): void {
    switch (message.type) {
      case 'ready':
        // A page shown again goes back to the block the extension (and its status bar) names.
        if (!this.target && this.blockId !== null) this.target = { blockIndex: this.blockIndex };
        this.post({ type: 'showImages', ...this.opened.images });
        void this.refresh();
        break;
      case 'pickImage':
        this.imageIndex = message.index;
        void this.refresh();
        break;
      case 'blockShown':
        this.blockIndex = message.blockIndex;
        this.blockId = message.blockId;
        this.netBlocks = message.netBlocks;
        this.onBlockShown?.(message.netBlocks);
        break;
      case 'runAnalysis':
        this.runAnalysis(message.kind, message.images);
        break;
      case 'cancelAnalysis':
        this.cancelAnalysis('you cancelled it');
        break;
    }
  }

  /**
   * Runs the lesion study or the gradient flow of the checkpoint shown (the step the user
   * picked, else the one the view shows now), as `resnet-lab analyze` would; progress and the
   * result go to the page. One at a time.
   */
  private runAnalysis(kind: AnalysisKind, images?: number): void {
    const name = ANALYSIS_NAMES[kind];
    const source = this.opened.source;
    const refuse = (message: string) => {
      this.analysisInfo.stopped = { kind, outcome: 'failed', message };
      this.post({ type: 'analysisStopped', kind, outcome: 'failed', message });
    };
    if (!('runFolder' in source)) return refuse(`The ${name} needs a run's trained weights and test images; this view shows untrained nets. Open a run with "ResNet Lab: Inspect Blocks".`);
    if (this.running) return refuse(`The ${ANALYSIS_NAMES[this.running.kind]} is still running; cancel it or wait for it first.`);
    if (!this.launchAnalysis) return refuse(`The ${name} cannot run here: no analysis thread is available.`);
    const shown = this.nets.map((n) => n.step).filter((s): s is number => s !== null);
    const step = source.step ?? (shown.length > 0 ? Math.max(...shown) : undefined);
    const analysis = this.launchAnalysis({ kind, runFolder: source.runFolder, step, images, threads: this.live ? 1 : undefined }, (text, fraction) => {
      if (!this.host.disposed) this.post({ type: 'analysisProgress', kind, text, fraction });
    });
    this.running = { kind, analysis };
    this.analysisInfo.running = kind;
    log().info(`Inspect Blocks: ${name} of ${source.runFolder}${step === undefined ? '' : ` at step ${step}`} started`);
    analysis.result.then(
      (result) => {
        if (result.kind === 'lesion') this.analysisInfo.lesion = result.study;
        else this.analysisInfo.gradients = result.flow;
        log().info(`Inspect Blocks: ${name} finished`);
        this.post(result.kind === 'lesion' ? { type: 'analysisResult', kind: 'lesion', lesion: result.study } : { type: 'analysisResult', kind: 'gradients', gradients: result.flow });
      },
      (error: unknown) => {
        const outcome = error instanceof AnalysisCancelled ? 'cancelled' : 'failed';
        const message = outcome === 'cancelled' ? `The ${name} was cancelled: ${errorMessage(error)}. Nothing of it is shown.` : `The ${name} failed: ${errorMessage(error)}`;
        this.analysisInfo.stopped = { kind, outcome, message };
        // With the page gone, a notification says it; else the page does.
        if (this.host.disposed) showProblem(message, [], outcome === 'failed' ? 'error' : 'warning');
        else {
          log()[outcome === 'failed' ? 'error' : 'info'](`Inspect Blocks: ${message}`);
          this.post({ type: 'analysisStopped', kind, outcome, message });
        }
      },
    ).finally(() => {
      if (this.running?.analysis !== analysis) return;
      this.running = null;
      this.analysisInfo.running = null;
    });
  }

  /** Stops the running analysis, if any; the reason is said where the result would have been. */
  private cancelAnalysis(reason: string): void {
    const running = this.running;
    this.running = null;
    this.analysisInfo.running = null;
    running?.analysis.cancel(reason);
  }

  /** Inspects the current image with the current weights (in the worker) and sends the result; errors go to the page. */
  async refresh(): Promise<void> {
    const generation = ++this.generation;
    try {
      const { image, nets } = await this.opened.client.inspect(this.imageIndex);
      if (generation !== this.generation || this.host.disposed) return;
      this.nets = nets;
      this.shownProgress = JSON.stringify({ steps: nets.map((n) => n.step), training: this.opened.progress.training });
      const blockIndex = this.targetIndex(nets);
      this.post({ type: 'showInspection', image, nets, live: this.live, blockIndex, source: this.opened.source });
      this.inspectionsSent += 1;
    } catch (error) {
      if (generation !== this.generation || this.host.disposed) return;
      const problem = errorMessage(error);
      log().error(`Inspect Blocks: ${problem}`);
      this.post({ type: 'error', message: problem });
    }
  }

  /**
   * The block asked for, as an index into the deepest net's blocks (the page's position): found
   * in the deepest net, else in another net and mapped to the deepest net's aligned block. Once:
   * later refreshes keep the block the user is on.
   */
  private targetIndex(nets: NetInspection[]): number | undefined {
    const target = this.target;
    this.target = undefined;
    if (!target) return undefined;
    const deepest = deepestBlocks(nets);
    if ('blockIndex' in target) return target.blockIndex >= 0 && target.blockIndex < deepest.length ? target.blockIndex : undefined;
    const own = deepest.findIndex((b) => b.blockId === target.blockId);
    if (own >= 0) return own;
    for (const net of nets) {
      const index = net.blocks.findIndex((b) => b.blockId === target.blockId);
      if (index >= 0) return deepestIndexFor(deepest, net.blocks, index);
    }
    log().warn(`Inspect Blocks: ${nets.map((n) => n.title).join(' and ')} have no block ${target.blockId}; showing the current one.`);
    return undefined;
  }

  /**
   * While a run's latest weights are shown, looks for a newer checkpoint every few seconds and
   * re-inspects when one has landed, waiting longer after slow refreshes (liveRefreshDelay) so
   * the training threads keep the cores.
   */
  private scheduleLive(delay: number): void {
    clearTimeout(this.liveTimer);
    this.liveTimer = undefined;
    if (this.host.disposed || !this.opened.follows) return;
    const opened = this.opened;
    this.liveTimer = setTimeout(async () => {
      let next = LIVE_CHECK_MS;
      if (this.panel.visible) {
        try {
          const progress = await opened.client.progress();
          const latest = JSON.stringify(progress);
          if (latest !== this.shownProgress && opened === this.opened) {
            opened.progress = progress;
            const began = performance.now();
            await this.refresh();
            next = liveRefreshDelay(performance.now() - began);
          }
        } catch (error) {
          log().warn(`Inspect Blocks: live refresh: ${errorMessage(error)}`);
        }
      }
      if (opened === this.opened) this.scheduleLive(next);
    }, delay);
  }

  private post(message: ToInspectorPage): void {
    if (this.host.disposed) return;
    void this.host.post(message);
  }
}
