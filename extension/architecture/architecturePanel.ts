// The architecture webview panels: one per model (opening it again reveals it), revived after
// a window reload from the page's saved state, and the handler of the page's messages.
import { homedir } from 'node:os';
import * as vscode from 'vscode';
import { ModelRequest, NetworkSpec, requestFromSpec, specFromRequest } from '../../core/spec';
import type { LogMessage } from '../../protocol/channel';
import { ArchitecturePanelState, ExportFileMessage, ExportResultMessage, fromArchitecturePage, FromArchitecturePage, ToArchitecturePage } from '../../protocol/architecture';
import { HostedPanel, PanelCollection, PanelHost, panelOptions } from '../panelHost';
import { INSPECT_BLOCK_COMMAND, InspectBlockArguments } from '../inspector/inspectorCommands';
import { compareChoices, keyOfSpec } from './compareChoices';
import { showProblem } from '../errors';
import { errorMessage, log } from '../log';
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
  /** How many times its page has loaded and said "ready". */
  readyCount: number;
}

export class ArchitecturePanel implements HostedPanel {
  readonly host: PanelHost<ToArchitecturePage, FromArchitecturePage>;
  private compareSpec: NetworkSpec | null;
  private selectedBlock: string | null = null;
  private readonly changeEmitter = new vscode.EventEmitter<void>();
  /** Fired when the panel becomes active or inactive, or what it shows changes. */
  readonly onDidChange = this.changeEmitter.event;

  constructor(
    readonly panel: vscode.WebviewPanel,
    readonly spec: NetworkSpec,
    compare: NetworkSpec | null,
    private readonly services: PanelServices,
    /** The block the page had selected before a window reload. */
    selectedBlock: string | null = null,
  ) {
    this.compareSpec = compare;
    this.selectedBlock = selectedBlock;
    panel.title = spec.title;
    this.host = new PanelHost(panel, { extensionUri: services.extensionUri, page: 'architecture', label: () => `architecture page (${spec.name})`, contract: fromArchitecturePage, handle: (message) => this.handleMessage(message) });
    this.host.onDidChangeViewState(() => this.changeEmitter.fire());
    this.host.onDidDispose(() => this.changeEmitter.dispose());
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
      readyCount: this.host.readyCount,
    };
  }

  /** Handles one message from the page (already checked); resolves to the reply it posted, if any. */
  async handleMessage(message: Exclude<FromArchitecturePage, LogMessage>): Promise<ToArchitecturePage | undefined> {
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
    }
  }

  /** Sends the page the model (and the comparison) to render, and the block the status bar names. */
  async showArchitecture(): Promise<ToArchitecturePage> {
    const message: ToArchitecturePage = {
      type: 'showArchitecture',
      primary: requestFromSpec(this.spec),
      compare: this.compareSpec ? requestFromSpec(this.compareSpec) : null,
      compareChoices: compareChoices(this.spec),
      selectedBlock: this.selectedBlock,
    };
    return this.reply(message);
  }

  async setCompare(request: ModelRequest | null): Promise<ToArchitecturePage | undefined> {
    try {
      this.compareSpec = request ? specFromRequest(request) : null;
    } catch (error) {
      showProblem(`${this.spec.title}: cannot compare with that model: ${errorMessage(error)}`);
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
      showProblem(`${this.spec.title}: ${problem}`);
      return result(false, problem);
    }
    log().info(`${this.spec.name}: exported the ${message.view} as ${message.format.toUpperCase()} to ${describeUri(target)} (${bytes.length} bytes)`);
    void vscode.window.showInformationMessage(`ResNet Lab: saved ${describeUri(target)}`);
    return result(true, describeUri(target));
  }

  /** Marks a block in the diagram and table (the block inspector's current block); null clears. */
  highlightBlock(blockId: string | null): void {
    if (this.host.disposed || blockId === this.selectedBlock) return;
    this.selectedBlock = blockId;
    this.changeEmitter.fire();
    void this.host.post({ type: 'highlightBlock', blockId });
  }

  private async reply<T extends ToArchitecturePage>(message: T): Promise<T> {
    if (!(await this.host.post(message))) log().warn(`${this.spec.name}: the page did not take the "${message.type}" message (panel hidden or closed)`);
    return message;
  }
}

/** The bytes to write for an export: SVG text, or the PNG inside a base64 data URL. */
function exportBytes(message: Pick<ExportFileMessage, 'format' | 'data'>): Uint8Array {
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

function describeUri(uri: vscode.Uri): string {
  return uri.scheme === 'file' ? uri.fsPath : uri.toString();
}

/** All open architecture panels, keyed by model, and which one is active. */
export class ArchitecturePanels implements vscode.Disposable {
  private readonly panels = new PanelCollection<ArchitecturePanel>();
  private readonly changeEmitter = new vscode.EventEmitter<void>();
  /** Fired when a panel opens, closes, or becomes active or inactive. */
  readonly onDidChange = this.changeEmitter.event;

  constructor(private readonly services: PanelServices) {
    this.panels.onDidChange(() => this.changeEmitter.fire());
  }

  /** Opens the panel of this model, or reveals it if it is already open. */
  show(request: ModelRequest): ArchitecturePanel {
    const spec = specFromRequest(request);
    const { panel, created } = this.panels.showOrCreate(keyOfSpec(spec), () =>
      this.track(new ArchitecturePanel(vscode.window.createWebviewPanel(ARCHITECTURE_VIEW_TYPE, spec.title, vscode.ViewColumn.Active, panelOptions(this.services.extensionUri)), spec, null, this.services)),
    );
    if (created) log().info(`opened ${spec.title} (${spec.name})`);
    return panel;
  }

  /** Brings back a panel after a window reload, from the state its page saved (or the title's memory). */
  revive(panel: vscode.WebviewPanel, savedState: unknown): void {
    const state = isPanelState(savedState) ? savedState : this.services.memory.recall(panel.title);
    if (!state) throw new Error(`the panel "${panel.title}" saved no model`);
    const spec = specFromRequest(state.model);
    const compare = state.compare ? specFromRequest(state.compare) : null;
    const saved = isPanelState(savedState) ? savedState.view?.selectedBlock : null;
    const selected = typeof saved === 'string' ? saved : null;
    this.panels.add(keyOfSpec(spec), this.track(new ArchitecturePanel(panel, spec, compare, this.services, selected)));
    log().info(`revived ${spec.title} after a reload`);
  }

  private track(panel: ArchitecturePanel): ArchitecturePanel {
    panel.onDidChange(() => this.changeEmitter.fire());
    return panel;
  }

  find(request: ModelRequest): ArchitecturePanel | undefined {
    return this.panels.find(keyOfSpec(specFromRequest(request)));
  }

  active(): ArchitecturePanel | undefined {
    return this.panels.all().find((p) => p.panel.active);
  }

  all(): ArchitecturePanel[] {
    return this.panels.all();
  }

  dispose(): void {
    this.panels.dispose();
    this.changeEmitter.dispose();
  }
}

function isPanelState(value: unknown): value is ArchitecturePanelState {
  return typeof value === 'object' && value !== null && 'model' in value && typeof (value as { model: unknown }).model === 'object' && (value as { model: unknown }).model !== null;
}
