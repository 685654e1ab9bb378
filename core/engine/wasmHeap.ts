// TF.js's WebAssembly backend started on a shared memory, so that the project's kernels (one
// instance per worker thread, core/engine/wasmThreads.ts) read and write its tensors in place:
// no copies between two heaps. tfjs-backend-wasm's single-threaded builds, the ones Node runs,
// define their own unshared memory; while the backend starts, its binary is instantiated with
// that memory declared shared instead (a shared memory needs a maximum: emscripten's own).
import * as tf from '@tensorflow/tfjs-core';
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';

/** The memory the kernels work in, and its allocator: TF.js's malloc and free. */
export interface KernelHeap {
  memory: WebAssembly.Memory;
  malloc(bytes: number): number;
  free(offset: number): void;
}

const MEMORY_SECTION = 5;
/** emscripten's largest heap (getHeapMax): 4 GiB − 64 KiB, in 64 KiB pages. */
const MAX_PAGES = 65535;
/** A memory's limits flag: shared, with a maximum. */
const LIMITS_SHARED = 0x03;

function readU32(bytes: Uint8Array, at: number): [number, number] {
  let value = 0;
  let shift = 0;
  let byte: number;
  do {
    byte = bytes[at++];
    value |= (byte & 0x7f) << shift;
    shift += 7;
  } while (byte & 0x80);
  return [value >>> 0, at];
}

function u32Bytes(value: number): number[] {
  const out: number[] = [];
  do {
    let byte = value & 0x7f;
    value >>>= 7;
    if (value) byte |= 0x80;
    out.push(byte);
  } while (value);
  return out;
}

/**
 * The module `bytes` with its one defined memory made shared (same initial size, maximum
 * MAX_PAGES); null when it defines no memory of its own or its memory is shared already.
 */
export function sharedMemoryBinary(bytes: Uint8Array): Uint8Array<ArrayBuffer> | null {
  if (bytes.length < 8 || bytes[0] !== 0 || bytes[1] !== 0x61 || bytes[2] !== 0x73 || bytes[3] !== 0x6d) return null;
  for (let at = 8; at < bytes.length; ) {
    const id = bytes[at];
    const [size, body] = readU32(bytes, at + 1);
    const end = body + size;
    if (id === MEMORY_SECTION) {
      const [count, limits] = readU32(bytes, body);
      if (count !== 1 || bytes[limits] === LIMITS_SHARED) return null;
      const [initial] = readU32(bytes, limits + 1);
      const memory = [1, LIMITS_SHARED, ...u32Bytes(initial), ...u32Bytes(MAX_PAGES)];
      const section = Uint8Array.from([MEMORY_SECTION, ...u32Bytes(memory.length), ...memory]);
      const out = new Uint8Array(bytes.length - (end - at) + section.length);
      out.set(bytes.subarray(0, at));
      out.set(section, at);
      out.set(bytes.subarray(end), at + section.length);
      return out;
    }
    at = end;
  }
  return null;
}

let heap: KernelHeap | null = null;

/**
 * Makes 'wasm' TF.js's backend, started (the first time) on a shared memory; returns that memory
 * and TF.js's allocator. Throws when the backend fails to start, or started earlier on its own.
 */
export async function startWasmBackend(): Promise<KernelHeap> {
  if (heap) {
    if (!(await tf.setBackend('wasm'))) throw new Error('the WebAssembly module failed to initialise');
    return heap;
  }
  let memory: WebAssembly.Memory | null = null;
  const instantiate = WebAssembly.instantiate;
  const instantiateBytes = instantiate as (bytes: BufferSource, imports?: WebAssembly.Imports) => Promise<WebAssembly.WebAssemblyInstantiatedSource>;
  const sharing = (source: BufferSource | WebAssembly.Module, imports?: WebAssembly.Imports) => {
    const bytes = source instanceof ArrayBuffer ? new Uint8Array(source) : ArrayBuffer.isView(source) ? new Uint8Array(source.buffer, source.byteOffset, source.byteLength) : null;
    const shared = bytes && sharedMemoryBinary(bytes);
    if (!shared) return instantiate(source as BufferSource, imports);
    return instantiateBytes(shared, imports).then((result) => {
      memory = result.instance.exports.memory as WebAssembly.Memory;
      return result;
    });
  };
  WebAssembly.instantiate = sharing as typeof WebAssembly.instantiate;
  let started: boolean;
  try {
    started = await tf.setBackend('wasm');
  } finally {
    WebAssembly.instantiate = instantiate;
  }
  if (!started) throw new Error('the WebAssembly module failed to initialise');
  const { wasm } = tf.backend() as BackendWasm;
  if (!memory || !(wasm.HEAPU8.buffer instanceof SharedArrayBuffer)) throw new Error("TF.js's WebAssembly backend was started before ResNet Lab could share its memory");
  heap = { memory, malloc: (bytes) => wasm._malloc(bytes), free: (offset) => wasm._free(offset) };
  return heap;
}

/** The heap of the started backend (startWasmBackend), or null. */
export function kernelHeap(): KernelHeap | null {
  return heap;
}
