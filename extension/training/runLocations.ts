// Where runs live: `.resnet-lab/runs/` in each workspace folder. Finding a run by id, picking
// runs from a list, and the workspace folder a new run goes into.
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';
import { listRuns, RunListing, RUNS_FOLDER } from '../../core/training/runFolder';

export function runsRootOf(folder: vscode.WorkspaceFolder): string {
  return path.join(folder.uri.fsPath, RUNS_FOLDER);
}

/** The local workspace folders (runs are written with Node's fs, so only file: folders count). */
function localFolders(): readonly vscode.WorkspaceFolder[] {
  return (vscode.workspace.workspaceFolders ?? []).filter((f) => f.uri.scheme === 'file');
}

/** Every run of every workspace folder, newest first. */
export function workspaceRuns(): RunListing[] {
  return localFolders()
    .flatMap((folder) => listRuns(runsRootOf(folder)))
    .sort((a, b) => b.id.localeCompare(a.id));
}

export function findRunFolder(runId: string): string | undefined {
  for (const folder of localFolders()) {
    const candidate = path.join(runsRootOf(folder), runId);
    if (fs.existsSync(path.join(candidate, 'config.json'))) return candidate;
  }
  return undefined;
}

/** A problem the user can act on: the message, and a button that helps. */
export class NoWorkspaceError extends Error {
  constructor() {
    super('Training saves each run under .resnet-lab/runs/ in the workspace folder, and no folder is open. Open a folder, then run the command again.');
    this.name = 'NoWorkspaceError';
  }
}

/** The folder a new run goes into: the only one, or the one the user picks; undefined if they cancel. */
export async function workspaceFolderForRuns(): Promise<vscode.WorkspaceFolder | undefined> {
  const folders = localFolders();
  if (folders.length === 0) throw new NoWorkspaceError();
  if (folders.length === 1) return folders[0];
  return vscode.window.showWorkspaceFolderPick({ placeHolder: 'Which workspace folder gets the run (.resnet-lab/runs/)?', ignoreFocusOut: true });
}

interface RunItem extends vscode.QuickPickItem {
  run: RunListing;
}

const count = (n: number) => n.toLocaleString('en-US');

function runItem(run: RunListing): RunItem {
  const c = run.config;
  if (!c) return { label: run.id, description: 'unreadable', detail: run.problem ?? '', run };
  const failed = run.status === 'failed' ? ` · failed: ${run.outcome?.detail}` : '';
  return {
    label: c.nets.map((n) => n.title).join(' vs '),
    description: run.id,
    detail: `${run.finished ? 'finished' : `step ${count(run.lastStep)} of ${count(c.iterations)}`} · ${c.data.description}${failed}`,
    run,
  };
}

export interface PickRunsOptions {
  title: string;
  placeHolder: string;
  canPickMany: boolean;
  /** Which runs to offer (default: every readable run). */
  filter?: (run: RunListing) => boolean;
  /** Said when no run fits. */
  noneMessage: string;
}

/** Run folders the user picked; undefined when they cancel or there is none (after saying so). */
export async function pickRuns(options: PickRunsOptions): Promise<string[] | undefined> {
  if (localFolders().length === 0) throw new NoWorkspaceError();
  const runs = workspaceRuns().filter((run) => run.config !== null && (options.filter?.(run) ?? true));
  if (runs.length === 0) {
    void vscode.window.showInformationMessage(`ResNet Lab: ${options.noneMessage}`);
    return undefined;
  }
  const items = runs.map(runItem);
  if (options.canPickMany) {
    const picked = await vscode.window.showQuickPick(items, { title: options.title, placeHolder: options.placeHolder, canPickMany: true, matchOnDescription: true, matchOnDetail: true, ignoreFocusOut: true });
    return picked?.length ? picked.map((item) => item.run.folder) : undefined;
  }
  const picked = await vscode.window.showQuickPick(items, { title: options.title, placeHolder: options.placeHolder, matchOnDescription: true, matchOnDetail: true, ignoreFocusOut: true });
  return picked ? [picked.run.folder] : undefined;
}
