// The architecture webview panels: one per model (opening it again reveals it), revived after
// a window reload from the page's saved state, and the handler of the page's messages.
import { homedir } from 'node:os';
import * as vscode from 'vscode';
import { reportForSpec } from '../core/report';
import { ModelRequest, NetworkSpec, requestFromSpec, specFromRequest } from '../core/spec';
import type { ArchitecturePanelState, ExportFileMessage, ExportResultMessage, FromWebviewMessage, ToWebviewMessage, WebviewLogMessage } from '../webview/protocol';
import { makeNonce, webviewHtml } from '../webview/html';
import { INSPECT_BLOCK_COMMAND, InspectBlockArguments } from './inspector';
import { compareChoices, keyOfSpec } from './compareChoices';
import { errorMessage, log } from './log';
import type { PanelMemory } from './panelMemory';

export const ARCHITECTURE_VIEW_TYPE = 'resnetLab.architecture';

/** Asks where to save a file; the real one is vscode.window.showSaveDialog. */
export type SaveDialog = (options: vscode.SaveDialogOptions) => Thenable<vscode.Uri | undefined>;

/** What the panels need from the rest of the extension. */
export interface PanelServices {
  extensionUri: vscode.Uri;
  saveDialog: SaveDialog;
  memory: PanelMemory;
}

/** A panel as tests and the status bar see it. */
export interface OpenPanelInfo {
  key: string;
  name: string;
  title: string;
  compare: string | null;
  active: boolean;
  visible: boolean;
  selectedBlock: string | null;
}

export class ArchitecturePanel {
  private compareSpec: NetworkSpec | null;
  private selectedBlock: string | null = null;
  private disposed = false;
  private readonly disposables: vscode.Disposable[] = [];
  private readonly disposeEmitter = new vscode.EventEmitter<void>();
  private readonly changeEmitter = new vscode.EventEmitter<void>();
  /** Fired when the panel closes. */
  readonly onDidDispose = this.disposeEmitter.event;
  /** Fired when the panel becomes active or inactive, or what it shows changes. */
  readonly onDidChange = this.changeEmitter.event;

  constructor(
    readonly panel: vscode.WebviewPanel,
    readonly spec: NetworkSpec,
    compare: NetworkSpec | null,
    private readonly services: PanelServices,
  ) {
    this.compareSpec = compare;
    const dist = vscode.Uri.joinPath(services.extensionUri, 'dist');
    panel.webview.options = { enableScripts: true, localResourceRoots: [dist] };
    panel.title = spec.title;
    panel.webview.html = webviewHtml({
      scriptUri: panel.webview.asWebviewUri(vscode.Uri.joinPath(dist, 'webview.js')).toString(),
      styleUri: panel.webview.asWebviewUri(vscode.Uri.joinPath(dist, 'webview.css')).toString(),
      cspSource: panel.webview.cspSource,
      nonce: makeNonce(),
      title: spec.title,
    });
    this.disposables.push(
      panel.webview.onDidReceiveMessage((message: FromWebviewMessage) => {
        this.handleMessage(message).catch((error) => log().error(`${spec.name}: handling "${message?.type}" failed: ${errorMessage(error)}`));
      }),
      panel.onDidChangeViewState(() => this.changeEmitter.fire()),
      panel.onDidDispose(() => this.dispose()),
    );
    this.remember();
  }

  private remember(): void {
    this.services.memory.remember(this.spec.title, { model: requestFromSpec(this.spec), compare: this.compareSpec ? requestFromSpec(this.compareSpec) : null });
  }

  get key(): string {
    return keyOfSpec(this.spec);
  }

  info(): OpenPanelInfo {
    return {
      key: this.key,
      name: this.spec.name,
      title: this.spec.title,
      compare: this.compareSpec?.name ?? null,
      active: this.panel.active,
      visible: this.panel.visible,
      selectedBlock: this.selectedBlock,
    };
  }

  reveal(): void {
    this.panel.reveal(this.panel.viewColumn);
  }

  /** Handles one message from the page; resolves to the reply it posted, if any. */
  async handleMessage(message: FromWebviewMessage): Promise<ToWebviewMessage | undefined> {
    switch (message.type) {
      case 'ready':
        return this.showArchitecture();
      case 'setCompare':
        return this.setCompare(message.request);
      case 'exportFile':
        return this.reply(await this.exportFile(message));
      case 'copyText':
        await vscode.env.clipboard.writeText(message.text);
        log().info(`${this.spec.name}: copied the layer table as ${message.format} (${message.text.length} characters)`);
        return this.reply({ type: 'exportResult', requestId: message.requestId, ok: true, detail: `Copied the table as ${message.format}` });
      case 'blockSelected':
        this.selectedBlock = message.blockId;
        this.changeEmitter.fire();
        return undefined;
      case 'inspectBlock': {
        const args: InspectBlockArguments = { blockId: message.blockId, modelRequest: requestFromSpec(this.spec) };
        await vscode.commands.executeCommand(INSPECT_BLOCK_COMMAND, args);
        return undefined;
      }
      case 'log':
        writeLog(message.level, `page (${this.spec.name}): ${message.message}`);
        return undefined;
      default:
        log().warn(`${this.spec.name}: ignored an unknown message from the page: ${JSON.stringify(message)}`);
        return undefined;
    }
  }

  /** Sends the page the model (and the comparison) to render. */
  async showArchitecture(): Promise<ToWebviewMessage> {
    const message: ToWebviewMessage = {
      type: 'showArchitecture',
      primary: reportForSpec(this.spec),
      compare: this.compareSpec ? reportForSpec(this.compareSpec) : null,
      compareChoices: compareChoices(this.spec),
    };
    return this.reply(message);
  }

  async setCompare(request: ModelRequest | null): Promise<ToWebviewMessage | undefined> {
    try {
      this.compareSpec = request ? specFromRequest(request) : null;
    } catch (error) {
      const problem = `Cannot compare with that model: ${errorMessage(error)}`;
      log().error(`${this.spec.name}: ${problem}`);
      void vscode.window.showErrorMessage(`ResNet Lab: ${problem}`);
      return undefined;
    }
    log().info(`${this.spec.name}: comparing with ${this.compareSpec?.name ?? 'nothing'}`);
    this.remember();
    this.changeEmitter.fire();
    return this.showArchitecture();
  }

  private async exportFile(message: ExportFileMessage): Promise<ExportResultMessage> {
    const result = (ok: boolean, detail: string): ExportResultMessage => ({ type: 'exportResult', requestId: message.requestId, ok, detail });
    let bytes: Uint8Array;
    try {
      bytes = exportBytes(message);
    } catch (error) {
      log().error(`${this.spec.name}: export of ${message.view} failed: ${errorMessage(error)}`);
      return result(false, errorMessage(error));
    }
    const fileName = `${this.spec.name}-${message.view.replace(/[^A-Za-z0-9_-]+/g, '-')}.${message.format}`;
    const folder = vscode.workspace.workspaceFolders?.[0]?.uri ?? vscode.Uri.file(homedir());
    const target = await this.services.saveDialog({
      title: `Export the ${message.view} of ${this.spec.title}`,
      defaultUri: vscode.Uri.joinPath(folder, fileName),
      filters: message.format === 'svg' ? { 'SVG image': ['svg'] } : { 'PNG image': ['png'] },
      saveLabel: 'Export',
    });
    if (!target) return result(false, 'cancelled');
    try {
      await vscode.workspace.fs.writeFile(target, bytes);
    } catch (error) {
      const problem = `Could not write ${describeUri(target)}: ${errorMessage(error)}`;
      log().error(`${this.spec.name}: ${problem}`);
      void vscode.window.showErrorMessage(`ResNet Lab: ${problem}`);
      return result(false, problem);
    }
    log().info(`${this.spec.name}: exported the ${message.view} as ${message.format.toUpperCase()} to ${describeUri(target)} (${bytes.length} bytes)`);
    void vscode.window.showInformationMessage(`ResNet Lab: saved ${describeUri(target)}`);
    return result(true, describeUri(target));
  }

  /** Marks a block in the diagram and table (the block inspector's current block); null clears. */
  highlightBlock(blockId: string | null): void {
    if (this.disposed || blockId === this.selectedBlock) return;
    this.selectedBlock = blockId;
    this.changeEmitter.fire();
    void this.panel.webview.postMessage({ type: 'highlightBlock', blockId } satisfies ToWebviewMessage);
  }

  private async reply<T extends ToWebviewMessage>(message: T): Promise<T> {
    const delivered = await this.panel.webview.postMessage(message);
    if (!delivered) log().warn(`${this.spec.name}: the page did not take the "${message.type}" message (panel hidden or closed)`);
    return message;
  }

  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    this.disposeEmitter.fire();
    while (this.disposables.length) this.disposables.pop()?.dispose();
    this.panel.dispose();
    this.disposeEmitter.dispose();
    this.changeEmitter.dispose();
  }
}

/** The bytes to write for an export: SVG text, or the PNG inside a base64 data URL. */
export function exportBytes(message: Pick<ExportFileMessage, 'format' | 'data'>): Uint8Array {
  if (message.format === 'svg') {
    if (!/<svg[\s>]/.test(message.data)) throw new Error('The page sent no SVG to export (no <svg> element in the data).');
    return Buffer.from(message.data, 'utf8');
  }
  const match = /^data:image\/png;base64,([A-Za-z0-9+/=\s]+)$/.exec(message.data);
  if (!match) throw new Error('The page sent no PNG to export (expected a data:image/png;base64 URL).');
  const bytes = Buffer.from(match[1], 'base64');
  const signature = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a];
  if (bytes.length < 8 || signature.some((b, i) => bytes[i] !== b)) throw new Error('The PNG data URL does not hold a PNG image.');
  return bytes;
}

function writeLog(level: WebviewLogMessage['level'], text: string): void {
  if (level === 'error') log().error(text);
  else if (level === 'warn') log().warn(text);
  else log().info(text);
}

function describeUri(uri: vscode.Uri): string {
  return uri.scheme === 'file' ? uri.fsPath : uri.toString();
}

/** All open architecture panels, keyed by model, and which one is active. */
export class ArchitecturePanels implements vscode.Disposable {
  private readonly panels = new Map<string, ArchitecturePanel>();
  private readonly changeEmitter = new vscode.EventEmitter<void>();
  /** Fired when a panel opens, closes, or becomes active or inactive. */
  readonly onDidChange = this.changeEmitter.event;

  constructor(private readonly services: PanelServices) {}

  /** Opens the panel of this model, or reveals it if it is already open. */
  show(request: ModelRequest): ArchitecturePanel {
    const spec = specFromRequest(request);
    const existing = this.panels.get(keyOfSpec(spec));
    if (existing) {
      existing.reveal();
      return existing;
    }
    const panel = vscode.window.createWebviewPanel(ARCHITECTURE_VIEW_TYPE, spec.title, vscode.ViewColumn.Active, {
      enableScripts: true,
      localResourceRoots: [vscode.Uri.joinPath(this.services.extensionUri, 'dist')],
    });
    log().info(`opened ${spec.title} (${spec.name})`);
    return this.track(new ArchitecturePanel(panel, spec, null, this.services));
  }

  /** Brings back a panel after a window reload, from the state its page saved. */
  revive(panel: vscode.WebviewPanel, savedState: unknown): void {
    const state = isPanelState(savedState) ? savedState : this.services.memory.recall(panel.title);
    if (!state) {
      log().warn(`the panel "${panel.title}" from the last session had no saved model; closing it`);
      panel.dispose();
      return;
    }
    try {
      const spec = specFromRequest(state.model);
      const compare = state.compare ? specFromRequest(state.compare) : null;
      const duplicate = this.panels.get(keyOfSpec(spec));
      if (duplicate) {
        panel.dispose();
        duplicate.reveal();
        return;
      }
      this.track(new ArchitecturePanel(panel, spec, compare, this.services));
      log().info(`revived ${spec.title} after a reload`);
    } catch (error) {
      log().error(`could not revive a panel: ${errorMessage(error)}`);
      panel.dispose();
    }
  }

  private track(panel: ArchitecturePanel): ArchitecturePanel {
    const key = panel.key;
    this.panels.set(key, panel);
    panel.onDidChange(() => this.changeEmitter.fire());
    panel.onDidDispose(() => {
      if (this.panels.get(key) === panel) this.panels.delete(key);
      this.changeEmitter.fire();
    });
    this.changeEmitter.fire();
    return panel;
  }

  find(request: ModelRequest): ArchitecturePanel | undefined {
    return this.panels.get(keyOfSpec(specFromRequest(request)));
  }

  active(): ArchitecturePanel | undefined {
    return [...this.panels.values()].find((p) => p.panel.active);
  }

  all(): ArchitecturePanel[] {
    return [...this.panels.values()];
  }

  dispose(): void {
    for (const panel of [...this.panels.values()]) panel.dispose();
    this.changeEmitter.dispose();
  }
}

function isPanelState(value: unknown): value is ArchitecturePanelState {
  return typeof value === 'object' && value !== null && 'model' in value && typeof (value as { model: unknown }).model === 'object' && (value as { model: unknown }).model !== null;
}
