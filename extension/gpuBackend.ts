// "ResNet Lab: Install GPU Backend": npm-installs @tensorflow/tfjs-node-gpu into the extension's
// global storage (never into the extension or the workspace) with a progress notification, checks
// it loads, and on failure says why (no network, CUDA missing) with npm's output in the log.
import * as vscode from 'vscode';
import { log } from './log';
import { checkCuda, describeCuda, GPU_PACKAGE, gpuBackendFolder, GpuInstallError, installGpuBackend, tryLoadGpuBackend } from './gpuInstall';
import { SETTING_BACKEND } from './trainingSettings';

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
  log().info(`GPU backend: ${describeCuda(cuda)}`);
  if (options.confirm && (!cuda.nvidiaSmi || !cuda.libcudart)) {
    const anyway = 'Install Anyway';
    const answer = await vscode.window.showWarningMessage(
      'ResNet Lab: this machine shows no CUDA.',
      { modal: true, detail: `${describeCuda(cuda)}.\n\n${GPU_PACKAGE} trains on an NVIDIA GPU with CUDA 11.2 and cuDNN 8.1; without them it installs but cannot load, and training falls back to the next backend.` },
      anyway,
    );
    if (answer !== anyway) return { ok: false, message: 'cancelled (no CUDA)', folder };
  }
  const showLog = 'Show Log';
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
      const message = `${GPU_PACKAGE} is installed in ${folder} but does not load: ${loadProblem}. ${describeCuda(cuda)}. Training uses the next backend (setting "${SETTING_BACKEND}" = auto).`;
      log().error(`GPU backend: ${message}`);
      void vscode.window.showErrorMessage(`ResNet Lab: ${message}`, showLog).then((choice) => choice === showLog && log().show());
      return { ok: false, message, folder };
    }
    const message = `${GPU_PACKAGE} is installed and loads: new runs with "${SETTING_BACKEND}" = auto or tensorflow-gpu train on the GPU.`;
    log().info(`GPU backend: ${message} (${entry})`);
    void vscode.window.showInformationMessage(`ResNet Lab: ${message}`);
    return { ok: true, message, folder };
  } catch (error) {
    const reason = error instanceof GpuInstallError ? error.message : (error as Error).message;
    const message = `Could not install the GPU backend: ${reason}.`;
    log().error(`GPU backend: ${message}`);
    void vscode.window.showErrorMessage(`ResNet Lab: ${message} npm's output is in the ResNet Lab log.`, showLog).then((choice) => choice === showLog && log().show());
    return { ok: false, message, folder };
  }
}
