// Shared by the data tests: where the real CIFAR-10 lives, and one extraction of it per test run.
import { promises as fs, statSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { CIFAR10_FOLDER_NAME } from '../../core/data/cifar10';
import { extractCifar10Archive } from '../../core/data/download';

export const REPO_ROOT = path.resolve(__dirname, '../../..');
/** The shared folder: $RESNET_LAB_SHARED, or <repo>/../shared (as on CI). */
export const SHARED_DIR = path.resolve(process.env.RESNET_LAB_SHARED ?? path.join(REPO_ROOT, '..', 'shared'));
export const SHARED_DATA = path.join(SHARED_DIR, 'data');
export const CIFAR10_TARBALL = path.join(SHARED_DATA, 'cifar-10-binary.tar.gz');

export function tarballStat(): { size: number; mtimeMs: number } {
  try {
    return statSync(CIFAR10_TARBALL);
  } catch {
    throw new Error(`The real CIFAR-10 tarball is missing: ${CIFAR10_TARBALL}. Set RESNET_LAB_SHARED to the shared folder (it holds data/cifar-10-binary.tar.gz).`);
  }
}

let extraction: Promise<string> | null = null;

/**
 * The real files, unpacked once into os.tmpdir()/resnet-lab-test-cifar/<size>-<mtime>/ and
 * reused by every test file of a run (and by later runs). A lock folder keeps concurrent test
 * processes from unpacking twice; the unpacked folder only appears, by rename, once verified.
 */
export function extractedCifar10(): Promise<string> {
  extraction ??= extractOnce();
  return extraction;
}

async function extractOnce(): Promise<string> {
  const { size, mtimeMs } = tarballStat();
  const cache = path.join(os.tmpdir(), 'resnet-lab-test-cifar', `${size}-${Math.floor(mtimeMs)}`);
  const folder = path.join(cache, CIFAR10_FOLDER_NAME);
  const lock = path.join(cache, '.lock');
  await fs.mkdir(cache, { recursive: true });
  for (;;) {
    if (await exists(folder)) return folder;
    try {
      await fs.mkdir(lock);
    } catch {
      const age = Date.now() - (await fs.stat(lock).then((s) => s.mtimeMs, () => Date.now()));
      if (age > 120_000) await fs.rm(lock, { recursive: true, force: true }); // left by a killed run
      await new Promise((resolve) => setTimeout(resolve, 200));
      continue;
    }
    try {
      if (!(await exists(folder))) await extractCifar10Archive(CIFAR10_TARBALL, cache);
      return folder;
    } finally {
      await fs.rm(lock, { recursive: true, force: true });
    }
  }
}

async function exists(p: string): Promise<boolean> {
  return fs.access(p).then(() => true, () => false);
}
