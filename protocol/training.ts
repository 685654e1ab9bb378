// The training-curves page's contract (webview/training/ ↔ extension/training/trainingPanel.ts).
import { z } from 'zod';
import type { MetricPoint, NetPlan, RunConfig, RunStatus } from '../core/training/types';
import { logMessage, readyMessage } from './channel';

/** A run as the curves view shows it. */
export interface RunView {
  config: RunConfig;
  status: RunStatus;
  /** Backend in use, e.g. "wasm (WebAssembly, SIMD)"; empty before it starts. */
  backend: string;
  /** A human sentence for stopped/failed runs (the error, or "stopped by you: plain-20 at step 120 of 200, …"). */
  statusDetail: string;
  metrics: MetricPoint[];
  /** The step each net's trainer reached, where known (a stopped net's checkpoint may be past its last logged step). */
  netSteps?: NetSteps;
}

export type NetSteps = Partial<Record<NetPlan['slot'], number>>;

/** What the page saves with setState so a reload (or hiding and showing the tab) revives it. */
export interface TrainingPanelState {
  runIds: string[];
  /** The charts' view as the user left it: kept when the tab is hidden and shown again, and on reload. */
  curves?: CurvesViewState;
  /** The latest backend and status of each run shown, by id: the header keeps them until the extension says newer. */
  latest?: Record<string, { status: RunStatus; backend: string; statusDetail: string }>;
}

export interface CurvesViewState {
  /** The moving average's weight w for the training curves, 0 (off) to 0.99. */
  smoothing: number;
  /** Runs that differ only in their seed drawn as mean ± std bands. */
  bands: boolean;
  lossScale: 'log' | 'linear';
  /** "Zoom to data": both axes fitted to the curves. */
  fit: boolean;
  /** Ranges dragged with the mouse (iterations; error in %; loss); null where not zoomed. */
  zoom: { x: [number, number] | null; errorY: [number, number] | null; lossY: [number, number] | null };
  /** Series hidden with the legend's toggles. */
  hidden: string[];
}

// ---- extension → page ----------------------------------------------------------------

/** Everything about the runs shown, replacing what the page has (on open and after a reload). */
export interface ShowRunsMessage {
  type: 'showRuns';
  /** The first is the live or main run; others are overlays. */
  runs: RunView[];
}

/** New metric points of one run, appended in order (test points carry the nets' gradient norms, drawn by gradientChart.ts). */
export interface AppendMetricsMessage {
  type: 'appendMetrics';
  runId: string;
  points: MetricPoint[];
}

/** The run's status changed (paused, resumed, finished, failed…). */
export interface RunStatusMessage {
  type: 'runStatus';
  runId: string;
  status: RunStatus;
  backend: string;
  statusDetail: string;
  netSteps?: NetSteps;
}

export type ToTrainingPage = ShowRunsMessage | AppendMetricsMessage | RunStatusMessage;

// ---- page → extension (checked on arrival) ---------------------------------------------

export const fromTrainingPage = z.discriminatedUnion('type', [
  readyMessage,
  logMessage,
  /** Pause, resume or stop the live run; resume on a stopped or failed run continues it from its checkpoints. */
  z.object({ type: z.literal('control'), runId: z.string(), action: z.enum(['pause', 'resume', 'stop']) }),
  /** Save the run's metrics as CSV (the extension asks where). */
  z.object({ type: z.literal('exportCsv'), runId: z.string() }),
  /** Open the block inspector on the run's latest weights (refreshed while it trains). */
  z.object({ type: z.literal('inspect'), runId: z.string() }),
  /** Add another past run to the chart (the extension shows a picker). */
  z.object({ type: z.literal('addOverlay') }),
]);
export type FromTrainingPage = z.infer<typeof fromTrainingPage>;
