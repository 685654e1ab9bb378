// The Runs view of the ResNet Lab activity bar container: every run of the workspace's
// .resnet-lab/runs/ with its nets, status, step and best test error, kept current by a file
// watcher on the runs folders and the live run's events (each refresh reads only what changed).
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';
import { RUNS_FOLDER } from '../../core/training/runFolder';
import { NetSummary, RunSummary, RunSummaryReader } from '../../core/training/runSummary';
import type { LiveRunInfo } from '../training/liveRun';

export const RUNS_VIEW_ID = 'resnetLab.runs';

/** A run as the view shows it: its state word, and what the menus may offer. */
export type RunViewState = 'training' | 'training-elsewhere' | 'stopped' | 'failed' | 'finished' | 'unreadable';

export interface RunNode {
  kind: 'run';
  summary: RunSummary;
  state: RunViewState;
  /** Its nets' rows, one object per slot. */
  netNodes: Map<string, NetNode>;
  /** What its row shows, to tell whether it changed. */
  signature: string;
}

interface NetNode {
  kind: 'net';
  run: RunSummary;
  net: NetSummary;
}

export type RunsViewNode = RunNode | NetNode;

const count = (n: number) => n.toLocaleString('en-US');
/** "12.3%" */
export const errorPercent = (error: number) => `${(error * 100).toFixed(1)}%`;

/** The local workspace folders' runs roots (runs are written with Node's fs: file: folders only). */
export function runsRoots(): string[] {
  return (vscode.workspace.workspaceFolders ?? []).filter((f) => f.uri.scheme === 'file').map((f) => path.join(f.uri.fsPath, RUNS_FOLDER));
}

function runFolders(): string[] {
  return runsRoots().flatMap((root) => {
    try {
      return fs
        .readdirSync(root, { withFileTypes: true })
        .filter((d) => d.isDirectory())
        .map((d) => path.join(root, d.name));
    } catch {
      return []; // no runs folder yet
    }
  });
}

export function runTitle(summary: RunSummary): string {
  return summary.config ? summary.config.nets.map((n) => n.title).join(' vs ') : summary.id;
}

export class RunsView implements vscode.TreeDataProvider<RunsViewNode>, vscode.Disposable {
  private readonly reader = new RunSummaryReader();
  private readonly changed = new vscode.EventEmitter<RunsViewNode | undefined>();
  readonly onDidChangeTreeData = this.changed.event;
  private readonly disposables: vscode.Disposable[] = [];
  private readonly watchers: vscode.Disposable[] = [];
  private timer: NodeJS.Timeout | undefined;
  /** One node per run folder, kept across refreshes (the tree knows its rows by these objects). */
  private readonly nodes = new Map<string, RunNode>();
  private listed: RunNode[] = [];
  /** Rows whose content changed since the tree last showed them. */
  private readonly pending = new Set<RunNode>();
  /** The folders the tree last listed. */
  private renderedKey = '';

  /** Read while the view is shown only; `isVisible` is set once its tree view exists. */
  isVisible: () => boolean = () => true;

  constructor(private readonly liveRun: () => LiveRunInfo | undefined, onLiveRunChange: vscode.Event<void>) {
    const watch = () => {
      for (const d of this.watchers.splice(0)) d.dispose();
      for (const folder of vscode.workspace.workspaceFolders ?? []) {
        // Run folders appearing or going, and the files that carry a run's state.
        const watcher = vscode.workspace.createFileSystemWatcher(new vscode.RelativePattern(folder, `${RUNS_FOLDER.split(path.sep).join('/')}/{*,*/*.json,*/metrics.jsonl}`));
        watcher.onDidCreate(() => this.refreshSoon());
        watcher.onDidChange(() => this.refreshSoon());
        watcher.onDidDelete(() => this.refreshSoon());
        this.watchers.push(watcher);
      }
    };
    watch();
    this.disposables.push(
      onLiveRunChange(() => this.refreshSoon()),
      vscode.workspace.onDidChangeWorkspaceFolders(() => {
        watch();
        this.refreshSoon();
      }),
    );
  }

  /** Coalesces bursts (a metrics append, a checkpoint, a status) into one refresh. */
  refreshSoon(delayMs = 400): void {
    if (this.timer) return;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.update();
    }, delayMs);
  }

  /** Refreshes the whole list now (after a delete; the Refresh button). */
  refresh(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
    this.changed.fire(undefined);
  }

  /**
   * Re-reads the runs and refreshes only the rows that changed, in place: a refresh of the whole
   * tree would drop every row's handle until the view asks again, and an action clicked meanwhile
   * (Stop on a run that logs every second) would reach no run.
   */
  private update(): void {
    if (!this.isVisible()) return; // nothing to draw: shown again, the view reads the runs afresh
    this.read();
    if (this.keyOf(this.listed) !== this.renderedKey) this.changed.fire(undefined);
    else for (const node of this.pending) this.changed.fire(node);
    this.pending.clear();
  }

  private keyOf(nodes: RunNode[]): string {
    return nodes.map((n) => n.summary.folder).join('\n');
  }

  /** Reads every run into its node (the same object per folder, updated in place); the changed ones wait in `pending`. */
  private read(): void {
    const live = this.liveRun();
    const folders = runFolders();
    this.reader.retain(folders);
    const nodes = folders.map((folder): RunNode => {
      const summary = this.reader.read(folder);
      const state = stateOf(summary, live);
      const signature = JSON.stringify([state, live?.status, summary.state, summary.nets, summary.problem]);
      let node = this.nodes.get(folder);
      if (!node) {
        node = { kind: 'run', summary, state, netNodes: new Map(), signature };
        this.nodes.set(folder, node);
      } else if (node.signature !== signature) {
        Object.assign(node, { summary, state, signature });
        this.pending.add(node);
      }
      return node;
    });
    for (const folder of [...this.nodes.keys()]) if (!folders.includes(folder)) this.nodes.delete(folder);
    this.listed = nodes.sort((a, b) => b.summary.id.localeCompare(a.summary.id));
  }

  /** The runs as the view lists them now (read afresh; rows that changed are refreshed soon). */
  runs(): RunNode[] {
    this.read();
    if (this.pending.size > 0 || this.keyOf(this.listed) !== this.renderedKey) this.refreshSoon();
    return this.listed;
  }

  /** The run shown for this folder (read afresh), or undefined when it is not a run of the workspace. */
  runAt(folder: string): RunNode | undefined {
    const resolved = path.resolve(folder);
    return this.runs().find((r) => path.resolve(r.summary.folder) === resolved);
  }

  getChildren(node?: RunsViewNode): RunsViewNode[] {
    if (!node) {
      // The tree renders every row afresh now.
      this.read();
      this.pending.clear();
      this.renderedKey = this.keyOf(this.listed);
      return this.listed;
    }
    if (node.kind !== 'run') return [];
    return node.summary.nets.map((net) => {
      const netNode = node.netNodes.get(net.slot) ?? { kind: 'net', run: node.summary, net };
      Object.assign(netNode, { run: node.summary, net });
      node.netNodes.set(net.slot, netNode);
      return netNode;
    });
  }

  getTreeItem(node: RunsViewNode): vscode.TreeItem {
    return node.kind === 'run' ? runItem(node, this.liveRun()) : netItem(node);
  }

  dispose(): void {
    clearTimeout(this.timer);
    for (const d of [...this.disposables, ...this.watchers]) d.dispose();
    this.changed.dispose();
  }
}

function stateOf(summary: RunSummary, live: LiveRunInfo | undefined): RunViewState {
  if (!summary.config) return 'unreadable';
  if (live && path.resolve(live.folder) === path.resolve(summary.folder)) return 'training';
  if (summary.trainingPid !== undefined) return 'training-elsewhere';
  return summary.state.status;
}

/** "running · step 120 of 400", "stopped at step 34 of 400", "finished 400 iterations", … */
export function runDescription(node: RunNode, live: LiveRunInfo | undefined): string {
  const { summary, state } = node;
  const config = summary.config;
  if (!config) return 'unreadable';
  // Live: how far the slower net logged; stopped: where a resume continues (each net's checkpoint), as the curves panel says.
  const step = state === 'training' || state === 'training-elsewhere' ? summary.state.lastStep : Math.min(...summary.nets.map((n) => n.step));
  const of = `${count(step)} of ${count(config.iterations)}`;
  switch (state) {
    case 'training':
      return `${live?.status ?? 'running'} · step ${of}`;
    case 'training-elsewhere':
      return `running in another process · step ${of}`;
    case 'finished':
      return `finished · ${count(config.iterations)} iterations`;
    case 'failed':
      return `failed at step ${of}`;
    default:
      return `stopped at step ${of}`;
  }
}

const STATE_ICONS: Record<RunViewState, vscode.ThemeIcon> = {
  training: new vscode.ThemeIcon('sync~spin', new vscode.ThemeColor('progressBar.background')),
  'training-elsewhere': new vscode.ThemeIcon('sync~spin'),
  stopped: new vscode.ThemeIcon('debug-pause'),
  failed: new vscode.ThemeIcon('error', new vscode.ThemeColor('errorForeground')),
  finished: new vscode.ThemeIcon('pass', new vscode.ThemeColor('testing.iconPassed')),
  unreadable: new vscode.ThemeIcon('warning', new vscode.ThemeColor('problemsWarningIcon.foreground')),
};

function runItem(node: RunNode, live: LiveRunInfo | undefined): vscode.TreeItem {
  const { summary, state } = node;
  const item = new vscode.TreeItem(runTitle(summary), summary.config ? vscode.TreeItemCollapsibleState.Collapsed : vscode.TreeItemCollapsibleState.None);
  item.id = summary.folder;
  item.description = runDescription(node, live);
  item.iconPath = STATE_ICONS[state];
  // The menus read this: resnetLab.run.<state>.
  item.contextValue = `resnetLab.run.${state}`;
  item.accessibilityInformation = { label: `${runTitle(summary)}, ${item.description}, run ${summary.id}` };
  const tooltip = new vscode.MarkdownString();
  tooltip.appendMarkdown(`**${runTitle(summary)}** · ${item.description}\n\n`);
  if (summary.config) {
    tooltip.appendMarkdown(`${summary.config.data.description}; batch ${summary.config.batchSize}, seed ${summary.config.seed}\n\n`);
    for (const net of summary.nets) tooltip.appendMarkdown(`- ${netDescription(net, net.title)}\n`);
    if (summary.state.status === 'failed' && summary.state.outcome) tooltip.appendMarkdown(`\nFailed: ${summary.state.outcome.detail}\n`);
    if (state === 'training-elsewhere') tooltip.appendMarkdown(`\nTrained by another process of this machine (pid ${summary.trainingPid}).\n`);
  } else {
    tooltip.appendMarkdown(`${summary.problem}\n`);
  }
  tooltip.appendMarkdown(`\n\`${summary.folder}\``);
  item.tooltip = tooltip;
  if (summary.config) item.command = { command: 'resnetLab.runs.openCurves', title: 'Open Curves', arguments: [node] };
  return item;
}

/** "step 120 · best test error 45.2%" */
function netDescription(net: NetSummary, prefix?: string): string {
  const best = net.bestTestError === undefined ? 'no test error yet' : `best test error ${errorPercent(net.bestTestError)}`;
  return `${prefix ? `${prefix}: ` : ''}step ${count(net.step)} · ${best}`;
}

function netItem(node: NetNode): vscode.TreeItem {
  const item = new vscode.TreeItem(node.net.title, vscode.TreeItemCollapsibleState.None);
  item.id = `${node.run.folder}#${node.net.slot}`;
  item.description = netDescription(node.net);
  item.iconPath = new vscode.ThemeIcon('graph-line');
  item.contextValue = 'resnetLab.net';
  return item;
}
