// Fetching CIFAR-10 end to end from a real HTTP server on 127.0.0.1 that serves the shared files.
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { createReadStream, promises as fs } from 'node:fs';
import * as http from 'node:http';
import { AddressInfo } from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import { after, before, describe, test } from 'node:test';
import * as tar from 'tar';
import { CIFAR10_FOLDER_NAME, CIFAR10_RECORD_BYTES } from '../../core/data/cifar10';
import { CIFAR10_ARCHIVE_NAME, DataProgress, downloadFile, ensureCifar10 } from '../../core/data/download';
import { DataError, DataErrorKind } from '../../core/data/types';
import { CIFAR10_TARBALL, SHARED_DATA, extractedCifar10, tarballStat } from './dataSupport';

interface Served {
  url: string;
  /** Each request's path and Range header, in order. */
  requests: { path: string; range: string | undefined }[];
  close(): Promise<void>;
}

interface ServeOptions {
  /** Honour Range requests (default true). */
  ranges?: boolean;
  /** Cut the connection after this many body bytes, on the first `cuts` requests for the file. */
  cutAfter?: number;
  cuts?: number;
}

/** Serves `file` at /<its name>, with /start redirecting there and 404 for anything else. */
async function serve(file: string, options: ServeOptions = {}): Promise<Served> {
  const name = `/${path.basename(file)}`;
  const { size, mtimeMs } = await fs.stat(file);
  const requests: Served['requests'] = [];
  let cutsLeft = options.cuts ?? (options.cutAfter === undefined ? 0 : 1);
  const server = http.createServer((request, response) => {
    const range = request.headers.range;
    requests.push({ path: request.url ?? '', range });
    if (request.url === '/start') {
      response.writeHead(302, { Location: name }).end();
      return;
    }
    if (request.url !== name) {
      response.writeHead(404).end('not here');
      return;
    }
    let start = 0;
    const headers: http.OutgoingHttpHeaders = { ETag: `"${size}-${mtimeMs}"`, 'Accept-Ranges': options.ranges === false ? 'none' : 'bytes' };
    const match = /^bytes=(\d+)-$/.exec(range ?? '');
    if (match !== null && options.ranges !== false) {
      start = Number(match[1]);
      if (start >= size) {
        response.writeHead(416, { 'Content-Range': `bytes */${size}` }).end();
        return;
      }
      response.writeHead(206, { ...headers, 'Content-Length': size - start, 'Content-Range': `bytes ${start}-${size - 1}/${size}` });
    } else {
      response.writeHead(200, { ...headers, 'Content-Length': size });
    }
    const cut = cutsLeft > 0 && options.cutAfter !== undefined;
    if (cut) cutsLeft--;
    const end = cut ? Math.min(size, start + (options.cutAfter as number)) : size;
    const body = createReadStream(file, { start, end: end - 1 });
    body.pipe(response, { end: !cut });
    if (cut) body.on('end', () => response.socket?.destroy());
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    close: () => new Promise((resolve) => {
      server.closeAllConnections();
      server.close(() => resolve());
    }),
  };
}

async function md5OfFile(file: string): Promise<string> {
  const hash = createHash('md5');
  for await (const chunk of createReadStream(file)) hash.update(chunk as Buffer);
  return hash.digest('hex');
}

async function assertRejectsWith(promise: Promise<unknown>, kind: DataErrorKind, file: RegExp | string, problem: RegExp): Promise<DataError> {
  let caught: DataError | null = null;
  await assert.rejects(promise, (error: unknown) => {
    assert.ok(error instanceof DataError, `expected a DataError, got ${String(error)}`);
    assert.equal(error.kind, kind, error.message);
    if (typeof file === 'string') assert.equal(error.file, file);
    else assert.match(error.file, file);
    assert.match(error.message, problem);
    caught = error;
    return true;
  });
  return caught as unknown as DataError;
}

let scratch = '';
let realFolder = '';
before(async () => {
  tarballStat();
  scratch = await fs.mkdtemp(path.join(os.tmpdir(), 'resnet-lab-download-'));
  realFolder = await extractedCifar10();
});
after(async () => {
  await fs.rm(scratch, { recursive: true, force: true });
});

const newCache = (name: string): string => path.join(scratch, name);

describe('downloading CIFAR-10 from an HTTP server', () => {
  test('a redirect, a connection cut midway, a resume with Range, then verified files', async () => {
    const cutAfter = 60_000_000;
    const server = await serve(CIFAR10_TARBALL, { cutAfter });
    const cache = newCache('e2e');
    const events: DataProgress[] = [];
    try {
      const folder = await ensureCifar10({ source: `${server.url}/start`, cacheDir: cache, onProgress: (p) => events.push(p) });
      assert.equal(folder, path.join(cache, CIFAR10_FOLDER_NAME));
      const fileRequests = server.requests.filter((r) => r.path === `/${CIFAR10_ARCHIVE_NAME}`);
      assert.equal(fileRequests.length, 2);
      assert.equal(fileRequests[0].range, undefined);
      const resumedAt = Number(/^bytes=(\d+)-$/.exec(fileRequests[1].range ?? '')?.[1]);
      assert.ok(resumedAt > 0 && resumedAt <= cutAfter, `resumed at ${fileRequests[1].range}`);
    } finally {
      await server.close();
    }
    const size = tarballStat().size;
    const downloads = events.filter((e) => e.phase === 'download');
    assert.ok(downloads.length > 10, 'progress is reported as the bytes arrive');
    assert.deepEqual(downloads[downloads.length - 1], { phase: 'download', received: size, total: size });
    assert.ok(downloads.every((e) => e.total === size));
    assert.ok(events.some((e) => e.phase === 'extract' && e.received === size));
    assert.ok(events.some((e) => e.phase === 'verify' && e.received === 6 * 10_000 * CIFAR10_RECORD_BYTES));
    const published = await fs.readFile(path.join(SHARED_DATA, 'MD5SUMS'), 'utf8');
    for (const name of ['data_batch_1.bin', 'test_batch.bin', 'batches.meta.txt']) {
      assert.ok(published.includes(`${await md5OfFile(path.join(cache, CIFAR10_FOLDER_NAME, name))}  ${name}`), `${name} matches MD5SUMS`);
    }
    assert.deepEqual((await fs.readdir(cache)).sort(), [CIFAR10_FOLDER_NAME], 'no archive, partial or temporary folder left behind');

    // The cache is used as it is next time: no request at all.
    const offline = await serve(CIFAR10_TARBALL);
    try {
      assert.equal(await ensureCifar10({ source: `${offline.url}/start`, cacheDir: cache }), path.join(cache, CIFAR10_FOLDER_NAME));
      assert.equal(offline.requests.length, 0);
    } finally {
      await offline.close();
    }
  });

  test('a cancel stops the download and leaves no complete-looking file', async () => {
    const server = await serve(CIFAR10_TARBALL);
    const cache = newCache('cancel');
    const controller = new AbortController();
    try {
      await assertRejectsWith(
        ensureCifar10({
          source: `${server.url}/${CIFAR10_ARCHIVE_NAME}`, cacheDir: cache, signal: controller.signal,
          onProgress: (p) => { if (p.received > 20_000_000) controller.abort(); },
        }),
        'cancelled', `${server.url}/${CIFAR10_ARCHIVE_NAME}`, /: cancelled$/,
      );
    } finally {
      await server.close();
    }
    const left = await fs.readdir(cache);
    assert.ok(!left.includes(CIFAR10_ARCHIVE_NAME) && !left.includes(CIFAR10_FOLDER_NAME), `left: ${left.join(', ')}`);
    const partial = (await fs.stat(path.join(cache, `${CIFAR10_ARCHIVE_NAME}.part`))).size;
    assert.ok(partial < tarballStat().size, 'only a .part file, shorter than the archive');
    // Cancelled before it starts: nothing is requested.
    const never = new AbortController();
    never.abort();
    await assertRejectsWith(ensureCifar10({ source: 'http://127.0.0.1:9/x.tar.gz', cacheDir: cache, signal: never.signal }), 'cancelled', 'http://127.0.0.1:9/x.tar.gz', /cancelled/);
  });

  test('a tarball with one corrupted .bin is caught, naming the file, and not kept', async () => {
    const staging = newCache('corrupt-staging');
    const inner = path.join(staging, CIFAR10_FOLDER_NAME);
    await fs.mkdir(inner, { recursive: true });
    for (const name of ['data_batch_1.bin', 'batches.meta.txt']) await fs.copyFile(path.join(realFolder, name), path.join(inner, name));
    const damaged = Buffer.from(await fs.readFile(path.join(realFolder, 'data_batch_2.bin')));
    damaged[1234 * CIFAR10_RECORD_BYTES + 500] ^= 0xff;
    await fs.writeFile(path.join(inner, 'data_batch_2.bin'), damaged);
    const archive = path.join(staging, CIFAR10_ARCHIVE_NAME);
    // Level 0: a valid gzip made fast (stored blocks); the file's content is what matters here.
    await tar.c({ gzip: { level: 0 }, file: archive, cwd: staging }, [CIFAR10_FOLDER_NAME]);

    const server = await serve(archive);
    const cache = newCache('corrupt');
    const url = `${server.url}/${CIFAR10_ARCHIVE_NAME}`;
    try {
      const error = await assertRejectsWith(ensureCifar10({ source: url, cacheDir: cache }), 'checksum', /^cifar-10-batches-bin\/data_batch_2\.bin \(in http:\/\/127\.0\.0\.1:\d+\/cifar-10-binary\.tar\.gz\)$/, /checksum mismatch: MD5 [0-9a-f]{32}, the official file has 5ea93a67294ea407fff1d09f752e9692; the downloaded archive was removed/);
      assert.ok(error.message.includes(url));
    } finally {
      await server.close();
    }
    assert.deepEqual(await fs.readdir(cache), [], 'neither the bad archive nor a half-unpacked folder stays');

    // The same tarball given as a local file: named the same way, and the user's file is left alone.
    await assertRejectsWith(ensureCifar10({ source: archive, cacheDir: newCache('corrupt-local') }), 'checksum', `cifar-10-batches-bin/data_batch_2.bin (in ${archive})`, /checksum mismatch/);
    await fs.access(archive);
  });

  test('HTTP errors and network errors say what happened', async () => {
    const server = await serve(CIFAR10_TARBALL);
    const url = `${server.url}/nothing.tar.gz`;
    try {
      await assertRejectsWith(ensureCifar10({ source: url, cacheDir: newCache('404') }), 'http', url, /download failed: HTTP 404 Not Found/);
    } finally {
      await server.close();
    }
    // The server is gone now: the port refuses connections.
    await assertRejectsWith(ensureCifar10({ source: url, cacheDir: newCache('refused'), retries: 0 }), 'network', url, /network error: ECONNREFUSED/);
    await assertRejectsWith(ensureCifar10({ source: 'ftp://example.org/c.tar.gz', cacheDir: newCache('ftp') }), 'http', 'ftp://example.org/c.tar.gz', /unsupported protocol ftp:/);
  });
});

describe('resuming a partial download', () => {
  let small = '';
  let smallMd5 = '';
  before(async () => {
    small = path.join(scratch, 'small.bin');
    const bytes = Buffer.alloc(3_000_000);
    for (let i = 0; i < bytes.length; i++) bytes[i] = (i * 2654435761) >>> 24;
    await fs.writeFile(small, bytes);
    smallMd5 = createHash('md5').update(bytes).digest('hex');
  });

  test('a later attempt continues where a broken one stopped', async () => {
    const server = await serve(small, { cutAfter: 1_000_000 });
    const dest = path.join(newCache('resume'), 'small.bin');
    await fs.mkdir(path.dirname(dest));
    try {
      await assertRejectsWith(downloadFile(`${server.url}/small.bin`, dest), 'network', `${server.url}/small.bin`, /connection (broken|closed) after .* of 3\.0 MB.*the next attempt resumes it/);
      await assert.rejects(fs.access(dest), 'no complete-looking file after the break');
      const kept = (await fs.stat(`${dest}.part`)).size;
      assert.ok(kept > 0 && kept <= 1_000_000);
      await downloadFile(`${server.url}/small.bin`, dest);
      assert.equal(server.requests[1].range, `bytes=${kept}-`);
    } finally {
      await server.close();
    }
    assert.equal(await md5OfFile(dest), smallMd5);
    assert.deepEqual((await fs.readdir(path.dirname(dest))).sort(), ['small.bin']);
  });

  test('a server that ignores Range makes a clean restart', async () => {
    const server = await serve(small, { cutAfter: 1_000_000, ranges: false });
    const dest = path.join(newCache('no-range'), 'small.bin');
    await fs.mkdir(path.dirname(dest));
    try {
      await assert.rejects(downloadFile(`${server.url}/small.bin`, dest));
      await downloadFile(`${server.url}/small.bin`, dest);
      assert.match(server.requests[1].range ?? '', /^bytes=\d+-$/, 'it asked for the rest');
    } finally {
      await server.close();
    }
    assert.equal((await fs.stat(dest)).size, 3_000_000, 'the full body replaced the partial, not appended to it');
    assert.equal(await md5OfFile(dest), smallMd5);
  });

  test('a partial longer than the file (416) is discarded and the download starts over', async () => {
    const server = await serve(small);
    const dest = path.join(newCache('too-long'), 'small.bin');
    await fs.mkdir(path.dirname(dest));
    await fs.writeFile(`${dest}.part`, Buffer.alloc(4_000_000, 7));
    await fs.writeFile(`${dest}.part.json`, JSON.stringify({ url: `${server.url}/small.bin`, validator: null }));
    try {
      await downloadFile(`${server.url}/small.bin`, dest);
      assert.deepEqual(server.requests.map((r) => r.range), ['bytes=4000000-', undefined]);
    } finally {
      await server.close();
    }
    assert.equal(await md5OfFile(dest), smallMd5);
  });

  test('a partial of another URL is not resumed', async () => {
    const server = await serve(small);
    const dest = path.join(newCache('other-url'), 'small.bin');
    await fs.mkdir(path.dirname(dest));
    await fs.writeFile(`${dest}.part`, Buffer.alloc(1000, 1));
    await fs.writeFile(`${dest}.part.json`, JSON.stringify({ url: 'http://elsewhere.invalid/small.bin', validator: null }));
    try {
      await downloadFile(`${server.url}/small.bin`, dest);
      assert.equal(server.requests[0].range, undefined);
    } finally {
      await server.close();
    }
    assert.equal(await md5OfFile(dest), smallMd5);
  });
});

describe('local sources', () => {
  test('a local folder is checked and used in place', async () => {
    assert.equal(await ensureCifar10({ source: path.dirname(realFolder), cacheDir: newCache('unused') }), realFolder);
  });

  test('a missing local path is named', async () => {
    const missing = path.join(scratch, 'nowhere', 'cifar.tar.gz');
    await assertRejectsWith(ensureCifar10({ source: missing, cacheDir: newCache('missing') }), 'missing', missing, /not found/);
  });

  test('a folder with a truncated file is named with the file', async () => {
    const folder = newCache('truncated-folder');
    await fs.mkdir(folder);
    for (const name of await fs.readdir(realFolder)) await fs.symlink(path.join(realFolder, name), path.join(folder, name));
    await fs.rm(path.join(folder, 'data_batch_5.bin'));
    const raw = await fs.readFile(path.join(realFolder, 'data_batch_5.bin'));
    await fs.writeFile(path.join(folder, 'data_batch_5.bin'), raw.subarray(0, 20_000_000));
    await assertRejectsWith(ensureCifar10({ source: folder, cacheDir: newCache('unused2') }), 'format', path.join(folder, 'data_batch_5.bin'), /wrong size: 20\.0 MB, a CIFAR-10 batch is 30,730,000 bytes/);
  });
});
