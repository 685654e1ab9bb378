// The block-inspector panel: one panel (opening it again reveals it) hosting dist/inspector.js
// under a strict CSP. The inspections run in a worker thread (core/inspect/worker.ts) so the
// extension host stays responsive; this file only moves their results to the page and the
// page's requests back, and, while a run trains, refreshes from its newest checkpoint.
import * as vscode from 'vscode';
import type { InspectorClient } from '../../core/inspect/client';
import { LIVE_CHECK_MS, liveRefreshDelay } from '../../core/inspect/live';
import type { NetInspection, PickerImages } from '../../core/inspect/types';
import type { LogMessage } from '../../protocol/channel';
import { fromInspectorPage, FromInspectorPage, InspectorSourceState, StepBlockMessage, ToInspectorPage } from '../../protocol/inspector';
import { errorMessage, log } from '../log';
import { HostedPanel, PanelHost } from '../panelHost';

export const INSPECTOR_VIEW_TYPE = 'resnetLab.inspector';

/** What the worker opened: the images, and whether the view follows a run's latest checkpoint. */
export interface OpenedInspection {
  client: InspectorClient;
  images: PickerImages;
  follows: boolean;
  iterations: number | null;
  /** Saved in the page's state so a window reload reopens the same weights. */
  source: InspectorSourceState;
}

/** The block to show first: one picked in the diagram (by id), or the one a revived panel was on. */
export type BlockTarget = { blockId: string } | { blockIndex: number };

/** The panel as tests see it. */
export interface InspectorPanelInfo {
  title: string;
  active: boolean;
  imageIndex: number;
  /** The block the page shows (as it last said), and its id. */
  blockIndex: number;
  blockId: string | null;
  nets: Array<{ title: string; step: number | null; weightsSource: string }>;
  live: boolean;
  /** How many inspections were sent to the page. */
  inspectionsSent: number;
}

export class InspectorPanel implements HostedPanel {
  readonly host: PanelHost<ToInspectorPage, FromInspectorPage>;
  private blockIndex = 0;
  private blockId: string | null = null;
  private nets: NetInspection[] = [];
  private inspectionsSent = 0;
  private liveTimer: ReturnType<typeof setTimeout> | undefined;
  private shownSteps = '';
  /** Bumped by every new source or image, so a late reply for an old one is dropped. */
  private generation = 0;

  constructor(
    readonly panel: vscode.WebviewPanel,
    private opened: OpenedInspection,
    private imageIndex: number,
    extensionUri: vscode.Uri,
    private target?: BlockTarget,
    /** Told the current block and the nets' model names (the architecture diagrams follow it). */
    private readonly onBlockShown?: (blockId: string, modelNames: string[]) => void,
  ) {
    this.host = new PanelHost(panel, { extensionUri, page: 'inspector', label: () => 'inspector page', contract: fromInspectorPage, handle: (message) => this.handleMessage(message) });
    this.host.onDidDispose(() => clearTimeout(this.liveTimer));
    this.scheduleLive(LIVE_CHECK_MS);
  }

  /** A new source (another "Inspect Blocks" while the panel is open). */
  setSource(opened: OpenedInspection, imageIndex: number, target?: BlockTarget): void {
    this.opened = opened;
    this.imageIndex = imageIndex;
    this.target = target;
    this.shownSteps = '';
    this.post({ type: 'showImages', ...opened.images });
    void this.refresh();
    this.scheduleLive(LIVE_CHECK_MS);
  }

  get live(): boolean {
    const { follows, iterations } = this.opened;
    return follows && iterations !== null && this.nets.some((n) => n.step !== null && n.step < iterations);
  }

  info(): InspectorPanelInfo {
    return {
      title: this.panel.title,
      active: this.panel.active,
      imageIndex: this.imageIndex,
      blockIndex: this.blockIndex,
      blockId: this.blockId,
      nets: this.nets.map((n) => ({ title: n.title, step: n.step, weightsSource: n.weightsSource })),
      live: this.live,
      inspectionsSent: this.inspectionsSent,
    };
  }

  step(action: StepBlockMessage['action']): void {
    this.post({ type: 'step', action });
  }

  handleMessage(message: Exclude<FromInspectorPage, LogMessage>): void {
    switch (message.type) {
      case 'ready':
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
        this.onBlockShown?.(message.blockId, this.nets.map((n) => n.modelName));
        break;
    }
  }

  /** Inspects the current image with the current weights (in the worker) and sends the result; errors go to the page. */
  async refresh(): Promise<void> {
    const generation = ++this.generation;
    try {
      const { image, nets } = await this.opened.client.inspect(this.imageIndex);
      if (generation !== this.generation || this.host.disposed) return;
      this.nets = nets;
      this.shownSteps = JSON.stringify(nets.map((n) => n.step));
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

  /** The index of the block asked for (once: later refreshes keep the block the user is on). */
  private targetIndex(nets: NetInspection[]): number | undefined {
    const target = this.target;
    this.target = undefined;
    if (!target) return undefined;
    const blocks = nets[0]?.blocks ?? [];
    const index = 'blockId' in target ? blocks.findIndex((b) => b.blockId === target.blockId) : target.blockIndex;
    if (index < 0 || index >= blocks.length) {
      log().warn(`Inspect Blocks: ${nets[0]?.title ?? 'the net'} has no block ${'blockId' in target ? target.blockId : `#${target.blockIndex}`}; showing the current one.`);
      return undefined;
    }
    return index;
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
          const latest = JSON.stringify(await opened.client.latestSteps());
          if (latest !== this.shownSteps && opened === this.opened) {
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
    void this.host.post(message);
  }
}
