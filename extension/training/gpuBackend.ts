// "ResNet Lab: Install GPU Backend": npm-installs @tensorflow/tfjs-node-gpu into the extension's
// global storage (never into the extension or the workspace) with a progress notification, checks
// it loads and runs on the GPU, and on failure says why (no network, CUDA missing) with npm's
// output in the log. Where it cannot run on a GPU (macOS, arm, no CUDA 11 / cuDNN 8), it offers PyTorch first.
import * as vscode from 'vscode';
import { checkCuda, describeCuda, tfjsGpuProblem } from '../../core/engine/cudaCheck';
import { showProblem } from '../errors';
import { log } from '../log';
import { GPU_PACKAGE, gpuBackendFolder, GpuInstallError, installGpuBackend, ON_CPU, tryLoadGpuBackend } from './gpuInstall';
import { SETTING_BACKEND } from './trainingSettings';

const PYTORCH_ADVICE = [
  'Train with PyTorch instead:',
  '1. Install PyTorch in your Python: pip install torch',
  '   CUDA 12: pip install torch --index-url https://download.pytorch.org/whl/cu124',
  '   macOS: plain pip install torch uses Apple MPS',
  '   ROCm: pip install torch --index-url https://download.pytorch.org/whl/rocm6.1',
  `2. Set "${SETTING_BACKEND}" to "pytorch" (or leave it on auto: auto uses PyTorch when it finds a GPU).`,
].join('\n');

export interface GpuInstallResult {
  ok: boolean;
  /** What the user was told. */
  message: string;
  folder: string;
}

/** Extra folders the training workers search for tfjs-node(-gpu): the storage's install, then the extension's own. */
export function backendModulePaths(globalStorage: vscode.Uri, extensionPath: string): string[] {
  return [gpuBackendFolder(globalStorage.fsPath), extensionPath];
}

export async function installGpuBackendCommand(globalStorage: vscode.Uri, options: { confirm: boolean }): Promise<GpuInstallResult> {
  const folder = gpuBackendFolder(globalStorage.fsPath);
  const cuda = checkCuda();
  const problem = tfjsGpuProblem(cuda);
  log().info(`GPU backend: ${describeCuda(cuda)}${problem ? `; ${GPU_PACKAGE} cannot use a GPU here: ${problem}` : ''}`);
  if (options.confirm && problem) {
    const usePytorch = 'Use PyTorch';
    const anyway = 'Install tfjs-node-gpu Anyway';
    const answer = await vscode.window.showWarningMessage(
      `ResNet Lab: ${GPU_PACKAGE} cannot train on a GPU on this machine. Train with PyTorch instead?`,
      { modal: true, detail: `${problem}.\n\n${GPU_PACKAGE} needs Linux or Windows on x64 with an NVIDIA GPU, CUDA 11.2 and cuDNN 8.1; without them it runs on the CPU, and auto skips it.\n\n${PYTORCH_ADVICE}` },
      usePytorch,
      anyway,
    );
    if (answer === usePytorch) {
      await vscode.workspace.getConfiguration().update(SETTING_BACKEND, 'pytorch', vscode.ConfigurationTarget.Global);
      const message = `"${SETTING_BACKEND}" is now "pytorch": new runs train with PyTorch in your Python (install it with \`pip install torch\` if it is not there).`;
      log().info(`GPU backend: ${message}`);
      void vscode.window.showInformationMessage(`ResNet Lab: ${message}`);
      return { ok: false, message, folder };
    }
    if (answer !== anyway) return { ok: false, message: `cancelled (${problem})`, folder };
  }
  try {
    const entry = await vscode.window.withProgress(
      { location: vscode.ProgressLocation.Notification, title: `ResNet Lab: installing ${GPU_PACKAGE}`, cancellable: true },
      async (progress, token) => {
        const controller = new AbortController();
        token.onCancellationRequested(() => controller.abort());
        progress.report({ message: `npm install into ${folder}…` });
        return installGpuBackend(folder, cuda, {
          signal: controller.signal,
          onLine: (line) => {
            log().info(`npm: ${line}`);
            const fetched = /GET 200 .*\/([^/\s]+\.tgz)/.exec(line) ?? /fetch GET 200 (\S+)/.exec(line);
            if (fetched) progress.report({ message: `fetched ${fetched[1].split('/').pop()}` });
          },
        });
      },
    );
    const loadProblem = await tryLoadGpuBackend(entry);
    if (loadProblem) {
      const why = loadProblem === ON_CPU ? `loads, but ${ON_CPU}: ${problem ?? 'it found no usable GPU'}` : `does not load: ${loadProblem}. ${describeCuda(cuda)}`;
      const message = `${GPU_PACKAGE} is installed in ${folder} but ${why}. Training skips it (setting "${SETTING_BACKEND}" = auto); the setting "pytorch" trains with PyTorch instead.`;
      showProblem(message);
      return { ok: false, message, folder };
    }
    const message = `${GPU_PACKAGE} is installed and loads: new runs with "${SETTING_BACKEND}" = auto or tensorflow-gpu train on the GPU.`;
    log().info(`GPU backend: ${message} (${entry})`);
    void vscode.window.showInformationMessage(`ResNet Lab: ${message}`);
    return { ok: true, message, folder };
  } catch (error) {
    const reason = error instanceof GpuInstallError ? error.message : (error as Error).message;
    const message = `Could not install the GPU backend: ${reason}.`;
    showProblem(`${message} npm's output is in the ResNet Lab log.`);
    return { ok: false, message, folder };
  }
}
