// The status bar item of a run training in this window: the backend in use and the current
// training speed (images per second, both nets together); hidden when nothing trains.
import * as vscode from 'vscode';
import type { MetricPoint, RunConfig, RunStatus } from '../../core/training/types';

export const SHOW_TRAINING_COMMAND = 'resnetLab.showTraining';

/** "WebAssembly (tfjs-backend-wasm, SIMD, one thread)" → "WebAssembly". */
export function shortBackendName(title: string): string {
  const cut = title.indexOf(' (');
  return cut > 0 ? title.slice(0, cut) : title;
}

export class TrainingStatusBar implements vscode.Disposable {
  private readonly item = vscode.window.createStatusBarItem('resnetLab.training', vscode.StatusBarAlignment.Left, 49);
  private visible = false;
  private config: RunConfig | undefined;
  private backend = '';
  private status: RunStatus = 'starting';
  private step = 0;
  private readonly speeds = new Map<string, number>();

  constructor() {
    this.item.name = 'ResNet Lab: training';
    this.item.command = SHOW_TRAINING_COMMAND;
  }

  /** The text shown, or undefined while hidden. */
  get shownText(): string | undefined {
    return this.visible ? this.item.text : undefined;
  }

  start(config: RunConfig, step: number): void {
    this.config = config;
    this.backend = '';
    this.status = 'starting';
    this.step = step;
    this.speeds.clear();
    this.refresh();
  }

  setBackend(title: string): void {
    this.backend = title;
    this.refresh();
  }

  setStatus(status: RunStatus): void {
    this.status = status;
    this.refresh();
  }

  addMetrics(points: MetricPoint[]): void {
    for (const p of points) {
      if (p.split === 'train' && p.imagesPerSec !== undefined) this.speeds.set(p.slot, p.imagesPerSec);
      this.step = Math.max(this.step, p.step);
    }
    this.refresh();
  }

  hide(): void {
    this.config = undefined;
    this.item.hide();
    this.visible = false;
  }

  private refresh(): void {
    const config = this.config;
    if (!config) return;
    const backend = this.backend ? shortBackendName(this.backend) : 'choosing a backend…';
    const total = [...this.speeds.values()].reduce((a, b) => a + b, 0);
    const speed = this.speeds.size ? ` · ${Math.round(total).toLocaleString('en-US')} images/s` : '';
    const icon = this.status === 'paused' ? '$(debug-pause)' : '$(sync~spin)';
    const state = this.status === 'paused' ? ' · paused' : '';
    this.item.text = `${icon} ${backend}${speed}${state}`;
    const perNet = config.nets.map((net) => `${net.title}: ${this.speeds.has(net.slot) ? `${Math.round(this.speeds.get(net.slot)!).toLocaleString('en-US')} images/s` : 'not measured yet'}`);
    this.item.tooltip = new vscode.MarkdownString(
      [
        `**Training** ${config.nets.map((n) => n.title).join(' vs ')}, step ${this.step.toLocaleString('en-US')} of ${config.iterations.toLocaleString('en-US')}`,
        `Backend: ${this.backend || 'not chosen yet'}`,
        perNet.join('\n\n'),
        'Click to show the curves.',
      ].join('\n\n'),
    );
    this.item.show();
    this.visible = true;
  }

  dispose(): void {
    this.item.dispose();
  }
}
