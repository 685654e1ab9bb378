// The "Inspect Blocks" command and its companions "Next Block" / "Previous Block": pick a run
// and checkpoint (or an untrained net), open the inspector panel, step it from the keyboard.
import * as vscode from 'vscode';
import * as path from 'node:path';
import { InspectorClient } from '../core/inspect/client';
import type { InspectionSource } from '../core/inspect/session';
import { RunFolder } from '../core/training/runStore';
import { backendModulePaths } from './gpuBackend';
import { INSPECTOR_VIEW_TYPE, InspectorPanel, InspectorPanelInfo } from './inspectorPanel';
import { errorMessage, log } from './log';
import { pickModel, requestFromArgument } from './modelPicker';
import { NoWorkspaceError, offerToOpenFolder, workspaceRuns } from './runLocations';
import { readBackendSetting } from './trainingSettings';

export const INSPECT_COMMAND = 'resnetLab.inspectBlocks';
export const NEXT_BLOCK_COMMAND = 'resnetLab.nextBlock';
export const PREVIOUS_BLOCK_COMMAND = 'resnetLab.previousBlock';

/** What "Inspect Blocks" accepts as an argument (tests, the training panel, other commands). */
export interface InspectArguments {
  /** A run folder: its nets at their latest checkpoint (live), or at `step`. */
  runFolder?: string;
  step?: number;
  /** Or a model name / request: the net and its plain twin, freshly initialised. */
  model?: unknown;
  /** The test image (default 0). */
  imageIndex?: number;
}

export interface InspectorApi {
  /** Opens the inspector without the quick picks. */
  inspectBlocks(args: InspectArguments): Promise<InspectorPanelInfo>;
  /** The inspector panel, if open. */
  inspectorPanel(): InspectorPanelInfo | undefined;
}

/** The source a request names. */
function sourceOf(args: InspectArguments): InspectionSource {
  if (args.runFolder) return { kind: 'run', runFolder: RunFolder.open(args.runFolder).folder, step: args.step };
  if (args.model === undefined) throw new Error('Inspect Blocks needs a run folder or a model.');
  return { kind: 'fresh', model: requestFromArgument(args.model), seed: 1 };
}

/** The quick picks: a run (then a checkpoint) or an untrained net. */
async function pickArguments(): Promise<InspectArguments | undefined> {
  const runs = (vscode.workspace.workspaceFolders?.length ? workspaceRuns() : []).filter((r) => r.config !== null);
  type Item = vscode.QuickPickItem & { folder?: string; fresh?: true };
  const items: Item[] = [
    ...runs.map((r) => ({ label: r.config!.nets.map((n) => n.title).join(' vs '), description: r.id, detail: `step ${r.lastStep.toLocaleString('en-US')} of ${r.config!.iterations.toLocaleString('en-US')} · ${r.config!.data.description}`, folder: r.folder })),
    { label: '$(sparkle) An untrained net…', detail: 'Freshly initialised weights (He initialisation) on the embedded images', fresh: true },
  ];
  const picked = await vscode.window.showQuickPick(items, { title: 'ResNet Lab: Inspect Blocks', placeHolder: 'Whose weights? A run of this workspace, or an untrained net', matchOnDescription: true });
  if (!picked) return undefined;
  if (picked.fresh) {
    const request = await pickModel('ResNet Lab: Inspect Blocks');
    return request ? { model: request } : undefined;
  }
  const run = RunFolder.open(picked.folder!);
  const steps = run.listCheckpoints('a').map((c) => c.step);
  if (steps.length === 0) throw new Error(`Run ${run.id} has no checkpoint yet; the inspector needs one (the first comes within an epoch).`);
  type StepItem = vscode.QuickPickItem & { step?: number };
  const stepItems: StepItem[] = [
    { label: 'Latest weights', detail: 'The latest checkpoint, refreshed every few seconds while the run trains' },
    ...steps.reverse().map((s) => ({ label: `Checkpoint at step ${s.toLocaleString('en-US')}`, step: s })),
  ];
  const stepPicked = await vscode.window.showQuickPick(stepItems, { title: 'ResNet Lab: Inspect Blocks', placeHolder: 'Which weights of the run?' });
  return stepPicked ? { runFolder: run.folder, step: stepPicked.step } : undefined;
}

export function registerInspector(context: vscode.ExtensionContext): InspectorApi {
  let panel: InspectorPanel | undefined;
  let client: InspectorClient | undefined;

  const open = async (args: InspectArguments): Promise<InspectorPanelInfo> => {
    const source = sourceOf(args);
    client ??= new InspectorClient(path.join(context.extensionUri.fsPath, 'dist', 'inspectWorker.js'));
    const opened = await client.open(source, readBackendSetting(), backendModulePaths(context.globalStorageUri, context.extensionUri.fsPath));
    log().info(`inspector: ${opened.backend}`);
    const inspection = { client, images: opened.images, follows: opened.follows, iterations: opened.iterations };
    const imageIndex = args.imageIndex ?? 0;
    if (panel) {
      panel.setSource(inspection, imageIndex);
      panel.reveal();
    } else {
      const webviewPanel = vscode.window.createWebviewPanel(INSPECTOR_VIEW_TYPE, 'ResNet Lab: Inspect Blocks', vscode.ViewColumn.Active, { enableScripts: true, retainContextWhenHidden: true });
      panel = new InspectorPanel(webviewPanel, inspection, imageIndex, context.extensionUri);
      panel.onDidDispose(() => (panel = undefined));
    }
    return panel.info();
  };

  const inspectCommand = async (argument?: unknown): Promise<InspectorPanelInfo | undefined> => {
    try {
      const args = argument === undefined ? await pickArguments() : (argument as InspectArguments);
      if (!args) return undefined;
      return await open(args);
    } catch (error) {
      if (error instanceof NoWorkspaceError) {
        offerToOpenFolder(error);
        return undefined;
      }
      const problem = errorMessage(error);
      log().error(`Inspect Blocks: ${problem}`);
      void vscode.window.showErrorMessage(`ResNet Lab: ${problem}`);
      return undefined;
    }
  };

  const stepCommand = (action: 'next' | 'previous') => () => {
    if (!panel) {
      void vscode.window.showInformationMessage('ResNet Lab: no block inspector is open; "ResNet Lab: Inspect Blocks" opens one.');
      return;
    }
    panel.step(action);
  };

  context.subscriptions.push(
    vscode.commands.registerCommand(INSPECT_COMMAND, inspectCommand),
    vscode.commands.registerCommand(NEXT_BLOCK_COMMAND, stepCommand('next')),
    vscode.commands.registerCommand(PREVIOUS_BLOCK_COMMAND, stepCommand('previous')),
    {
      dispose: () => {
        panel?.dispose();
        void client?.dispose();
      },
    },
  );

  return {
    inspectBlocks: open,
    inspectorPanel: () => panel?.info(),
  };
}
