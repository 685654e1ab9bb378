// The images a run trains and tests on, as its DataPlan says: the embedded synthetic set or
// CIFAR-10 from a folder (already downloaded and verified, see core/data/download.ts).
import { loadCifar10 } from '../data/load';
import { selectSubset } from '../data/split';
import { syntheticDataset } from '../data/synthetic';
import { DataError, LabeledImages } from '../data/types';
import type { DataPlan } from './types';

export interface RunData {
  train: LabeledImages;
  test: LabeledImages;
  /** One line the UI shows, naming the data and the counts used. */
  description: string;
}

const count = (n: number) => n.toLocaleString('en-US');

export async function loadRunData(plan: DataPlan, seed: number): Promise<RunData> {
  if (plan.kind === 'synthetic') {
    const data = syntheticDataset({ trainCount: plan.trainSize, validationCount: 0, testCount: plan.testSize, seed });
    return { train: data.train, test: data.test, description: `Synthetic shapes (embedded, no download): ${count(plan.trainSize)} train / ${count(plan.testSize)} test images` };
  }
  if (!plan.location) throw new DataError('CIFAR-10', 'no folder given: download it first or set a local folder', 'missing');
  const data = await loadCifar10(plan.location, { seed });
  if (plan.trainSize > data.train.count) throw new DataError(plan.location, `asks for ${count(plan.trainSize)} training images; the 45k/5k split has ${count(data.train.count)}`);
  if (plan.testSize > data.test.count) throw new DataError(plan.location, `asks for ${count(plan.testSize)} test images; the test set has ${count(data.test.count)}`);
  const train = selectSubset(data.train, plan.trainSize, seed);
  const test = selectSubset(data.test, plan.testSize, seed);
  return { train, test, description: `CIFAR-10 (${data.meta.source}): ${count(train.count)} train / ${count(test.count)} test images` };
}
