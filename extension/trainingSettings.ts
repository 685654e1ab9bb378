// The training settings (package.json contributes.configuration), read and checked: a bad
// value stops with a message that names the setting and says what it accepts.
import * as fs from 'node:fs';
import * as vscode from 'vscode';
import { CIFAR10_URL } from '../core/data/download';
import { BACKEND_SETTINGS, BackendSetting } from '../core/engine/backend';

export const SETTING_BACKEND = 'resnetLab.training.backend';
export const SETTING_CIFAR_URL = 'resnetLab.cifar10.url';
export const SETTING_CIFAR_FOLDER = 'resnetLab.cifar10.folder';

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

export function readCifarUrl(): string {
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

export function readCifarFolder(): string | null {
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
