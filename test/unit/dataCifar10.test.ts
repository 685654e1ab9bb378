// The CIFAR-10 reader on the real files, and its messages for broken ones.
import assert from 'node:assert/strict';
import { promises as fs } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { after, before, describe, test } from 'node:test';
import {
  CIFAR10_BIN_FILES, CIFAR10_MD5, CIFAR10_RECORD_BYTES, md5Hex, readCifar10File, readCifar10Folder,
} from '../../core/data/cifar10';
import { describeData, loadCifar10 } from '../../core/data/load';
import { classCounts } from '../../core/data/split';
import { CIFAR10_CLASSES, DataError, DataSplits } from '../../core/data/types';
import { SHARED_DATA, extractedCifar10 } from './dataSupport';

let folder = '';
let scratch = '';
before(async () => {
  folder = await extractedCifar10();
  scratch = await fs.mkdtemp(path.join(os.tmpdir(), 'resnet-lab-cifar-reader-'));
});
after(async () => {
  await fs.rm(scratch, { recursive: true, force: true });
});

/** Rejects with a DataError naming `file` whose message matches `problem`. */
async function assertDataError(promise: Promise<unknown>, file: string, problem: RegExp): Promise<void> {
  await assert.rejects(promise, (error: unknown) => {
    assert.ok(error instanceof DataError, `expected a DataError, got ${String(error)}`);
    assert.equal(error.file, file);
    assert.match(error.message, problem);
    assert.ok(error.message.startsWith(file), 'the message names the file first');
    return true;
  });
}

describe('CIFAR-10 reader on the real files', () => {
  let data: DataSplits;
  before(async () => {
    data = await loadCifar10(path.dirname(folder), { seed: 7 });
  });

  test('the constants match the published MD5SUMS beside the tarball', async () => {
    const lines = (await fs.readFile(path.join(SHARED_DATA, 'MD5SUMS'), 'utf8')).trim().split('\n');
    const published = new Map(lines.map((line) => line.trim().split(/\s+/)).map(([md5, name]) => [name, md5]));
    for (const name of CIFAR10_BIN_FILES) assert.equal(CIFAR10_MD5[name], published.get(name), name);
  });

  test('every batch has 10,000 records; the test batch exactly 1,000 per class', async () => {
    const batch = await readCifar10File(path.join(folder, 'data_batch_3.bin'));
    assert.equal(batch.count, 10_000);
    assert.equal(batch.images.length, 10_000 * 32 * 32 * 3);
    assert.equal(data.test.count, 10_000);
    assert.deepEqual(classCounts(data.test), new Array(10).fill(1000));
    // The five training batches: 50,000 images, 5,000 of each class.
    assert.equal(data.train.count + data.validation.count, 50_000);
    const trainCounts = classCounts(data.train);
    classCounts(data.validation).forEach((n, c) => assert.equal(trainCounts[c] + n, 5000));
  });

  test('pixels come out in HWC order, as the raw R, G, B planes say', async () => {
    const raw = await fs.readFile(path.join(folder, 'test_batch.bin'));
    const test = data.test;
    // The first test images are a cat, two ships, an airplane, a frog.
    assert.deepEqual(Array.from(test.labels.subarray(0, 5)), [3, 8, 8, 0, 6]);
    assert.deepEqual(Array.from(test.images.subarray(0, 3)), [158, 112, 49]);
    for (const [record, y, x] of [[0, 0, 0], [1234, 5, 7], [9999, 31, 31], [4321, 17, 2]]) {
      const base = record * CIFAR10_RECORD_BYTES;
      assert.equal(test.labels[record], raw[base]);
      for (let c = 0; c < 3; c++) {
        assert.equal(test.images[record * 3072 + (y * 32 + x) * 3 + c], raw[base + 1 + c * 1024 + y * 32 + x], `record ${record} (${y}, ${x}) channel ${c}`);
      }
    }
  });

  test('class names come from batches.meta.txt', () => {
    assert.deepEqual([...data.meta.classNames], [...CIFAR10_CLASSES]);
    assert.deepEqual([...data.train.classNames], [...CIFAR10_CLASSES]);
  });

  test('the paper split: 45,000 / 5,000, stratified, plus the 10,000 test images', () => {
    assert.equal(data.train.count, 45_000);
    assert.equal(data.validation.count, 5_000);
    assert.deepEqual(classCounts(data.validation), new Array(10).fill(500));
    assert.deepEqual(classCounts(data.train), new Array(10).fill(4500));
    const description = describeData(data);
    assert.deepEqual(description.counts, { train: 45_000, validation: 5_000, test: 10_000 });
    assert.deepEqual(description.imageShape, [32, 32, 3]);
    assert.match(description.summary, /^CIFAR-10: 45,000 train \/ 5,000 validation \/ 10,000 test, 32×32×3, 10 classes \(/);
    assert.match(description.split, /stratified, seed 7/);
  });
});

describe('CIFAR-10 reader messages name the file and the problem', () => {
  test('a missing folder', async () => {
    const missing = path.join(scratch, 'no-such-folder');
    await assertDataError(readCifar10Folder(missing), missing, /folder not found/);
  });

  test('a missing file', async () => {
    const partial = path.join(scratch, 'partial');
    await fs.mkdir(partial);
    await fs.copyFile(path.join(folder, 'batches.meta.txt'), path.join(partial, 'batches.meta.txt'));
    await assertDataError(readCifar10Folder(partial), path.join(partial, 'data_batch_1.bin'), /file not found/);
  });

  test('a truncated file', async () => {
    const raw = await fs.readFile(path.join(folder, 'data_batch_1.bin'));
    const file = path.join(scratch, 'data_batch_1.bin');
    await fs.writeFile(file, raw.subarray(0, 1_000_000));
    await assertDataError(readCifar10File(file), file, /wrong size: 1,000,000 bytes is not a whole number of 3,073-byte records/);
  });

  test('whole records, but not 10,000 of them', async () => {
    const raw = await fs.readFile(path.join(folder, 'data_batch_2.bin'));
    const file = path.join(scratch, 'data_batch_2.bin');
    await fs.writeFile(file, raw.subarray(0, 9_999 * CIFAR10_RECORD_BYTES));
    await assertDataError(readCifar10File(file), file, /wrong size: 9,999 records .* holds 10,000 records/);
  });

  test('a bad label byte, with the record index', async () => {
    const raw = Buffer.from(await fs.readFile(path.join(folder, 'test_batch.bin')));
    raw[4242 * CIFAR10_RECORD_BYTES] = 10;
    const file = path.join(scratch, 'test_batch.bin');
    await fs.writeFile(file, raw);
    await assertDataError(readCifar10File(file), file, /bad label byte 10 in record 4242/);
  });

  test('one changed pixel fails the official checksum', async () => {
    const raw = Buffer.from(await fs.readFile(path.join(folder, 'data_batch_4.bin')));
    raw[5000 * CIFAR10_RECORD_BYTES + 100] ^= 1;
    const file = path.join(scratch, 'data_batch_4.bin');
    await fs.writeFile(file, raw);
    await assertDataError(readCifar10File(file), file, new RegExp(`checksum mismatch: MD5 ${md5Hex(raw)}, the official file has ${CIFAR10_MD5['data_batch_4.bin']}`));
    // Reading without the check still decodes it (for a user who knowingly uses a modified copy).
    assert.equal((await readCifar10File(file, { verifyChecksums: false })).count, 10_000);
  });

  test('a meta file without ten class names', async () => {
    const odd = path.join(scratch, 'odd-meta');
    await fs.mkdir(odd);
    for (const name of CIFAR10_BIN_FILES) await fs.symlink(path.join(folder, name), path.join(odd, name));
    await fs.writeFile(path.join(odd, 'batches.meta.txt'), 'cat\ndog\n');
    await assertDataError(readCifar10Folder(odd), path.join(odd, 'batches.meta.txt'), /expected 10 class names, one a line; found 2/);
  });
});
