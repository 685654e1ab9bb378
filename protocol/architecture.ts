// The architecture page's contract (webview/architecture/ ↔ extension/architecture/architecturePanel.ts).
// The page draws core's report of the model it is sent: it builds that report with core's own
// reportForRequest (ResNet-1202's report is 2 MB of JSON: sending it took longer than building it).
import { z } from 'zod';
import type { ModelRequest } from '../core/spec';
import { logMessage, readyMessage, Request } from './channel';

/** A model the user may pick as the comparison in the per-stage charts. */
export interface ModelChoice {
  label: string;
  description: string;
  request: ModelRequest;
}

/** How the page was looking when its tab was hidden: the diagram's zoom and open stages, the page's scroll. */
export interface ArchitectureViewState {
  /** The diagram's zoom transform. */
  zoom: { x: number; y: number; k: number };
  /** Stages drawn block by block (the others are drawn as one shape). */
  expandedStages: string[];
  /** Stages the layer table shows layer by layer. */
  tableExpanded: string[];
  /** The page's vertical scroll, in pixels. */
  scrollY: number;
  selectedBlock: string | null;
}

/** What the page saves with vscode.setState, and the serializer revives from. */
export interface ArchitecturePanelState {
  model: ModelRequest;
  compare: ModelRequest | null;
  /** Absent until the page has drawn the model. */
  view?: ArchitectureViewState;
}

// ---- extension → page ----------------------------------------------------------------

/** Render this model (and the optional comparison); replaces whatever is shown. The extension has checked both requests. */
export interface ShowArchitectureMessage {
  type: 'showArchitecture';
  primary: ModelRequest;
  compare: ModelRequest | null;
  /** Models offered in the comparison picker. */
  compareChoices: ModelChoice[];
  /** The block the extension (and its status bar) has selected; null: none. */
  selectedBlock: string | null;
}

/** The reply to an export or copy: the saved file's path, or why not ("cancelled" when the user cancelled). */
export interface ExportResultMessage extends Request {
  type: 'exportResult';
  ok: boolean;
  detail: string;
}

/** Highlight a block (from a command or another view); null clears. */
export interface HighlightBlockMessage {
  type: 'highlightBlock';
  blockId: string | null;
}

export type ToArchitecturePage = ShowArchitectureMessage | ExportResultMessage | HighlightBlockMessage;

// ---- page → extension (checked on arrival) ---------------------------------------------

/** A model request as the page sends it back; core's specFromRequest checks its values. */
const modelRequest = z.custom<ModelRequest>((value) => typeof value === 'object' && value !== null && ['named', 'custom'].includes((value as { kind?: unknown }).kind as string), 'expected a model request');

/** Show a comparison model beside the primary one (null removes it). */
const setCompareMessage = z.object({ type: z.literal('setCompare'), request: modelRequest.nullable() });

/** Save an exported view (a request): the extension asks where with a save dialog and writes the file. */
const exportFileMessage = z.object({
  type: z.literal('exportFile'),
  requestId: z.number(),
  format: z.enum(['svg', 'png']),
  /** Which view, used for the suggested file name: "diagram" or "charts". */
  view: z.string(),
  /** SVG text, or a PNG as a base64 data URL. */
  data: z.string(),
});
export type ExportFileMessage = z.infer<typeof exportFileMessage>;

/** Put text on the clipboard (a request: the table as Markdown or CSV). */
const copyTextMessage = z.object({ type: z.literal('copyText'), requestId: z.number(), format: z.enum(['markdown', 'csv']), text: z.string() });
export type CopyTextMessage = z.infer<typeof copyTextMessage>;

/** The user selected a block in a view; null clears. */
const blockSelectedMessage = z.object({ type: z.literal('blockSelected'), blockId: z.string().nullable() });

/** Open the block inspector on this block of the model shown (the diagram's "Inspect block"). */
const inspectBlockMessage = z.object({ type: z.literal('inspectBlock'), blockId: z.string() });

export const fromArchitecturePage = z.discriminatedUnion('type', [readyMessage, logMessage, setCompareMessage, exportFileMessage, copyTextMessage, blockSelectedMessage, inspectBlockMessage]);
export type FromArchitecturePage = z.infer<typeof fromArchitecturePage>;
