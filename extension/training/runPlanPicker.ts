// "ResNet Lab: Train ResNet": an experiment (a preset pair of the paper, or a custom pair), the
// data (embedded synthetic shapes, or CIFAR-10), a budget labelled with the time it will take at
// the speed measured on this machine, then the paper's schedule scaled to it, shown before the
// run starts.
import * as path from 'node:path';
import * as vscode from 'vscode';
import { DATA_DEFAULTS, DEMO_BUDGET, describePlan, planRun, RUN_PRESETS, RunChoices } from '../../core/training/plan';
import type { SessionOptions } from '../../core/training/session';
import type { RunConfig } from '../../core/training/types';
import type { ModelRequest } from '../../core/spec';
import { cachedOrDownloadedCifar, checkLocalCifar, cifarCacheDir, CIFAR10_ARCHIVE_MB, isCifarCached } from './cifarData';
import { errorMessage, log } from '../log';
import { pickModel } from '../architecture/modelPicker';
import { TrainingSettings } from './trainingSettings';
import { describeEstimate, describeSource, estimateSeconds, probeSpeed, PROBE_STEPS, SpeedMemory, storedSpeeds } from './trainingSpeed';

const TITLE = 'ResNet Lab: Train ResNet';
const count = (n: number) => n.toLocaleString('en-US');

/** What the command needs from the extension. */
export interface TrainFlowServices {
  globalStorage: vscode.Uri;
  speeds: SpeedMemory;
  /** The engine options a run starts with (engine setting's Python, device, precision; tfjs-node-gpu's paths): the speed probe uses them too. */
  sessionOptions: () => Promise<SessionOptions>;
}

// ---- experiment -----------------------------------------------------------------------

interface ExperimentItem extends vscode.QuickPickItem {
  nets?: ModelRequest[];
  custom?: true;
}

async function pickExperiment(): Promise<ModelRequest[] | undefined> {
  const items: ExperimentItem[] = [
    ...RUN_PRESETS.map((preset) => ({ label: preset.label, detail: preset.detail, nets: preset.nets })),
    { label: 'Custom pair…', detail: 'Pick the two nets yourself (a CIFAR-10 net, or a custom net with a CIFAR stem, 32×32 input and 10 classes)', custom: true },
  ];
  const picked = await vscode.window.showQuickPick(items, { title: `${TITLE}: experiment`, placeHolder: 'Which nets train side by side?', ignoreFocusOut: true });
  if (!picked) return undefined;
  if (picked.nets) return picked.nets;
  const first = await pickModel(`${TITLE}: first net (the residual one, shown first)`);
  if (!first) return undefined;
  const second = await pickModel(`${TITLE}: second net (its twin, e.g. the plain net)`);
  return second ? [first, second] : undefined;
}

// ---- data --------------------------------------------------------------------------------

interface DataItem extends vscode.QuickPickItem {
  source: 'synthetic' | 'cifar-folder' | 'cifar-cache';
}

async function pickData(settings: TrainingSettings, cacheDir: string): Promise<RunChoices['data'] | undefined> {
  const items: DataItem[] = [
    {
      label: 'Synthetic shapes (embedded, no download)',
      detail: 'Ten classes of procedurally drawn 32×32 shapes, generated on the spot. Not CIFAR-10: the curves compare the nets, they are not the paper’s error rates.',
      source: 'synthetic',
    },
  ];
  if (settings.cifarFolder) items.push({ label: 'CIFAR-10 from your folder', description: settings.cifarFolder, detail: 'The folder in "resnetLab.cifar10.folder"; its files are checked against the official MD5s.', source: 'cifar-folder' });
  items.push(
    isCifarCached(cacheDir)
      ? { label: 'CIFAR-10 (downloaded)', description: cacheDir, detail: 'Already in the extension’s storage, verified.', source: 'cifar-cache' }
      : { label: `CIFAR-10 (download about ${CIFAR10_ARCHIVE_MB} MB)`, description: settings.cifarUrl, detail: 'Asks first; downloads into the extension’s storage, outside your workspace, and checks the MD5s.', source: 'cifar-cache' },
  );
  const picked = await vscode.window.showQuickPick(items, { title: `${TITLE}: data`, placeHolder: 'Which images?', ignoreFocusOut: true });
  if (!picked) return undefined;
  if (picked.source === 'synthetic') return { kind: 'synthetic' };
  const location = picked.source === 'cifar-folder' ? await checkLocalCifar(settings.cifarFolder!) : await cachedOrDownloadedCifar(cacheDir, settings.cifarUrl);
  return location ? { kind: 'cifar10', location } : undefined;
}

// ---- budget ------------------------------------------------------------------------------

interface BudgetOption {
  label: string;
  iterations?: number;
  epochs?: number;
  trainSize: number;
  testSize?: number;
  batchSize?: number;
  /** Why this budget, said in the plan before the run starts. */
  why?: string;
}

const BUDGETS: Record<'synthetic' | 'cifar10', BudgetOption[]> = {
  synthetic: [
    { label: DEMO_BUDGET.label, iterations: DEMO_BUDGET.iterations, trainSize: DEMO_BUDGET.trainSize, testSize: DEMO_BUDGET.testSize, batchSize: DEMO_BUDGET.batchSize, why: DEMO_BUDGET.why },
    { label: 'Quick look', iterations: 200, trainSize: 2000 },
    { label: 'Short', iterations: 1000, trainSize: 5000 },
    { label: 'Longer', iterations: 4000, trainSize: 20_000 },
    { label: 'The paper’s length', iterations: 64_000, trainSize: 50_000 },
  ],
  cifar10: [
    { label: 'Quick look', iterations: 200, trainSize: 5000 },
    { label: 'Short', iterations: 2000, trainSize: 20_000 },
    { label: '10 epochs of the 45k training split', epochs: 10, trainSize: 45_000 },
    { label: 'The paper’s 64,000 iterations', iterations: 64_000, trainSize: 45_000 },
  ],
};

interface BudgetItem extends vscode.QuickPickItem {
  config?: RunConfig;
  why?: string;
  custom?: true;
}

/** source: where the estimates come from, said in the plan; placeholder: the budget list's short line (a long one is cut off). */
type Speeds = { speeds: Map<string, number>; source: string; placeholder: string } | { speeds: undefined; source: string; placeholder: string };

const PLACEHOLDER = 'How long? Times at the speeds measured on this machine, both nets sharing its cores';

/** The stored speeds of these nets, or a probe of a few real steps (cancellable). */
async function measuredSpeeds(choices: RunChoices, services: TrainFlowServices): Promise<Speeds> {
  const sample = planRun(choices);
  const stored = storedSpeeds(services.speeds, sample);
  if (stored) return { speeds: stored.speeds, source: `Estimates ${describeSource(sample, stored.records)}`, placeholder: PLACEHOLDER };
  const title = sample.nets.map((n) => n.title).join(' and ');
  const probe = await vscode.window.withProgress(
    { location: vscode.ProgressLocation.Notification, title: `ResNet Lab: measuring the training speed of ${title} (${PROBE_STEPS} steps each at batch ${sample.batchSize})`, cancellable: true },
    async (_progress, token) => {
      const options: SessionOptions = { ...(await services.sessionOptions()), onEngineLog: (slot, line) => log().debug(`speed probe, trainer of net ${slot}: ${line}`) };
      return probeSpeed(choices, path.join(services.globalStorage.fsPath, 'speed-probe'), options, token);
    },
  );
  if (!probe) return { speeds: undefined, source: 'No time estimates: you cancelled the speed measurement.', placeholder: 'How long? (no time estimates: the speed measurement was cancelled)' };
  services.speeds.recordRun(probe.config, probe.points, probe.backend, 'probe');
  const again = storedSpeeds(services.speeds, sample);
  if (!again) return { speeds: undefined, source: 'No time estimates: the speed measurement logged no speed.', placeholder: 'How long? (no time estimates: the speed measurement logged no speed)' };
  return { speeds: again.speeds, source: `Estimates ${describeSource(sample, again.records)}`, placeholder: PLACEHOLDER };
}

function budgetItem(option: BudgetOption, base: RunChoices, speeds: Speeds): BudgetItem {
  const config = planRun({ ...base, data: { ...base.data, trainSize: option.trainSize, testSize: option.testSize }, iterations: option.iterations, epochs: option.epochs, batchSize: option.batchSize ?? base.batchSize });
  const epochs = (config.iterations * config.batchSize) / config.data.trainSize;
  return {
    label: option.label,
    description: speeds.speeds ? describeEstimate(estimateSeconds(config, speeds.speeds)) : 'no estimate',
    detail: `${count(config.iterations)} iterations of batch ${config.batchSize} on ${count(config.data.trainSize)} training images (${epochs.toFixed(epochs < 10 ? 1 : 0)} epochs)`,
    config,
    why: option.why,
  };
}

function parseBudget(text: string): { iterations?: number; epochs?: number } | string {
  const match = /^\s*(\d+)\s*(e|epochs?)?\s*$/i.exec(text);
  if (!match) return `Give a number of iterations (e.g. 3000) or of epochs (e.g. 20 epochs); got "${text}".`;
  return match[2] ? { epochs: Number(match[1]) } : { iterations: Number(match[1]) };
}

async function customBudget(base: RunChoices): Promise<RunConfig | undefined> {
  const limits = DATA_DEFAULTS[base.data.kind];
  const sizeText = await vscode.window.showInputBox({
    title: `${TITLE}: training images`,
    prompt: `How many training images (10 to ${count(limits.maxTrain)})`,
    value: String(limits.trainSize),
    ignoreFocusOut: true,
    validateInput: (text) => {
      if (!/^\s*\d+\s*$/.test(text)) return `The training set size must be a whole number; got "${text}".`;
      try {
        planRun({ ...base, data: { ...base.data, trainSize: Number(text) } });
        return undefined;
      } catch (error) {
        return errorMessage(error);
      }
    },
  });
  if (sizeText === undefined) return undefined;
  const data = { ...base.data, trainSize: Number(sizeText) };
  const budgetText = await vscode.window.showInputBox({
    title: `${TITLE}: length`,
    prompt: 'Iterations (e.g. 3000) or epochs (e.g. 20 epochs)',
    value: '1000',
    ignoreFocusOut: true,
    validateInput: (text) => {
      const budget = parseBudget(text);
      if (typeof budget === 'string') return budget;
      try {
        planRun({ ...base, data, ...budget });
        return undefined;
      } catch (error) {
        return errorMessage(error);
      }
    },
  });
  if (budgetText === undefined) return undefined;
  return planRun({ ...base, data, ...(parseBudget(budgetText) as { iterations?: number; epochs?: number }) });
}

async function pickBudget(base: RunChoices, speeds: Speeds): Promise<{ config: RunConfig; why?: string } | undefined> {
  const items: BudgetItem[] = [...BUDGETS[base.data.kind].map((option) => budgetItem(option, base, speeds)), { label: 'Custom…', detail: 'Your own number of iterations or epochs, and training images', custom: true }];
  const picked = await vscode.window.showQuickPick(items, { title: `${TITLE}: budget`, placeHolder: speeds.placeholder, ignoreFocusOut: true });
  if (!picked) return undefined;
  if (!picked.custom) return { config: picked.config!, why: picked.why };
  const config = await customBudget(base);
  return config && { config };
}

// ---- the whole question ---------------------------------------------------------------------

/** Asks everything and shows the plan; resolves to the run's config, or undefined when the user cancels. */
export async function askForRun(settings: TrainingSettings, runsRoot: string, services: TrainFlowServices): Promise<RunConfig | undefined> {
  const nets = await pickExperiment();
  if (!nets) return undefined;
  // Checks the nets now (a 224×224 net cannot train on 32×32 images) rather than after the download.
  planRun({ nets, data: { kind: 'synthetic' }, backend: settings.backend });
  const data = await pickData(settings, cifarCacheDir(services.globalStorage));
  if (!data) return undefined;
  const base: RunChoices = { nets, data, backend: settings.backend };
  const speeds = await measuredSpeeds(base, services);
  const budget = await pickBudget(base, speeds);
  if (!budget) return undefined;
  const { config } = budget;
  const estimate = speeds.speeds ? `It should take ${describeEstimate(estimateSeconds(config, speeds.speeds))} (${speeds.source.replace(/^Estimates /, '')}).` : speeds.source;
  const start = 'Start Training';
  const answer = await vscode.window.showInformationMessage(
    `Train ${config.nets.map((n) => n.title).join(' vs ')}?`,
    { modal: true, detail: `${budget.why ? `${budget.why}\n\n` : ''}${describePlan(config)}\n\n${estimate}\n\nThe run is saved in ${path.join(runsRoot, config.id)}; the backend setting is "${config.backend}".` },
    start,
  );
  return answer === start ? config : undefined;
}

