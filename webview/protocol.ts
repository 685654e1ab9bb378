// The messages between the extension and the architecture webview, declared once and
// imported by both sides. The webview renders what core computed; it never computes costs.
import type { ModelReport } from '../core/report';
import type { ModelRequest } from '../core/spec';

/** A model the user may pick as the comparison in the per-stage charts. */
export interface ModelChoice {
  label: string;
  description: string;
  request: ModelRequest;
}

/** What the page saves with vscode.setState, and the serializer revives from. */
export interface ArchitecturePanelState {
  model: ModelRequest;
  compare: ModelRequest | null;
}

// ---- extension → webview -------------------------------------------------------------

/** Render this model (and the optional comparison); replaces whatever is shown. */
export interface ShowArchitectureMessage {
  type: 'showArchitecture';
  primary: ModelReport;
  compare: ModelReport | null;
  /** Models offered in the comparison picker. */
  compareChoices: ModelChoice[];
}

/** The result of an export or copy the page asked for. */
export interface ExportResultMessage {
  type: 'exportResult';
  requestId: number;
  ok: boolean;
  /** Saved file path on success; the reason on failure ("cancelled" when the user cancelled). */
  detail: string;
}

/** Highlight a block (from a command or another view); null clears. */
export interface HighlightBlockMessage {
  type: 'highlightBlock';
  blockId: string | null;
}

export type ToWebviewMessage = ShowArchitectureMessage | ExportResultMessage | HighlightBlockMessage;

// ---- webview → extension -------------------------------------------------------------

/** The page has loaded and wants its data. */
export interface ReadyMessage {
  type: 'ready';
}

/** Show a comparison model beside the primary one (null removes it). */
export interface SetCompareMessage {
  type: 'setCompare';
  request: ModelRequest | null;
}

/** Save an exported view: the extension asks where with a save dialog and writes the file. */
export interface ExportFileMessage {
  type: 'exportFile';
  requestId: number;
  format: 'svg' | 'png';
  /** Which view, used for the suggested file name: "diagram" or "charts". */
  view: string;
  /** SVG text, or a PNG as a base64 data URL. */
  data: string;
}

/** Put text on the clipboard (the table as Markdown or CSV). */
export interface CopyTextMessage {
  type: 'copyText';
  requestId: number;
  format: 'markdown' | 'csv';
  text: string;
}

/** The user selected a block in a view; null clears. */
export interface BlockSelectedMessage {
  type: 'blockSelected';
  blockId: string | null;
}

/** A problem inside the page, for the output channel. */
export interface WebviewLogMessage {
  type: 'log';
  level: 'info' | 'warn' | 'error';
  message: string;
}

/** Open the block inspector on this block of the model shown (the diagram's "Inspect block"). */
export interface InspectBlockMessage {
  type: 'inspectBlock';
  blockId: string;
}

export type FromWebviewMessage = ReadyMessage | SetCompareMessage | ExportFileMessage | CopyTextMessage | BlockSelectedMessage | InspectBlockMessage | WebviewLogMessage;

/**
 * The context VS Code passes to "Inspect This Block" from the diagram's right-click menu: the
 * data-vscode-context of the block and of the diagram above it, merged (VS Code adds `webview`).
 */
export interface DiagramBlockContext {
  webviewSection: 'block';
  blockId: string;
  /** The model shown, as JSON of its ModelRequest (context values are kept flat). */
  modelRequest: string;
}
