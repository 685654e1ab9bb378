// `resnet-lab analyze RUN_DIR`: studies of a run's trained nets at a checkpoint, printed as
// tables or as JSON. --lesion: the lesion study (core/analysis/lesionStudy.ts).
// --gradients: the gradient flow (core/analysis/gradientFlow.ts).
import * as path from 'node:path';
import { parseArgs } from 'node:util';
import { DEFAULT_GRADIENT_BATCHES, runGradientFlow } from '../analysis/gradientFlow';
import { DEFAULT_LESION_DRAWS, DEFAULT_LESION_IMAGES, runLesionStudy } from '../analysis/lesionStudy';
import type { GradientFlow, LesionStudy, NetGradientFlow, NetLesionStudy } from '../analysis/types';
import { describeBackend, selectBackend } from '../engine/backend';
import { formatCount, formatNorm, formatPercent, formatPointChange } from '../format';
import type { CommandIo } from './trainCommands';
import { UsageError, wholeNumber } from './usageError';

/** What `analyze --json` prints: one key per analysis asked for. */
export interface AnalyzeJson {
  run: string;
  lesion?: LesionStudy;
  gradients?: GradientFlow;
}

const percent = (e: number) => formatPercent(e);
const points = (d: number) => formatPointChange(d);

/** One net's lesion figures as text tables: per block, the k-random curve, the swaps. */
function netLesionText(net: NetLesionStudy): string[] {
  const lines = [`${net.title} (net ${net.slot}), ${net.weightsSource}: test error ${percent(net.baselineError)} intact`];
  const idWidth = Math.max(...net.blocks.map((b) => b.blockId.length), 5);
  const deleted = net.residual ? 'its branch deleted: y = ReLU(shortcut(x))' : 'the block removed';
  lines.push(`  One block deleted (${deleted}); change in percentage points:`);
  lines.push(`  ${'block'.padEnd(idWidth)}   error   change`);
  for (const b of net.blocks) {
    lines.push(b.error === null ? `  ${b.blockId.padEnd(idWidth)}       –           ${b.reason}` : `  ${b.blockId.padEnd(idWidth)}  ${percent(b.error).padStart(6)}  ${points(b.error - net.baselineError).padStart(7)}`);
  }
  const { random } = net;
  lines.push(`  k blocks deleted at random (mean ± std over ${random.draws} draw${random.draws === 1 ? '' : 's'} from ${random.candidates.length} block${random.candidates.length === 1 ? '' : 's'}):`);
  lines.push('   k    error    ± std');
  for (const p of random.points) lines.push(`  ${String(p.k).padStart(2)}  ${percent(p.mean).padStart(6)}  ${(p.std * 100).toFixed(1).padStart(6)}`);
  lines.push('  Adjacent blocks swapped:');
  const pairWidth = Math.max(...net.swaps.map((s) => s.blocks.join(' ↔ ').length), 4);
  for (const s of net.swaps) {
    const pair = s.blocks.join(' ↔ ').padEnd(pairWidth);
    lines.push(s.error === null ? `  ${pair}       –           ${s.reason}` : `  ${pair}  ${percent(s.error).padStart(6)}  ${points(s.error - net.baselineError).padStart(7)}`);
  }
  return lines;
}

/** The lesion study as text: the images, the paper's finding, then each net's tables. */
export function lesionText(study: LesionStudy): string {
  const { images } = study;
  const capped = images.used < images.requested ? ` (asked for ${formatCount(images.requested)}; the test set has ${formatCount(images.available)})` : ` of ${formatCount(images.available)}`;
  const lines = [
    `Lesion study of run ${study.run}: test error on the first ${formatCount(images.used)} test images${capped}; ${images.description}.`,
    study.finding,
  ];
  for (const net of study.nets) lines.push('', ...netLesionText(net));
  return lines.join('\n');
}

const norm = (v: number) => formatNorm(v);

/** One net's gradient flow as text: per block ‖∂L/∂x‖ (and ÷ the last block's), then the kernel norms per stage. */
function netGradientText(net: NetGradientFlow): string[] {
  const lines = [`${net.title} (net ${net.slot}), ${net.weightsSource}: loss ${net.loss.toFixed(4)}`];
  const idWidth = Math.max(...net.blocks.map((b) => b.blockId.length), ...net.convs.map((c) => c.stageId.length), 5);
  const last = net.blocks[net.blocks.length - 1].inputGradNorm;
  lines.push(`  ${'block'.padEnd(idWidth)}  ${'stage'.padEnd(7)}  ${'‖∂L/∂x‖'.padStart(10)}  ${'÷ last'.padStart(8)}`);
  for (const b of net.blocks) lines.push(`  ${b.blockId.padEnd(idWidth)}  ${b.stageId.padEnd(7)}  ${norm(b.inputGradNorm).padStart(10)}  ${(b.inputGradNorm / last).toPrecision(3).padStart(8)}`);
  lines.push('  Conv kernels, ‖∂L/∂W‖ per stage:');
  lines.push(`  ${'stage'.padEnd(idWidth)}  convs  ${'mean'.padStart(10)}  ${'min'.padStart(10)}  ${'max'.padStart(10)}`);
  for (const stage of new Set(net.convs.map((c) => c.stageId))) {
    const v = net.convs.filter((c) => c.stageId === stage).map((c) => c.kernelGradNorm);
    const cells = [v.reduce((a, b) => a + b, 0) / v.length, Math.min(...v), Math.max(...v)].map((x) => norm(x).padStart(10));
    lines.push(`  ${stage.padEnd(idWidth)}  ${String(v.length).padStart(5)}  ${cells.join('  ')}`);
  }
  return lines;
}

/** The gradient flow as text: the batches, then each net's tables. */
export function gradientText(flow: GradientFlow): string {
  const { count, size, description } = flow.batches;
  const lines = [
    `Gradient flow of run ${flow.run}: norms averaged over ${count} batch${count === 1 ? '' : 'es'} of ${size} training images (no augmentation; BatchNorm on batch statistics, as in training; loss: cross-entropy, without weight decay); ${description}.`,
  ];
  for (const net of flow.nets) lines.push('', ...netGradientText(net));
  return lines.join('\n');
}

export async function analyzeCommand(args: string[], io: CommandIo): Promise<number> {
  const { values, positionals } = parseArgs({
    args,
    allowPositionals: true,
    options: {
      slot: { type: 'string' },
      checkpoint: { type: 'string' },
      lesion: { type: 'boolean' },
      gradients: { type: 'boolean' },
      batches: { type: 'string' },
      images: { type: 'string' },
      draws: { type: 'string' },
      json: { type: 'boolean' },
    },
  });
  if (positionals.length !== 1) throw new UsageError(positionals.length === 0 ? 'analyze needs a RUN_DIR, e.g. resnet-lab analyze .resnet-lab/runs/RUN_ID --lesion.' : `analyze takes one RUN_DIR; got ${positionals.join(' ')}.`);
  // Each analysis is a flag; with none, say which there are.
  if (!values.lesion && !values.gradients) throw new UsageError('analyze needs what to compute: --lesion (test error with blocks deleted or swapped), --gradients (gradient norms per block and conv kernel).');
  const slot = values.slot;
  if (slot !== undefined && slot !== 'a' && slot !== 'b') throw new UsageError(`--slot must be a or b; got "${slot}".`);
  const step = values.checkpoint === undefined ? undefined : wholeNumber('checkpoint', values.checkpoint, 0);
  const images = wholeNumber('images', values.images, DEFAULT_LESION_IMAGES);
  const draws = wholeNumber('draws', values.draws, DEFAULT_LESION_DRAWS);
  if (images < 1) throw new UsageError(`--images must be at least 1; got ${images}.`);
  if (draws < 1) throw new UsageError(`--draws must be at least 1; got ${draws}.`);
  const batches = wholeNumber('batches', values.batches, DEFAULT_GRADIENT_BATCHES);
  if (batches < 1) throw new UsageError(`--batches must be at least 1; got ${batches}.`);

  const backend = await selectBackend('auto');
  io.err(`Backend: ${describeBackend(backend)}`);
  const runFolder = path.resolve(positionals[0]);
  const result: AnalyzeJson = { run: path.basename(runFolder) };
  const sections: string[] = [];
  if (values.lesion) {
    const study = await runLesionStudy(runFolder, { slot, step, images, draws, onProgress: (text) => io.progress?.(`Lesion study: ${text}`) });
    io.progress?.('');
    if (study.images.used < images) io.err(`The run's test set has ${formatCount(study.images.available)} images; using all of them (asked for ${formatCount(images)}).`);
    result.run = study.run;
    result.lesion = study;
    sections.push(lesionText(study));
  }
  if (values.gradients) {
    const flow = await runGradientFlow(runFolder, { slot, step, batches, onProgress: (text) => io.progress?.(`Gradient flow: ${text}`) });
    io.progress?.('');
    result.run = flow.run;
    result.gradients = flow;
    sections.push(gradientText(flow));
  }
  // Further analyses add their key to the JSON and their section here.
  io.out(values.json ? JSON.stringify(result, null, 2) : sections.join('\n\n'));
  return 0;
}
