// The run's header: which nets, on which data, with which schedule and budget, on which
// backend; its status, each net's progress and speed and the ETA (core/training/progress.ts,
// the model the status bar and the CLI show too); and the buttons that act on it, one of them
// primary: Pause while it trains, Resume when paused or stopped, Inspect once finished.
import { select } from 'd3';
import type { RunStatus } from '../../core/training/types';
import { netSpeedsText, progressLine, RunProgress } from '../../core/training/progress';
import type { FromTrainingPage } from '../../protocol/training';
import { formatCount } from '../../core/format';
import { netColorClass } from '../netPalette';
import { lastStep, RunEntry, runLabel, runTitle } from './curveStore';

export interface RunHeaderData {
  main: RunEntry;
  /** The main run's progress, per net. */
  progress: RunProgress;
  overlays: readonly RunEntry[];
}

export interface RunHeader {
  readonly element: HTMLElement;
  update(data: RunHeaderData): void;
}

const STATUS_TEXT: Record<RunStatus, string> = {
  starting: 'starting',
  running: 'running',
  paused: 'paused',
  stopping: 'stopping…',
  stopped: 'stopped',
  finished: 'finished',
  failed: 'failed',
};

const isLive = (status: RunStatus) => status === 'starting' || status === 'running' || status === 'paused';


function budgetText(run: RunEntry): string {
  const c = run.config;
  return `${formatCount(c.iterations)} iterations · batch ${c.batchSize} · seed ${c.seed} · momentum ${c.momentum} · weight decay ${c.weightDecay} · logged every ${formatCount(c.logEvery)}, tested every ${formatCount(c.evalEvery)} iterations`;
}

function speedText(run: RunEntry, progress: RunProgress): string {
  const speeds = netSpeedsText(progress);
  if (speeds) return speeds;
  return run.status === 'starting' || run.status === 'running' ? 'measured after the first logged steps' : 'no speed was logged';
}

/** The one primary action of the header in each state (the others are secondary). */
function primaryAction(run: RunEntry): 'pause' | 'resume' | 'inspect' | 'none' {
  if (run.status === 'running') return 'pause';
  if (run.status === 'paused' || run.status === 'stopped' || run.status === 'failed') return 'resume';
  if (run.status === 'finished') return 'inspect';
  return 'none';
}

function backendText(run: RunEntry): string {
  if (run.backend) return run.backend;
  return run.status === 'starting' ? `chosen when the run starts (setting: ${run.config.backend})` : `not reported (setting: ${run.config.backend})`;
}

export function runHeader(parent: HTMLElement, post: (message: FromTrainingPage) => void): RunHeader {
  const root = select(parent).append('header').attr('class', 'run-header');
  const titleRow = root.append('div').attr('class', 'title-row');
  const title = titleRow.append('h1').attr('class', 'run-title');
  const status = titleRow.append('span').attr('class', 'run-status');
  const detail = root.append('p').attr('class', 'status-detail');
  const facts = root.append('dl').attr('class', 'run-facts');
  const fact = (name: string, label: string) => {
    const row = facts.append('div').attr('class', `fact fact-${name}`);
    row.append('dt').text(label);
    return row.append('dd');
  };
  const data = fact('data', 'Data');
  const dataNote = root.append('p').attr('class', 'data-note');
  const schedule = fact('schedule', 'Schedule');
  const budget = fact('budget', 'Budget');
  const backend = fact('backend', 'Backend');
  const speed = fact('speed', 'Speed (latest)');
  const progressRow = root.append('div').attr('class', 'progress-row');
  const progress = progressRow.append('progress').attr('class', 'run-progress');
  const progressText = progressRow.append('span').attr('class', 'progress-text');
  const netRows = root.append('div').attr('class', 'net-progress-list');
  const actions = root.append('div').attr('class', 'actions');
  let runId = '';
  let status_: RunStatus = 'starting';
  const pause = actions
    .append('button')
    .attr('type', 'button')
    .attr('class', 'action-pause')
    .on('click', () => post({ type: 'control', runId, action: status_ === 'running' ? 'pause' : 'resume' }));
  const stop = actions
    .append('button')
    .attr('type', 'button')
    .attr('class', 'action-stop')
    .text('Stop')
    .on('click', () => post({ type: 'control', runId, action: 'stop' }));
  const exportCsv = actions
    .append('button')
    .attr('type', 'button')
    .attr('class', 'action-export')
    .text('Export CSV')
    .on('click', () => post({ type: 'exportCsv', runId }));
  const inspect = actions
    .append('button')
    .attr('type', 'button')
    .attr('class', 'action-inspect')
    .text('Inspect blocks')
    .attr('title', "Step through the blocks' outputs at the latest checkpoint (refreshed while it trains)")
    .on('click', () => post({ type: 'inspect', runId }));
  actions
    .append('button')
    .attr('type', 'button')
    .attr('class', 'action-overlay')
    .text('Add run…')
    .attr('title', 'Overlay the curves of another run')
    .on('click', () => post({ type: 'addOverlay' }));
  const overlayList = root.append('ul').attr('class', 'overlay-list').attr('aria-label', 'Overlaid runs');

  function update({ main, progress: model, overlays }: RunHeaderData): void {
    const c = main.config;
    runId = c.id;
    status_ = main.status;
    root.attr('data-run', c.id).attr('data-status', main.status);
    title.text(runTitle(c)).attr('title', `run ${c.id}, created ${c.createdAt}`);
    status.attr('class', `run-status status-${main.status}`).text(STATUS_TEXT[main.status]);
    detail
      .attr('hidden', main.statusDetail ? null : '')
      .attr('role', main.status === 'failed' ? 'alert' : null)
      .classed('error', main.status === 'failed')
      .text(main.statusDetail);
    data.text(c.data.description);
    dataNote
      .attr('hidden', c.data.kind === 'synthetic' ? null : '')
      .text('Synthetic shapes, not CIFAR-10: the curves show how the nets compare, not the paper’s error rates.');
    schedule.text(c.schedule.text);
    budget.text(budgetText(main));
    backend.text(backendText(main));
    speed.text(speedText(main, model));
    progress.attr('max', 1000).attr('value', Math.round(1000 * model.fraction));
    progressText.text(progressLine(model));
    netRows
      .selectAll<HTMLDivElement, RunProgress['nets'][number]>('div.net-progress')
      .data(model.nets, (n) => n.slot)
      .join((enter) => {
        const row = enter.append('div');
        row.append('span').attr('class', 'swatch');
        row.append('span').attr('class', 'net-name');
        row.append('progress').attr('class', 'net-bar');
        row.append('span').attr('class', 'net-count');
        return row;
      })
      .attr('class', (n) => `net-progress ${netColorClass(main.series.find((s) => s.slot === n.slot)?.colorIndex ?? 0)}`)
      .attr('data-slot', (n) => n.slot)
      .call((row) => row.select('.net-name').text((n) => n.title))
      .call((row) => row.select('.net-bar').attr('max', (n) => n.iterations).attr('value', (n) => n.step))
      .call((row) =>
        row.select('.net-count').text((n) => `${formatCount(n.step)}/${formatCount(n.iterations)}${n.imagesPerSec !== undefined && isLive(main.status) ? ` · ${formatCount(n.imagesPerSec)} images/s` : ''}`),
      );

    const live = isLive(main.status);
    const primary = primaryAction(main);
    const resumable = main.status === 'paused' || main.status === 'stopped' || main.status === 'failed';
    pause
      .text(resumable ? 'Resume' : 'Pause')
      .property('disabled', !(main.status === 'running' || resumable))
      .attr('title', resumable && main.status !== 'paused' ? 'Continue from the checkpoints the nets stopped at' : live || main.status === 'running' ? null : `The run is ${STATUS_TEXT[main.status]}`);
    stop.property('disabled', !live).attr('title', live ? null : `The run is ${STATUS_TEXT[main.status]}`);
    exportCsv.property('disabled', main.pointCount === 0).attr('title', main.pointCount === 0 ? 'No metrics logged yet' : null);
    pause.classed('primary', primary === 'pause' || primary === 'resume');
    inspect.classed('primary', primary === 'inspect');
    actions.selectAll('button').classed('secondary', function () {
      return !(this as HTMLElement).classList.contains('primary');
    });

    overlayList
      .attr('hidden', overlays.length > 0 ? null : '')
      .selectAll<HTMLLIElement, RunEntry>('li')
      .data(overlays, (run) => run.config.id)
      .join('li')
      .text((run) => `overlay: ${runLabel(run.config)} — ${run.config.data.description}, ${STATUS_TEXT[run.status]} at iteration ${formatCount(lastStep(run))}`);
  }

  return { element: root.node()!, update };
}
