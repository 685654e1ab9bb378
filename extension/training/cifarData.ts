// CIFAR-10 for a run: a local folder from the settings (checked in place), the copy already in
// the extension's global storage, or a download into that storage with the user's consent and
// a progress notification that can be cancelled (core/data/download.ts does the work).
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';
import { CIFAR10_BIN_FILES, CIFAR10_FOLDER_NAME, CIFAR10_META_FILE } from '../../core/data/cifar10';
import { DataProgress, ensureCifar10 } from '../../core/data/download';
import { DataError } from '../../core/data/types';
import { log } from '../log';

/** The official archive's size, for the consent question. */
export const CIFAR10_ARCHIVE_MB = 163;

export function cifarCacheDir(globalStorage: vscode.Uri): string {
  return path.join(globalStorage.fsPath, 'cifar-10');
}

/** Whether the storage already holds the unpacked, verified files (ensureCifar10 renames them into place only after their MD5s match). */
export function isCifarCached(cacheDir: string): boolean {
  const folder = path.join(cacheDir, CIFAR10_FOLDER_NAME);
  return [...CIFAR10_BIN_FILES, CIFAR10_META_FILE].every((file) => fs.existsSync(path.join(folder, file)));
}

const mib = (bytes: number) => (bytes / 2 ** 20).toFixed(0);

const PHASE_TEXT: Record<DataProgress['phase'], string> = { download: 'Downloading', extract: 'Unpacking', verify: 'Checking MD5s of' };

/** Runs ensureCifar10 under a cancellable progress notification; undefined when the user cancels. */
async function withDataProgress(title: string, run: (signal: AbortSignal, onProgress: (p: DataProgress) => void) => Promise<string>): Promise<string | undefined> {
  return vscode.window.withProgress({ location: vscode.ProgressLocation.Notification, title, cancellable: true }, async (progress, token) => {
    const controller = new AbortController();
    token.onCancellationRequested(() => controller.abort());
    let shownPercent = 0;
    let lastPhase = '';
    const onProgress = (p: DataProgress) => {
      if (p.phase !== lastPhase) {
        lastPhase = p.phase;
        shownPercent = 0;
        progress.report({ increment: -100, message: `${PHASE_TEXT[p.phase]} CIFAR-10…` });
      }
      const percent = p.total ? Math.floor((100 * p.received) / p.total) : 0;
      if (percent > shownPercent) {
        progress.report({ increment: percent - shownPercent, message: `${PHASE_TEXT[p.phase]} CIFAR-10: ${mib(p.received)}${p.total ? ` of ${mib(p.total)}` : ''} MiB` });
        shownPercent = percent;
      }
    };
    try {
      return await run(controller.signal, onProgress);
    } catch (error) {
      if (error instanceof DataError && error.kind === 'cancelled') return undefined;
      throw error;
    }
  });
}

/** Checks a local folder of CIFAR-10 files (their MD5s) and returns the folder of the .bin files. */
export async function checkLocalCifar(folder: string): Promise<string | undefined> {
  const found = await withDataProgress(`ResNet Lab: checking CIFAR-10 in ${folder}`, (signal, onProgress) => ensureCifar10({ cacheDir: folder, source: folder, signal, onProgress }));
  if (found) log().info(`CIFAR-10: using the local folder ${found} (files verified)`);
  return found;
}

/**
 * The cached copy, or a download of `url` into the cache after the user agrees. Undefined
 * when the user declines or cancels; the partial download is kept and the next try resumes it.
 */
export async function cachedOrDownloadedCifar(cacheDir: string, url: string): Promise<string | undefined> {
  if (isCifarCached(cacheDir)) return path.join(cacheDir, CIFAR10_FOLDER_NAME);
  const download = 'Download';
  const answer = await vscode.window.showInformationMessage(
    `Download CIFAR-10 (about ${CIFAR10_ARCHIVE_MB} MB)?`,
    { modal: true, detail: `From ${url}\ninto the extension's storage (outside your workspace):\n${cacheDir}\n\nThe files are checked against the official MD5s. Or set "resnetLab.cifar10.folder" to a folder that already holds them.` },
    download,
  );
  if (answer !== download) return undefined;
  log().info(`CIFAR-10: downloading ${url} into ${cacheDir}`);
  const folder = await withDataProgress('ResNet Lab: CIFAR-10', (signal, onProgress) => ensureCifar10({ cacheDir, source: url, signal, onProgress }));
  if (folder) log().info(`CIFAR-10: ready in ${folder}`);
  else {
    log().info('CIFAR-10: download cancelled; the partial file is kept and the next download resumes it');
    void vscode.window.showInformationMessage('ResNet Lab: CIFAR-10 download cancelled. The partial file is kept; the next download resumes it.');
  }
  return folder;
}
