// Fetches CIFAR-10 on first use into a cache folder: a resumable HTTP(S) download (Range on the
// partial file), extraction with `tar`, and the official per-file MD5s checked before the
// folder appears. Every file lands by rename, so an interrupted run never leaves a file that
// looks complete.
import { createHash, randomBytes } from 'node:crypto';
import { createReadStream, createWriteStream, promises as fs } from 'node:fs';
import * as http from 'node:http';
import * as https from 'node:https';
import * as path from 'node:path';
import { Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { fileURLToPath } from 'node:url';
import * as tar from 'tar';
import {
  CIFAR10_BIN_FILES, CIFAR10_FOLDER_NAME, CIFAR10_MD5, CIFAR10_META_FILE, CIFAR10_RECORD_BYTES,
  CIFAR10_RECORDS_PER_FILE, locateCifar10Folder, readCifar10ClassNames,
} from './cifar10';
import { DataError } from './types';

export const CIFAR10_URL = 'https://www.cs.toronto.edu/~kriz/cifar-10-binary.tar.gz';
export const CIFAR10_ARCHIVE_NAME = 'cifar-10-binary.tar.gz';
const BIN_FILE_BYTES = CIFAR10_RECORDS_PER_FILE * CIFAR10_RECORD_BYTES;
const MAX_REDIRECTS = 5;
const IDLE_TIMEOUT_MS = 60_000;

export type DataProgressPhase = 'download' | 'extract' | 'verify';
export interface DataProgress {
  phase: DataProgressPhase;
  /** Bytes received (download), read from the archive (extract) or checked (verify). */
  received: number;
  /** The phase's total bytes, or null when the server does not say. */
  total: number | null;
}

export interface FetchOptions {
  onProgress?: (progress: DataProgress) => void;
  signal?: AbortSignal;
}

export interface EnsureCifar10Options extends FetchOptions {
  /** Where the download and the unpacked files go (outside the workspace). */
  cacheDir: string;
  /** An http(s) or file URL of the .tar.gz, a local .tar.gz, or a local folder of the files. Default: CIFAR10_URL. */
  source?: string;
  /** Attempts to resume after a broken connection within this call (default 3). */
  retries?: number;
  /** Keep the downloaded .tar.gz in the cache after unpacking (default false). */
  keepArchive?: boolean;
}

/**
 * The folder holding the six verified .bin files and batches.meta.txt: a local folder is
 * checked and used in place; an archive is unpacked into the cache; a URL is downloaded
 * first. A cache that already holds the unpacked files is used as it is.
 */
export async function ensureCifar10(options: EnsureCifar10Options): Promise<string> {
  const { cacheDir, signal } = options;
  const source = options.source ?? CIFAR10_URL;
  throwIfAborted(signal, source);
  const local = localPath(source);
  if (local !== null) {
    let stat;
    try {
      stat = await fs.stat(local);
    } catch {
      throw new DataError(local, 'not found (expected a CIFAR-10 .tar.gz or a folder of its files)', 'missing');
    }
    if (stat.isDirectory()) {
      const folder = await locateCifar10Folder(local);
      await verifyCifar10Folder(folder, options);
      return folder;
    }
    await fs.mkdir(cacheDir, { recursive: true });
    return extractCifar10Archive(local, cacheDir, options);
  }

  await fs.mkdir(cacheDir, { recursive: true });
  const unpacked = path.join(cacheDir, CIFAR10_FOLDER_NAME);
  if (await hasExpectedFiles(unpacked)) return unpacked;
  await fs.rm(unpacked, { recursive: true, force: true });

  const archive = path.join(cacheDir, CIFAR10_ARCHIVE_NAME);
  if (!(await fileExists(archive))) await downloadWithRetries(source, archive, options);
  let folder: string;
  try {
    folder = await extractCifar10Archive(archive, cacheDir, options, source);
  } catch (error) {
    // A bad download is not worth keeping: the next attempt starts it afresh.
    if (error instanceof DataError && error.kind !== 'cancelled') {
      await fs.rm(archive, { force: true });
      throw new DataError(error.file, `${error.problem}; the downloaded archive was removed, so the next attempt downloads it again`, error.kind);
    }
    throw error;
  }
  if (!options.keepArchive) await fs.rm(archive, { force: true });
  return folder;
}

async function downloadWithRetries(url: string, dest: string, options: EnsureCifar10Options): Promise<void> {
  const retries = options.retries ?? 3;
  for (let attempt = 0; ; attempt++) {
    try {
      await downloadFile(url, dest, options);
      return;
    } catch (error) {
      if (!(error instanceof DataError) || error.kind !== 'network' || attempt >= retries) throw error;
    }
  }
}

/** Information kept beside a partial download, so a resume only continues the same file. */
interface PartialInfo {
  url: string;
  validator: string | null;
}

/**
 * Downloads `url` to `dest` through `dest.part`, continuing a partial file with an HTTP Range
 * request; starts over when the server ignores the Range or the partial does not fit.
 */
export async function downloadFile(url: string, dest: string, options: FetchOptions = {}): Promise<void> {
  const part = `${dest}.part`;
  const infoFile = `${part}.json`;
  const info = await readPartialInfo(infoFile);
  let start = info !== null && info.url === url ? Math.max(0, await fileSize(part)) : 0;
  if (start === 0) await fs.rm(part, { force: true });

  const headers: Record<string, string> = {};
  if (start > 0) {
    headers.Range = `bytes=${start}-`;
    if (info?.validator) headers['If-Range'] = info.validator;
  }
  const response = await get(url, headers, options.signal, MAX_REDIRECTS);
  const status = response.statusCode ?? 0;
  let total: number | null;
  if (start > 0 && status === 206) {
    const range = /^bytes (\d+)-(\d+)\/(\d+|\*)$/.exec(response.headers['content-range'] ?? '');
    if (range === null || Number(range[1]) !== start) {
      response.resume();
      await discardPartial(part, infoFile);
      return downloadFile(url, dest, options);
    }
    total = range[3] === '*' ? null : Number(range[3]);
  } else if (start > 0 && status === 416) {
    // The partial is longer than the file (or the file changed): start over.
    response.resume();
    await discardPartial(part, infoFile);
    return downloadFile(url, dest, options);
  } else if (status === 200) {
    start = 0; // the server ignored the Range: a clean restart
    const length = response.headers['content-length'];
    total = length === undefined ? null : Number(length);
  } else {
    response.resume();
    throw new DataError(url, `download failed: HTTP ${status} ${response.statusMessage ?? ''}`.trim(), 'http');
  }

  const validator = (response.headers.etag as string | undefined) ?? (response.headers['last-modified'] as string | undefined) ?? null;
  await fs.writeFile(infoFile, JSON.stringify({ url, validator } satisfies PartialInfo));
  let received = start;
  options.onProgress?.({ phase: 'download', received, total });
  const counter = new Transform({
    transform(chunk: Buffer, _encoding, done) {
      received += chunk.length;
      options.onProgress?.({ phase: 'download', received, total });
      done(null, chunk);
    },
  });
  try {
    await pipeline(response, counter, createWriteStream(part, { flags: start > 0 ? 'a' : 'w' }), { signal: options.signal });
  } catch (error) {
    if (options.signal?.aborted) throw cancelled(url);
    throw new DataError(url, `connection broken after ${formatBytes(received)}${total === null ? '' : ` of ${formatBytes(total)}`} (${(error as Error).message}); the partial file is kept and the next attempt resumes it`, 'network');
  }
  if (total !== null && received !== total) {
    throw new DataError(url, `connection closed after ${formatBytes(received)} of ${formatBytes(total)}; the partial file is kept and the next attempt resumes it`, 'network');
  }
  await fs.rename(part, dest);
  await fs.rm(infoFile, { force: true });
}

/**
 * Unpacks the CIFAR-10 files of `archive` into a temporary folder of `cacheDir`, checks their
 * MD5s, then renames the folder to `cacheDir/cifar-10-batches-bin`. `label` names the archive in messages.
 */
export async function extractCifar10Archive(archive: string, cacheDir: string, options: FetchOptions = {}, label = archive): Promise<string> {
  const { signal, onProgress } = options;
  throwIfAborted(signal, label);
  const total = await fileSize(archive);
  const temp = path.join(cacheDir, `.extract-${process.pid}-${randomBytes(4).toString('hex')}`);
  await fs.mkdir(temp, { recursive: true });
  try {
    let received = 0;
    const counter = new Transform({
      transform(chunk: Buffer, _encoding, done) {
        received += chunk.length;
        onProgress?.({ phase: 'extract', received, total });
        done(null, chunk);
      },
    });
    const wanted = new Set([...CIFAR10_BIN_FILES, CIFAR10_META_FILE].map((name) => `${CIFAR10_FOLDER_NAME}/${name}`));
    const unpack = tar.x({
      cwd: temp,
      strict: true,
      filter: (entryPath, entry) => wanted.has(entryPath.replace(/^\.\//, '')) && 'type' in entry && entry.type === 'File',
    });
    try {
      // tar's Unpack is a Minipass stream: writable like a Node stream, typed apart from it.
      await pipeline(createReadStream(archive), counter, unpack as unknown as NodeJS.WritableStream, { signal });
    } catch (error) {
      if (signal?.aborted) throw cancelled(label);
      throw new DataError(label, `cannot unpack the archive (${(error as Error).message}); expected a .tar.gz of the CIFAR-10 binary version`, 'format');
    }
    const unpacked = path.join(temp, CIFAR10_FOLDER_NAME);
    if (!(await fileExists(unpacked))) {
      throw new DataError(label, `the archive holds no ${CIFAR10_FOLDER_NAME}/ folder; expected the CIFAR-10 binary version`, 'format');
    }
    await verifyCifar10Folder(unpacked, options, label);
    const target = path.join(cacheDir, CIFAR10_FOLDER_NAME);
    try {
      await fs.rename(unpacked, target);
    } catch (error) {
      // Another process finished first: its folder is as good as ours.
      if (!(await hasExpectedFiles(target))) throw error;
    }
    return target;
  } finally {
    await fs.rm(temp, { recursive: true, force: true });
  }
}

/**
 * Checks that a folder holds the six .bin files with their official MD5s and the class names.
 * Errors name the file as `<label>/<file>` (label: the folder, or the archive it came from).
 */
async function verifyCifar10Folder(folder: string, options: FetchOptions = {}, label = folder): Promise<void> {
  const { signal, onProgress } = options;
  const name = (file: string): string => (label === folder ? path.join(folder, file) : `${CIFAR10_FOLDER_NAME}/${file} (in ${label})`);
  const total = CIFAR10_BIN_FILES.length * BIN_FILE_BYTES;
  let checked = 0;
  for (const file of CIFAR10_BIN_FILES) {
    throwIfAborted(signal, label);
    const full = path.join(folder, file);
    const size = await fileSize(full);
    if (size < 0) throw new DataError(name(file), 'file not found', 'missing');
    if (size !== BIN_FILE_BYTES) {
      throw new DataError(name(file), `wrong size: ${formatBytes(size)}, a CIFAR-10 batch is ${BIN_FILE_BYTES.toLocaleString('en-US')} bytes (truncated or not the official file)`, 'format');
    }
    const hash = createHash('md5');
    try {
      for await (const chunk of createReadStream(full, { signal })) {
        hash.update(chunk as Buffer);
        checked += (chunk as Buffer).length;
        onProgress?.({ phase: 'verify', received: checked, total });
      }
    } catch (error) {
      if (signal?.aborted) throw cancelled(label);
      throw new DataError(name(file), `cannot be read (${(error as Error).message})`, 'missing');
    }
    const actual = hash.digest('hex');
    if (actual !== CIFAR10_MD5[file]) {
      throw new DataError(name(file), `checksum mismatch: MD5 ${actual}, the official file has ${CIFAR10_MD5[file]}`, 'checksum');
    }
  }
  try {
    await readCifar10ClassNames(folder);
  } catch (error) {
    if (error instanceof DataError) throw new DataError(name(CIFAR10_META_FILE), error.problem, error.kind);
    throw error;
  }
}

function get(url: string, headers: Record<string, string>, signal: AbortSignal | undefined, redirectsLeft: number): Promise<http.IncomingMessage> {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return Promise.reject(new DataError(url, 'not a valid URL', 'http'));
  }
  const client = parsed.protocol === 'https:' ? https : parsed.protocol === 'http:' ? http : null;
  if (client === null) return Promise.reject(new DataError(url, `unsupported protocol ${parsed.protocol} (use http, https, file or a local path)`, 'http'));
  return new Promise((resolve, reject) => {
    const request = client.get(parsed, { headers, signal }, (response) => {
      const status = response.statusCode ?? 0;
      const location = response.headers.location;
      if ([301, 302, 303, 307, 308].includes(status) && location !== undefined) {
        response.resume();
        if (redirectsLeft === 0) {
          reject(new DataError(url, `too many redirects (more than ${MAX_REDIRECTS})`, 'http'));
          return;
        }
        resolve(get(new URL(location, parsed).href, headers, signal, redirectsLeft - 1));
        return;
      }
      resolve(response);
    });
    request.setTimeout(IDLE_TIMEOUT_MS, () => request.destroy(new Error(`no data for ${IDLE_TIMEOUT_MS / 1000} s`)));
    request.on('error', (error: NodeJS.ErrnoException) => {
      if (signal?.aborted) reject(cancelled(url));
      else reject(new DataError(url, `network error: ${error.code ?? ''} ${error.message}`.replace(/^(network error: )\s*/, '$1'), 'network'));
    });
  });
}

function localPath(source: string): string | null {
  if (/^https?:\/\//i.test(source)) return null;
  if (/^file:\/\//i.test(source)) return fileURLToPath(source);
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(source)) return null; // other protocols: get() names the problem
  return path.resolve(source);
}

async function hasExpectedFiles(folder: string): Promise<boolean> {
  for (const file of CIFAR10_BIN_FILES) if ((await fileSize(path.join(folder, file))) !== BIN_FILE_BYTES) return false;
  return fileExists(path.join(folder, CIFAR10_META_FILE));
}

async function readPartialInfo(file: string): Promise<PartialInfo | null> {
  try {
    const value = JSON.parse(await fs.readFile(file, 'utf8')) as Partial<PartialInfo>;
    return typeof value.url === 'string' ? { url: value.url, validator: typeof value.validator === 'string' ? value.validator : null } : null;
  } catch {
    return null;
  }
}

async function discardPartial(part: string, infoFile: string): Promise<void> {
  await fs.rm(part, { force: true });
  await fs.rm(infoFile, { force: true });
}

/** Size in bytes, or -1 when there is no such file. */
async function fileSize(file: string): Promise<number> {
  try {
    return (await fs.stat(file)).size;
  } catch {
    return -1;
  }
}

async function fileExists(file: string): Promise<boolean> {
  return (await fileSize(file)) >= 0;
}

function throwIfAborted(signal: AbortSignal | undefined, what: string): void {
  if (signal?.aborted) throw cancelled(what);
}

function cancelled(what: string): DataError {
  return new DataError(what, 'cancelled', 'cancelled');
}

function formatBytes(bytes: number): string {
  return bytes >= 1e6 ? `${(bytes / 1e6).toFixed(1)} MB` : `${bytes.toLocaleString('en-US')} bytes`;
}
