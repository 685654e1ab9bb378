// From what the user chose (nets, data, budget) to a RunConfig: the paper's recipe scaled to
// the budget, with logging, evaluation and checkpoint intervals that suit it.
import { paperSchedule, paperUsesWarmup } from '../engine/train';
import { ModelRequest, specFromRequest, SpecError } from '../spec';
import { makeRunId } from './runFolder';
import type { BackendSetting, DataPlan, NetPlan, RunConfig } from './types';

export interface RunPreset {
  id: string;
  label: string;
  detail: string;
  nets: ModelRequest[];
}

export const RUN_PRESETS: readonly RunPreset[] = [
  {
    id: 'degradation',
    label: 'Degradation: plain-20 vs plain-56',
    detail: "The paper's Fig. 1: the deeper plain net has the higher training error.",
    nets: [{ kind: 'named', name: 'plain20' }, { kind: 'named', name: 'plain56' }],
  },
  {
    id: 'resnet20-vs-plain20',
    label: 'ResNet-20 vs plain-20',
    detail: 'The same 20-layer stack with and without shortcuts (option A).',
    nets: [{ kind: 'named', name: 'resnet20' }, { kind: 'named', name: 'plain20' }],
  },
  {
    id: 'resnet56-vs-plain56',
    label: 'ResNet-56 vs plain-56',
    detail: "The paper's Fig. 6: shortcuts cure the degradation of the 56-layer net.",
    nets: [{ kind: 'named', name: 'resnet56' }, { kind: 'named', name: 'plain56' }],
  },
];

/**
 * The Demo budget: the degradation on the embedded synthetic data in about 2 minutes on a
 * 2-core laptop (bench/demoBudget.ts measures it: 120 s here, idle). 240 steps of batch 32 on
 * 1,000 images (8 epochs) are enough for plain-20 to learn (training error about 23%) while
 * plain-56, with the same recipe, is still near chance (about 84%): the deeper plain net has the
 * higher training error. Small batches give the most steps for the time; 200 test images keep
 * the evaluations under a tenth of the run.
 */
export const DEMO_BUDGET = {
  label: 'Demo',
  iterations: 240,
  batchSize: 32,
  trainSize: 1000,
  testSize: 200,
  why: 'Demo: 240 steps of batch 32 on 1,000 synthetic images, sized to show the degradation in about 2 minutes on a 2-core laptop: plain-20 learns (training error about 23%) while plain-56 is still near chance (about 84%).',
} as const;

/** The Demo budget's choices for a pair of nets (the degradation preset's, by default). */
export function demoChoices(nets: ModelRequest[] = RUN_PRESETS[0].nets, backend?: BackendSetting): RunChoices {
  return { nets, data: { kind: 'synthetic', trainSize: DEMO_BUDGET.trainSize, testSize: DEMO_BUDGET.testSize }, iterations: DEMO_BUDGET.iterations, batchSize: DEMO_BUDGET.batchSize, backend };
}

export interface DataChoice {
  kind: DataPlan['kind'];
  /** For cifar10: the folder of the verified files. */
  location?: string;
  trainSize?: number;
  testSize?: number;
}

export interface RunChoices {
  /** One or two nets; the first is slot "a". */
  nets: ModelRequest[];
  data: DataChoice;
  /** Give iterations or epochs (of the training images used). */
  iterations?: number;
  epochs?: number;
  batchSize?: number;
  seed?: number;
  backend?: BackendSetting;
}

/** A choice that cannot make a run; the message says which and why. */
export class PlanError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'PlanError';
  }
}

export const DATA_DEFAULTS = {
  synthetic: { trainSize: 5000, testSize: 1000, maxTrain: 50_000, maxTest: 10_000 },
  cifar10: { trainSize: 45_000, testSize: 2000, maxTrain: 45_000, maxTest: 10_000 },
} as const;

function wholeInRange(name: string, value: number, min: number, max: number): number {
  if (!Number.isInteger(value) || value < min || value > max) {
    throw new PlanError(`${name} must be a whole number from ${min.toLocaleString('en-US')} to ${max.toLocaleString('en-US')}; got ${value}.`);
  }
  return value;
}

const count = (n: number) => n.toLocaleString('en-US');

export function planRun(choices: RunChoices, now = new Date()): RunConfig {
  if (choices.nets.length < 1 || choices.nets.length > 2) throw new PlanError(`A run trains one net or compares two; got ${choices.nets.length}.`);
  const specs = choices.nets.map((request) => specFromRequest(request));
  for (const spec of specs) {
    if (spec.inputSize !== 32 || spec.inputChannels !== 3 || spec.classes !== 10) {
      throw new SpecError(`${spec.title} takes ${spec.inputSize}×${spec.inputSize}×${spec.inputChannels} images and ${spec.classes} classes; training here uses 32×32×3 images of 10 classes (a CIFAR-10 net or a custom net with a CIFAR stem).`);
    }
  }
  const defaults = DATA_DEFAULTS[choices.data.kind];
  const trainSize = wholeInRange('The training set size', choices.data.trainSize ?? defaults.trainSize, 10, defaults.maxTrain);
  const testSize = wholeInRange('The test set size', choices.data.testSize ?? defaults.testSize, 10, defaults.maxTest);
  const batchSize = wholeInRange('The batch size', choices.batchSize ?? 128, 1, Math.min(1024, trainSize));
  const seed = wholeInRange('The seed', choices.seed ?? 1, 0, 2 ** 31 - 1);
  if (choices.iterations !== undefined && choices.epochs !== undefined) throw new PlanError('Give iterations or epochs, not both.');
  const stepsPerEpoch = Math.ceil(trainSize / batchSize);
  const iterations =
    choices.epochs !== undefined
      ? wholeInRange('The number of epochs', choices.epochs, 1, 10_000) * stepsPerEpoch
      : wholeInRange('The number of iterations', choices.iterations ?? 64_000, 1, 10_000_000);

  const nets: NetPlan[] = specs.map((spec, i) => ({ slot: i === 0 ? 'a' : 'b', request: choices.nets[i], title: spec.title }));
  const schedule = paperSchedule(iterations, { warmup: specs.some(paperUsesWarmup) });
  const logEvery = Math.max(1, Math.min(50, Math.round(iterations / 400)));
  const roundTo = (n: number) => Math.max(logEvery, Math.floor(n / logEvery) * logEvery);
  const every = roundTo(Math.max(iterations / 40, stepsPerEpoch / 4));
  // A forward pass costs about a third of a training step: testing every ≥2.2·testSize/batch
  // steps keeps evaluation under about 15% of the run's time.
  const evalEvery = roundTo(Math.max(every, (2.2 * testSize) / batchSize));
  const checkpointEvery = roundTo(Math.min(stepsPerEpoch, every));
  const milestones = [{ step: 0, lr: schedule.lrAt(0) }];
  for (const step of [schedule.warmupIterations, ...schedule.milestones]) {
    if (step > 0 && step < iterations && schedule.lrAt(step) !== milestones[milestones.length - 1].lr) milestones.push({ step, lr: schedule.lrAt(step) });
  }
  const dataName = choices.data.kind === 'synthetic' ? 'Synthetic shapes (embedded, no download)' : `CIFAR-10${choices.data.location ? ` (${choices.data.location})` : ''}`;
  return {
    version: 1,
    id: makeRunId(nets, now),
    createdAt: now.toISOString(),
    nets,
    data: { kind: choices.data.kind, location: choices.data.location, trainSize, testSize, description: `${dataName}: ${count(trainSize)} train / ${count(testSize)} test images` },
    iterations,
    batchSize,
    seed,
    backend: choices.backend ?? 'auto',
    schedule: { baseLr: schedule.lrAt(schedule.warmupIterations), milestones, text: schedule.description },
    weightDecay: 1e-4,
    momentum: 0.9,
    logEvery,
    evalEvery,
    checkpointEvery,
  };
}

/** One paragraph for the user before a run starts. */
export function describePlan(config: RunConfig): string {
  const epochs = (config.iterations * config.batchSize) / config.data.trainSize;
  return [
    `${config.nets.map((n) => n.title).join(' vs ')} on ${config.data.description}.`,
    `${count(config.iterations)} iterations of batch ${config.batchSize} (${epochs.toFixed(epochs < 10 ? 1 : 0)} epochs), seed ${config.seed}.`,
    `SGD, momentum ${config.momentum}, weight decay ${config.weightDecay}; ${config.schedule.text}.`,
    `Test error every ${count(config.evalEvery)} iterations; a checkpoint every ${count(config.checkpointEvery)}.`,
  ].join(' ');
}

/** The learning rate of a step, from the run's recorded schedule (the single source for the trainer). */
export function learningRateAt(schedule: RunConfig['schedule'], step: number): number {
  let lr = schedule.milestones[0].lr;
  for (const m of schedule.milestones) if (step >= m.step) lr = m.lr;
  return lr;
}
