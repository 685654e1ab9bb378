// Installing @tensorflow/tfjs-node-gpu into a folder of the extension's storage with npm, and
// finding out why it cannot work when it fails: no network, or no CUDA on this machine.
// No vscode import: the command (gpuBackend.ts) shows the progress and the messages.
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import { createRequire } from 'node:module';
import * as path from 'node:path';
import { version_core } from '@tensorflow/tfjs-core';
import { CudaCheck, describeCuda } from '../../core/engine/cudaCheck';

export const GPU_PACKAGE = '@tensorflow/tfjs-node-gpu';

/** The folder whose node_modules holds the GPU backend (a BackendOptions.nodeModulePaths entry). */
export function gpuBackendFolder(storage: string): string {
  return path.join(storage, 'gpu-backend');
}

/** Why an install failed, in the user's words. */
export class GpuInstallError extends Error {
  constructor(message: string, readonly output: string) {
    super(message);
    this.name = 'GpuInstallError';
  }
}

const NETWORK = /ENOTFOUND|EAI_AGAIN|ECONNREFUSED|ECONNRESET|ETIMEDOUT|getaddrinfo|network|socket hang up|unable to get local issuer/i;

/** Reads npm's output for the reason it failed. */
export function explainFailure(output: string, code: number | null, cuda: CudaCheck): string {
  const lastError = output.split('\n').map((l) => l.trim()).filter((l) => /err!|error/i.test(l) && !/complete log/i.test(l)).slice(-1)[0] ?? output.trim().split('\n').slice(-1)[0] ?? '';
  const networkLine = output.split('\n').map((l) => l.replace(/^npm (error|ERR!)\s*/i, '').trim()).find((l) => NETWORK.test(l) && !/complete log/i.test(l));
  if (networkLine) {
    return `no network: npm, or the package's download of TensorFlow's CUDA library (storage.googleapis.com), could not reach its server (${networkLine})`;
  }
  if (!cuda.nvidiaSmi || !cuda.libcudart) return `${describeCuda(cuda)}; npm exited with code ${code}: ${lastError}`;
  return `npm exited with code ${code}: ${lastError}`;
}

export interface InstallOptions {
  /** Each line npm prints. */
  onLine?: (line: string) => void;
  signal?: AbortSignal;
  /** The npm command (default: npm on PATH). */
  npm?: string;
}

/**
 * `npm install @tensorflow/tfjs-node-gpu@<tfjs-core's version>` into `folder` (its own
 * package.json allowing the package's install script, which fetches TensorFlow's library).
 * Resolves with the installed package's entry; rejects with a GpuInstallError saying why.
 */
export async function installGpuBackend(folder: string, cuda: CudaCheck, options: InstallOptions = {}): Promise<string> {
  fs.mkdirSync(folder, { recursive: true });
  const manifest = path.join(folder, 'package.json');
  if (!fs.existsSync(manifest)) {
    fs.writeFileSync(manifest, JSON.stringify({ name: 'resnet-lab-gpu-backend', private: true, description: 'The GPU backend of ResNet Lab, installed by "ResNet Lab: Install GPU Backend"', allowScripts: { [GPU_PACKAGE]: true } }, null, 2) + '\n');
  }
  const npm = options.npm ?? (process.platform === 'win32' ? 'npm.cmd' : 'npm');
  const args = ['install', '--no-audit', '--no-fund', '--no-save', '--loglevel=http', `${GPU_PACKAGE}@${version_core}`];
  let output = '';
  const code = await new Promise<number | null>((resolve, reject) => {
    const child = spawn(npm, args, { cwd: folder, env: { ...process.env, npm_config_yes: 'true' }, stdio: ['ignore', 'pipe', 'pipe'], shell: process.platform === 'win32' });
    const onData = (chunk: Buffer) => {
      const text = chunk.toString();
      output += text;
      for (const line of text.split('\n')) if (line.trim()) options.onLine?.(line.trimEnd());
    };
    child.stdout.on('data', onData);
    child.stderr.on('data', onData);
    const abort = () => child.kill('SIGTERM');
    options.signal?.addEventListener('abort', abort);
    child.on('error', (error: NodeJS.ErrnoException) => {
      options.signal?.removeEventListener('abort', abort);
      reject(new GpuInstallError(error.code === 'ENOENT' ? `npm was not found on PATH (${npm}); install Node.js with npm, then try again` : `could not start npm: ${error.message}`, output));
    });
    child.on('close', (exitCode) => {
      options.signal?.removeEventListener('abort', abort);
      resolve(exitCode);
    });
  });
  if (options.signal?.aborted) throw new GpuInstallError('cancelled; nothing was changed for training (the backend is used only once it installs completely)', output);
  if (code !== 0) throw new GpuInstallError(explainFailure(output, code, cuda), output);
  try {
    return createRequire(manifest).resolve(GPU_PACKAGE);
  } catch {
    throw new GpuInstallError(`npm finished but ${GPU_PACKAGE} is not in ${path.join(folder, 'node_modules')}`, output);
  }
}

/** What tryLoadGpuBackend says when the package loads but TensorFlow found no usable GPU. */
export const ON_CPU = 'TensorFlow runs on the CPU';

/**
 * Loads the installed package in a separate Node process (a native library that fails to load
 * must not take the extension host down). Resolves with null when it loads and runs on the GPU,
 * else the reason (ON_CPU when it fell back to the CPU).
 */
export function tryLoadGpuBackend(entry: string, execPath = process.execPath): Promise<string | null> {
  return new Promise((resolve) => {
    // tfjs-node(-gpu) re-exports TF.js; requiring it registers and selects the 'tensorflow' backend.
    const script = `try { const tf = require(${JSON.stringify(entry)}); if (tf.backend().isUsingGpuDevice !== true) { console.error(${JSON.stringify(ON_CPU)}); process.exit(4); } } catch (e) { console.error(String((e && e.message) || e).split('\\n')[0]); process.exit(3); }`;
    const child = spawn(execPath, ['-e', script], { env: { ...process.env, ELECTRON_RUN_AS_NODE: '1' }, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (c: Buffer) => (output += c.toString()));
    child.stderr.on('data', (c: Buffer) => (output += c.toString()));
    child.on('error', (error) => resolve(`could not start ${execPath}: ${error.message}`));
    child.on('close', (code) => resolve(code === 0 ? null : output.trim().split('\n').filter(Boolean).slice(-1)[0] ?? `exit code ${code}`));
  });
}
