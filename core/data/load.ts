// CIFAR-10 as the trainer uses it (45k train / 5k validation / 10k test) and a description for the UI.
import { readCifar10Folder } from './cifar10';
import { classCounts, splitTrainValidation } from './split';
import { DataSplits } from './types';

export interface LoadCifar10Options {
  /** Seed of the train/validation split (default 1). */
  seed?: number | string;
  /** Images held out for validation, stratified (default 5,000 as in the paper). */
  validationCount?: number;
  /** Check the official MD5s while reading (default true). */
  verifyChecksums?: boolean;
}

/** Reads a folder of the CIFAR-10 binary files (or a cache holding cifar-10-batches-bin/) and splits it. */
export async function loadCifar10(folderOrCache: string, options: LoadCifar10Options = {}): Promise<DataSplits> {
  const { seed = 1, validationCount = 5000 } = options;
  const files = await readCifar10Folder(folderOrCache, { verifyChecksums: options.verifyChecksums });
  const split = splitTrainValidation(files.train, validationCount, seed);
  return {
    train: split.train,
    validation: split.validation,
    test: files.test,
    meta: { name: 'CIFAR-10', classNames: files.classNames, source: files.folder, split: split.description },
  };
}

export interface DataDescription {
  name: string;
  source: string;
  classNames: readonly string[];
  /** [height, width, channels]. */
  imageShape: [number, number, number];
  counts: { train: number; validation: number; test: number };
  perClass: { train: number[]; validation: number[]; test: number[] };
  split: string;
  /** One line for a status bar or a panel header. */
  summary: string;
}

export function describeData(data: DataSplits): DataDescription {
  const { train, validation, test, meta } = data;
  const fmt = (n: number): string => n.toLocaleString('en-US');
  const imageShape: [number, number, number] = [train.height, train.width, train.channels];
  return {
    name: meta.name,
    source: meta.source,
    classNames: meta.classNames,
    imageShape,
    counts: { train: train.count, validation: validation.count, test: test.count },
    perClass: { train: classCounts(train), validation: classCounts(validation), test: classCounts(test) },
    split: meta.split,
    summary: `${meta.name}: ${fmt(train.count)} train / ${fmt(validation.count)} validation / ${fmt(test.count)} test, `
      + `${imageShape.join('×')}, ${meta.classNames.length} classes (${meta.source})`,
  };
}
