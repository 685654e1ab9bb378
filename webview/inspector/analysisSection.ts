// The inspector page's lesion study and gradient flow of the checkpoint shown (issue 11): the
// buttons that start them (the extension runs them in a worker thread, as `resnet-lab analyze`
// computes them), progress with Cancel, how a run ended when it gave no result, and the
// figures: (a) the test error with each single block deleted, (b) with k random blocks
// deleted, (c) with adjacent blocks swapped, the paper's finding; ‖∂L/∂x‖ per block and
// ‖∂L/∂W‖ per conv against depth.
import type { GradientFlow, LesionStudy, NetLesionStudy } from '../../core/analysis/types';
import { formatCount, formatNorm, formatPercent, formatPointChange } from '../../core/format';
import type { AnalysisKind, AnalysisProgressMessage, AnalysisResultMessage, AnalysisStoppedMessage, InspectorSourceState } from '../../protocol/inspector';
import { netColorClass, netColorIndex, Slot } from '../netPalette';
import { depthLogChart, positionBars, spreadChart } from './analysisCharts';

/** A net's colour on every page: by its role and slot (webview/netPalette.ts). */
const colorOf = (net: { residual: boolean; slot: Slot }): string => netColorClass(netColorIndex(net.residual, net.slot));

const NAMES: Record<AnalysisKind, string> = { lesion: 'Lesion study', gradients: 'Gradient flow' };
const DEFAULT_IMAGES = 1000;

export interface AnalysisSection {
  element: HTMLElement;
  /** The weights the view shows now: a run's (the analyses can run) or untrained nets (they cannot). */
  setSource(source: InspectorSourceState): void;
  progress(message: AnalysisProgressMessage): void;
  result(message: AnalysisResultMessage): void;
  stopped(message: AnalysisStoppedMessage): void;
}

/** Each net's weights, the run's id left out where the text has said it: "ResNet-20: checkpoint at step 150 · plain-20: …". */
function weightsOf(run: string, nets: Array<{ title: string; weightsSource: string }>): string {
  return nets.map((n) => `${n.title}: ${n.weightsSource.replace(`run ${run}, `, '')}`).join(' · ');
}

function el<K extends keyof HTMLElementTagNameMap>(tag: K, className: string, text?: string): HTMLElementTagNameMap[K] {
  const node = document.createElement(tag);
  node.className = className;
  if (text !== undefined) node.textContent = text;
  return node;
}

/** "ResNet-20: intact 8.1%; one block deleted: 8.3–14.0% (mean 10.2%)", and the blocks that cannot go. */
function singleSummary(net: NetLesionStudy): string {
  const errors = net.blocks.flatMap((b) => (b.error === null ? [] : [b.error]));
  const parts = [`${net.title}: intact ${formatPercent(net.baselineError)}`];
  if (errors.length > 0) {
    const mean = errors.reduce((a, b) => a + b, 0) / errors.length;
    parts.push(`one block deleted ${formatPercent(Math.min(...errors))}–${formatPercent(Math.max(...errors))} (mean ${formatPercent(mean)}, ${formatPointChange(mean - net.baselineError)} points)`);
  }
  const fixed = net.blocks.filter((b) => b.error === null);
  if (fixed.length > 0) parts.push(`${fixed.map((b) => b.blockId).join(', ')} change the shape and cannot be removed from a plain net (marked ×)`);
  return parts.join('; ');
}

export function analysisSection(parent: HTMLElement, post: (kind: AnalysisKind, images?: number) => void, cancel: () => void): AnalysisSection {
  const element = el('section', 'analysis');
  element.dataset.state = 'idle';
  const heading = el('h2', 'analysis-heading', 'Why residual learning works: blocks deleted at test time, gradient flow');
  const intro = el('p', 'analysis-intro', 'For the checkpoint shown, both nets: the test error with blocks deleted or swapped (Veit, Wilber & Belongie, 2016), and the loss gradient per block and per conv kernel.');
  const controls = el('div', 'analysis-controls');
  const lesionButton = el('button', 'run-lesion', 'Run lesion study');
  lesionButton.type = 'button';
  const imagesLabel = el('label', 'images-label', 'on ');
  const imagesInput = el('input', 'images-input');
  imagesInput.type = 'number';
  imagesInput.min = '1';
  imagesInput.max = '10000';
  imagesInput.step = '1';
  imagesInput.value = String(DEFAULT_IMAGES);
  imagesLabel.append(imagesInput, document.createTextNode(' test images'));
  const gradientButton = el('button', 'run-gradients', 'Run gradient flow');
  gradientButton.type = 'button';
  const cancelButton = el('button', 'cancel-analysis secondary', 'Cancel');
  cancelButton.type = 'button';
  cancelButton.hidden = true;
  const bar = el('progress', 'analysis-progress');
  bar.max = 1;
  bar.hidden = true;
  controls.append(lesionButton, imagesLabel, gradientButton, cancelButton, bar);
  const status = el('p', 'analysis-status');
  status.setAttribute('role', 'status');
  const lesionView = el('div', 'lesion-view');
  lesionView.hidden = true;
  const gradientView = el('div', 'gradient-view');
  gradientView.hidden = true;
  element.append(heading, intro, controls, status, lesionView, gradientView);
  parent.append(element);

  let runnable = false;
  let running: AnalysisKind | null = null;
  const sync = () => {
    lesionButton.disabled = gradientButton.disabled = imagesInput.disabled = !runnable || running !== null;
    cancelButton.hidden = bar.hidden = running === null;
  };

  const start = (kind: AnalysisKind) => {
    let images: number | undefined;
    if (kind === 'lesion') {
      images = Number(imagesInput.value);
      if (!Number.isInteger(images) || images < 1 || images > 10_000) {
        status.textContent = `The number of test images must be a whole number from 1 to 10,000; got "${imagesInput.value}".`;
        status.className = 'analysis-status failed';
        return;
      }
    }
    running = kind;
    element.dataset.state = 'running';
    element.dataset.kind = kind;
    bar.value = 0;
    status.className = 'analysis-status';
    status.textContent = `${NAMES[kind]}: starting…`;
    sync();
    post(kind, images);
  };
  lesionButton.addEventListener('click', () => start('lesion'));
  gradientButton.addEventListener('click', () => start('gradients'));
  cancelButton.addEventListener('click', () => {
    if (running) status.textContent = `${NAMES[running]}: cancelling…`;
    cancel();
  });

  const legend = (nets: ReadonlyArray<{ title: string; residual: boolean; slot: Slot }>) => {
    const keys = el('div', 'fig7-legend');
    keys.append(...nets.map((n, i) => el('span', `fig7-key series-${i} ${colorOf(n)}`, n.title)));
    return keys;
  };

  function showLesion(study: LesionStudy): void {
    const { images } = study;
    const capped = images.used < images.requested ? ` (asked for ${formatCount(images.requested)}; the test set has ${formatCount(images.available)})` : '';
    const about = el('p', 'analysis-about', `Run ${study.run}, test error on the first ${formatCount(images.used)} test images${capped}; ${weightsOf(study.run, study.nets)}.`);
    const finding = el('p', 'analysis-finding', study.finding);
    finding.setAttribute('role', 'note');
    const single = positionBars(
      'lesion-single',
      '(a) One block deleted: a residual block’s branch (y = ReLU(shortcut(x))), a plain block removed',
      'block deleted (in the net’s order)',
      study.nets.map((n) => ({ title: n.title, colorClass: colorOf(n), baseline: n.baselineError, items: n.blocks.map((b) => ({ label: b.blockId, value: b.error, reason: b.reason })) })),
      (v) => formatPercent(v, 0),
      (s, item) => `${s.title} without ${item.label}: ${formatPercent(item.value!)} (intact ${formatPercent(s.baseline)}, ${formatPointChange(item.value! - s.baseline)} points)`,
    );
    const random = spreadChart(
      'lesion-random',
      `(b) k random blocks deleted: mean ± std over ${study.nets[0]?.random.draws ?? 0} draws (faint dots: each draw)`,
      'k, blocks deleted',
      study.nets.map((n) => ({ title: n.title, colorClass: colorOf(n), points: n.random.points.map((p) => ({ x: p.k, mean: p.mean, std: p.std, draws: p.errors })) })),
      (v) => formatPercent(v, 0),
    );
    const swaps = positionBars(
      'lesion-swaps',
      '(c) Adjacent blocks swapped',
      'pair swapped (block i ↔ i + 1)',
      study.nets.map((n) => ({ title: n.title, colorClass: colorOf(n), baseline: n.baselineError, items: n.swaps.map((s) => ({ label: s.blocks.join(' ↔ '), value: s.error, reason: s.reason })) })),
      (v) => formatPercent(v, 0),
      (s, item) => `${s.title}, ${item.label}: ${formatPercent(item.value!)} (intact ${formatPercent(s.baseline)}, ${formatPointChange(item.value! - s.baseline)} points)`,
    );
    const notes = el('ul', 'analysis-notes');
    notes.append(...study.nets.map((n) => Object.assign(el('li', 'lesion-summary', singleSummary(n)), { title: n.weightsSource })));
    notes.append(
      ...study.nets.map((n) => {
        const k = n.random.points[n.random.points.length - 1];
        const swapped = n.swaps.filter((s) => s.error !== null).length;
        return el('li', 'lesion-random-summary', `${n.title}: ${k.k} random block${k.k === 1 ? '' : 's'} deleted ${formatPercent(k.mean)} ± ${formatPercent(k.std)}; ${swapped} of ${n.swaps.length} adjacent pairs can swap`);
      }),
    );
    const charts = el('div', 'analysis-charts');
    charts.append(single, random, swaps);
    lesionView.replaceChildren(el('h3', 'analysis-subheading', 'Lesion study'), about, finding, legend(study.nets), charts, notes);
    lesionView.hidden = false;
    lesionView.dataset.run = study.run;
    lesionView.dataset.images = String(images.used);
  }

  function showGradients(flow: GradientFlow): void {
    const { count, size, description } = flow.batches;
    const about = el('p', 'analysis-about', `Run ${flow.run}, norms averaged over ${count} batch${count === 1 ? '' : 'es'} of ${formatCount(size)} training images (no augmentation; BatchNorm on batch statistics, as in training); ${description}; ${weightsOf(flow.run, flow.nets)}.`);
    const blocks = depthLogChart('gradient-blocks', '‖∂L/∂x‖ at each block’s input, against depth', 'block (input side first)', '‖∂L/∂x‖', flow.nets.map((n) => ({ title: n.title, colorClass: colorOf(n), points: n.blocks.map((b) => ({ label: b.blockId, value: b.inputGradNorm })) })), (v) => formatNorm(v));
    const convs = depthLogChart('gradient-convs', '‖∂L/∂W‖ of each conv kernel, against depth', 'conv layer (stem first)', '‖∂L/∂W‖', flow.nets.map((n) => ({ title: n.title, colorClass: colorOf(n), points: n.convs.map((c) => ({ label: c.convId, value: c.kernelGradNorm })) })), (v) => formatNorm(v));
    const notes = el('ul', 'analysis-notes');
    notes.append(
      ...flow.nets.map((n) => {
        const first = n.blocks[0].inputGradNorm;
        const last = n.blocks[n.blocks.length - 1].inputGradNorm;
        return el('li', 'gradient-summary', `${n.title}: loss ${n.loss.toFixed(4)}; ‖∂L/∂x‖ ${formatNorm(last)} at the last block, ${formatNorm(first)} at the first (${(first / last).toPrecision(3)}× on the way down)`);
      }),
    );
    const charts = el('div', 'analysis-charts');
    charts.append(blocks, convs);
    gradientView.replaceChildren(el('h3', 'analysis-subheading', 'Gradient flow'), about, legend(flow.nets), charts, notes);
    gradientView.hidden = false;
    gradientView.dataset.run = flow.run;
  }

  const finish = (state: 'done' | 'cancelled' | 'failed', text: string) => {
    running = null;
    element.dataset.state = state;
    status.className = `analysis-status ${state}`;
    status.textContent = text;
    sync();
  };

  sync();
  return {
    element,
    setSource(source) {
      runnable = 'runFolder' in source;
      intro.textContent = runnable
        ? 'For the checkpoint shown, both nets: the test error with blocks deleted or swapped (Veit, Wilber & Belongie, 2016), and the loss gradient per block and per conv kernel.'
        : 'The lesion study and the gradient flow need a run’s trained weights and its test images; this view shows untrained nets. Open a run with “ResNet Lab: Inspect Blocks”.';
      sync();
    },
    progress(message) {
      if (running !== message.kind) return;
      bar.value = Math.max(0, Math.min(1, message.fraction));
      status.textContent = `${NAMES[message.kind]}: ${message.text}`;
    },
    result(message) {
      if (message.kind === 'lesion') showLesion(message.lesion);
      else showGradients(message.gradients);
      finish('done', `${NAMES[message.kind]}: done.`);
    },
    stopped(message) {
      finish(message.outcome, message.message);
    },
  };
}
