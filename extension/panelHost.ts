// The one way the extension hosts a page: the HTML under a strict CSP with a fresh nonce, the
// page's script and stylesheet from dist/, every message from the page checked against its
// contract (a malformed or unknown one is logged and ignored), the page's loads ("ready")
// counted, its log lines routed to the log, a failed request reported by the error policy, and
// the keyed collection of open panels. Each panel (architecture, training, inspector) is a small
// class on top of it.
import * as vscode from 'vscode';
import type { z } from 'zod';
import { checkMessage, LogMessage } from '../protocol/channel';
import { reportError } from './errors';
import { errorMessage, log } from './log';
import { makeNonce, messageHtml, webviewHtml } from './panelHtml';

/** The pages bundled in dist/ (scripts/build.mjs): <page>.js and <page>.css. */
export type PageBundle = 'architecture' | 'training' | 'inspector';

/** The options every panel of the extension is created with. */
export function panelOptions(extensionUri: vscode.Uri, retainContextWhenHidden = false): vscode.WebviewPanelOptions & vscode.WebviewOptions {
  return { enableScripts: true, retainContextWhenHidden, localResourceRoots: [vscode.Uri.joinPath(extensionUri, 'dist')] };
}

export interface PanelHostOptions<FromPage> {
  extensionUri: vscode.Uri;
  page: PageBundle;
  /** Names the panel in the log: "training page (run 20261205-…)". */
  label: () => string;
  /** The page's messages as its contract declares them. */
  contract: z.ZodType<FromPage>;
  /** Handles a checked message (not 'log', which the host routes to the log). */
  handle(message: Exclude<FromPage, LogMessage>): unknown;
}

/** One webview panel and its page: what every panel class builds on. */
export class PanelHost<ToPage extends { type: string }, FromPage extends { type: string }> implements vscode.Disposable {
  private isDisposed = false;
  private readies = 0;
  private readonly disposables: vscode.Disposable[] = [];
  private readonly disposeEmitter = new vscode.EventEmitter<void>();
  /** Fired once, when the panel closes. */
  readonly onDidDispose = this.disposeEmitter.event;
  /** Fired when the panel becomes visible, hidden, active or inactive. */
  readonly onDidChangeViewState: vscode.Event<vscode.WebviewPanelOnDidChangeViewStateEvent>;

  constructor(
    readonly panel: vscode.WebviewPanel,
    private readonly options: PanelHostOptions<FromPage>,
  ) {
    const dist = vscode.Uri.joinPath(options.extensionUri, 'dist');
    const uri = (file: string) => panel.webview.asWebviewUri(vscode.Uri.joinPath(dist, file)).toString();
    panel.webview.options = { enableScripts: true, localResourceRoots: [dist] };
    panel.webview.html = webviewHtml({ scriptUri: uri(`${options.page}.js`), styleUri: uri(`${options.page}.css`), cspSource: panel.webview.cspSource, nonce: makeNonce(), title: panel.title });
    this.onDidChangeViewState = panel.onDidChangeViewState;
    this.disposables.push(
      panel.webview.onDidReceiveMessage((data: unknown) => void this.receive(data)),
      panel.onDidDispose(() => this.dispose()),
    );
  }

  get disposed(): boolean {
    return this.isDisposed;
  }

  /** How many times the page has loaded and said "ready" (every page's first message). */
  get readyCount(): number {
    return this.readies;
  }

  /** Checks a message from the page and handles it; resolves to what the handler returned. */
  async receive(data: unknown): Promise<unknown> {
    let message: FromPage;
    try {
      message = checkMessage(this.options.contract, data);
    } catch (error) {
      log().warn(`${this.options.label()}: ignored ${errorMessage(error)}`);
      return undefined;
    }
    if (isLog(message)) {
      log()[message.level](`${this.options.label()}: ${message.message}`);
      return undefined;
    }
    if (message.type === 'ready') this.readies += 1;
    try {
      return await this.options.handle(message as Exclude<FromPage, LogMessage>);
    } catch (error) {
      reportError(`${this.options.label()}: "${message.type}"`, error);
      return undefined;
    }
  }

  /** Sends a message to the page; false when it did not arrive (the panel is hidden or closed). */
  async post(message: ToPage): Promise<boolean> {
    if (this.isDisposed) return false;
    try {
      return await this.panel.webview.postMessage(message);
    } catch {
      return false; // the panel closed while the message was on its way
    }
  }

  reveal(): void {
    this.panel.reveal(this.panel.viewColumn);
  }

  dispose(): void {
    if (this.isDisposed) return;
    this.isDisposed = true;
    this.disposeEmitter.fire();
    while (this.disposables.length) this.disposables.pop()?.dispose();
    this.panel.dispose();
    this.disposeEmitter.dispose();
  }
}

function isLog(message: { type: string }): message is LogMessage {
  return message.type === 'log';
}

/** What the collection needs of a panel class. */
export interface HostedPanel {
  readonly host: { readonly onDidDispose: vscode.Event<void>; reveal(): void; dispose(): void };
}

/** The open panels of one kind, by key (a model, a run): opening one again reveals it. */
export class PanelCollection<P extends HostedPanel> implements vscode.Disposable {
  private readonly panels = new Map<string, P>();
  private readonly changeEmitter = new vscode.EventEmitter<void>();
  /** Fired when a panel opens or closes. */
  readonly onDidChange = this.changeEmitter.event;

  /** The open panel of this key, revealed; or a new one from `create`. */
  showOrCreate(key: string, create: () => P): { panel: P; created: boolean } {
    const existing = this.panels.get(key);
    if (existing) {
      existing.host.reveal();
      return { panel: existing, created: false };
    }
    return { panel: this.add(key, create()), created: true };
  }

  /** Keeps a panel (a revived one too) until it closes; a duplicate of an open key is closed and the open one revealed. */
  add(key: string, panel: P): P {
    const existing = this.panels.get(key);
    if (existing && existing !== panel) {
      panel.host.dispose();
      existing.host.reveal();
      return existing;
    }
    this.panels.set(key, panel);
    panel.host.onDidDispose(() => {
      if (this.panels.get(key) === panel) this.panels.delete(key);
      this.changeEmitter.fire();
    });
    this.changeEmitter.fire();
    return panel;
  }

  find(key: string): P | undefined {
    return this.panels.get(key);
  }

  all(): P[] {
    return [...this.panels.values()];
  }

  dispose(): void {
    for (const panel of [...this.panels.values()]) panel.host.dispose();
    this.changeEmitter.dispose();
  }
}

/**
 * Registers the serializer that brings a kind of panel back after a window reload. When
 * `revive` fails, the panel stays and says why (the command that opens it again is named).
 */
export function registerPanelSerializer(viewType: string, title: string, reopenHint: string, revive: (panel: vscode.WebviewPanel, state: unknown) => Promise<void> | void): vscode.Disposable {
  return vscode.window.registerWebviewPanelSerializer(viewType, {
    deserializeWebviewPanel: async (panel, state: unknown) => {
      try {
        await revive(panel, state);
      } catch (error) {
        const problem = `${title} could not reopen after the reload: ${errorMessage(error)}. ${reopenHint}`;
        log().warn(problem);
        panel.webview.html = messageHtml(title, problem);
      }
    },
  });
}
