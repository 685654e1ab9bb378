// The "ResNet Lab" output channel: where the extension and its pages report what happened.
// The last lines are also kept in memory, for the API's recentLog() (tests read what was logged).
import * as vscode from 'vscode';

type LogLevel = 'trace' | 'debug' | 'info' | 'warn' | 'error';

export interface Log extends vscode.Disposable {
  trace(text: string): void;
  debug(text: string): void;
  info(text: string): void;
  warn(text: string): void;
  error(text: string): void;
  /** Reveals the channel in the Output panel. */
  show(): void;
  /** The last lines logged at info level or above, oldest first: "[warn] text". */
  recent(): string[];
}

const KEPT_LINES = 200;
let current: Log | undefined;

function createChannelLog(): Log {
  const channel = vscode.window.createOutputChannel('ResNet Lab', { log: true });
  const lines: string[] = [];
  const write = (level: LogLevel) => (text: string) => {
    channel[level](text);
    if (level === 'trace' || level === 'debug') return;
    lines.push(`[${level}] ${text}`);
    if (lines.length > KEPT_LINES) lines.shift();
  };
  return {
    trace: write('trace'),
    debug: write('debug'),
    info: write('info'),
    warn: write('warn'),
    error: write('error'),
    show: () => channel.show(),
    recent: () => [...lines],
    dispose: () => channel.dispose(),
  };
}

/** The log (created at the first use: activate() creates it first). */
export function log(): Log {
  current ??= createChannelLog();
  return current;
}

export function disposeLog(): void {
  current?.dispose();
  current = undefined;
}

export function errorMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
