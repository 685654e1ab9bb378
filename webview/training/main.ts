// The training-curves page: receives runs and metric points from the extension, keeps them
// in a CurveStore and redraws at most once per animation frame (and at least once a second,
// even when the panel is hidden and frames stop).
import type { FromTrainingPage, ToTrainingPage, TrainingPanelState } from '../../protocol/training';
import { errorBanner } from '../errorBanner';
import { connectPage } from '../vscodeApi';
import { chartControls } from './chartControls';
import { curveView } from './curveView';
import { errorChart } from './errorChart';
import { gradientSection } from './gradientChart';
import { legend } from './legend';
import { lossChart } from './lossChart';
import { runHeader } from './runHeader';
import { lastStep, CurveStore, runLabel, Series } from './curveStore';
import { ProgressTracker } from '../../core/training/progress';

const app = document.getElementById('app')!;
app.replaceChildren();
const problems = errorBanner(app);
const vscode = connectPage<ToTrainingPage, FromTrainingPage, TrainingPanelState>('training page', problems);

const store = new CurveStore();
/** Each run's progress per net (core/training/progress.ts), fed the same messages as the store. */
const progress = new Map<string, ProgressTracker>();
/** The latest status and backend of each run, saved with setState: a tab hidden and shown again keeps them. */
let latest: NonNullable<TrainingPanelState['latest']> = vscode.getState()?.latest ?? {};
function saveState(): void {
  latest = Object.fromEntries(store.runs.map((run) => [run.config.id, { status: run.status, backend: run.backend, statusDetail: run.statusDetail }]));
  vscode.setState({ ...vscode.getState(), runIds: store.runs.map((run) => run.config.id), latest });
}
let redraws = 0;
let received = false;

const headerSlot = document.createElement('div');
const emptyState = document.createElement('section');
emptyState.className = 'empty-state';
const charts = document.createElement('section');
charts.className = 'charts';
app.append(headerSlot, emptyState, charts);

const header = runHeader(headerSlot, vscode.post);
const toolbar = document.createElement('div');
toolbar.className = 'chart-toolbar';
charts.append(toolbar);
const seriesLegend = legend(toolbar, (key) => controls.toggleHidden(key));
// Smoothing, bands, zoom and hidden series: saved with the panel's state, so a hidden tab or a reload keeps them.
const controls = chartControls(toolbar, vscode.getState()?.curves, (curves) => {
  vscode.setState({ ...vscode.getState(), runIds: vscode.getState()?.runIds ?? [], curves });
  scheduleRedraw();
});
const errorHeading = document.createElement('h2');
errorHeading.textContent = 'Error: training (thin) and test (bold)';
charts.append(errorHeading);
const errors = errorChart(charts, { onZoom: (x, y) => controls.zoom('error', x, y), onReset: () => controls.resetZoom() });
const lossHeading = document.createElement('h2');
lossHeading.textContent = 'Loss and learning rate';
charts.append(lossHeading);
const losses = lossChart(charts, { onZoom: (x, y) => controls.zoom('loss', x, y), onReset: () => controls.resetZoom() });
const gradients = gradientSection(charts);

function seriesLabel(series: Series): string {
  return store.runs.length > 1 && series.runIndex > 0 ? `${series.netTitle} [${series.runId}]` : series.netTitle;
}

function emptyText(): { title: string; detail: string } | null {
  const main = store.main;
  if (!received) return { title: 'Waiting for the run…', detail: 'The extension is sending the run’s configuration and metrics.' };
  if (!main) return { title: 'No run to show.', detail: 'Start one with “ResNet Lab: Train ResNet”, or add a past run.' };
  if (store.runs.some((run) => run.pointCount > 0)) return null;
  switch (main.status) {
    case 'failed':
      return { title: 'The run failed before its first logged step.', detail: main.statusDetail || 'The trainer gave no reason.' };
    case 'stopped':
      return { title: 'The run was stopped before its first logged step.', detail: main.statusDetail };
    case 'finished':
      return { title: 'The run finished without logging any metrics.', detail: main.statusDetail };
    case 'paused':
      return { title: 'Paused before the first logged step.', detail: 'Resume to start training.' };
    default:
      return {
        title: 'Waiting for the first steps…',
        detail: main.status === 'starting' ? 'The trainer is building the nets and loading the data.' : 'The curves start when the trainer logs its first steps.',
      };
  }
}

function redraw(): void {
  redraws += 1;
  app.dataset.redraws = String(redraws);
  const main = store.main;
  if (main) header.update({ main, progress: progress.get(main.config.id)!.progress(), overlays: store.runs.slice(1) });
  headerSlot.hidden = !main;
  const empty = emptyText();
  emptyState.hidden = empty === null;
  charts.hidden = empty !== null;
  if (empty) {
    emptyState.replaceChildren();
    const title = document.createElement('p');
    title.className = 'empty-title';
    title.textContent = empty.title;
    emptyState.append(title);
    if (empty.detail) {
      const detail = document.createElement('p');
      detail.className = 'empty-detail';
      detail.textContent = empty.detail;
      emptyState.append(detail);
    }
    return;
  }
  if (!main) return;
  const { view: chosen, hidden } = controls;
  const view = curveView(store.runs, { smoothing: chosen.smoothing, bands: chosen.bands, hidden });
  controls.update(view.groups);
  const bandOf = new Map(chosen.bands ? view.groups.flatMap((g) => g.runs.map((run) => [run, g.runs[0]] as const)) : []);
  seriesLegend.update({ runs: store.runs, hidden, bandOf });
  const iterations = Math.max(...store.runs.map((run) => run.config.iterations));
  const { fit, zoom } = chosen;
  errors.update({ view, iterations, milestones: main.config.schedule.milestones, fit, x: zoom.x, y: zoom.errorY, seriesLabel });
  losses.update({
    view,
    lrSeries: store.runs.map((run) => run.series.find((s) => s.split === 'train')!).filter((s) => s !== undefined),
    iterations,
    fit,
    log: chosen.lossScale === 'log',
    x: zoom.x,
    y: zoom.lossY,
    seriesLabel,
    runLabel: (s) => runLabel(store.runs[s.runIndex].config),
    milestonesOf: (s) => store.runs[s.runIndex].config.schedule.milestones,
  });
  gradients.update();
  app.dataset.lastStep = String(lastStep(main));
}

let pendingFrame = 0;
let pendingTimer: ReturnType<typeof setTimeout> | undefined;
/** At most one redraw per frame; the timer keeps a hidden panel (no frames) current each second. */
function scheduleRedraw(): void {
  if (pendingTimer !== undefined) return;
  const run = () => {
    cancelAnimationFrame(pendingFrame);
    clearTimeout(pendingTimer);
    pendingTimer = undefined;
    redraw();
  };
  pendingFrame = requestAnimationFrame(run);
  pendingTimer = setTimeout(run, 1000);
}

const warn = (text: string) => vscode.log('warn', text);

vscode.onMessage((message) => {
  switch (message.type) {
    case 'showRuns':
      received = true;
      // A view without a backend (one the extension no longer knows) keeps the one this page last showed.
      store.replace(message.runs.map((run) => (run.backend || !latest[run.config.id]?.backend ? run : { ...run, backend: latest[run.config.id].backend })));
      progress.clear();
      for (const run of message.runs) {
        const tracker = new ProgressTracker(run.config, run.status, run.metrics);
        if (run.netSteps) tracker.setSteps(run.netSteps);
        progress.set(run.config.id, tracker);
      }
      gradients.replace(message.runs);
      saveState();
      scheduleRedraw();
      break;
    case 'appendMetrics': {
      const { run, unknownSlots } = store.append(message.runId, message.points);
      gradients.append(message.runId, message.points);
      progress.get(message.runId)?.add(message.points);
      if (!run) warn(`Metrics for run ${message.runId}, which this page does not show; ${message.points.length} points ignored.`);
      else if (unknownSlots.length > 0) warn(`Run ${message.runId} has no net in slot ${[...new Set(unknownSlots)].join(', ')}; ${unknownSlots.length} points ignored.`);
      scheduleRedraw();
      break;
    }
    case 'runStatus':
      if (!store.setStatus(message)) warn(`Status for run ${message.runId}, which this page does not show.`);
      else {
        const tracker = progress.get(message.runId)!;
        tracker.setStatus(message.status);
        if (message.netSteps) tracker.setSteps(message.netSteps);
        saveState();
      }
      scheduleRedraw();
      break;
  }
});

new ResizeObserver(() => scheduleRedraw()).observe(app);
redraw();
vscode.post({ type: 'ready' });
