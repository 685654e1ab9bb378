// The status bar item of a run training in this window: VS Code's place for long background
// work. Its text is the run's progress per net (core/training/progress.ts, as the panel and the
// CLI show it): "plain-20 102/200 · plain-56 34/200 · about 1 min left · WebAssembly", then
// "Stopping…" as soon as a stop is asked; the tooltip names each net's images/s and the
// backend. Hidden when nothing trains.
import * as vscode from 'vscode';
import { formatCount } from '../../core/format';
import { etaText, netCountsText, RunProgress, stateText } from '../../core/training/progress';

export const SHOW_TRAINING_COMMAND = 'resnetLab.showTraining';

/** "WebAssembly (tfjs-backend-wasm, SIMD, one thread)" → "WebAssembly". */
export function shortBackendName(title: string): string {
  const cut = title.indexOf(' (');
  return cut > 0 ? title.slice(0, cut) : title;
}

/** The item's text for a run's progress: state (when not simply training), each net's count, the ETA, the backend. */
export function statusBarText(progress: RunProgress, backend: string): string {
  const icon = progress.status === 'paused' ? '$(debug-pause)' : progress.status === 'stopped' || progress.status === 'finished' || progress.status === 'failed' ? '$(debug-stop)' : '$(sync~spin)';
  const state = progress.status === 'running' ? '' : stateText(progress.status);
  const eta = progress.status === 'running' ? etaText(progress) : '';
  const backendName = backend ? shortBackendName(backend) : 'choosing a backend…';
  return `${icon} ${[state, netCountsText(progress), eta, backendName].filter(Boolean).join(' · ')}`;
}

export class TrainingStatusBar implements vscode.Disposable {
  private readonly item = vscode.window.createStatusBarItem('resnetLab.training', vscode.StatusBarAlignment.Left, 49);
  private visible = false;
  private progress: RunProgress | undefined;
  private backend = '';

  constructor() {
    this.item.name = 'ResNet Lab: training';
    this.item.command = SHOW_TRAINING_COMMAND;
  }

  /** The text shown, or undefined while hidden. */
  get shownText(): string | undefined {
    return this.visible ? this.item.text : undefined;
  }

  /** The tooltip's text, or undefined while hidden. */
  get shownTooltip(): string | undefined {
    return this.visible ? (this.item.tooltip as vscode.MarkdownString).value : undefined;
  }

  start(progress: RunProgress): void {
    this.backend = '';
    this.update(progress);
  }

  setBackend(title: string): void {
    this.backend = title;
    if (this.progress) this.update(this.progress);
  }

  update(progress: RunProgress): void {
    this.progress = progress;
    this.item.text = statusBarText(progress, this.backend);
    const perNet = progress.nets.map(
      (net) => `${net.title}: step ${formatCount(net.step)} of ${formatCount(net.iterations)}, ${net.imagesPerSec !== undefined ? `${formatCount(net.imagesPerSec)} images/s` : 'speed not measured yet'}`,
    );
    this.item.tooltip = new vscode.MarkdownString(
      [
        `**${stateText(progress.status)}** ${progress.nets.map((n) => n.title).join(' vs ')}${etaText(progress) ? `, ${etaText(progress)}` : ''}`,
        perNet.join('\n\n'),
        `Backend: ${this.backend || 'not chosen yet'}`,
        'Click to show the curves.',
      ].join('\n\n'),
    );
    this.item.show();
    this.visible = true;
  }

  hide(): void {
    this.progress = undefined;
    this.item.hide();
    this.visible = false;
  }

  dispose(): void {
    this.item.dispose();
  }
}
