// The block inspector page's contract (webview/inspector/ ↔ extension/inspector/inspectorPanel.ts).
// The page draws what core's block probe computed; it computes nothing.
import { z } from 'zod';
import type { GradientFlow, LesionStudy } from '../core/analysis/types';
import type { AnalysisKind } from '../core/analysis/workerProtocol';
import type { InspectedImage, NetInspection, PickerImages } from '../core/inspect/types';
import type { ModelRequest } from '../core/spec';
import { logMessage, readyMessage } from './channel';

export type { AnalysisKind, InspectedImage };

/** Whose weights the inspector shows: a run (latest, or the checkpoint at `step`), or an untrained net. */
export type InspectorSourceState = { runFolder: string; step?: number } | { model: ModelRequest };

/** What the page saves with setState so a reload revives it (the serializer reopens the source). */
export interface InspectorPanelState {
  blockIndex: number;
  imageIndex: number | null;
  source?: InspectorSourceState;
  /** The page's vertical scroll, in pixels, brought back when its tab is shown again. */
  scrollY?: number;
}

// ---- extension → page ----------------------------------------------------------------

/** The images to pick from, grouped by class, and where they come from. */
export interface ShowImagesMessage extends PickerImages {
  type: 'showImages';
}

/**
 * One image through the residual net and (when the run has one) its plain twin, block by
 * block. Replaces what is shown; the page keeps its current block unless blockIndex is given.
 */
export interface ShowInspectionMessage {
  type: 'showInspection';
  image: InspectedImage;
  /**
   * The residual net first, then its plain twin. Their depths may differ (plain-20 beside
   * plain-56): the page aligns their blocks by stage and relative depth.
   */
  nets: NetInspection[];
  /** True while the run trains (its lock is held) and the view refreshes from its latest weights. */
  live: boolean;
  /** Go to this block: an index into the blocks of the deepest net (the first of them on a tie). */
  blockIndex?: number;
  /** Saved in the page's state so a window reload reopens the same weights. */
  source: InspectorSourceState;
}

/** Move the current block (from the Next/Previous Block commands and their keybindings). */
export interface StepBlockMessage {
  type: 'step';
  action: 'next' | 'previous' | 'first' | 'last';
}

/** Something went wrong computing the view; the page shows the message. */
export interface InspectorErrorMessage {
  type: 'error';
  message: string;
}

/** How far the lesion study or gradient flow the user started is (it runs in a worker thread). */
export interface AnalysisProgressMessage {
  type: 'analysisProgress';
  kind: AnalysisKind;
  text: string;
  /** Done so far, in [0, 1]. */
  fraction: number;
}

/** A finished analysis of the shown checkpoint: what `resnet-lab analyze --json` prints under its key. */
export type AnalysisResultMessage = { type: 'analysisResult'; kind: 'lesion'; lesion: LesionStudy } | { type: 'analysisResult'; kind: 'gradients'; gradients: GradientFlow };

/** The analysis ended without a result: cancelled (the message says why) or failed (it names the problem). */
export interface AnalysisStoppedMessage {
  type: 'analysisStopped';
  kind: AnalysisKind;
  outcome: 'cancelled' | 'failed';
  message: string;
}

export type ToInspectorPage = ShowImagesMessage | ShowInspectionMessage | StepBlockMessage | InspectorErrorMessage | AnalysisProgressMessage | AnalysisResultMessage | AnalysisStoppedMessage;

// ---- page → extension (checked on arrival) ---------------------------------------------

export const fromInspectorPage = z.discriminatedUnion('type', [
  readyMessage,
  logMessage,
  /** The user picked an image to inspect. */
  z.object({ type: z.literal('pickImage'), index: z.number().int().nonnegative() }),
  /**
   * The current block changed (keyboard, click or a step message); the extension tracks it.
   * blockIndex and blockId are the deepest net's; netBlocks has each net's aligned block.
   */
  z.object({
    type: z.literal('blockShown'),
    blockIndex: z.number().int().nonnegative(),
    blockId: z.string(),
    netBlocks: z.array(z.object({ modelName: z.string(), blockId: z.string() })),
  }),
  /** Run the lesion study (on `images` test images) or the gradient flow of the shown checkpoint. */
  z.object({ type: z.literal('runAnalysis'), kind: z.enum(['lesion', 'gradients']), images: z.number().int().min(1).max(10_000).optional() }),
  /** Stop the analysis that runs. */
  z.object({ type: z.literal('cancelAnalysis') }),
]);
export type FromInspectorPage = z.infer<typeof fromInspectorPage>;
