// The reproduction report: from a study's run folders (or any runs), test error per net as
// mean ± std over seeds and min, beside the paper's Table 6 and an independent reproduction,
// the gap, the iterations each run reached, and a first line that says whether the runs are
// comparable with the paper at all. The figures are drawn by figures.ts.
import * as path from 'node:path';
import { specFromRequest } from '../spec';
import { RunFolder } from '../training/runFolder';
import type { DataPlan, MetricPoint } from '../training/types';
import { PAPER_BUDGET } from './studyFile';

/** The paper's Table 6 (CIFAR-10 test error, %); ResNet-110: best of 5 runs, and the mean ± std. */
export const PAPER_TABLE6: Readonly<Record<number, { error: number; mean?: number; std?: number }>> = {
  20: { error: 8.75 },
  32: { error: 7.51 },
  44: { error: 7.17 },
  56: { error: 6.97 },
  110: { error: 6.43, mean: 6.61, std: 0.16 },
};

/** An independent PyTorch reproduction, mean ± std of 5 runs (%). */
export const REPRODUCTION: Readonly<Record<number, { mean: number; std: number }>> = {
  20: { mean: 8.59, std: 0.12 },
  32: { mean: 7.73, std: 0.32 },
  44: { mean: 7.54, std: 0.48 },
  56: { mean: 7.88, std: 0.52 },
};

export interface CurvePoint {
  step: number;
  /** Top-1 error in [0, 1]. */
  error: number;
}

/** One net of one run, as the report reads it from the run folder. */
export interface ReportNet {
  runId: string;
  folder: string;
  slot: 'a' | 'b';
  title: string;
  residual: boolean;
  depth: number;
  seed: number;
  /** The iterations its run was planned for. */
  iterations: number;
  /** The last step it logged. */
  reached: number;
  /** Its last test evaluation (null before the first), and at which step. */
  testError: number | null;
  testStep: number | null;
  /** Its last logged training error (averaged over the last logging interval). */
  trainError: number | null;
  train: CurvePoint[];
  test: CurvePoint[];
  data: DataPlan;
  batch: number;
}

/** One row of the table: a net (e.g. ResNet-20) over its seeds. */
export interface NetRow {
  title: string;
  residual: boolean;
  depth: number;
  /** Test errors (fractions) of the runs that have one, in seed order. */
  errors: number[];
  seeds: number[];
  mean: number | null;
  /** Sample standard deviation (n − 1); null with fewer than 2 runs. */
  std: number | null;
  min: number | null;
  /** The paper's Table 6 figure (%), for residual nets of its depths. */
  paper: { error: number; mean?: number; std?: number } | null;
  reproduction: { mean: number; std: number } | null;
  /** mean − paper, in percentage points. */
  gap: number | null;
  reachedMin: number;
  reachedMax: number;
  iterations: number;
}

export interface StudyReport {
  title: string;
  /** Where the runs came from (a study file, or run folders). */
  source: string;
  /** The first line: comparable with the paper or not, and why. */
  headline: string;
  comparable: boolean;
  rows: NetRow[];
  nets: ReportNet[];
  /** Runs of the study with no run folder yet (a study report only). */
  notStarted: string[];
  /** Runs that have not reached their planned iterations. */
  unfinished: string[];
  /** One line per data set and batch in use. */
  setup: string[];
}

export function mean(values: number[]): number {
  return values.reduce((a, b) => a + b, 0) / values.length;
}

/** The sample standard deviation (n − 1), as the paper's and the reproduction's "± std"; null for n < 2. */
export function sampleStd(values: number[]): number | null {
  if (values.length < 2) return null;
  const m = mean(values);
  return Math.sqrt(values.reduce((s, v) => s + (v - m) ** 2, 0) / (values.length - 1));
}

const count = (n: number) => n.toLocaleString('en-US');

/** The nets of a run folder, with their curves and last figures. */
export function readReportNets(folder: string): ReportNet[] {
  const run = RunFolder.open(folder);
  const config = run.readConfig();
  const metrics = run.readMetrics();
  return config.nets.map((net) => {
    const spec = specFromRequest(net.request);
    const mine = metrics.filter((p) => p.slot === net.slot);
    const curve = (split: MetricPoint['split']) => mine.filter((p) => p.split === split).map((p) => ({ step: p.step, error: p.error }));
    const train = curve('train');
    const test = curve('test');
    const lastTest = test.length ? test[test.length - 1] : null;
    return {
      runId: config.id,
      folder: run.folder,
      slot: net.slot,
      title: net.title,
      residual: spec.residual,
      depth: spec.depth,
      seed: config.seed,
      iterations: config.iterations,
      reached: mine.reduce((m, p) => Math.max(m, p.step), 0),
      testError: lastTest?.error ?? null,
      testStep: lastTest?.step ?? null,
      trainError: train.length ? train[train.length - 1].error : null,
      train,
      test,
      data: config.data,
      batch: config.batchSize,
    };
  });
}

function rowsOf(nets: ReportNet[]): NetRow[] {
  const byTitle = new Map<string, ReportNet[]>();
  for (const net of nets) byTitle.set(net.title, [...(byTitle.get(net.title) ?? []), net]);
  const rows = [...byTitle.values()].map((group): NetRow => {
    const sorted = [...group].sort((a, b) => a.seed - b.seed);
    const tested = sorted.filter((n) => n.testError !== null && Number.isFinite(n.testError));
    const errors = tested.map((n) => n.testError!);
    const first = sorted[0];
    const m = errors.length ? mean(errors) : null;
    const paper = first.residual ? (PAPER_TABLE6[first.depth] ?? null) : null;
    return {
      title: first.title,
      residual: first.residual,
      depth: first.depth,
      errors,
      seeds: tested.map((n) => n.seed),
      mean: m,
      std: sampleStd(errors),
      min: errors.length ? Math.min(...errors) : null,
      paper,
      reproduction: first.residual ? (REPRODUCTION[first.depth] ?? null) : null,
      gap: m !== null && paper ? m * 100 - paper.error : null,
      reachedMin: Math.min(...sorted.map((n) => n.reached)),
      reachedMax: Math.max(...sorted.map((n) => n.reached)),
      iterations: Math.max(...sorted.map((n) => n.iterations)),
    };
  });
  // Residual nets first (Table 6's order), then plain, each by depth.
  return rows.sort((a, b) => Number(!a.residual) - Number(!b.residual) || a.depth - b.depth);
}

/** The first line: the iterations and data the runs reached, against the paper's budget. */
function headlineOf(nets: ReportNet[], notStarted: string[]): { headline: string; comparable: boolean } {
  if (nets.length === 0) return { headline: `No run has started yet (${notStarted.length} planned): nothing to compare with the paper's figures.`, comparable: false };
  const reasons: string[] = [];
  const low = Math.min(...nets.map((n) => n.reached));
  const high = Math.max(...nets.map((n) => n.reached));
  const reached = low === high ? count(low) : `${count(low)} to ${count(high)}`;
  if (nets.some((n) => n.data.kind === 'synthetic')) reasons.push('synthetic shapes, not CIFAR-10');
  const trainSizes = [...new Set(nets.map((n) => n.data.trainSize))];
  if (trainSizes.some((t) => t < PAPER_BUDGET.trainSize)) reasons.push(`on ${trainSizes.map(count).join(' / ')} of ${count(PAPER_BUDGET.trainSize)} training images`);
  const testSizes = [...new Set(nets.map((n) => n.data.testSize))];
  if (testSizes.some((t) => t < PAPER_BUDGET.testSize)) reasons.push(`tested on ${testSizes.map(count).join(' / ')} of ${count(PAPER_BUDGET.testSize)} images`);
  const batches = [...new Set(nets.map((n) => n.batch))];
  if (batches.some((b) => b !== PAPER_BUDGET.batch)) reasons.push(`batch ${batches.join(' / ')} (the paper: ${PAPER_BUDGET.batch})`);
  if (notStarted.length) reasons.push(`${notStarted.length} planned run${notStarted.length === 1 ? '' : 's'} not started`);
  const iterations = `${reached} of ${count(PAPER_BUDGET.iterations)} iterations`;
  if (low < PAPER_BUDGET.iterations || reasons.length) return { headline: `${[iterations, ...reasons].join(', ')}: not comparable with the paper's figures.`, comparable: false };
  const seeds = new Set(nets.map((n) => n.seed)).size;
  return { headline: `${iterations} at batch ${PAPER_BUDGET.batch} on the 45k/5k split, tested on all 10,000 images, ${seeds} seed${seeds === 1 ? '' : 's'}: the paper's budget, comparable with its Table 6.`, comparable: true };
}

/** The report of run folders; `planned` names a study's runs (unstarted ones are said). */
export function buildReport(runFolders: string[], options: { title: string; source: string; planned?: string[] }): StudyReport {
  const nets = runFolders.flatMap(readReportNets);
  const present = new Set(nets.map((n) => n.runId));
  const notStarted = (options.planned ?? []).filter((id) => !present.has(id));
  const { headline, comparable } = headlineOf(nets, notStarted);
  const unfinished = [...new Set(nets.filter((n) => n.reached < n.iterations).map((n) => n.runId))];
  const setups = new Set(nets.map((n) => `${n.data.description}; batch ${n.batch}; ${count(n.iterations)} iterations planned`));
  return { title: options.title, source: options.source, headline, comparable, rows: rowsOf(nets), nets, notStarted, unfinished, setup: [...setups] };
}

// --- Markdown ---------------------------------------------------------------------------

const pct = (e: number | null) => (e === null || !Number.isFinite(e) ? '–' : (e * 100).toFixed(2));
const signed = (d: number | null) => (d === null ? '–' : `${d >= 0 ? '+' : '−'}${Math.abs(d).toFixed(2)}`);

export interface ReportFigures {
  /** Paths of the figures relative to the Markdown file. */
  fig6?: string;
  fig7?: string;
  /** Why Fig. 7 is missing, when it is. */
  fig7Problem?: string;
  /** Fig. 7's mean response std per net, for the text. */
  fig7Means?: Array<{ title: string; mean: number; runs: number; steps: string; images: number }>;
}

export function reportMarkdown(report: StudyReport, figures: ReportFigures): string {
  const lines: string[] = [`**${report.headline}**`, '', `# Reproduction report: ${report.title}`, ''];
  lines.push(`Runs from ${report.source}: ${count(new Set(report.nets.map((n) => n.runId)).size)} run folder(s), ${count(report.nets.length)} net(s).`);
  for (const s of report.setup) lines.push(`- ${s}`);
  if (report.unfinished.length) lines.push(`- Not finished (the figures are where they stopped): ${report.unfinished.join(', ')}`);
  if (report.notStarted.length) lines.push(`- Not started: ${report.notStarted.join(', ')}`);
  lines.push('', '## Test error per net', '');
  lines.push(
    "Test error: each net's last test evaluation (at the last step it reached). Mean ± std over seeds, std the sample standard deviation (n − 1; – with one seed); min the best seed. " +
      "Paper: Table 6 (ResNet-110: best of 5 runs, mean ± std in brackets). Reproduction: an independent PyTorch reproduction, mean ± std of 5 runs. Gap: mean − paper, in percentage points. The paper gives no table for plain nets (only Fig. 6's curves).",
    '',
  );
  lines.push('| net | seeds | test error, mean ± std (%) | min (%) | paper (%) | reproduction (%) | gap (points) | iterations reached |');
  lines.push('| --- | ---: | ---: | ---: | ---: | ---: | ---: | --- |');
  for (const r of report.rows) {
    const meanStd = r.mean === null ? '–' : `${pct(r.mean)}${r.std === null ? '' : ` ± ${(r.std * 100).toFixed(2)}`}`;
    const paper = r.paper ? `${r.paper.error.toFixed(2)}${r.paper.mean !== undefined ? ` (${r.paper.mean.toFixed(2)} ± ${r.paper.std!.toFixed(2)})` : ''}` : '–';
    const repro = r.reproduction ? `${r.reproduction.mean.toFixed(2)} ± ${r.reproduction.std.toFixed(2)}` : '–';
    const reached = r.reachedMin === r.reachedMax ? count(r.reachedMin) : `${count(r.reachedMin)} to ${count(r.reachedMax)}`;
    lines.push(`| ${r.title} | ${r.errors.length} | ${meanStd} | ${pct(r.min)} | ${paper} | ${repro} | ${signed(r.gap)} | ${reached} of ${count(r.iterations)} |`);
  }
  lines.push('', '## Each run', '');
  lines.push('| run | net | seed | iterations reached | test error (%) | at step | training error (%) |');
  lines.push('| --- | --- | ---: | --- | ---: | ---: | ---: |');
  for (const n of [...report.nets].sort((a, b) => Number(!a.residual) - Number(!b.residual) || a.depth - b.depth || a.seed - b.seed)) {
    lines.push(`| ${n.runId} | ${n.title} | ${n.seed} | ${count(n.reached)} of ${count(n.iterations)} | ${pct(n.testError)} | ${n.testStep === null ? '–' : count(n.testStep)} | ${pct(n.trainError)} |`);
  }
  lines.push('', '## Fig. 6, redrawn from the runs', '');
  if (figures.fig6) {
    lines.push(`![Fig. 6: training and test error of the nets](${encodeURI(figures.fig6)})`, '');
    lines.push('Thin lines: training error; bold lines: test error; one colour per depth; plain nets beside residual nets, as in the paper. With several seeds, the mean over the seeds (up to the iterations every seed reached).');
  } else lines.push('No run has logged a point yet.');
  lines.push('', "## Fig. 7, from the final checkpoints", '');
  if (figures.fig7) {
    lines.push(`![Fig. 7: standard deviation of each layer's response](${encodeURI(figures.fig7)})`, '');
    lines.push(`The standard deviation of each 3×3 conv layer's response (after its BatchNorm, before the addition and the ReLU), over ${figures.fig7Means?.[0]?.images ?? 'the'} test images, at each net's latest checkpoint (mean over its seeds); left: in layer order, right: sorted by magnitude. The paper: smaller in ResNets than in plain nets, and smaller in deeper ResNets.`);
    if (figures.fig7Means?.length) {
      lines.push('', '| net | mean response std | runs | checkpoint step |', '| --- | ---: | ---: | --- |');
      for (const m of figures.fig7Means) lines.push(`| ${m.title} | ${m.mean.toFixed(3)} | ${m.runs} | ${m.steps} |`);
    }
  } else lines.push(figures.fig7Problem ?? 'No checkpoint yet.');
  lines.push('');
  return lines.join('\n');
}

/** A figure's path relative to the Markdown file, with forward slashes. */
export function relativeFigure(markdownFile: string, figure: string): string {
  return path.relative(path.dirname(markdownFile), figure).split(path.sep).join('/');
}
