// What each open panel shows, kept in the workspace's state by panel title. The page saves
// its own state, but a panel opened moments before a reload can come back without it (the
// workbench stored the tab before the page called setState); its title then finds its model.
import * as vscode from 'vscode';
import type { ArchitecturePanelState } from '../../protocol/architecture';

const KEY = 'resnetLab.panelsByTitle';
const LIMIT = 50;

export class PanelMemory {
  constructor(private readonly memento: vscode.Memento) {}

  remember(title: string, state: ArchitecturePanelState): void {
    const entries = Object.entries(this.all()).filter(([known]) => known !== title);
    entries.push([title, state]);
    void this.memento.update(KEY, Object.fromEntries(entries.slice(-LIMIT)));
  }

  recall(title: string): ArchitecturePanelState | undefined {
    return this.all()[title];
  }

  private all(): Record<string, ArchitecturePanelState> {
    return this.memento.get<Record<string, ArchitecturePanelState>>(KEY) ?? {};
  }
}
