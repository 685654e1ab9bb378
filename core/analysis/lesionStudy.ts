// The lesion study of a run (Veit, Wilber and Belongie, NeurIPS 2016): for each net at a
// checkpoint, the test error on the run's own test images (normalised as in training) with
// each single block deleted, with k random blocks deleted (mean ± std over seeded draws), and
// with each pair of adjacent blocks swapped; all measured in one pass (core/analysis/lesion.ts).
import { makeBatch } from '../data/augment';
import type { NamedWeight } from '../engine/model';
import { buildGraph, NetworkGraph } from '../graph';
import { checkpointWeights, chooseCheckpoint, runInspectionData } from '../inspect/sources';
import { seededRandom, shuffledIndices } from '../random';
import { specFromRequest } from '../spec';
import { RunFolder } from '../training/runFolder';
import type { NetPlan } from '../training/types';
import { deletionProblem, Lesion, lesionErrors, LesionImages, swapProblem } from './lesion';
import { LESION_FINDING, LesionStudy, NetLesionStudy } from './types';

/** Test images per study, by default (fewer where the run's test set is smaller). */
export const DEFAULT_LESION_IMAGES = 1000;
/** Draws per k of the random deletions, by default. */
export const DEFAULT_LESION_DRAWS = 5;
/** The random deletions go up to k = min(this, the blocks that can be deleted), by default. */
export const DEFAULT_MAX_DELETED = 10;

export interface NetLesionOptions {
  draws?: number;
  maxDeleted?: number;
  /** Seed of the random deletions (default 1). */
  seed?: number;
  batchSize?: number;
  /** Called after each batch with the images done so far. */
  onProgress?: (done: number, total: number) => void;
}

/** What a net's lesion study measures, without where its weights came from. */
export type NetLesionFigures = Pick<NetLesionStudy, 'baselineError' | 'blocks' | 'random' | 'swaps'>;

/** The lesion study of one net with these weights on these images. */
export function netLesionFigures(graph: NetworkGraph, weights: readonly NamedWeight[], images: LesionImages, options: NetLesionOptions = {}): NetLesionFigures {
  const draws = options.draws ?? DEFAULT_LESION_DRAWS;
  if (!Number.isInteger(draws) || draws < 1) throw new RangeError(`The random deletions need at least one draw; got ${draws}.`);
  const blockIds = graph.blocks.map((b) => b.id);
  const problems = blockIds.map((id) => deletionProblem(graph, id));
  const pairs = blockIds.slice(1).map((second, i) => ({ blocks: [blockIds[i], second] as [string, string], problem: swapProblem(graph, blockIds[i], second) }));
  const candidates = blockIds.filter((_, i) => problems[i] === null);
  const maxDeleted = Math.min(candidates.length, options.maxDeleted ?? DEFAULT_MAX_DELETED);
  const seed = options.seed ?? 1;
  const randomSets: string[][][] = [];
  for (let k = 1; k <= maxDeleted; k++) {
    randomSets.push(Array.from({ length: draws }, (_, d) => Array.from(shuffledIndices(candidates.length, seededRandom(`lesion/${seed}/k${k}/draw${d}`)).slice(0, k), (i) => candidates[i])));
  }

  // Every lesion in one list, measured in one pass; `at` hands the errors back in order.
  const lesions: Lesion[] = [
    ...blockIds.filter((_, i) => problems[i] === null).map((id) => ({ deleted: [id] })),
    ...randomSets.flat().map((deleted) => ({ deleted })),
    ...pairs.filter((p) => p.problem === null).map((p) => ({ swapped: p.blocks })),
  ];
  const { baseline, errors } = lesionErrors(graph, weights, lesions, images, { batchSize: options.batchSize, onProgress: options.onProgress });
  let next = 0;
  const at = () => errors[next++];

  const blocks = graph.blocks.map((b, i) => ({ blockId: b.id, stageId: b.stageId, error: problems[i] === null ? at() : null, reason: problems[i] }));
  const points = [{ k: 0, mean: baseline, std: 0, errors: [baseline] }];
  for (let k = 1; k <= maxDeleted; k++) {
    const e = Array.from({ length: draws }, at);
    const mean = e.reduce((s, v) => s + v, 0) / draws;
    const std = draws > 1 ? Math.sqrt(e.reduce((s, v) => s + (v - mean) ** 2, 0) / (draws - 1)) : 0;
    points.push({ k, mean, std, errors: e });
  }
  const swaps = pairs.map((p) => ({ blocks: p.blocks, error: p.problem === null ? at() : null, reason: p.problem }));
  return { baselineError: baseline, blocks, random: { draws, candidates, points }, swaps };
}

export interface LesionStudyOptions extends Omit<NetLesionOptions, 'onProgress'> {
  /** Only this net (default: every net of the run, residual first). */
  slot?: NetPlan['slot'];
  /** Each net at its checkpoint at this step, or its nearest (default: the latest). */
  step?: number;
  /** How many test images (default 1,000; at most the test set). */
  images?: number;
  /** Progress, readable: "ResNet-56: 250/1,000 images", and the fraction of the whole study done. */
  onProgress?: (text: string, fraction: number) => void;
}

/** The lesion study of a run's nets at a checkpoint, on the first N of the run's own test images. */
export async function runLesionStudy(runFolder: string, options: LesionStudyOptions = {}): Promise<LesionStudy> {
  const requested = options.images ?? DEFAULT_LESION_IMAGES;
  if (!Number.isInteger(requested) || requested < 1) throw new RangeError(`The lesion study needs at least one test image; got ${requested}.`);
  const run = RunFolder.open(runFolder);
  const config = run.readConfig();
  const nets = config.nets
    .map((net) => ({ net, spec: specFromRequest(net.request) }))
    .filter(({ net }) => options.slot === undefined || net.slot === options.slot)
    .sort((a, b) => Number(b.spec.residual) - Number(a.spec.residual));
  if (nets.length === 0) chooseCheckpoint(run, options.slot!); // throws, naming the slots the run has
  const data = await runInspectionData(config);
  const used = Math.min(requested, data.images.count);
  const images = makeBatch(data.images, Array.from({ length: used }, (_, i) => i), data.mean, null);
  const studies: NetLesionStudy[] = [];
  for (const [index, { net, spec }] of nets.entries()) {
    const weights = checkpointWeights(run, net.slot, chooseCheckpoint(run, net.slot, options.step));
    const figures = netLesionFigures(buildGraph(spec), weights.weights, images, {
      ...options,
      onProgress: (done, total) => options.onProgress?.(`${net.title}: ${done.toLocaleString('en-US')}/${total.toLocaleString('en-US')} images`, (index + done / total) / nets.length),
    });
    studies.push({ slot: net.slot, title: net.title, residual: spec.residual, step: weights.origin.step, weightsSource: weights.origin.source, ...figures });
  }
  return { run: config.id, images: { used, requested, available: data.images.count, description: data.description }, finding: LESION_FINDING, nets: studies };
}
