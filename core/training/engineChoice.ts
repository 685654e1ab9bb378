// Which engine trains a run: a TF.js backend (in worker threads) or PyTorch (the user's Python).
// 'auto' takes the first GPU engine that really runs on a GPU (tfjs-node-gpu, then PyTorch on
// CUDA, MPS or ROCm), then the TF.js backends on the CPU; PyTorch on the CPU only when asked.
import { createRequire } from 'node:module';
import type { BackendSetting, TfjsSetting } from '../engine/backend';
import { findPython, MixedPrecision, PythonError, PythonRequest, PythonRuntime } from '../pytorch/python';
import { workerErrand } from './netChannel';

export type EngineChoice =
  | { engine: 'tfjs'; backend: TfjsSetting; skipped: string[] }
  | { engine: 'pytorch'; runtime: PythonRuntime; amp: MixedPrecision; skipped: string[] };

export interface EngineOptions {
  /** Which Python and device for PyTorch (default: PATH, device auto, the CLI's flag names). */
  python?: PythonRequest;
  amp?: MixedPrecision;
  /** Where tfjs-node-gpu may be installed (BackendOptions.nodeModulePaths). */
  nodeModulePaths?: string[];
  /** The training worker, which also probes whether tfjs-node-gpu is on a GPU. */
  workerPath: string;
}

export const CLI_PYTHON_REQUEST: PythonRequest = { device: 'auto', deviceName: '--device', pythonName: '--python' };

const runtimeRequire = createRequire(__filename);

function tfjsNodeGpuInstalled(paths?: string[]): boolean {
  try {
    runtimeRequire.resolve('@tensorflow/tfjs-node-gpu', paths ? { paths } : undefined);
    return true;
  } catch {
    return false;
  }
}

/** Loads tfjs-node-gpu in a throwaway worker: null when it runs on a GPU, else why not. */
async function probeTfjsGpu(workerPath: string, nodeModulePaths?: string[]): Promise<string | null> {
  const answer = await workerErrand(workerPath, { type: 'probe', backend: 'tensorflow-gpu', nodeModulePaths });
  return answer.type === 'backend' ? null : answer.type === 'failed' ? answer.message : `unexpected answer ${answer.type}`;
}

export async function chooseEngine(setting: BackendSetting, options: EngineOptions): Promise<EngineChoice> {
  const python = options.python ?? CLI_PYTHON_REQUEST;
  const amp = options.amp ?? 'off';
  if (setting === 'pytorch') return { engine: 'pytorch', runtime: await findPython(python), amp, skipped: [] };
  if (setting !== 'auto') return { engine: 'tfjs', backend: setting, skipped: [] };
  const skipped: string[] = [];
  if (tfjsNodeGpuInstalled(options.nodeModulePaths)) {
    const problem = await probeTfjsGpu(options.workerPath, options.nodeModulePaths);
    if (problem === null) return { engine: 'tfjs', backend: 'tensorflow-gpu', skipped };
    skipped.push(`tfjs-node-gpu: ${problem}`);
  }
  try {
    // Auto asks PyTorch for a GPU only; the CPU stays with the TF.js engines unless asked.
    const runtime = await findPython({ ...python, device: python.device === 'cpu' ? 'auto' : python.device });
    if (runtime.onGpu) return { engine: 'pytorch', runtime, amp, skipped };
    skipped.push(`PyTorch: ${runtime.report.torch} at ${runtime.command} sees no GPU`);
  } catch (error) {
    if (!(error instanceof PythonError)) throw error;
    skipped.push(`PyTorch: ${error.message}`);
  }
  return { engine: 'tfjs', backend: 'auto', skipped };
}
