// Chooses the TF.js backend that trains: TensorFlow with CUDA, TensorFlow on the CPU, the
// WebAssembly backend (with our training kernels), then pure JavaScript. tfjs-node and
// tfjs-node-gpu are optional: they are loaded at run time when installed, never bundled.
import * as tf from '@tensorflow/tfjs-core';
// Imported by name: esbuild drops a bare import of these side-effect-free-declared packages.
import { version_cpu } from '@tensorflow/tfjs-backend-cpu';
import { setWasmPaths, version_wasm } from '@tensorflow/tfjs-backend-wasm';
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import * as path from 'node:path';
import { checkCuda, gpuName, tfjsGpuProblem } from './cudaCheck';
import { registerWasmTrainingKernels } from './wasmKernels';
import { startWasmBackend } from './wasmHeap';
import { getKernelThreads, kernelsModule, setKernelsWasmDir } from './wasmThreads';

/**
 * The user's engine setting: a TF.js backend, or 'pytorch' (the user's own Python,
 * core/pytorch/). 'auto' is resolved by core/training/engineChoice.ts.
 */
export type BackendSetting = 'auto' | 'tensorflow-gpu' | 'tensorflow' | 'wasm' | 'cpu' | 'pytorch';
/** The settings a TF.js worker resolves itself: 'auto' tries BACKEND_ORDER. */
export type TfjsSetting = Exclude<BackendSetting, 'pytorch'>;
export type BackendKind = Exclude<TfjsSetting, 'auto'>;
export const BACKEND_SETTINGS: readonly BackendSetting[] = ['auto', 'tensorflow-gpu', 'tensorflow', 'wasm', 'cpu', 'pytorch'];
export const BACKEND_ORDER: readonly BackendKind[] = ['tensorflow-gpu', 'tensorflow', 'wasm', 'cpu'];

const BACKEND_TITLES: Readonly<Record<BackendKind, string>> = {
  'tensorflow-gpu': 'TensorFlow with CUDA (tfjs-node-gpu)',
  tensorflow: 'TensorFlow on the CPU (tfjs-node)',
  wasm: 'WebAssembly (tfjs-backend-wasm + ResNet Lab SIMD kernels, multi-threaded)',
  cpu: 'pure JavaScript (tfjs-backend-cpu, slow)',
};

/** What the UI shows about the backend in use. */
export interface BackendDescription {
  kind: BackendKind;
  /** TF.js's own name for it: 'tensorflow', 'wasm' or 'cpu'. */
  tfName: string;
  title: string;
  /** The GPU's name (nvidia-smi) when tfjs-node-gpu runs on it. */
  device?: string;
  setting: TfjsSetting;
  /** Why each backend tried before this one was not used, e.g. "tfjs-node not installed". */
  skipped: Array<{ kind: BackendKind; reason: string }>;
  /** Versions of the TF.js packages in use. */
  versions: { core: string; cpu: string; wasm: string };
}

/** An explicit backend choice that cannot be honoured; the message says what is missing. */
export class BackendError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'BackendError';
  }
}

export interface BackendOptions {
  /** Folder holding tfjs-backend-wasm*.wasm; found automatically when not given. */
  wasmDir?: string;
  /** Extra folders to look for @tensorflow/tfjs-node(-gpu) in (e.g. a global install). */
  nodeModulePaths?: string[];
}

// Under Node tfjs turns wasm threads off, so only these two are ever loaded (SIMD or not).
const WASM_FILES = ['tfjs-backend-wasm-simd.wasm', 'tfjs-backend-wasm.wasm'];
const NODE_PACKAGES: Record<'tensorflow-gpu' | 'tensorflow', string> = {
  'tensorflow-gpu': '@tensorflow/tfjs-node-gpu',
  tensorflow: '@tensorflow/tfjs-node',
};
// Not `require`: esbuild must leave these optional packages out of the bundle.
const runtimeRequire = createRequire(__filename);

/** The TF.js backend for TF.js work (the inspector, speed probes) under any engine setting. */
export function tfjsSettingFor(setting: BackendSetting): TfjsSetting {
  return setting === 'pytorch' ? 'auto' : setting;
}

export function parseBackendSetting(value: string): BackendSetting {
  const v = value.trim().toLowerCase();
  if ((BACKEND_SETTINGS as readonly string[]).includes(v)) return v as BackendSetting;
  throw new BackendError(`Unknown backend "${value}"; valid values: ${BACKEND_SETTINGS.join(', ')}.`);
}

/** The folder of the .wasm files: beside the bundle (dist/), else the package's dist/. */
function findWasmDir(explicit?: string): string {
  const candidates: string[] = [];
  if (explicit) candidates.push(explicit);
  candidates.push(__dirname);
  try {
    candidates.push(path.dirname(runtimeRequire.resolve('@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm-simd.wasm')));
  } catch {
    // Not installed beside us (the packaged extension): only the bundle's folder can hold them.
  }
  const found = candidates.find((dir) => WASM_FILES.every((f) => existsSync(path.join(dir, f))));
  if (!found) {
    throw new BackendError(`the WebAssembly backend's files (${WASM_FILES.join(', ')}) are not in ${candidates.join(' or ')}`);
  }
  return found;
}

let wasmPathSet = false;

// tfjs-node-gpu packages (by path) found running on the CPU, and why: a module loads once per process.
const gpuOnCpu = new Map<string, string>();

async function tryNodeBackend(kind: 'tensorflow-gpu' | 'tensorflow', options: BackendOptions): Promise<string | null> {
  const name = NODE_PACKAGES[kind];
  const short = name.replace('@tensorflow/', '');
  let resolved: string;
  try {
    resolved = runtimeRequire.resolve(name, options.nodeModulePaths ? { paths: options.nodeModulePaths } : undefined);
  } catch {
    return `${short} not installed`;
  }
  const onCpu = gpuOnCpu.get(resolved);
  if (onCpu) return onCpu;
  try {
    runtimeRequire(resolved);
  } catch (error) {
    const detail = error instanceof Error ? error.message.split('\n')[0] : String(error);
    const hint = kind === 'tensorflow-gpu' ? ' (it needs CUDA 11.2 and cuDNN 8.1)' : '';
    return `${short} failed to load${hint}: ${detail}`;
  }
  if (!tf.findBackendFactory('tensorflow')) return `${name} loaded but registered no 'tensorflow' backend`;
  if (!(await tf.setBackend('tensorflow'))) return `${name} failed to initialise`;
  // Without CUDA 11 and cuDNN 8 it silently runs on the CPU.
  if (kind === 'tensorflow-gpu' && (tf.backend() as { isUsingGpuDevice?: boolean }).isUsingGpuDevice !== true) {
    const reason = `${short} loaded but TensorFlow runs on the CPU: ${tfjsGpuProblem(checkCuda()) ?? 'TensorFlow found no usable GPU'}`;
    tf.removeBackend('tensorflow'); // so neither this choice nor a later one stays on it
    gpuOnCpu.set(resolved, reason);
    return reason;
  }
  return null;
}

/** Tries one backend; returns null on success or the reason it cannot be used. */
async function tryBackend(kind: BackendKind, options: BackendOptions): Promise<string | null> {
  if (kind === 'tensorflow-gpu' || kind === 'tensorflow') return tryNodeBackend(kind, options);
  if (kind === 'wasm') {
    if (!wasmPathSet) {
      let dir: string;
      try {
        dir = findWasmDir(options.wasmDir);
      } catch (error) {
        return (error as Error).message;
      }
      setWasmPaths(dir.endsWith(path.sep) ? dir : dir + path.sep);
      setKernelsWasmDir(options.wasmDir ?? dir);
      wasmPathSet = true;
    }
    try {
      kernelsModule(); // resnetlab-kernels.wasm is there and compiles
      registerWasmTrainingKernels();
      await startWasmBackend();
      getKernelThreads(); // starts the kernels' helper threads on the backend's memory
    } catch (error) {
      return (error as Error).message;
    }
    return null;
  }
  if (!(await tf.setBackend('cpu'))) return 'the JavaScript backend failed to initialise';
  return null;
}

/**
 * Makes the chosen backend TF.js's current one. 'auto' takes the first that works in
 * BACKEND_ORDER; an explicit choice that fails throws a BackendError naming what is missing.
 */
export async function selectBackend(setting: TfjsSetting = 'auto', options: BackendOptions = {}): Promise<BackendDescription> {
  const order = setting === 'auto' ? BACKEND_ORDER : [setting];
  const skipped: BackendDescription['skipped'] = [];
  for (const kind of order) {
    const failure = await tryBackend(kind, options);
    if (failure === null) {
      const description: BackendDescription = { kind, tfName: tf.getBackend(), title: BACKEND_TITLES[kind], setting, skipped, versions: { core: tf.version_core, cpu: version_cpu, wasm: version_wasm } };
      if (kind === 'tensorflow-gpu') {
        const device = gpuName();
        if (device) description.device = device;
        description.title += `: ${device ?? 'on the GPU'}`;
      }
      return description;
    }
    if (setting !== 'auto') throw new BackendError(`Cannot use the ${BACKEND_TITLES[kind]} backend: ${failure}.`);
    skipped.push({ kind, reason: failure });
  }
  throw new BackendError(`No TF.js backend could start: ${skipped.map((s) => `${s.kind}: ${s.reason}`).join('; ')}.`);
}

/** One line for a status bar or log: "wasm — WebAssembly (…); skipped: tensorflow-gpu (not installed) …". */
export function describeBackend(d: BackendDescription): string {
  const skipped = d.skipped.length ? `; skipped ${d.skipped.map((s) => `${s.kind} (${s.reason})`).join(', ')}` : '';
  return `${d.title}${skipped}`;
}
