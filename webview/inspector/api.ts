// The page's channel to the extension, typed with the inspector protocol.
import type { FromInspectorWebviewMessage, InspectorPanelState } from '../inspectorProtocol';

export interface InspectorVsCodeApi {
  postMessage(message: FromInspectorWebviewMessage): void;
  getState(): InspectorPanelState | undefined;
  setState(state: InspectorPanelState): void;
}

/** VS Code's API for this page; throws a clear error when the page runs outside a webview. */
export function acquireInspectorApi(): InspectorVsCodeApi {
  const acquire = (globalThis as unknown as { acquireVsCodeApi?: () => InspectorVsCodeApi }).acquireVsCodeApi;
  if (typeof acquire !== 'function') throw new Error('acquireVsCodeApi is missing: the inspector page must run inside a VS Code webview.');
  return acquire();
}
