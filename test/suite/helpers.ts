// Helpers for the in-host suites: the extension's API (and the hooks of a suite that trains),
// the open architecture tabs, waiting.
import * as assert from 'node:assert/strict';
import * as vscode from 'vscode';
import type { ResNetLabApi } from '../../extension/extension';

export const EXTENSION_ID = 'resnet-lab.resnet-lab';

export async function extensionApi(): Promise<ResNetLabApi> {
  const extension = vscode.extensions.getExtension<ResNetLabApi>(EXTENSION_ID);
  assert.ok(extension, `extension ${EXTENSION_ID} is not loaded`);
  return extension.activate();
}

/**
 * The hooks of a suite that trains in this window: the extension's API before its tests (handed
 * to `use`), once a page has loaded (pagesLoad); after them, `stop` ends what may still train
 * (its checkpoints kept) and every editor closes.
 */
export function trainingSuiteHooks(use: (api: ResNetLabApi) => void, stop: (api: ResNetLabApi) => Promise<unknown> = (api) => api.stopTraining()): void {
  let api: ResNetLabApi | undefined;
  before(async () => {
    api = await extensionApi();
    use(api);
    await pagesLoad(api);
  });
  after(async () => {
    if (api) await stop(api);
    await vscode.commands.executeCommand('workbench.action.closeAllEditors');
  });
}

/**
 * Waits until a page loads, then closes it. A webview closed while it loads (the Markdown preview
 * an earlier suite closes at its end) makes VS Code's webview service worker hold the next one up
 * to 30 s, its resource timeout: a tiny run could end before its curves panel loaded.
 */
async function pagesLoad(api: ResNetLabApi): Promise<void> {
  await api.showArchitecture('resnet20');
  await waitFor('a page to load', () => api.openPanels().some((p) => p.name === 'resnet20' && p.readyCount > 0), 60_000);
  await closeAllEditors();
}

/** The architecture webview tabs in every editor group, as the workbench shows them. */
export function architectureTabs(): vscode.Tab[] {
  return vscode.window.tabGroups.all
    .flatMap((group) => group.tabs)
    .filter((tab) => tab.input instanceof vscode.TabInputWebview && tab.input.viewType.endsWith('resnetLab.architecture'));
}

export function activeTabLabel(): string | undefined {
  return vscode.window.tabGroups.activeTabGroup.activeTab?.label;
}

/** Polls until the condition holds (the workbench updates tabs and view state asynchronously). */
export async function waitFor<T>(what: string, probe: () => T | undefined | false | Promise<T | undefined | false>, timeoutMs = 10_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: T | undefined | false;
  while (Date.now() < deadline) {
    last = await probe();
    if (last) return last;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`Timed out waiting for ${what} (last value: ${JSON.stringify(last)})`);
}

export async function closeAllEditors(): Promise<void> {
  await vscode.commands.executeCommand('workbench.action.closeAllEditors');
  await waitFor('all architecture tabs to close', () => architectureTabs().length === 0);
}
