// The messages between the extension and the training-curves webview, declared once and
// imported by both sides.
import type { MetricPoint, RunConfig, RunStatus } from '../core/training/types';

/** A run as the curves view shows it. */
export interface RunView {
  config: RunConfig;
  status: RunStatus;
  /** Backend in use, e.g. "wasm (WebAssembly, SIMD)"; empty before it starts. */
  backend: string;
  /** A human sentence for stopped/failed runs (the error, or "stopped by you at step 120"). */
  statusDetail: string;
  metrics: MetricPoint[];
}

/** What the page saves with setState so a reload revives it. */
export interface TrainingPanelState {
  runIds: string[];
}

// ---- extension → webview -------------------------------------------------------------

/** Everything about the runs shown, replacing what the page has (on open and after a reload). */
export interface ShowRunsMessage {
  type: 'showRuns';
  /** The first is the live or main run; others are overlays. */
  runs: RunView[];
}

/** New metric points of one run, appended in order. */
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
}

export type ToTrainingWebviewMessage = ShowRunsMessage | AppendMetricsMessage | RunStatusMessage;

// ---- webview → extension -------------------------------------------------------------

export interface TrainingReadyMessage {
  type: 'ready';
}

/** Pause, resume or stop the live run. */
export interface RunControlMessage {
  type: 'control';
  runId: string;
  action: 'pause' | 'resume' | 'stop';
}

/** Save the run's metrics as CSV (the extension asks where). */
export interface ExportMetricsMessage {
  type: 'exportCsv';
  runId: string;
}

/** Open the block inspector on the run's latest weights (refreshed while it trains). */
export interface InspectRunMessage {
  type: 'inspect';
  runId: string;
}

/** Add another past run to the chart (the extension shows a picker). */
export interface AddOverlayMessage {
  type: 'addOverlay';
}

export interface TrainingLogMessage {
  type: 'log';
  level: 'info' | 'warn' | 'error';
  message: string;
}

export type FromTrainingWebviewMessage = TrainingReadyMessage | RunControlMessage | ExportMetricsMessage | InspectRunMessage | AddOverlayMessage | TrainingLogMessage;
