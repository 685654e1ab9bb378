// Activation: the Show Architecture command, the panel serializer, the status bar, the log, the
// activity bar's views (Runs, Models) and the studies.
import * as vscode from 'vscode';
import { ModelRequest } from '../core/spec';
import type { ToArchitecturePage } from '../protocol/architecture';
import { ARCHITECTURE_VIEW_TYPE, ArchitecturePanels, OpenPanelInfo, SaveDialog } from './architecture/architecturePanel';
import { guarded } from './errors';
import { disposeLog, log as extensionLog } from './log';
import { registerPanelSerializer } from './panelHost';
import { pickModel, requestFromArgument } from './architecture/modelPicker';
import { PanelMemory } from './architecture/panelMemory';
import { ModelStatusBar } from './architecture/modelStatusBar';
import { registerTraining, stopTrainingForShutdown, TrainingApi } from './training/trainingCommands';
import { InspectorApi, registerInspector } from './inspector/inspectorCommands';
import { registerViews, ViewsApi } from './views/viewCommands';
import { registerStudies, StudyApi } from './study/studyCommands';

export const SHOW_ARCHITECTURE_COMMAND = 'resnetLab.showArchitecture';

/** What activate() returns: for tests and for other extensions that open models. */
export interface ResNetLabApi extends TrainingApi, InspectorApi, ViewsApi, StudyApi {
  /** Opens (or reveals) the panel of a model; the argument is what the command accepts. */
  showArchitecture(model: string | ModelRequest): Promise<OpenPanelInfo>;
  /** The open architecture panels. */
  openPanels(): OpenPanelInfo[];
  /** The status bar text, or undefined while the item is hidden. */
  statusBarText(): string | undefined;
  /** Handles a message as if the page of that model's panel had sent it; resolves to the reply. */
  receiveFromPage(model: string | ModelRequest, message: unknown): Promise<ToArchitecturePage | undefined>;
  /** The last lines of the ResNet Lab log, oldest first ("[warn] text"). */
  recentLog(): string[];
  /** Replaces the save dialog (undefined restores the real one): tests cannot click a dialog. */
  useSaveDialog(dialog: SaveDialog | undefined): void;
}

export function activate(context: vscode.ExtensionContext): ResNetLabApi {
  const log = extensionLog();
  let saveDialog: SaveDialog = (options) => vscode.window.showSaveDialog(options);
  const panels = new ArchitecturePanels({
    extensionUri: context.extensionUri,
    saveDialog: (options) => saveDialog(options),
    memory: new PanelMemory(context.workspaceState),
  });
  const statusBar = new ModelStatusBar(panels);

  const showArchitecture = async (argument?: unknown): Promise<OpenPanelInfo | undefined> => {
    const request = argument === undefined ? await pickModel() : requestFromArgument(argument);
    return request ? panels.show(request).info() : undefined;
  };

  const training = registerTraining(context, () => saveDialog);
  const studies = registerStudies(context);
  // Diagrams of the inspected nets highlight the block the inspector is on.
  const inspector = registerInspector(context, (netBlocks) => {
    for (const panel of panels.all()) {
      const shown = netBlocks.find((b) => b.modelName === panel.spec.name);
      if (shown) panel.highlightBlock(shown.blockId);
    }
  });
  const views = registerViews(context, training);

  context.subscriptions.push(
    log,
    panels,
    statusBar,
    vscode.commands.registerCommand(SHOW_ARCHITECTURE_COMMAND, guarded('Show Architecture', showArchitecture)),
    registerPanelSerializer(ARCHITECTURE_VIEW_TYPE, 'ResNet Lab: architecture', '"ResNet Lab: Show Architecture" opens it again.', (panel, state) => panels.revive(panel, state)),
  );
  log.info(`activated in ${vscode.env.appName} ${vscode.version} (${vscode.env.uiKind === vscode.UIKind.Web ? 'web' : 'desktop'})`);

  return {
    ...training,
    ...inspector,
    ...views,
    ...studies,
    showArchitecture: async (model) => (await showArchitecture(model))!,
    openPanels: () => panels.all().map((p) => p.info()),
    statusBarText: () => statusBar.shownText,
    receiveFromPage: async (model, message) => {
      const panel = panels.find(requestFromArgument(model));
      if (!panel) throw new Error(`No ResNet Lab panel shows ${JSON.stringify(model)}.`);
      return (await panel.host.receive(message)) as ToArchitecturePage | undefined;
    },
    recentLog: () => log.recent(),
    useSaveDialog: (dialog) => {
      saveDialog = dialog ?? ((options) => vscode.window.showSaveDialog(options));
    },
  };
}

export async function deactivate(): Promise<void> {
  await stopTrainingForShutdown();
  disposeLog();
}
