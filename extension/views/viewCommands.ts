// The ResNet Lab activity bar container wired up: the Runs and Models views, the Runs view's
// actions on a run (Open Curves, Resume, Stop, Inspect, Reveal, Delete), and Get Started (the
// walkthrough).
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';
import { formatBytes } from '../../core/format';
import { RunFolder } from '../../core/training/runFolder';
import { trainingPid } from '../../core/training/runLock';
import { guarded } from '../errors';
import { log } from '../log';
import type { TrainingApi } from '../training/trainingCommands';
import { MODELS_VIEW_ID, ModelsView } from './modelsView';
import { RunNode, RUNS_VIEW_ID, RunsView, runTitle } from './runsView';

export const WALKTHROUGH_ID = 'resnetLab.gettingStarted';
const GET_STARTED_COMMAND = 'resnetLab.getStarted';

/** What the views add to the extension's API (for tests). */
export interface ViewsApi {
  /** The Runs view's rows as a user reads them: label, description, the menus' state. */
  runsViewRows(): Array<{ folder: string; label: string; description: string; state: string; nets: string[] }>;
}

/** The deleted run's folder and what it held, or undefined when the user kept it. */
type DeleteResult = string | undefined;

export function registerViews(context: vscode.ExtensionContext, training: TrainingApi): ViewsApi {
  const runsView = new RunsView(() => training.liveRun(), training.onDidChangeLiveRun);
  const runsTree = vscode.window.createTreeView(RUNS_VIEW_ID, { treeDataProvider: runsView, showCollapseAll: true });
  runsView.isVisible = () => runsTree.visible;
  const modelsTree = vscode.window.createTreeView(MODELS_VIEW_ID, { treeDataProvider: new ModelsView(), showCollapseAll: true });

  /** The run an action was invoked on: the tree's node (refreshed), or a folder given by a caller. */
  const runOf = (argument: unknown): RunNode => {
    const folder = typeof argument === 'string' ? argument : (argument as Partial<RunNode> | undefined)?.summary?.folder;
    if (!folder) throw new Error('This action needs a run of the Runs view (right-click a run there).');
    const node = runsView.runAt(folder);
    if (!node) throw new Error(`${folder} is not a run of this workspace (any more): the Runs view lists those under .resnet-lab/runs/.`);
    return node;
  };

  const openCurves = async (argument: unknown) => vscode.commands.executeCommand('resnetLab.openRun', runOf(argument).summary.folder);

  const resume = async (argument: unknown) => {
    const node = runOf(argument);
    if (node.state === 'finished') throw new Error(`${runTitle(node.summary)} has finished all its iterations: there is nothing to resume.`);
    if (node.state === 'training' || node.state === 'training-elsewhere') throw new Error(`${runTitle(node.summary)} is training now.`);
    return vscode.commands.executeCommand('resnetLab.resumeTraining', node.summary.folder);
  };

  const stop = async (argument: unknown) => {
    const node = runOf(argument);
    if (node.state === 'training') return vscode.commands.executeCommand('resnetLab.stopTraining');
    if (node.state === 'training-elsewhere') {
      void vscode.window.showInformationMessage(`ResNet Lab: ${runTitle(node.summary)} is trained by another process of this machine (pid ${node.summary.trainingPid}): stop it there (its window, or Ctrl-C in its terminal).`);
      return undefined;
    }
    void vscode.window.showInformationMessage(`ResNet Lab: ${runTitle(node.summary)} is not training.`);
    return undefined;
  };

  const inspect = async (argument: unknown) => {
    const node = runOf(argument);
    const run = RunFolder.open(node.summary.folder);
    if (node.summary.config!.nets.every((n) => run.listCheckpoints(n.slot).length === 0)) {
      throw new Error(`${runTitle(node.summary)} has no checkpoint yet; the inspector needs one (the first comes within an epoch).`);
    }
    return vscode.commands.executeCommand('resnetLab.inspectBlocks', { runFolder: node.summary.folder });
  };

  const reveal = async (argument: unknown) => vscode.commands.executeCommand('revealInExplorer', vscode.Uri.file(runOf(argument).summary.folder));

  const remove = async (argument: unknown): Promise<DeleteResult> => {
    const node = runOf(argument);
    const { folder } = node.summary;
    const title = runTitle(node.summary);
    const refuse = (pid: number) => new Error(`${title} is training (pid ${pid}); a run that trains is never deleted. Stop it first.`);
    const pid = trainingPid(folder);
    if (pid !== undefined) throw refuse(pid);
    const { bytes, checkpoints } = folderContents(folder);
    const answer = await vscode.window.showWarningMessage(
      `Delete the run ${title}?`,
      { modal: true, detail: `Its folder ${folder} (${formatBytes(bytes)}: configuration, metrics, ${checkpoints} checkpoint${checkpoints === 1 ? '' : 's'}) is deleted for good.` },
      'Delete',
    );
    if (answer !== 'Delete') return undefined;
    // It may have started training while the question was open.
    const now = trainingPid(folder);
    if (now !== undefined) throw refuse(now);
    fs.rmSync(folder, { recursive: true, force: true });
    log().info(`run ${node.summary.id}: deleted from the Runs view (${folder})`);
    runsView.refresh();
    return folder;
  };

  const getStarted = () => vscode.commands.executeCommand('workbench.action.openWalkthrough', `${context.extension.id}#${WALKTHROUGH_ID}`, false);

  context.subscriptions.push(
    runsView,
    runsTree,
    // Hidden, the view skips its refreshes; shown again, it lists the runs as they are now.
    runsTree.onDidChangeVisibility((e) => e.visible && runsView.refresh()),
    modelsTree,
    vscode.commands.registerCommand('resnetLab.runs.openCurves', guarded('Open Curves', openCurves)),
    vscode.commands.registerCommand('resnetLab.runs.resume', guarded('Resume', resume)),
    vscode.commands.registerCommand('resnetLab.runs.stop', guarded('Stop', stop)),
    vscode.commands.registerCommand('resnetLab.runs.inspect', guarded('Inspect', inspect)),
    vscode.commands.registerCommand('resnetLab.runs.reveal', guarded('Reveal in Explorer', reveal)),
    vscode.commands.registerCommand('resnetLab.runs.delete', guarded('Delete Run', remove)),
    vscode.commands.registerCommand('resnetLab.runs.refresh', () => runsView.refresh()),
    vscode.commands.registerCommand(GET_STARTED_COMMAND, guarded('Get Started', getStarted)),
  );

  return {
    runsViewRows: () => {
      return runsView.runs().map((node) => {
        const item = runsView.getTreeItem(node);
        return {
          folder: node.summary.folder,
          label: String(item.label),
          description: String(item.description ?? ''),
          state: node.state,
          nets: runsView.getChildren(node).map((child) => {
            const netItem = runsView.getTreeItem(child);
            return `${String(netItem.label)}: ${String(netItem.description)}`;
          }),
        };
      });
    },
  };
}

/** The bytes under a run folder and its checkpoints (both nets), for the delete question. */
function folderContents(folder: string): { bytes: number; checkpoints: number } {
  let bytes = 0;
  let checkpoints = 0;
  const walk = (dir: string) => {
    for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
      const full = path.join(dir, entry.name);
      if (entry.isDirectory()) {
        if (/^step-\d{8}$/.test(entry.name)) checkpoints++;
        walk(full);
      } else if (entry.isFile()) bytes += fs.statSync(full).size;
    }
  };
  walk(folder);
  return { bytes, checkpoints };
}
