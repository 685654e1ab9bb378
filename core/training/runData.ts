// The images a run trains and tests on, as its DataPlan says: the embedded synthetic set or
// CIFAR-10 from a folder (already downloaded and verified, see core/data/download.ts).
import { readCifar10Folder } from '../data/cifar10';
import { balancedIndices, splitTrainValidation, takeImages } from '../data/split';
import { syntheticDataset } from '../data/synthetic';
import { DataError, LabeledImages } from '../data/types';
import type { DataPlan } from './types';

/** The paper's held-out validation images of the 50k training set. */
const CIFAR10_VALIDATION = 5000;

export interface RunData {
  train: LabeledImages;
  test: LabeledImages;
  /** One line the UI shows, naming the data and the counts used. */
  description: string;
  /**
   * CIFAR-10 only: the folder read, and the positions of the images used in the 50,000
   * training records (data_batch_1…5 in order) and the 10,000 test records, so another engine
   * reading the same files takes the same images in the same order.
   */
  cifar10?: { folder: string; trainIndices: Uint32Array; testIndices: Uint32Array };
}

const count = (n: number) => n.toLocaleString('en-US');

export async function loadRunData(plan: DataPlan, seed: number): Promise<RunData> {
  if (plan.kind === 'synthetic') {
    const data = syntheticDataset({ trainCount: plan.trainSize, validationCount: 0, testCount: plan.testSize, seed });
    return { train: data.train, test: data.test, description: `Synthetic shapes (embedded, no download): ${count(plan.trainSize)} train / ${count(plan.testSize)} test images` };
  }
  if (!plan.location) throw new DataError('CIFAR-10', 'no folder given: download it first or set a local folder', 'missing');
  const files = await readCifar10Folder(plan.location);
  const split = splitTrainValidation(files.train, CIFAR10_VALIDATION, seed);
  if (plan.trainSize > split.train.count) throw new DataError(plan.location, `asks for ${count(plan.trainSize)} training images; the 45k/5k split has ${count(split.train.count)}`);
  if (plan.testSize > files.test.count) throw new DataError(plan.location, `asks for ${count(plan.testSize)} test images; the test set has ${count(files.test.count)}`);
  // Class-balanced, seeded subsets (all of a set when its whole size is asked for).
  const subset = (images: LabeledImages, n: number) => (n === images.count ? Uint32Array.from({ length: n }, (_, i) => i) : balancedIndices(images, n, seed));
  const trainPick = subset(split.train, plan.trainSize);
  const testIndices = subset(files.test, plan.testSize);
  const trainIndices = trainPick.map((i) => split.trainIndices[i]);
  const subsetNote = (n: number, of: number) => (n === of ? '' : `, ${count(n)}-image balanced subset (seed ${seed})`);
  const train = takeImages(files.train, trainIndices, `${split.train.source}${subsetNote(plan.trainSize, split.train.count)}`);
  const test = takeImages(files.test, testIndices, `${files.test.source}${subsetNote(plan.testSize, files.test.count)}`);
  return { train, test, description: `CIFAR-10 (${files.folder}): ${count(train.count)} train / ${count(test.count)} test images`, cifar10: { folder: files.folder, trainIndices, testIndices } };
}
