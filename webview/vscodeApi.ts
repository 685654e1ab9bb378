// A page's one channel to the extension: VS Code's webview API typed with the page's contract
// (protocol/), the extension's messages dispatched to the page, replies paired with the page's
// requests, and the page's errors shown in its error banner and sent to the extension's log.
import { Request, RequestTracker } from '../protocol/requests';
import type { ErrorBanner } from './errorBanner';

interface VsCodeWebviewApi<State> {
  postMessage(message: unknown): void;
  getState(): State | undefined;
  setState(state: State): void;
}

/** A request of the page: a message with a requestId (the channel adds it). */
type WithoutId<M> = M extends Request ? Omit<M, 'requestId'> : never;

export interface PageChannel<ToPage extends { type: string }, FromPage extends { type: string }, State> {
  post(message: FromPage): void;
  /** Posts a request and resolves to the extension's reply (a message with the same requestId). */
  request<Reply extends ToPage & Request>(message: WithoutId<FromPage>): Promise<Reply>;
  getState(): State | undefined;
  setState(state: State): void;
  /** Handles the extension's messages (replies to requests are settled first); a handler's error is shown. */
  onMessage(handler: (message: ToPage) => void): void;
  /** Shows a problem in the page's error banner and sends it to the extension's log. */
  problem(text: string): void;
  /** Logs a note or a warning in the extension's log. */
  log(level: 'info' | 'warn' | 'error', text: string): void;
}

/** Connects the page (call once: VS Code allows one acquireVsCodeApi per page). */
export function connectPage<ToPage extends { type: string }, FromPage extends { type: string }, State>(pageName: string, banner: ErrorBanner): PageChannel<ToPage, FromPage, State> {
  const acquire = (globalThis as unknown as { acquireVsCodeApi?: () => VsCodeWebviewApi<State> }).acquireVsCodeApi;
  if (typeof acquire !== 'function') throw new Error(`acquireVsCodeApi is missing: the ${pageName} must run inside a VS Code webview.`);
  const api = acquire();
  const replies = new RequestTracker<ToPage & Request>();
  const problem = (text: string) => {
    banner.show(text);
    api.postMessage({ type: 'log', level: 'error', message: text });
  };
  window.addEventListener('error', (event) => problem(`Error in the ${pageName}: ${event.message}`));
  window.addEventListener('unhandledrejection', (event) => problem(`Error in the ${pageName}: ${String(event.reason)}`));
  return {
    post: (message) => api.postMessage(message),
    request: <Reply extends ToPage & Request>(message: WithoutId<FromPage>) => replies.send<Reply>((requestId) => api.postMessage({ ...message, requestId })),
    getState: () => api.getState(),
    setState: (state) => api.setState(state),
    onMessage(handler) {
      window.addEventListener('message', (event: MessageEvent<unknown>) => {
        const message = event.data as ToPage;
        if (typeof message !== 'object' || message === null || typeof message.type !== 'string') return;
        if ('requestId' in message && replies.settle(message as ToPage & Request)) return;
        try {
          handler(message);
        } catch (error) {
          problem(`Could not handle "${message.type}": ${error instanceof Error ? error.message : String(error)}`);
        }
      });
    },
    problem,
    log: (level, text) => api.postMessage({ type: 'log', level, message: text }),
  };
}
