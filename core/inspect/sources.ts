// Where an inspection's weights and images come from: a run's checkpoint (or fresh
// initialisation), and the run's own data with its training mean, so an image is normalised
// exactly as the net saw images in training.
import { computeMeanImage, writeImage } from '../data/augment';
import { syntheticDataset } from '../data/synthetic';
import { LabeledImages } from '../data/types';
import { modelWithWeights, NamedWeight, ResNetModel } from '../engine/model';
import { buildGraph } from '../graph';
import { NetworkSpec, specFromRequest } from '../spec';
import { loadRunData } from '../training/runData';
import { CheckpointInfo, RunFolder, RunStoreError } from '../training/runFolder';
import type { DataPlan, NetPlan, RunConfig } from '../training/types';
import { BlockProbe, WeightsOrigin } from './probe';
import type { Thumbnail } from './types';

export interface NetWeights {
  spec: NetworkSpec;
  title: string;
  weights: NamedWeight[];
  origin: WeightsOrigin;
}

/** The checkpoint a net is inspected at: the latest, the one at `step`, or, where the net has none at `step`, its nearest. */
export interface ChosenCheckpoint {
  info: CheckpointInfo;
  /** How it was chosen, for the view: "checkpoint at step 34 (the nearest to step 102; it has none there)". */
  description: string;
}

export function chooseCheckpoint(run: RunFolder, slot: NetPlan['slot'], step?: number): ChosenCheckpoint {
  const config = run.readConfig();
  const net = config.nets.find((n) => n.slot === slot);
  if (!net) throw new RunStoreError(run.configFile, `run ${config.id} has no net in slot "${slot}" (it has ${config.nets.map((n) => `${n.slot}: ${n.title}`).join(', ')})`);
  const checkpoints = run.listCheckpoints(slot);
  if (checkpoints.length === 0) throw new RunStoreError(run.checkpointsFolder, `${net.title} of run ${config.id} has no checkpoint yet`);
  const at = (info: CheckpointInfo) => `checkpoint at step ${info.step.toLocaleString('en-US')}`;
  if (step === undefined) {
    const latest = checkpoints[checkpoints.length - 1];
    return { info: latest, description: at(latest) };
  }
  const exact = checkpoints.find((c) => c.step === step);
  if (exact) return { info: exact, description: at(exact) };
  // The nearest; on a tie the earlier (weights the net really had before that step).
  const nearest = checkpoints.reduce((best, c) => (Math.abs(c.step - step) < Math.abs(best.step - step) ? c : best));
  return { info: nearest, description: `${at(nearest)} (the nearest to step ${step.toLocaleString('en-US')}; it has none there)` };
}

/** A net's weights from a run's checkpoint (chooseCheckpoint's). */
export function checkpointWeights(run: RunFolder, slot: NetPlan['slot'], chosen: ChosenCheckpoint): NetWeights {
  const config = run.readConfig();
  const net = config.nets.find((n) => n.slot === slot)!;
  return {
    spec: specFromRequest(net.request),
    title: net.title,
    weights: run.readCheckpoint(chosen.info),
    origin: { source: `run ${config.id}, ${chosen.description}`, step: chosen.info.step },
  };
}


/** A probe of a net with the given weights. The caller disposes it. */
export function probeWithWeights(net: NetWeights): BlockProbe {
  return new BlockProbe(modelWithWeights(buildGraph(net.spec), net.weights), net.origin);
}

/** A probe of a freshly initialised net (He initialisation, as training starts). */
export function freshProbe(spec: NetworkSpec, seed: number): BlockProbe {
  return new BlockProbe(new ResNetModel(buildGraph(spec), { seed }), { source: `fresh initialisation (seed ${seed}), untrained`, step: null });
}

/** The images an inspection picks from, and the training mean they are normalised with. */
export interface InspectionData {
  /** The test images. */
  images: LabeledImages;
  /** The per-pixel mean of the training images (as the trainer subtracts it). */
  mean: Float32Array;
  description: string;
}

/** A run's test images and training mean, loaded as the trainer loads them. */
export async function runInspectionData(config: RunConfig): Promise<InspectionData> {
  return dataForPlan(config.data, config.seed);
}

async function dataForPlan(plan: DataPlan, seed: number): Promise<InspectionData> {
  const data = await loadRunData(plan, seed);
  return { images: data.test, mean: computeMeanImage(data.train), description: data.description };
}

/** The embedded synthetic set (no download), for inspecting nets outside a run. */
export function syntheticInspectionData(seed = 1, trainCount = 1000, testCount = 200): InspectionData {
  const data = syntheticDataset({ trainCount, validationCount: 0, testCount, seed });
  return { images: data.test, mean: computeMeanImage(data.train), description: `Synthetic shapes (embedded): ${testCount} test images, mean of ${trainCount} training images` };
}

/** Image `index` as the net takes it: bytes / 255 minus the training mean, no augmentation. */
export function normalisedImage(data: InspectionData, index: number): Float32Array {
  const { images } = data;
  if (!Number.isInteger(index) || index < 0 || index >= images.count) throw new RangeError(`Image ${index} does not exist: ${images.source} has ${images.count} images (0…${images.count - 1}).`);
  const out = new Float32Array(images.height * images.width * images.channels);
  writeImage(out, 0, images, index, data.mean, null);
  return out;
}

/** Fig. 7's images: `count` test images spread over the set (every k-th), normalised. */
export function responseImages(data: InspectionData, count: number): { data: Float32Array; count: number; indices: number[] } {
  const n = Math.min(count, data.images.count);
  if (n < 1) throw new RangeError(`Fig. 7 needs at least one image; ${data.images.source} has ${data.images.count}.`);
  const { height, width, channels } = data.images;
  const pixels = height * width * channels;
  const out = new Float32Array(n * pixels);
  const indices: number[] = [];
  for (let i = 0; i < n; i++) {
    const index = Math.floor((i * data.images.count) / n);
    indices.push(index);
    writeImage(out, i * pixels, data.images, index, data.mean, null);
  }
  return { data: out, count: n, indices };
}

/** The first `perClass` test images of each class, grouped by class in label order. */
export function thumbnails(images: LabeledImages, perClass: number): Thumbnail[] {
  const bytes = images.height * images.width * images.channels;
  const taken = new Array<number>(images.classNames.length).fill(0);
  const byClass: Thumbnail[][] = images.classNames.map(() => []);
  for (let i = 0; i < images.count; i++) {
    const label = images.labels[i];
    if (taken[label] >= perClass) continue;
    taken[label]++;
    const pixels = Buffer.from(images.images.buffer, images.images.byteOffset + i * bytes, bytes).toString('base64');
    byClass[label].push({ index: i, label, className: images.classNames[label], pixels });
  }
  return byClass.flat();
}
