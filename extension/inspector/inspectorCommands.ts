// The "Inspect Blocks" command and its companions "Next Block" / "Previous Block": pick a run
// and checkpoint (or an untrained net), open the inspector panel, step it from the keyboard.
import * as vscode from 'vscode';
import * as path from 'node:path';
import { startAnalysis } from '../../core/analysis/client';
import { InspectorClient } from '../../core/inspect/client';
import type { InspectionSource } from '../../core/inspect/session';
import { RunFolder } from '../../core/training/runFolder';
import { backendModulePaths } from '../training/gpuBackend';
import type { InspectorPanelState, InspectorSourceState } from '../../protocol/inspector';
import { ModelRequest, requestFromSpec, specFromRequest } from '../../core/spec';
import { AnalysisLauncher, BlockTarget, INSPECTOR_VIEW_TYPE, InspectorPanel, InspectorPanelInfo, NetBlock } from './inspectorPanel';
import { errorMessage, log } from '../log';
import { pickModel, requestFromArgument } from '../architecture/modelPicker';
import { workspaceRuns } from '../training/runLocations';
import { guarded } from '../errors';
import { panelOptions, registerPanelSerializer } from '../panelHost';
import { readBackendSetting } from '../training/trainingSettings';
import { tfjsSettingFor } from '../../core/engine/backend';

export const INSPECT_COMMAND = 'resnetLab.inspectBlocks';
const NEXT_BLOCK_COMMAND = 'resnetLab.nextBlock';
const PREVIOUS_BLOCK_COMMAND = 'resnetLab.previousBlock';
/** True while a block inspector is open: the palette offers Next Block and Previous Block only then. */
const INSPECTOR_OPEN_CONTEXT = 'resnetLab.inspectorOpen';
/** "Inspect This Block": the diagram's context action and its Inspect block button. */
export const INSPECT_BLOCK_COMMAND = 'resnetLab.inspectBlock';

/** What "Inspect Blocks" accepts as an argument (tests, the training panel, other commands). */
export interface InspectArguments {
  /** A run folder: its nets at their latest checkpoint (live), or at `step`. */
  runFolder?: string;
  step?: number;
  /** Or a model name / request: the net and its plain twin, freshly initialised. */
  model?: unknown;
  /** The test image (default 0). */
  imageIndex?: number;
  /** Show this block first (default: the first block, or the one the open panel is on). */
  blockId?: string;
  /** Or this block by its index (a panel revived after a reload). */
  blockIndex?: number;
}

/**
 * What "Inspect This Block" accepts: the context of the diagram's right-click menu (the
 * data-vscode-context of the block and of the diagram above it, merged) or a model and block.
 */
export interface InspectBlockArguments {
  blockId: string;
  /** The model shown in the diagram: a ModelRequest, a model name, or the request as JSON text. */
  modelRequest: ModelRequest | string;
  /** Skip the question and inspect the untrained net (tests; or there is no matching run). */
  fresh?: boolean;
}

export interface InspectorApi {
  /** Opens the inspector without the quick picks. */
  inspectBlocks(args: InspectArguments): Promise<InspectorPanelInfo>;
  /** The inspector panel, if open. */
  inspectorPanel(): InspectorPanelInfo | undefined;
}

/** The source a request names, and the same as the page saves it for a reload. */
function sourceOf(args: InspectArguments): { source: InspectionSource; saved: InspectorSourceState } {
  if (args.runFolder) {
    const runFolder = RunFolder.open(args.runFolder).folder;
    return { source: { kind: 'run', runFolder, step: args.step }, saved: args.step === undefined ? { runFolder } : { runFolder, step: args.step } };
  }
  if (args.model === undefined) throw new Error('Inspect Blocks needs a run folder or a model.');
  const model = requestFromArgument(args.model);
  return { source: { kind: 'fresh', model, seed: 1 }, saved: { model } };
}

function targetOf(args: InspectArguments): BlockTarget | undefined {
  if (args.blockId !== undefined) return { blockId: args.blockId };
  if (args.blockIndex !== undefined) return { blockIndex: args.blockIndex };
  return undefined;
}

/** The model a diagram's context names (JSON text of its request, or a name). */
function modelOfContext(value: ModelRequest | string): ModelRequest {
  if (typeof value !== 'string' || !value.trim().startsWith('{')) return requestFromArgument(value);
  try {
    return requestFromArgument(JSON.parse(value));
  } catch (error) {
    throw new Error(`Inspect This Block: the diagram sent a model that is not valid JSON (${errorMessage(error)}).`);
  }
}

/**
 * "Inspect This Block" from the diagram: the runs of this workspace that trained this model (their
 * latest weights), or an untrained net of it. Without such a run, the untrained net directly.
 */
async function pickBlockSource(args: InspectBlockArguments): Promise<InspectArguments | undefined> {
  const model = modelOfContext(args.modelRequest);
  const spec = specFromRequest(model);
  const name = spec.name;
  const key = (request: ModelRequest) => JSON.stringify(requestFromSpec(specFromRequest(request)));
  const wanted = JSON.stringify(requestFromSpec(spec));
  const fresh: InspectArguments = { model, blockId: args.blockId };
  if (args.fresh) return fresh;
  const runs = (vscode.workspace.workspaceFolders?.length ? workspaceRuns() : [])
    .filter((r) => r.config !== null && r.config.nets.some((n) => key(n.request) === wanted))
    .filter((r) => RunFolder.open(r.folder).listCheckpoints('a').length > 0);
  if (runs.length === 0) return fresh;
  type Item = vscode.QuickPickItem & { args: InspectArguments };
  const items: Item[] = [
    ...runs.map((r) => ({ label: r.config!.nets.map((n) => n.title).join(' vs '), description: r.id, detail: `latest weights, step ${r.lastStep.toLocaleString('en-US')} of ${r.config!.iterations.toLocaleString('en-US')}`, args: { runFolder: r.folder, blockId: args.blockId } })),
    { label: '$(sparkle) The untrained net', detail: 'Freshly initialised weights (He initialisation) on the embedded images', args: fresh },
  ];
  const picked = await vscode.window.showQuickPick(items, { title: `ResNet Lab: Inspect ${args.blockId}`, placeHolder: `Whose weights? A run that trained ${name}, or the untrained net`, matchOnDescription: true, ignoreFocusOut: true });
  return picked?.args;
}

/** The quick picks: a run (then a checkpoint) or an untrained net. */
async function pickArguments(): Promise<InspectArguments | undefined> {
  const runs = (vscode.workspace.workspaceFolders?.length ? workspaceRuns() : []).filter((r) => r.config !== null);
  type Item = vscode.QuickPickItem & { folder?: string; fresh?: true };
  const items: Item[] = [
    ...runs.map((r) => ({ label: r.config!.nets.map((n) => n.title).join(' vs '), description: r.id, detail: `step ${r.lastStep.toLocaleString('en-US')} of ${r.config!.iterations.toLocaleString('en-US')} · ${r.config!.data.description}`, folder: r.folder })),
    { label: '$(sparkle) An untrained net…', detail: 'Freshly initialised weights (He initialisation) on the embedded images', fresh: true },
  ];
  const picked = await vscode.window.showQuickPick(items, { title: 'ResNet Lab: Inspect Blocks', placeHolder: 'Whose weights? A run of this workspace, or an untrained net', matchOnDescription: true, ignoreFocusOut: true });
  if (!picked) return undefined;
  if (picked.fresh) {
    const request = await pickModel('ResNet Lab: Inspect Blocks');
    return request ? { model: request } : undefined;
  }
  const run = RunFolder.open(picked.folder!);
  const nets = run.readConfig().nets;
  const stepsOf = new Map(nets.map((n) => [n.slot, run.listCheckpoints(n.slot).map((c) => c.step)]));
  const steps = [...new Set([...stepsOf.values()].flat())].sort((a, b) => b - a);
  if (steps.length === 0) throw new Error(`Run ${run.id} has no checkpoint yet; the inspector needs one (the first comes within an epoch).`);
  const count = (n: number) => n.toLocaleString('en-US');
  // Nets of different speed checkpoint at different steps: say which weights each will show.
  const eachAt = (step: number) =>
    nets
      .map((n) => {
        const own = stepsOf.get(n.slot)!;
        if (own.includes(step)) return `${n.title}: step ${count(step)}`;
        if (own.length === 0) return `${n.title}: no checkpoint yet`;
        const nearest = own.reduce((best, s) => (Math.abs(s - step) < Math.abs(best - step) ? s : best));
        return `${n.title}: its nearest, step ${count(nearest)}`;
      })
      .join(' · ');
  type StepItem = vscode.QuickPickItem & { step?: number };
  const stepItems: StepItem[] = [
    { label: 'Latest weights', detail: 'Each net\'s latest checkpoint, refreshed every few seconds while the run trains' },
    ...steps.map((s) => ({ label: `Checkpoint at step ${count(s)}`, detail: eachAt(s), step: s })),
  ];
  const stepPicked = await vscode.window.showQuickPick(stepItems, { title: 'ResNet Lab: Inspect Blocks', placeHolder: 'Which weights of the run?', ignoreFocusOut: true });
  return stepPicked ? { runFolder: run.folder, step: stepPicked.step } : undefined;
}

/** @param onBlockShown told each inspected net's current block, so open architecture diagrams of those models highlight it. */
export function registerInspector(context: vscode.ExtensionContext, onBlockShown?: (netBlocks: NetBlock[]) => void): InspectorApi {
  let panel: InspectorPanel | undefined;
  let client: InspectorClient | undefined;

  /** The lesion study or gradient flow in a thread of its own, on the backend the settings choose. */
  const launchAnalysis: AnalysisLauncher = (request, onProgress) =>
    startAnalysis(
      { ...request, backend: tfjsSettingFor(readBackendSetting()), nodeModulePaths: backendModulePaths(context.globalStorageUri, context.extensionUri.fsPath) },
      onProgress,
      path.join(context.extensionUri.fsPath, 'dist', 'analysisWorker.js'),
    );

  /** Opens the source in the panel (a new one, or `revived` after a reload, or the open one). */
  const open = async (args: InspectArguments, revived?: vscode.WebviewPanel): Promise<InspectorPanelInfo> => {
    const { source, saved } = sourceOf(args);
    client ??= new InspectorClient(path.join(context.extensionUri.fsPath, 'dist', 'inspectWorker.js'), (text) => log().warn(`Inspect Blocks: ${text}`));
    const opened = await client.open(source, tfjsSettingFor(readBackendSetting()), backendModulePaths(context.globalStorageUri, context.extensionUri.fsPath));
    log().info(`inspector: ${opened.backend}`);
    const inspection = { client, images: opened.images, follows: opened.follows, progress: opened.progress, source: saved };
    const imageIndex = args.imageIndex ?? 0;
    if (panel) {
      panel.setSource(inspection, imageIndex, targetOf(args));
      panel.host.reveal();
    } else {
      const webviewPanel = revived ?? vscode.window.createWebviewPanel(INSPECTOR_VIEW_TYPE, 'ResNet Lab: Inspect Blocks', vscode.ViewColumn.Active, panelOptions(context.extensionUri, true));
      const opened = new InspectorPanel(webviewPanel, inspection, imageIndex, context.extensionUri, targetOf(args), onBlockShown, launchAnalysis);
      opened.host.onDidDispose(() => {
        panel = undefined;
        void vscode.commands.executeCommand('setContext', INSPECTOR_OPEN_CONTEXT, false);
      });
      panel = opened;
      void vscode.commands.executeCommand('setContext', INSPECTOR_OPEN_CONTEXT, true);
    }
    return panel.info();
  };

  /** After a window reload: reopen the weights the page saved, on its image and block. */
  const revive = async (webviewPanel: vscode.WebviewPanel, state: unknown): Promise<void> => {
    const saved = state as Partial<InspectorPanelState> | undefined;
    if (panel) throw new Error('another block inspector is already open');
    const source = saved?.source;
    if (!source) throw new Error('the panel saved no weights to reopen');
    const args: InspectArguments = 'runFolder' in source ? { runFolder: source.runFolder, step: source.step } : { model: source.model };
    await open({ ...args, imageIndex: saved.imageIndex ?? 0, blockIndex: saved.blockIndex }, webviewPanel);
  };

  const inspectBlockCommand = guarded('Inspect This Block', async (argument?: unknown): Promise<InspectorPanelInfo | undefined> => {
    const given = argument as Partial<InspectBlockArguments> | undefined;
    if (!given?.blockId || given.modelRequest === undefined) throw new Error('Inspect This Block needs a block of the architecture diagram: right-click a block there.');
    const args = await pickBlockSource(given as InspectBlockArguments);
    return args ? await open(args) : undefined;
  });

  const inspectCommand = guarded('Inspect Blocks', async (argument?: unknown): Promise<InspectorPanelInfo | undefined> => {
    const args = argument === undefined ? await pickArguments() : (argument as InspectArguments);
    return args ? await open(args) : undefined;
  });

  const stepCommand = (action: 'next' | 'previous') => () => {
    if (!panel) {
      void vscode.window.showInformationMessage('ResNet Lab: no block inspector is open; "ResNet Lab: Inspect Blocks" opens one.');
      return;
    }
    panel.step(action);
  };

  context.subscriptions.push(
    vscode.commands.registerCommand(INSPECT_COMMAND, inspectCommand),
    vscode.commands.registerCommand(INSPECT_BLOCK_COMMAND, inspectBlockCommand),
    registerPanelSerializer(INSPECTOR_VIEW_TYPE, 'ResNet Lab: Inspect Blocks', '"ResNet Lab: Inspect Blocks" opens it again.', revive),
    vscode.commands.registerCommand(NEXT_BLOCK_COMMAND, stepCommand('next')),
    vscode.commands.registerCommand(PREVIOUS_BLOCK_COMMAND, stepCommand('previous')),
    {
      dispose: () => {
        panel?.host.dispose();
        void client?.dispose();
      },
    },
  );

  return {
    inspectBlocks: open,
    inspectorPanel: () => panel?.info(),
  };
}
