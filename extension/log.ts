// The "ResNet Lab" output channel: where the extension and the page report what happened.
import * as vscode from 'vscode';

let channel: vscode.LogOutputChannel | undefined;

export function createLog(): vscode.LogOutputChannel {
  channel ??= vscode.window.createOutputChannel('ResNet Lab', { log: true });
  return channel;
}

/** The channel, once activate() has created it. */
export function log(): vscode.LogOutputChannel {
  return createLog();
}

export function disposeLog(): void {
  channel?.dispose();
  channel = undefined;
}

export function errorMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
