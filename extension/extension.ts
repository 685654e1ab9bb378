// Activation: the Show Architecture command, the panel serializer, the status bar and the log.
import * as vscode from 'vscode';
import { ModelRequest } from '../core/spec';
import type { FromWebviewMessage, ToWebviewMessage } from '../webview/protocol';
import { ARCHITECTURE_VIEW_TYPE, ArchitecturePanels, OpenPanelInfo, SaveDialog } from './architecturePanel';
import { createLog, disposeLog, errorMessage } from './log';
import { pickModel, requestFromArgument } from './modelPicker';
import { PanelMemory } from './panelMemory';
import { ModelStatusBar } from './statusBar';
import { registerTraining, stopTrainingForShutdown, TrainingApi } from './training';
import { InspectorApi, registerInspector } from './inspector';

export const SHOW_ARCHITECTURE_COMMAND = 'resnetLab.showArchitecture';

/** What activate() returns: for tests and for other extensions that open models. */
export interface ResNetLabApi extends TrainingApi, InspectorApi {
  /** Opens (or reveals) the panel of a model; the argument is what the command accepts. */
  showArchitecture(model: string | ModelRequest): Promise<OpenPanelInfo>;
  /** The open architecture panels. */
  openPanels(): OpenPanelInfo[];
  /** The status bar text, or undefined while the item is hidden. */
  statusBarText(): string | undefined;
  /** Handles a message as if the page of that model's panel had sent it; resolves to the reply. */
  receiveFromPage(model: string | ModelRequest, message: FromWebviewMessage): Promise<ToWebviewMessage | undefined>;
  /** Replaces the save dialog (undefined restores the real one): tests cannot click a dialog. */
  useSaveDialog(dialog: SaveDialog | undefined): void;
}

export function activate(context: vscode.ExtensionContext): ResNetLabApi {
  const log = createLog();
  let saveDialog: SaveDialog = (options) => vscode.window.showSaveDialog(options);
  const panels = new ArchitecturePanels({
    extensionUri: context.extensionUri,
    saveDialog: (options) => saveDialog(options),
    memory: new PanelMemory(context.workspaceState),
  });
  const statusBar = new ModelStatusBar(panels);

  const showArchitecture = async (argument?: unknown): Promise<OpenPanelInfo | undefined> => {
    let request: ModelRequest | undefined;
    try {
      request = argument === undefined ? await pickModel() : requestFromArgument(argument);
      if (!request) return undefined;
      return panels.show(request).info();
    } catch (error) {
      const problem = errorMessage(error);
      log.error(`Show Architecture: ${problem}`);
      void vscode.window.showErrorMessage(`ResNet Lab: ${problem}`);
      throw error;
    }
  };

  const training = registerTraining(context, () => saveDialog);
  // Diagrams of the inspected nets highlight the block the inspector is on.
  const inspector = registerInspector(context, (blockId, modelNames) => {
    for (const panel of panels.all()) if (modelNames.includes(panel.spec.name)) panel.highlightBlock(blockId);
  });

  context.subscriptions.push(
    log,
    panels,
    statusBar,
    vscode.commands.registerCommand(SHOW_ARCHITECTURE_COMMAND, showArchitecture),
    vscode.window.registerWebviewPanelSerializer(ARCHITECTURE_VIEW_TYPE, {
      deserializeWebviewPanel: async (panel, state: unknown) => panels.revive(panel, state),
    }),
  );
  log.info(`activated in ${vscode.env.appName} ${vscode.version} (${vscode.env.uiKind === vscode.UIKind.Web ? 'web' : 'desktop'})`);

  return {
    ...training,
    ...inspector,
    showArchitecture: async (model) => (await showArchitecture(model))!,
    openPanels: () => panels.all().map((p) => p.info()),
    statusBarText: () => statusBar.shownText,
    receiveFromPage: async (model, message) => {
      const panel = panels.find(requestFromArgument(model));
      if (!panel) throw new Error(`No ResNet Lab panel shows ${JSON.stringify(model)}.`);
      return panel.handleMessage(message);
    },
    useSaveDialog: (dialog) => {
      saveDialog = dialog ?? ((options) => vscode.window.showSaveDialog(options));
    },
  };
}

export async function deactivate(): Promise<void> {
  await stopTrainingForShutdown();
  disposeLog();
}
