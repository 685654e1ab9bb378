// The project's WebAssembly kernels (wasm/*.c → kernels.wasm; their signatures: kernelExports.ts)
// and the threads that run them. One shared WebAssembly.Memory, TF.js's own (core/engine/wasmHeap.ts),
// so the kernels work on its tensors in place; one instance of the module on the calling thread
// and one in each helper worker thread. A call splits its work into disjoint parts, claimed by
// the caller and the helpers (woken through Atomics on a small shared control block); the caller
// waits (Atomics.wait) until every part is done. A trap in a helper is reported back and thrown
// on the caller, never swallowed.
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
const SLOT = 16; // int32s per part: function index, argument count, arguments
const HEADER = 4; // generation, done count, error flag, claim word
const CLAIM = 3;
/** Parts a call may have: the claim word holds a part's index in 8 bits. */
const MAX_PARTS = 255;
const ALIGN = 16;
/**
 * How long the caller polls for the helpers' parts before it sleeps (Atomics.wait): waking from
 * that sleep takes tens of µs, as long as a small call's part.
 */
const CALLER_SPIN_MS = 0.1;

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

// A call's parts are claimed one at a time, by the caller and the helpers alike, through the
// claim word: the call's generation (16 bits), its part count and the next part's index (8 bits
// each), advanced by compare-and-swap. So there may be more parts than threads, and a helper
// still finishing a past call's loop can never claim a part of the next. A worker starts only
// when the caller's event loop turns: until then the caller runs every part.
const claimWord = (generation: number, count: number, next: number): number => ((generation & 0xffff) << 16) | (count << 8) | next;
const CLAIM_LOOP = `(ctl, generation, run) => {
  for (;;) {
    const word = Atomics.load(ctl, ${CLAIM});
    const next = word & 0xff;
    if (word >>> 16 !== (generation & 0xffff) || next >= ((word >>> 8) & 0xff)) return;
    if (Atomics.compareExchange(ctl, ${CLAIM}, word, word + 1) !== word) continue;
    run(${HEADER} + next * ${SLOT});
    Atomics.add(ctl, 1, 1);
    Atomics.notify(ctl, 1);
  }
}`;
/** The caller's claim loop: the same code as the helpers'. */
const claimParts = new Function(`return ${CLAIM_LOOP}`)() as (ctl: Int32Array, generation: number, run: (base: number) => void) => void;

// The helper thread: its own instance on the shared memory, a loop waiting for a new generation,
// then claiming that call's parts.
const WORKER_SOURCE = `
const { workerData } = require('node:worker_threads');
const { module, memory, control, index, names } = workerData;
const ctl = new Int32Array(control);
const exports = new WebAssembly.Instance(module, { env: { memory } }).exports;
const fns = names.map((n) => exports[n]);
const claimParts = ${CLAIM_LOOP};
const runPart = (base) => {
  try { fns[ctl[base]](...Array.from(ctl.subarray(base + 2, base + 2 + ctl[base + 1]))); } catch (e) { Atomics.store(ctl, 2, index + 1); }
};
let seen = 0;
for (;;) {
  while (Atomics.load(ctl, 0) === seen) Atomics.wait(ctl, 0, seen, 1000);
  seen = Atomics.load(ctl, 0);
  if (seen < 0) break;
  claimParts(ctl, seen, runPart);
}
`;

export class KernelThreads {
  readonly threads: number;
  /**
   * How many parts to split a call's work into: the machine's kernel threads (machineThreads()),
   * whatever this instance's share of them. A sum split into parts is rounded per part, so the
   * results then do not depend on the share (a net that takes over its twin's cores mid-run).
   */
  readonly parts: number;
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
    parts = machineThreads(),
  ) {
    this.threads = Math.max(1, Math.floor(threads));
    this.parts = Math.max(1, Math.min(MAX_PARTS, Math.floor(parts)));
    this.memory = heap.memory;
    this.exports = new WebAssembly.Instance(module, { env: { memory: this.memory } }).exports as unknown as Exports;
    this.control = new Int32Array(new SharedArrayBuffer(4 * (HEADER + SLOT * MAX_PARTS)));
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

  /**
   * Runs every part, each on whichever thread claims it first (the caller included), and returns
   * when all are done. A part that throws stops no other; the call then throws.
   */
  parallel<F extends KernelExportName>(fn: F, namedParts: Array<KernelExportArgs<F>>): void {
    const parts = namedParts.map((args) => positionalArgs(fn, args));
    if (parts.length > MAX_PARTS) throw new Error(`${fn}: ${parts.length} parts; at most ${MAX_PARTS}`);
    if (parts.length === 1 || this.threads === 1) {
      for (const args of parts) this.exports[fn](...args);
      return;
    }
    const c = this.control;
    const f = KERNEL_EXPORT_NAMES.indexOf(fn);
    if (f < 0) throw new Error(`Unknown kernel ${fn}`);
    for (const [p, args] of parts.entries()) {
      const base = HEADER + p * SLOT;
      if (args.length > MAX_ARGS) throw new Error(`${fn}: too many arguments`);
      c[base] = f;
      c[base + 1] = args.length;
      for (let i = 0; i < args.length; i++) c[base + 2 + i] = args[i];
    }
    const generation = (this.generation = (this.generation % 0x3fffffff) + 1);
    Atomics.store(c, 1, 0);
    Atomics.store(c, 2, 0);
    Atomics.store(c, CLAIM, claimWord(generation, parts.length, 0));
    Atomics.store(c, 0, generation);
    Atomics.notify(c, 0);
    let ownError: unknown = null;
    claimParts(c, generation, (base) => {
      if (ownError) return; // after an error here, the parts left are closed, not run
      try {
        this.exports[fn](...c.subarray(base + 2, base + 2 + c[base + 1]));
      } catch (error) {
        ownError = error;
      }
    });
    const spinUntil = performance.now() + CALLER_SPIN_MS;
    while (Atomics.load(c, 1) < parts.length && performance.now() < spinUntil);
    for (;;) {
      const done = Atomics.load(c, 1);
      if (done >= parts.length) break;
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

/** The kernel threads of the whole machine: RESNETLAB_WASM_THREADS, else the cores (at most 8). */
export function machineThreads(): number {
  const env = Number(process.env.RESNETLAB_WASM_THREADS);
  if (Number.isInteger(env) && env >= 1) return env;
  const cores = typeof os.availableParallelism === 'function' ? os.availableParallelism() : os.cpus().length;
  return Math.max(1, Math.min(8, cores));
}

/** Threads the kernels use: setKernelThreads()'s share, else the machine's. */
export function kernelThreadCount(): number {
  return requestedThreads ?? machineThreads();
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
