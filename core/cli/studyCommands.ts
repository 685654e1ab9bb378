// `resnet-lab study new|run|status|export` and `resnet-lab report`: studies (core/study/) from
// the command line, training with the same sessions and run folders as `resnet-lab train`.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { parseArgs } from 'node:util';
import { describeBackend, parseBackendSetting, selectBackend, tfjsSettingFor } from '../engine/backend';
import { RunInspector } from '../inspect/runInspector';
import { MIXED_PRECISION_SETTINGS, MixedPrecision, TORCH_DEVICE_SETTINGS, TorchDeviceSetting } from '../pytorch/python';
import { exportStudy, RUN_ALL_FILE } from '../study/export';
import { buildReport, StudyReport } from '../study/report';
import { fig7Data, InspectRun, writeReportFiles } from '../study/reportFiles';
import { StudyRunner } from '../study/runner';
import { readStudy, Study, studyFileOf, studyFromPreset, STUDY_PRESETS, workspaceOfStudy, writeNewStudy } from '../study/studyFile';
import { planStudyRuns, runsRootOfWorkspace, studyProgressText, studyRunStates } from '../study/studyRuns';
import { CLI_PYTHON_REQUEST } from '../training/engineChoice';
import { ProgressTracker } from '../training/progress';
import { lockRun, claimRun, releaseRun } from '../training/runLock';
import { RunFolder } from '../training/runFolder';
import { SessionOptions, TrainingSession } from '../training/session';
import type { MetricPoint } from '../training/types';
import { CommandIo, defaultDataCache, resolveData, terminalLine } from './trainCommands';
import { UsageError } from './usageError';

const count = (n: number) => n.toLocaleString('en-US');

function numberOption(name: string, value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!Number.isInteger(n)) throw new UsageError(`--${name} must be a whole number; got "${value}".`);
  return n;
}

const DATA_OPTIONS = {
  data: { type: 'string' },
  'download-url': { type: 'string' },
  cache: { type: 'string' },
  out: { type: 'string' },
} as const;

/** The CIFAR-10 folder a study trains from on this machine: its own data.folder, else --data / the cache. */
async function studyDataLocation(study: Study, values: { data?: string; 'download-url'?: string; cache?: string }, io: CommandIo): Promise<string | undefined> {
  if (study.data.kind !== 'cifar10') return undefined;
  if (study.data.folder && values.data === undefined) return study.data.folder;
  const data = await resolveData(values.data ?? 'cifar10', values['download-url'], values.cache ? path.resolve(values.cache) : defaultDataCache(), io);
  if (data.kind !== 'cifar10') throw new UsageError('This study trains on CIFAR-10: --data must be cifar10 or a folder of its binary files.');
  return data.location;
}

function studyAndRuns(file: string, out: string | undefined, location?: string) {
  const study = readStudy(path.resolve(file));
  const runsRoot = out ? path.resolve(out) : runsRootOfWorkspace(workspaceOfStudy(file));
  return { study, runsRoot, runs: planStudyRuns(study, runsRoot, location) };
}

async function studyNew(args: string[], io: CommandIo): Promise<number> {
  const { values, positionals } = parseArgs({
    args,
    allowPositionals: true,
    options: {
      name: { type: 'string' },
      dir: { type: 'string', default: '.' },
      iterations: { type: 'string' },
      epochs: { type: 'string' },
      batch: { type: 'string' },
      'train-size': { type: 'string' },
      'test-size': { type: 'string' },
      seeds: { type: 'string' },
      backend: { type: 'string' },
      data: { type: 'string' },
    },
  });
  if (positionals.length !== 1) throw new UsageError(`study new needs one PRESET: ${STUDY_PRESETS.map((p) => `${p.id} (${p.label})`).join(', ')}.`);
  if (values.data !== undefined && values.data !== 'cifar10' && values.data !== 'synthetic') throw new UsageError(`--data must be cifar10 or synthetic; got "${values.data}".`);
  const study = studyFromPreset(positionals[0], {
    name: values.name,
    iterations: numberOption('iterations', values.iterations),
    epochs: numberOption('epochs', values.epochs),
    batch: numberOption('batch', values.batch),
    trainSize: numberOption('train-size', values['train-size']),
    testSize: numberOption('test-size', values['test-size']),
    seeds: numberOption('seeds', values.seeds),
    engine: values.backend === undefined ? undefined : parseBackendSetting(values.backend),
    data: values.data as 'cifar10' | 'synthetic' | undefined,
  });
  const file = studyFileOf(path.resolve(values.dir!), study.name);
  writeNewStudy(file, study);
  const runs = planStudyRuns(study, runsRootOfWorkspace(path.resolve(values.dir!)));
  io.out(`Wrote ${file}: ${study.title}; ${runs.length} run(s) of ${count(runs[0].config.iterations)} iterations (edit the file to change the plan).`);
  io.out(`Train it: resnet-lab study run ${path.relative(process.cwd(), file) || file}`);
  return 0;
}

async function studyRun(args: string[], io: CommandIo): Promise<number> {
  const { values, positionals } = parseArgs({
    args,
    allowPositionals: true,
    options: { ...DATA_OPTIONS, backend: { type: 'string' }, python: { type: 'string' }, device: { type: 'string', default: 'auto' }, amp: { type: 'string', default: 'off' }, parallel: { type: 'string' } },
  });
  if (positionals.length !== 1) throw new UsageError('study run needs one FILE, e.g. resnet-lab study run .resnet-lab/studies/fig6.json.');
  const device = values.device as TorchDeviceSetting;
  if (!TORCH_DEVICE_SETTINGS.includes(device)) throw new UsageError(`--device must be one of ${TORCH_DEVICE_SETTINGS.join(', ')}; got "${values.device}".`);
  const amp = values.amp as MixedPrecision;
  if (!MIXED_PRECISION_SETTINGS.includes(amp)) throw new UsageError(`--amp must be one of ${MIXED_PRECISION_SETTINGS.join(', ')}; got "${values.amp}".`);
  const study = readStudy(path.resolve(positionals[0]));
  const location = await studyDataLocation(study, values, io);
  const { runsRoot, runs } = studyAndRuns(positionals[0], values.out, location);
  const parallel = numberOption('parallel', values.parallel) ?? study.parallel;
  const options: SessionOptions = {
    backend: values.backend === undefined ? undefined : parseBackendSetting(values.backend),
    python: { ...CLI_PYTHON_REQUEST, device, explicit: values.python ? { command: values.python, source: '--python' } : undefined },
    amp,
    onEngineLog: (slot, line) => io.err(`trainer of net ${slot}: ${line}`),
  };
  const before = studyRunStates(runs);
  io.err(`Study ${study.name}: ${study.title}. ${studyProgressText(before)}. ${parallel === 1 ? 'One run at a time' : `${parallel} runs at a time`}; runs in ${runsRoot}.`);
  const held: string[] = [];
  const runner = new StudyRunner(
    runs,
    {
      start: async (config) => {
        const session = await TrainingSession.start(config, runsRoot, options);
        claimRun(session.run.folder);
        held.push(session.run.folder);
        return session;
      },
      resume: async (folder) => {
        lockRun(folder);
        held.push(folder);
        return TrainingSession.resume(folder, options);
      },
    },
    parallel,
    {
      onRunStart: (run, session, resumed, done, total) => {
        io.err(`Run ${run.id} (${done + 1} of ${total}): ${resumed ? `resuming from step ${count(session.run.latestCheckpoint('a')?.step ?? 0)}` : 'starting'}, ${count(run.config.iterations)} iterations`);
        const latest = new Map<string, { train?: MetricPoint; test?: MetricPoint }>();
        const tracker = new ProgressTracker(run.config, session.status, resumed ? session.run.readMetrics() : []);
        tracker.setSteps(session.netSteps);
        let lastLine = 0;
        let backendSaid = false;
        session.addListener({
          onBackend: (title) => {
            if (!backendSaid) io.err(`  backend: ${title}`);
            backendSaid = true;
          },
          onWarning: (message) => io.err(`  warning: ${message}`),
          onMetrics: (points) => {
            tracker.add(points);
            for (const p of points) latest.set(p.slot, { ...latest.get(p.slot), [p.split]: p });
            const line = `  [${run.id}] ${terminalLine(tracker, latest)}`;
            if (io.progress) io.progress(line);
            else if (Date.now() - lastLine >= 10_000) {
              lastLine = Date.now();
              io.err(line);
            }
          },
        });
      },
      onRunEnd: (run, status, detail, done, total) => {
        io.progress?.('');
        io.err(`Run ${run.id}: ${status} (${detail}); ${done} of ${total} finished.`);
        const i = held.indexOf(run.folder);
        if (i >= 0) {
          releaseRun(run.folder);
          held.splice(i, 1);
        }
      },
    },
  );
  const onInterrupt = () => {
    io.err('\nStopping the study after the current step of each run (writing checkpoints)…');
    void runner.stop();
  };
  process.once('SIGINT', onInterrupt);
  process.once('SIGTERM', onInterrupt);
  let outcome;
  try {
    outcome = await runner.run();
  } finally {
    process.removeListener('SIGINT', onInterrupt);
    process.removeListener('SIGTERM', onInterrupt);
    for (const folder of held) releaseRun(folder);
  }
  io.out(`Study ${study.name} ${outcome.status}: ${outcome.detail}.`);
  io.out(`Report: resnet-lab report ${positionals[0]} --md ${study.name}-report.md`);
  return outcome.status === 'failed' ? 1 : 0;
}

function studyStatus(args: string[], io: CommandIo): number {
  const { values, positionals } = parseArgs({ args, allowPositionals: true, options: { out: { type: 'string' } } });
  if (positionals.length !== 1) throw new UsageError('study status needs one FILE.');
  const { study, runs } = studyAndRuns(positionals[0], values.out);
  const states = studyRunStates(runs);
  io.out(`Study ${study.name}: ${study.title}. ${studyProgressText(states)}.`);
  for (const s of states) io.out(`  ${s.id.padEnd(Math.max(...states.map((x) => x.id.length)))}  ${s.status.padEnd(8)}  ${count(s.lastStep)} of ${count(s.config.iterations)}`);
  return 0;
}

async function studyExport(args: string[], io: CommandIo): Promise<number> {
  const { values, positionals } = parseArgs({ args, allowPositionals: true, options: { ...DATA_OPTIONS, to: { type: 'string' } } });
  if (positionals.length !== 1) throw new UsageError('study export needs one FILE, e.g. resnet-lab study export .resnet-lab/studies/table6.json --to ~/table6-export.');
  if (!values.to) throw new UsageError('study export needs --to DIR, a new folder to write the jobs into.');
  const study = readStudy(path.resolve(positionals[0]));
  const location = await studyDataLocation(study, values, io);
  const { runs } = studyAndRuns(positionals[0], values.out, location);
  const result = await exportStudy(study, runs, path.resolve(values.to), (id, i) => io.err(`Exporting ${id} (${i + 1} of ${runs.length})…`));
  io.out(`Exported ${result.runs.length} run(s) of study ${study.name} to ${result.folder}: one torchrun job folder per run, ${RUN_ALL_FILE} (trains them all) and README.md.`);
  return 0;
}

/** The run folders a report is made of: a study file's runs, run folders, or a folder of runs. */
function reportSources(inputs: string[], out: string | undefined): { folders: string[]; title: string; source: string; planned?: string[] } {
  if (inputs.length === 1 && inputs[0].endsWith('.json')) {
    const { study, runs } = studyAndRuns(inputs[0], out);
    const folders = runs.filter((r) => fs.existsSync(path.join(r.folder, 'config.json'))).map((r) => r.folder);
    return { folders, title: study.title, source: `study ${study.name} (${path.resolve(inputs[0])})`, planned: runs.map((r) => r.id) };
  }
  const folders: string[] = [];
  for (const input of inputs) {
    const folder = path.resolve(input);
    if (fs.existsSync(path.join(folder, 'config.json'))) folders.push(RunFolder.open(folder).folder);
    else if (fs.existsSync(folder) && fs.statSync(folder).isDirectory()) {
      const inside = fs.readdirSync(folder).map((f) => path.join(folder, f)).filter((f) => fs.existsSync(path.join(f, 'config.json')));
      if (inside.length === 0) throw new UsageError(`${input} is neither a study file, a run folder nor a folder of runs.`);
      folders.push(...inside.sort());
    } else throw new UsageError(`${input} does not exist.`);
  }
  return { folders, title: inputs.length === 1 ? `runs in ${inputs[0]}` : `${folders.length} runs`, source: inputs.map((i) => path.resolve(i)).join(', ') };
}

/** Fig. 7 in this process: each run's nets through the block probe at their latest checkpoints. */
async function inspectInProcess(report: StudyReport, io: CommandIo): Promise<ReturnType<typeof fig7Data>> {
  const backend = await selectBackend(tfjsSettingFor('auto'));
  io.err(`Fig. 7: the block probe on ${describeBackend(backend)}`);
  const inspect: InspectRun = async (folder) => {
    const inspector = await RunInspector.open(folder);
    try {
      return inspector.inspect(0);
    } finally {
      inspector.dispose();
    }
  };
  return fig7Data(report, inspect);
}

export async function reportCommand(args: string[], io: CommandIo): Promise<number> {
  const { values, positionals } = parseArgs({ args, allowPositionals: true, options: { md: { type: 'string' }, out: { type: 'string' }, 'no-fig7': { type: 'boolean' } } });
  if (positionals.length === 0) throw new UsageError('report needs a study file or run folders, e.g. resnet-lab report .resnet-lab/studies/fig6.json --md report.md.');
  const sources = reportSources(positionals, values.out);
  const report = buildReport(sources.folders, sources);
  const fig7 = values['no-fig7'] ? 'Fig. 7 was left out (--no-fig7).' : await inspectInProcess(report, io);
  const file = path.resolve(values.md ?? 'report.md');
  const written = writeReportFiles(report, file, fig7);
  io.out(report.headline);
  io.out(`Wrote ${file}${written.figures.length ? ` and ${written.figures.map((f) => path.basename(f)).join(', ')}` : ''}.`);
  return 0;
}

export async function studyCommand(args: string[], io: CommandIo): Promise<number> {
  const [sub, ...rest] = args;
  switch (sub) {
    case 'new':
      return studyNew(rest, io);
    case 'run':
      return studyRun(rest, io);
    case 'status':
      return studyStatus(rest, io);
    case 'export':
      return studyExport(rest, io);
    default:
      throw new UsageError(`study needs one of new, run, status, export${sub ? `; got "${sub}"` : ''}.`);
  }
}
