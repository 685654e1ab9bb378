// The one error policy of the extension: a problem is told once, as one notification with a
// "Show Log" action (and the action that fixes it, where there is one), and its detail goes to
// the log. Commands never throw to the workbench (it would show a second dialog); the API that
// tests and other extensions call rejects instead.
import * as vscode from 'vscode';
import { PythonError } from '../core/pytorch/python';
import { errorMessage, log } from './log';
import { NoWorkspaceError } from './training/runLocations';
import { SettingError, SETTING_PYTHON, SETTING_TORCH_DEVICE } from './training/trainingSettings';

const SHOW_LOG = 'Show Log';
const OPEN_SETTINGS = 'Open Settings';
const OPEN_FOLDER = 'Open Folder…';

/** A button of a problem's notification and what it does. */
export interface ProblemAction {
  title: string;
  run(): unknown;
}

/** Tells the user of a problem: one notification with its actions and Show Log; the text goes to the log. */
export function showProblem(text: string, actions: ProblemAction[] = [], severity: 'error' | 'warning' = 'error'): void {
  log()[severity === 'error' ? 'error' : 'warn'](text);
  notify(text, actions, severity);
}

function notify(text: string, actions: ProblemAction[], severity: 'error' | 'warning'): void {
  const show = severity === 'error' ? vscode.window.showErrorMessage : vscode.window.showWarningMessage;
  void show(`ResNet Lab: ${text}`, ...actions.map((a) => a.title), SHOW_LOG).then((choice) => {
    if (choice === SHOW_LOG) log().show();
    else actions.find((a) => a.title === choice)?.run();
  });
}

/** Tells the user what went wrong in `what` (a command or a page's request), with the action that fixes it. */
export function reportError(what: string, error: unknown): void {
  if (error instanceof Error && error.stack) log().debug(`${what}: ${error.stack}`);
  const setting = settingToFix(error);
  const actions: ProblemAction[] = [];
  if (setting) actions.push({ title: OPEN_SETTINGS, run: () => openSetting(setting) });
  if (error instanceof NoWorkspaceError) actions.push({ title: OPEN_FOLDER, run: () => vscode.commands.executeCommand('workbench.action.files.openFolder') });
  log().error(`${what}: ${errorMessage(error)}`);
  notify(errorMessage(error), actions, 'error');
}

/** A command's handler that reports its errors by the policy and resolves to undefined after one. */
export function guarded<A extends unknown[], R>(what: string, handler: (...args: A) => Promise<R> | R): (...args: A) => Promise<R | undefined> {
  return async (...args: A) => {
    try {
      return await handler(...args);
    } catch (error) {
      reportError(what, error);
      return undefined;
    }
  };
}

/** The setting that fixes this error, for the notification's "Open Settings" button; undefined for other errors. */
export function settingToFix(error: unknown): string | undefined {
  if (error instanceof SettingError) return error.setting;
  if (error instanceof PythonError) return error.problem === 'no-device' ? SETTING_TORCH_DEVICE : SETTING_PYTHON;
  return undefined;
}

/**
 * Opens the Settings editor on one setting. In a remote window (Remote-SSH, WSL, code-server)
 * the User tab hides machine-overridable settings such as resnetLab.python.path (a Python of
 * this machine): the Remote tab shows them.
 */
function openSetting(setting: string): Thenable<unknown> {
  if (setting === SETTING_PYTHON && vscode.env.remoteName) return vscode.commands.executeCommand('workbench.action.openRemoteSettings', { query: setting });
  return vscode.commands.executeCommand('workbench.action.openSettings', setting);
}
