// A study's runs: one ordinary run folder per depth and seed (the residual net and its plain
// twin side by side when the study has both), with ids made from the study's name, so the
// study finds its runs again (to skip the finished, resume the stopped) and the Runs list,
// the curves panel and Inspect Blocks open them like any run.
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { ModelRequest } from '../spec';
import { planRun } from '../training/plan';
import { RunFolder, RUNS_FOLDER } from '../training/runFolder';
import { runState, RunState } from '../training/runState';
import type { BackendSetting, RunConfig } from '../training/types';
import { Study, StudyError } from './studyFile';

export interface StudyRun {
  /** The run id: "<study>-resnet20-vs-plain20-seed1". */
  id: string;
  depth: number;
  seed: number;
  config: RunConfig;
  folder: string;
}

export type StudyRunStatus = 'to do' | 'stopped' | 'failed' | 'finished';

export interface StudyRunState extends StudyRun {
  status: StudyRunStatus;
  /** The lowest step its nets logged (0 before it started). */
  lastStep: number;
  state: RunState | null;
}

/** The paper's CIFAR-10 depths have names (resnet20, plain56); others are resnet-cifar-nN (50 would be ImageNet's ResNet-50). */
const NAMED_DEPTHS = [20, 32, 44, 56, 110, 1202];

function netsOf(study: Study, depth: number): ModelRequest[] {
  return study.nets.map((variant) => {
    const kind = variant === 'residual' ? 'resnet' : 'plain';
    return { kind: 'named', name: NAMED_DEPTHS.includes(depth) ? `${kind}${depth}` : `${kind}-cifar-n${(depth - 2) / 6}` };
  });
}

/**
 * Every run of the study, in the order they train (seed by seed, shallow to deep, so a stopped
 * study has whole seeds). `location` is the CIFAR-10 folder on this machine (not part of the
 * run's identity).
 */
export function planStudyRuns(study: Study, runsRoot: string, location?: string, now = new Date()): StudyRun[] {
  const runs: StudyRun[] = [];
  for (const seed of study.seeds) {
    for (const depth of study.depths) {
      const config = planRun(
        {
          nets: netsOf(study, depth),
          data: { kind: study.data.kind, location: study.data.kind === 'cifar10' ? (location ?? study.data.folder) : undefined, trainSize: study.data.trainSize, testSize: study.data.testSize },
          iterations: study.budget.iterations,
          epochs: study.budget.epochs,
          batchSize: study.budget.batch,
          seed,
          backend: study.engine as BackendSetting,
        },
        now,
      );
      const id = `${study.name}-${config.nets.map((n) => n.title.toLowerCase().replace(/[^a-z0-9]+/g, '')).join('-vs-')}-seed${seed}`;
      config.id = id;
      runs.push({ id, depth, seed, config, folder: path.join(runsRoot, id) });
    }
  }
  return runs;
}

/** What must agree between a study's plan and a run folder it finds under the same id. */
function identity(config: RunConfig): string {
  return JSON.stringify({
    nets: config.nets.map((n) => n.title),
    data: [config.data.kind, config.data.trainSize, config.data.testSize],
    iterations: config.iterations,
    batch: config.batchSize,
    seed: config.seed,
  });
}

/** Each run of the study with its state in the runs root; a run folder that no longer matches the study is an error naming it. */
export function studyRunStates(runs: StudyRun[]): StudyRunState[] {
  return runs.map((run) => {
    if (!fs.existsSync(path.join(run.folder, 'config.json'))) return { ...run, status: 'to do', lastStep: 0, state: null };
    const folder = RunFolder.open(run.folder);
    const config = folder.readConfig();
    if (identity(config) !== identity(run.config)) {
      throw new StudyError(
        `${run.folder} was trained with another plan (${config.iterations.toLocaleString('en-US')} iterations of batch ${config.batchSize} on ${config.data.trainSize.toLocaleString('en-US')} images) than the study now asks (${run.config.iterations.toLocaleString('en-US')} of batch ${run.config.batchSize} on ${run.config.data.trainSize.toLocaleString('en-US')}). Give the study a new name for the new plan, or move that run folder away.`,
      );
    }
    const state = runState(config, folder.readMetrics(), folder.readOutcome());
    return { ...run, config, status: state.finished ? 'finished' : state.status, lastStep: state.lastStep, state };
  });
}

/** The workspace's runs root. */
export function runsRootOfWorkspace(workspace: string): string {
  return path.join(workspace, RUNS_FOLDER);
}

/** "3 of 8 runs finished, 1 stopped at 120 of 300 iterations, 4 to do" */
export function studyProgressText(states: StudyRunState[]): string {
  const finished = states.filter((s) => s.status === 'finished').length;
  const parts = [`${finished} of ${states.length} run${states.length === 1 ? '' : 's'} finished`];
  const stopped = states.filter((s) => s.status === 'stopped' || s.status === 'failed');
  for (const s of stopped) parts.push(`${s.id} ${s.status} at ${s.lastStep.toLocaleString('en-US')} of ${s.config.iterations.toLocaleString('en-US')} iterations`);
  const todo = states.filter((s) => s.status === 'to do').length;
  if (todo) parts.push(`${todo} to do`);
  return parts.join(', ');
}
