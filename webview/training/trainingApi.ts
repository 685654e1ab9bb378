// The page's channel to the extension, typed with the training protocol. (webview/vscodeApi.ts
// types acquireVsCodeApi for the architecture page, so this page reads it off globalThis.)
import type { FromTrainingWebviewMessage, TrainingPanelState } from '../trainingProtocol';

export interface TrainingVsCodeApi {
  postMessage(message: FromTrainingWebviewMessage): void;
  getState(): TrainingPanelState | undefined;
  setState(state: TrainingPanelState): void;
}

/** VS Code's API for this page; throws a clear error when the page runs outside a webview. */
export function acquireTrainingApi(): TrainingVsCodeApi {
  const acquire = (globalThis as unknown as { acquireVsCodeApi?: () => TrainingVsCodeApi }).acquireVsCodeApi;
  if (typeof acquire !== 'function') throw new Error('acquireVsCodeApi is missing: the training page must run inside a VS Code webview.');
  return acquire();
}
