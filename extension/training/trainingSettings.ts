// The training settings (package.json contributes.configuration), read and checked: a bad
// value stops with a message that names the setting and says what it accepts.
import * as fs from 'node:fs';
import * as vscode from 'vscode';
import { CIFAR10_URL } from '../../core/data/download';
import { BACKEND_SETTINGS, BackendSetting } from '../../core/engine/backend';
import { MIXED_PRECISION_SETTINGS, MixedPrecision, PythonCandidate, PythonRequest, TORCH_DEVICE_SETTINGS, TorchDeviceSetting } from '../../core/pytorch/python';

export const SETTING_BACKEND = 'resnetLab.training.backend';
const SETTING_CIFAR_URL = 'resnetLab.cifar10.url';
const SETTING_CIFAR_FOLDER = 'resnetLab.cifar10.folder';
export const SETTING_PYTHON = 'resnetLab.python.path';
export const SETTING_TORCH_DEVICE = 'resnetLab.pytorch.device';
const SETTING_MIXED_PRECISION = 'resnetLab.pytorch.mixedPrecision';

/** A setting whose value cannot be used; the message names the setting. */
export class SettingError extends Error {
  constructor(readonly setting: string, problem: string) {
    super(`The setting "${setting}" ${problem}`);
    this.name = 'SettingError';
  }
}

export interface TrainingSettings {
  backend: BackendSetting;
  /** Where CIFAR-10's binary archive is downloaded from. */
  cifarUrl: string;
  /** A local folder holding CIFAR-10's binary files, or null to download. */
  cifarFolder: string | null;
}

function raw(key: string): unknown {
  const dot = key.lastIndexOf('.');
  return vscode.workspace.getConfiguration(key.slice(0, dot)).get<unknown>(key.slice(dot + 1));
}

export function readBackendSetting(): BackendSetting {
  const value = raw(SETTING_BACKEND) ?? 'auto';
  if (typeof value !== 'string' || !(BACKEND_SETTINGS as readonly string[]).includes(value)) {
    throw new SettingError(SETTING_BACKEND, `is ${JSON.stringify(value)}; it must be one of ${BACKEND_SETTINGS.join(', ')}.`);
  }
  return value as BackendSetting;
}

function readCifarUrl(): string {
  const value = raw(SETTING_CIFAR_URL) ?? CIFAR10_URL;
  if (typeof value !== 'string' || value.trim() === '') throw new SettingError(SETTING_CIFAR_URL, `is ${JSON.stringify(value)}; it must be the http(s) or file URL of cifar-10-binary.tar.gz (default ${CIFAR10_URL}).`);
  let url: URL;
  try {
    url = new URL(value.trim());
  } catch {
    throw new SettingError(SETTING_CIFAR_URL, `is "${value}", which is not a URL; it must be the http(s) or file URL of cifar-10-binary.tar.gz (default ${CIFAR10_URL}).`);
  }
  if (!['http:', 'https:', 'file:'].includes(url.protocol)) {
    throw new SettingError(SETTING_CIFAR_URL, `is "${value}"; only http:, https: and file: URLs can be downloaded.`);
  }
  return value.trim();
}

function readCifarFolder(): string | null {
  const value = raw(SETTING_CIFAR_FOLDER) ?? '';
  if (typeof value !== 'string') throw new SettingError(SETTING_CIFAR_FOLDER, `is ${JSON.stringify(value)}; it must be the path of a folder holding CIFAR-10's binary files, or empty.`);
  const folder = value.trim();
  if (folder === '') return null;
  let stat: fs.Stats;
  try {
    stat = fs.statSync(folder);
  } catch {
    throw new SettingError(SETTING_CIFAR_FOLDER, `names "${folder}", which does not exist; set it to the folder holding data_batch_1.bin … test_batch.bin, or empty it to download CIFAR-10.`);
  }
  if (!stat.isDirectory()) throw new SettingError(SETTING_CIFAR_FOLDER, `names "${folder}", which is a file, not a folder.`);
  return folder;
}

export function readTrainingSettings(): TrainingSettings {
  return { backend: readBackendSetting(), cifarUrl: readCifarUrl(), cifarFolder: readCifarFolder() };
}

function oneOf<T extends string>(key: string, allowed: readonly T[], fallback: T): T {
  const value = raw(key) ?? fallback;
  if (typeof value !== 'string' || !(allowed as readonly string[]).includes(value)) {
    throw new SettingError(key, `is ${JSON.stringify(value)}; it must be one of ${allowed.join(', ')}.`);
  }
  return value as T;
}

/** The Python extension's active interpreter, when that extension is installed and says one. */
async function pythonExtensionInterpreter(): Promise<PythonCandidate | undefined> {
  const extension = vscode.extensions.getExtension<{ environments?: { getActiveEnvironmentPath(resource?: vscode.Uri): { path: string } } }>('ms-python.python');
  if (!extension) return undefined;
  try {
    const api = extension.isActive ? extension.exports : await extension.activate();
    const interpreter = api?.environments?.getActiveEnvironmentPath(vscode.workspace.workspaceFolders?.[0]?.uri)?.path;
    return interpreter ? { command: interpreter, source: "the Python extension's selected interpreter" } : undefined;
  } catch {
    return undefined;
  }
}

/** The PyTorch engine's settings: which Python (the setting, else the Python extension's, else PATH), device, precision. */
export async function readEngineSettings(): Promise<{ python: PythonRequest; amp: MixedPrecision }> {
  const pythonPath = raw(SETTING_PYTHON) ?? '';
  if (typeof pythonPath !== 'string') throw new SettingError(SETTING_PYTHON, `is ${JSON.stringify(pythonPath)}; it must be the path of a Python executable, or empty.`);
  const device = oneOf<TorchDeviceSetting>(SETTING_TORCH_DEVICE, TORCH_DEVICE_SETTINGS, 'auto');
  const amp = oneOf<MixedPrecision>(SETTING_MIXED_PRECISION, MIXED_PRECISION_SETTINGS, 'off');
  const explicit = pythonPath.trim() ? { command: pythonPath.trim(), source: `the setting "${SETTING_PYTHON}"` } : undefined;
  const python: PythonRequest = { explicit, preferred: explicit ? undefined : await pythonExtensionInterpreter(), device, deviceName: `the setting "${SETTING_TORCH_DEVICE}"`, pythonName: `the setting "${SETTING_PYTHON}"` };
  return { python, amp };
}
