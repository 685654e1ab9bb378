// The status bar item naming the model in the active architecture panel; hidden otherwise.
import * as vscode from 'vscode';
import { reportForSpec } from '../../core/report';
import { formatCount, formatFlops } from '../../core/format';
import type { ArchitecturePanels } from './architecturePanel';

export class ModelStatusBar implements vscode.Disposable {
  private readonly item = vscode.window.createStatusBarItem('resnetLab.model', vscode.StatusBarAlignment.Left, 50);
  private readonly subscription: vscode.Disposable;

  constructor(private readonly panels: ArchitecturePanels) {
    this.item.name = 'ResNet Lab: model';
    this.item.command = 'resnetLab.showArchitecture';
    this.subscription = panels.onDidChange(() => this.refresh());
    this.refresh();
  }

  /** The text shown, or undefined while hidden. */
  get shownText(): string | undefined {
    return this.visible ? this.item.text : undefined;
  }

  private visible = false;

  refresh(): void {
    const active = this.panels.active();
    if (!active) {
      this.item.hide();
      this.visible = false;
      return;
    }
    const { spec } = active;
    const { total } = reportForSpec(spec).costs;
    const compare = active.info().compare;
    const block = active.info().selectedBlock;
    this.item.text = `$(type-hierarchy) ${spec.title}${block ? ` · ${block}` : ''}`;
    this.item.tooltip = new vscode.MarkdownString(
      [
        `**${spec.title}** (\`${spec.name}\`), ${spec.depth} weighted layers`,
        `${formatCount(total.params)} parameters, ${formatFlops(total.flops)} multiply-adds per image`,
        compare ? `compared with \`${compare}\`` : '',
        'Click to open another model.',
      ]
        .filter(Boolean)
        .join('\n\n'),
    );
    this.item.show();
    this.visible = true;
  }

  dispose(): void {
    this.subscription.dispose();
    this.item.dispose();
  }
}
