// The page's only channel to the extension: VS Code's webview API, typed with the protocol.
import type { ArchitecturePanelState, FromWebviewMessage } from './protocol';

export interface VsCodeApi {
  postMessage(message: FromWebviewMessage): void;
  getState(): ArchitecturePanelState | undefined;
  setState(state: ArchitecturePanelState): void;
}

/** Posts a message to the extension. */
export type Post = (message: FromWebviewMessage) => void;

let requestCounter = 0;
/** Ids that pair an export or copy request with its exportResult reply. */
export function nextRequestId(): number {
  requestCounter += 1;
  return requestCounter;
}
