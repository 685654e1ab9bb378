// Reader for the CIFAR-10 binary version: 1 label byte + R, G, B planes (32×32, row-major) per record.
import { createHash } from 'node:crypto';
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import { CIFAR10_CLASSES, DataError, LabeledImages } from './types';

const CIFAR10_SIDE = 32;
const CIFAR10_CHANNELS = 3;
const CIFAR10_PIXEL_BYTES = CIFAR10_SIDE * CIFAR10_SIDE * CIFAR10_CHANNELS;
export const CIFAR10_RECORD_BYTES = 1 + CIFAR10_PIXEL_BYTES;
export const CIFAR10_RECORDS_PER_FILE = 10_000;
export const CIFAR10_FOLDER_NAME = 'cifar-10-batches-bin';
const CIFAR10_TRAIN_FILES = ['data_batch_1.bin', 'data_batch_2.bin', 'data_batch_3.bin', 'data_batch_4.bin', 'data_batch_5.bin'] as const;
const CIFAR10_TEST_FILE = 'test_batch.bin';
export const CIFAR10_META_FILE = 'batches.meta.txt';
export const CIFAR10_BIN_FILES = [...CIFAR10_TRAIN_FILES, CIFAR10_TEST_FILE] as const;

/** The official per-file MD5s of the binary version (the same ones public dataset loaders publish). */
export const CIFAR10_MD5: Readonly<Record<string, string>> = {
  'data_batch_1.bin': '5dd7e06a14cb22eb9f671a540d1b7c25',
  'data_batch_2.bin': '5ea93a67294ea407fff1d09f752e9692',
  'data_batch_3.bin': '942cd6a4bcdd0dd3c604fbe906cb4421',
  'data_batch_4.bin': 'ae636b3ba5c66a11e91e8cb52e771fcb',
  'data_batch_5.bin': '53f37980c15c3d472c316c40844f3f0d',
  'test_batch.bin': '803d5f7f4d78ea53de84dbe85f74fb6d',
};

export interface ReadOptions {
  /** Check each .bin file against its official MD5 (default true; about 0.1 s per file). */
  verifyChecksums?: boolean;
}

function wholeRecords(bytes: Uint8Array, file: string): number {
  if (bytes.length === 0 || bytes.length % CIFAR10_RECORD_BYTES !== 0) {
    throw new DataError(file, `wrong size: ${bytes.length.toLocaleString('en-US')} bytes is not a whole number of ${CIFAR10_RECORD_BYTES.toLocaleString('en-US')}-byte records (truncated or not a CIFAR-10 binary file)`);
  }
  return bytes.length / CIFAR10_RECORD_BYTES;
}

/** Writes the records of `bytes` into `images`/`labels` from record `first` on, checking each label. */
function decodeInto(bytes: Uint8Array, file: string, images: Uint8Array, labels: Uint8Array, first: number): void {
  const count = bytes.length / CIFAR10_RECORD_BYTES;
  const plane = CIFAR10_SIDE * CIFAR10_SIDE;
  for (let r = 0; r < count; r++) {
    const start = r * CIFAR10_RECORD_BYTES;
    const label = bytes[start];
    if (label >= CIFAR10_CLASSES.length) {
      throw new DataError(file, `bad label byte ${label} in record ${r} (labels are 0–9)`);
    }
    labels[first + r] = label;
    const red = bytes.subarray(start + 1, start + 1 + plane);
    const green = bytes.subarray(start + 1 + plane, start + 1 + 2 * plane);
    const blue = bytes.subarray(start + 1 + 2 * plane, start + 1 + 3 * plane);
    const out = images.subarray((first + r) * CIFAR10_PIXEL_BYTES, (first + r + 1) * CIFAR10_PIXEL_BYTES);
    for (let p = 0, o = 0; p < plane; p++, o += 3) {
      out[o] = red[p];
      out[o + 1] = green[p];
      out[o + 2] = blue[p];
    }
  }
}

export function md5Hex(bytes: Uint8Array): string {
  return createHash('md5').update(bytes).digest('hex');
}

/** Reads one of the six .bin files: checks size, labels and (by default) the official MD5. */
export async function readCifar10File(filePath: string, options: ReadOptions = {}): Promise<LabeledImages> {
  const images = new Uint8Array(CIFAR10_RECORDS_PER_FILE * CIFAR10_PIXEL_BYTES);
  const labels = new Uint8Array(CIFAR10_RECORDS_PER_FILE);
  await readBatchInto(filePath, options, images, labels, 0);
  return {
    images, labels, count: CIFAR10_RECORDS_PER_FILE,
    height: CIFAR10_SIDE, width: CIFAR10_SIDE, channels: CIFAR10_CHANNELS,
    classNames: CIFAR10_CLASSES, source: `CIFAR-10 ${path.basename(filePath)}`,
  };
}

/** Size, then labels, then the checksum: the most specific message first. */
async function readBatchInto(filePath: string, options: ReadOptions, images: Uint8Array, labels: Uint8Array, first: number): Promise<void> {
  let bytes: Buffer;
  try {
    bytes = await fs.readFile(filePath);
  } catch (error) {
    throw new DataError(filePath, missingOrUnreadable(error), 'missing');
  }
  const count = wholeRecords(bytes, filePath);
  if (count !== CIFAR10_RECORDS_PER_FILE) {
    const expectedBytes = CIFAR10_RECORDS_PER_FILE * CIFAR10_RECORD_BYTES;
    throw new DataError(filePath, `wrong size: ${count.toLocaleString('en-US')} records (${bytes.length.toLocaleString('en-US')} bytes); a CIFAR-10 batch holds ${CIFAR10_RECORDS_PER_FILE.toLocaleString('en-US')} records (${expectedBytes.toLocaleString('en-US')} bytes)`);
  }
  decodeInto(bytes, filePath, images, labels, first);
  const expectedMd5 = CIFAR10_MD5[path.basename(filePath)];
  if (options.verifyChecksums !== false && expectedMd5 !== undefined) {
    const actual = md5Hex(bytes);
    if (actual !== expectedMd5) {
      throw new DataError(filePath, `checksum mismatch: MD5 ${actual}, the official file has ${expectedMd5}`, 'checksum');
    }
  }
}

/** The class names of batches.meta.txt, one a line (blank lines ignored). */
export async function readCifar10ClassNames(folder: string): Promise<string[]> {
  const file = path.join(folder, CIFAR10_META_FILE);
  let text: string;
  try {
    text = await fs.readFile(file, 'utf8');
  } catch (error) {
    throw new DataError(file, missingOrUnreadable(error), 'missing');
  }
  const names = text.split(/\r?\n/).map((line) => line.trim()).filter((line) => line.length > 0);
  if (names.length !== CIFAR10_CLASSES.length) {
    throw new DataError(file, `expected ${CIFAR10_CLASSES.length} class names, one a line; found ${names.length}`);
  }
  return names;
}

/**
 * The folder that holds the CIFAR-10 files: `folder` itself, or its `cifar-10-batches-bin`
 * subfolder (an unpacked archive or a download cache).
 */
export async function locateCifar10Folder(folder: string): Promise<string> {
  const resolved = path.resolve(folder);
  if (!(await isDirectory(resolved))) {
    throw new DataError(resolved, 'folder not found (expected the CIFAR-10 binary files, or a folder holding cifar-10-batches-bin/)', 'missing');
  }
  if (await exists(path.join(resolved, CIFAR10_TEST_FILE))) return resolved;
  const inner = path.join(resolved, CIFAR10_FOLDER_NAME);
  if (await isDirectory(inner)) return inner;
  return resolved;
}

export interface Cifar10Files {
  /** The five training batches in order: 50,000 images. */
  train: LabeledImages;
  /** test_batch.bin: 10,000 images. */
  test: LabeledImages;
  classNames: string[];
  /** The folder the files were read from. */
  folder: string;
}

/** Reads data_batch_1..5.bin, test_batch.bin and batches.meta.txt from a folder. */
export async function readCifar10Folder(folder: string, options: ReadOptions = {}): Promise<Cifar10Files> {
  const dir = await locateCifar10Folder(folder);
  for (const name of [...CIFAR10_BIN_FILES, CIFAR10_META_FILE]) {
    if (!(await exists(path.join(dir, name)))) throw new DataError(path.join(dir, name), 'file not found', 'missing');
  }
  const classNames = await readCifar10ClassNames(dir);
  const perFile = CIFAR10_RECORDS_PER_FILE;
  const trainCount = CIFAR10_TRAIN_FILES.length * perFile;
  const trainImages = new Uint8Array(trainCount * CIFAR10_PIXEL_BYTES);
  const trainLabels = new Uint8Array(trainCount);
  for (const [k, name] of CIFAR10_TRAIN_FILES.entries()) {
    await readBatchInto(path.join(dir, name), options, trainImages, trainLabels, k * perFile);
  }
  const test = await readCifar10File(path.join(dir, CIFAR10_TEST_FILE), options);
  const shape = { height: CIFAR10_SIDE, width: CIFAR10_SIDE, channels: CIFAR10_CHANNELS, classNames };
  return {
    train: { ...shape, images: trainImages, labels: trainLabels, count: trainCount, source: `CIFAR-10 training batches 1–5 (${dir})` },
    test: { ...test, ...shape, source: `CIFAR-10 test_batch.bin (${dir})` },
    classNames,
    folder: dir,
  };
}

function missingOrUnreadable(error: unknown): string {
  const code = (error as NodeJS.ErrnoException).code;
  if (code === 'ENOENT') return 'file not found';
  if (code === 'EISDIR') return 'is a folder, not a file';
  return `cannot be read (${(error as Error).message})`;
}

async function exists(p: string): Promise<boolean> {
  try {
    await fs.access(p);
    return true;
  } catch {
    return false;
  }
}

async function isDirectory(p: string): Promise<boolean> {
  try {
    return (await fs.stat(p)).isDirectory();
  } catch {
    return false;
  }
}
