// The project's WebAssembly kernels (wasm/*.c → kernels.wasm; their signatures: kernelExports.ts)
// and the threads that run them. One shared WebAssembly.Memory, TF.js's own (core/engine/wasmHeap.ts),
// so the kernels work on its tensors in place; one instance of the module on the calling thread
// and one in each helper worker thread. A call splits its work into disjoint
// parts: part 0 runs on the caller, the others on the helpers, woken through Atomics on a small
// shared control block; the caller waits (Atomics.wait) until every part is done. A trap in a
// helper is reported back and thrown on the caller, never swallowed.
import { existsSync, readFileSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { setFlagsFromString } from 'node:v8';
import { Worker } from 'node:worker_threads';
import { KernelHeap, kernelHeap } from './wasmHeap';
import { Geom, geomInt32s, GEOM_FIELDS, KERNEL_EXPORT_NAMES, KernelExportArgs, KernelExportName, positionalArgs } from './kernelExports';

/** The file name beside a bundle (dist/) and in the repository (wasm/). */
const KERNELS_WASM_DIST_NAME = 'resnetlab-kernels.wasm';
const KERNELS_WASM_REPO_PATH = path.join('wasm', 'kernels.wasm');

type Exports = Record<KernelExportName, (...args: number[]) => void>;

const MAX_ARGS = 14;
const SLOT = 17; // int32s per thread: function index, argument count, arguments, claim word
const HEADER = 4; // generation, done count, error flag, spare
const ALIGN = 16;

/** Where kernels.wasm is: beside the bundle (dist/), else the repository's wasm/ (out/ builds, tests). */
export function findKernelsWasm(explicitDir?: string): string {
  const candidates = [
    ...(explicitDir ? [path.join(explicitDir, KERNELS_WASM_DIST_NAME)] : []),
    path.join(__dirname, KERNELS_WASM_DIST_NAME),
    // out/core/engine/ → repository root; core/engine/ when run from sources.
    path.join(__dirname, '..', '..', '..', KERNELS_WASM_REPO_PATH),
    path.join(__dirname, '..', '..', KERNELS_WASM_REPO_PATH),
  ];
  const found = candidates.find((p) => existsSync(p));
  if (!found) throw new Error(`ResNet Lab's WebAssembly kernels (${KERNELS_WASM_DIST_NAME}) are not in ${candidates.join(' or ')}`);
  return found;
}

// The helper thread: its own instance on the shared memory, a loop waiting for work. A part is
// open for one generation (its claim word holds that generation); whoever claims it first (its
// helper, or the caller once its own part is done) runs it. So a call never waits on a helper
// that has not started yet (a worker starts only when the caller's event loop turns) or is busy.
const WORKER_SOURCE = `
const { workerData } = require('node:worker_threads');
const { module, memory, control, index, names } = workerData;
const ctl = new Int32Array(control);
const exports = new WebAssembly.Instance(module, { env: { memory } }).exports;
const fns = names.map((n) => exports[n]);
let seen = 0;
for (;;) {
  while (Atomics.load(ctl, 0) === seen) Atomics.wait(ctl, 0, seen, 1000);
  seen = Atomics.load(ctl, 0);
  if (seen < 0) break;
  const base = ${HEADER} + index * ${SLOT};
  if (Atomics.compareExchange(ctl, base + ${SLOT - 1}, seen, 0) !== seen) continue;
  try { fns[ctl[base]](...Array.from(ctl.subarray(base + 2, base + 2 + ctl[base + 1]))); } catch (e) { Atomics.store(ctl, 2, index + 1); }
  Atomics.add(ctl, 1, 1);
  Atomics.notify(ctl, 1);
}
`;

export class KernelThreads {
  readonly threads: number;
  readonly memory: WebAssembly.Memory;
  private readonly exports: Exports;
  private readonly workers: Worker[] = [];
  private readonly control: Int32Array;
  /** The arena: one block of TF.js's heap, reused by every call. */
  private arena = 0;
  private arenaBytes = 0;
  private top = 0;
  /** Blocks a call needed past the arena, freed when the next call starts. */
  private overflow: number[] = [];
  private callBytes = 0;
  private generation = 0;

  /** Instances of `module` on `heap`'s memory: this thread's and those of threads − 1 helpers. */
  constructor(
    module: WebAssembly.Module,
    threads: number,
    private readonly heap: KernelHeap,
  ) {
    this.threads = Math.max(1, Math.floor(threads));
    this.memory = heap.memory;
    this.exports = new WebAssembly.Instance(module, { env: { memory: this.memory } }).exports as unknown as Exports;
    this.control = new Int32Array(new SharedArrayBuffer(4 * (HEADER + SLOT * this.threads)));
    for (let index = 1; index < this.threads; index++) {
      const worker = new Worker(WORKER_SOURCE, { eval: true, workerData: { module, memory: this.memory, control: this.control.buffer, index, names: KERNEL_EXPORT_NAMES } });
      worker.unref();
      worker.on('error', () => Atomics.store(this.control, 2, index + 1));
      this.workers.push(worker);
    }
  }

  /**
   * Starts a call's scratch allocations: what the previous call allocated is free again. The
   * arena grows to the largest call, so after the first steps a call mallocs nothing.
   */
  reset(): void {
    for (const block of this.overflow) this.heap.free(block);
    this.overflow = [];
    if (this.callBytes > this.arenaBytes) {
      if (this.arena) this.heap.free(this.arena);
      this.arena = this.heap.malloc(this.callBytes + ALIGN);
      if (!this.arena) throw new Error(`Out of WebAssembly memory for ${this.callBytes} bytes of kernel scratch.`);
      this.arenaBytes = this.callBytes;
    }
    this.top = this.alignUp(this.arena);
    this.callBytes = 0;
  }

  private alignUp(offset: number): number {
    return Math.ceil(offset / ALIGN) * ALIGN;
  }

  /**
   * Reserves `floats` float32s (16-byte aligned) of scratch for the current call; returns the
   * byte offset. 16 bytes more stay readable past the end: the kernels' 4-row tiles may read
   * (never store) up to 3 floats past a matrix.
   */
  alloc(floats: number): number {
    const bytes = this.alignUp(floats * 4) + ALIGN;
    this.callBytes += bytes;
    if (this.arena && this.top + bytes <= this.arena + ALIGN + this.arenaBytes) {
      const offset = this.top;
      this.top += bytes;
      return offset;
    }
    const block = this.heap.malloc(bytes + ALIGN);
    if (!block) throw new Error(`Out of WebAssembly memory for ${bytes} bytes of kernel scratch.`);
    this.overflow.push(block);
    return this.alignUp(block);
  }

  f64(offset: number, length: number): Float64Array {
    return new Float64Array(this.memory.buffer, offset, length);
  }

  f32(offset: number, length: number): Float32Array {
    return new Float32Array(this.memory.buffer, offset, length);
  }

  i32(offset: number, length: number): Int32Array {
    return new Int32Array(this.memory.buffer, offset, length);
  }

  /** Writes a Geom struct into the arena; returns its offset. */
  allocGeom(geom: Geom): number {
    const offset = this.alloc(GEOM_FIELDS.length);
    this.i32(offset, GEOM_FIELDS.length).set(geomInt32s(geom));
    return offset;
  }

  /** Runs one call on the caller's thread only. */
  call<F extends KernelExportName>(fn: F, args: KernelExportArgs<F>): void {
    this.exports[fn](...positionalArgs(fn, args));
  }

  /** Runs parts[t] on thread t (0: the caller) and returns when all are done. */
  parallel<F extends KernelExportName>(fn: F, namedParts: Array<KernelExportArgs<F>>): void {
    const parts = namedParts.map((args) => positionalArgs(fn, args));
    if (parts.length > this.threads) throw new Error(`${parts.length} parts for ${this.threads} threads`);
    if (parts.length === 1) {
      this.exports[fn](...parts[0]);
      return;
    }
    const c = this.control;
    const f = KERNEL_EXPORT_NAMES.indexOf(fn);
    if (f < 0) throw new Error(`Unknown kernel ${fn}`);
    const generation = (this.generation = (this.generation % 0x3fffffff) + 1);
    for (let t = 1; t < parts.length; t++) {
      const base = HEADER + t * SLOT;
      const args = parts[t];
      if (args.length > MAX_ARGS) throw new Error(`${fn}: too many arguments`);
      c[base] = f;
      c[base + 1] = args.length;
      for (let i = 0; i < args.length; i++) c[base + 2 + i] = args[i];
      Atomics.store(c, base + SLOT - 1, generation); // open for this generation
    }
    Atomics.store(c, 1, 0);
    Atomics.store(c, 2, 0);
    Atomics.store(c, 0, generation);
    Atomics.notify(c, 0);
    let ownError: unknown = null;
    let ownDone = 0;
    try {
      this.exports[fn](...parts[0]);
      // Parts no helper has claimed yet run here.
      for (let t = 1; t < parts.length; t++) {
        if (Atomics.compareExchange(c, HEADER + t * SLOT + SLOT - 1, generation, 0) !== generation) continue;
        ownDone++;
        this.exports[fn](...parts[t]);
      }
    } catch (error) {
      ownError = error;
    }
    // After an error here, close the parts nobody has claimed (they are not run).
    for (let t = 1; t < parts.length; t++) {
      if (Atomics.compareExchange(c, HEADER + t * SLOT + SLOT - 1, generation, 0) === generation) ownDone++;
    }
    // Every part is claimed now (parts that threw here count as done); wait for the helpers'.
    const helperParts = parts.length - 1 - ownDone;
    for (;;) {
      const done = Atomics.load(c, 1);
      if (done >= helperParts) break;
      Atomics.wait(c, 1, done, 1000);
    }
    if (ownError) throw ownError;
    const failed = Atomics.load(c, 2);
    if (failed !== 0) throw new Error(`The WebAssembly kernel ${fn} failed in helper thread ${failed - 1}.`);
  }

  dispose(): void {
    for (const block of this.overflow) this.heap.free(block);
    if (this.arena) this.heap.free(this.arena);
    this.overflow = [];
    this.arena = 0;
    Atomics.store(this.control, 0, -1);
    Atomics.notify(this.control, 0);
    for (const w of this.workers) void w.terminate();
  }
}

let shared: KernelThreads | null = null;
let requestedThreads: number | null = null;

/** Threads the kernels use: RESNETLAB_WASM_THREADS, else setKernelThreads(), else the cores. */
export function kernelThreadCount(): number {
  const env = Number(process.env.RESNETLAB_WASM_THREADS);
  if (Number.isInteger(env) && env >= 1) return env;
  if (requestedThreads !== null) return requestedThreads;
  const cores = typeof os.availableParallelism === 'function' ? os.availableParallelism() : os.cpus().length;
  return Math.max(1, Math.min(8, cores));
}

/** Sets the thread count for kernels created from now on (the next getKernelThreads after a dispose). */
export function setKernelThreads(threads: number): void {
  if (!Number.isInteger(threads) || threads < 1) throw new Error(`The kernel thread count must be a whole number ≥ 1; got ${threads}.`);
  requestedThreads = threads;
  if (shared && shared.threads !== threads) {
    shared.dispose();
    shared = null;
  }
}

let explicitWasmDir: string | undefined;
/** A folder that holds resnetlab-kernels.wasm (e.g. the bundle's), tried first. */
export function setKernelsWasmDir(dir: string | undefined): void {
  explicitWasmDir = dir;
}

/** The custom section of kernels.wasm that holds its relaxed-SIMD build (wasm/build.sh). */
export const RELAXED_SIMD_SECTION = 'resnetlab.relaxed_simd';

export type KernelVariant = 'relaxed-simd' | 'simd';

/**
 * The module to run from kernels.wasm's bytes: its relaxed-SIMD build (fused multiply-add) where
 * the engine has relaxed SIMD, else the plain-SIMD one. Node 20's V8 has it behind a flag,
 * turned on here (it only adds instructions); newer engines (Node 22, VS Code's) have it on.
 * RESNETLAB_WASM_RELAXED=0 forces the plain build.
 */
export function loadKernelsModule(bytes: BufferSource): { module: WebAssembly.Module; variant: KernelVariant } {
  const plain = new WebAssembly.Module(bytes);
  if (process.env.RESNETLAB_WASM_RELAXED === '0') return { module: plain, variant: 'simd' };
  const [relaxed] = WebAssembly.Module.customSections(plain, RELAXED_SIMD_SECTION);
  if (!relaxed) return { module: plain, variant: 'simd' };
  if (!WebAssembly.validate(relaxed)) {
    try {
      setFlagsFromString('--experimental-wasm-relaxed-simd');
    } catch {
      return { module: plain, variant: 'simd' };
    }
    if (!WebAssembly.validate(relaxed)) return { module: plain, variant: 'simd' };
  }
  return { module: new WebAssembly.Module(relaxed), variant: 'relaxed-simd' };
}

let kernels: WebAssembly.Module | null = null;

/** The kernels' module, read from kernels.wasm on first use: throws when the file is missing. */
export function kernelsModule(): WebAssembly.Module {
  kernels ??= loadKernelsModule(readFileSync(findKernelsWasm(explicitWasmDir))).module;
  return kernels;
}

/** The process's (thread's) kernel threads on the started wasm backend's heap, created on first use. */
export function getKernelThreads(): KernelThreads {
  if (!shared) {
    const heap = kernelHeap();
    if (!heap) throw new Error("ResNet Lab's WebAssembly kernels run in the wasm backend's memory: start it first (selectBackend('wasm')).");
    shared = new KernelThreads(kernelsModule(), kernelThreadCount(), heap);
  }
  return shared;
}
