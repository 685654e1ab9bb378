// The `resnet-lab` command line: list the models, print a model's layer table and costs.
import { parseArgs } from 'node:util';
import { DataError } from '../data/types';
import { BackendError } from '../engine/backend';
import { JobError } from '../pytorch/job';
import { PythonError } from '../pytorch/python';
import { reportForSpec } from '../report';
import { BlockType, customSpec, listModels, NetworkSpec, parseShortcut, specFromName, SpecError, StemKind } from '../spec';
import { analyzeCommand } from './analyzeCommand';
import { reportCommand, studyCommand } from './studyCommands';
import { StudyError } from '../study/studyFile';
import { SummaryLevel, summaryJson, summaryText } from './summary';
import { CommandIo, exportCommand, runsCommand, trainCommand } from './trainCommands';
import { PlanError } from '../training/plan';
import { RunLockError } from '../training/runLock';
import { RunStoreError } from '../training/runFolder';
import { UsageError, wholeNumber } from './usageError';

export type CliIo = CommandIo;

const USAGE = `Usage: resnet-lab <command> [options]

Commands:
  list                          The models of the paper, residual and plain.
  summary MODEL [options]       Layer table: output shapes, parameters, multiply-adds.
      --plain                   The plain twin (same stack, no shortcuts).
      --shortcut A|B|C          A: zero-padded identity, B: projection where dimensions
                                change, C: projection everywhere (CIFAR default A, ImageNet B).
      --level layers|blocks|stages   Table detail (default layers).
      --json                    Machine-readable output.
  summary custom --blocks 3,4,6,3 [--width 64] [--block basic|bottleneck]
                 [--stem imagenet|cifar] [--input 224] [--classes 1000] [--plain] [--shortcut B]
                                A network of your own depths and widths.
  train --model MODEL [options]  Train on your machine (TF.js worker threads, or PyTorch in
                                your Python), writing a run folder with config.json,
                                metrics.jsonl and checkpoints.
      --compare MODEL           A second net trained side by side (e.g. its plain twin).
      --data synthetic|cifar10|PATH   The embedded shapes set (default, no download), CIFAR-10
                                (downloaded once into the cache), or a local folder / .tar.gz.
      --download-url URL        Where to download CIFAR-10 from (default: the official URL).
      --cache DIR               The download cache (default ~/.cache/resnet-lab/cifar-10).
      --train-size N --test-size N    Images used (a class-balanced subset).
      --iterations N | --epochs N     The budget; the paper's schedule is scaled to it.
      --batch B --seed S        Batch size (default 128) and seed (default 1).
      --backend auto|tensorflow-gpu|tensorflow|wasm|cpu|pytorch
                                The engine (auto: a GPU engine that really runs on a GPU,
                                else TF.js on the CPU). With --resume: the engine that
                                continues the run (default: the one it was planned with).
      --python PATH             The Python for pytorch (default: python3/python on PATH,
                                the first with torch).
      --device auto|cuda|mps|cpu  PyTorch's device (default auto).
      --amp off|bf16|fp16       PyTorch mixed precision on a GPU (default off: fp32).
      --out DIR                 Where runs go (default .resnet-lab/runs).
      --resume RUN_DIR          Continue a stopped or crashed run from its checkpoints
                                (refused while another process of this machine trains it).
  export --to DIR [train's plan flags | --run RUN_DIR]
                                A planned run, or a run folder, as a folder that trains with
                                Python and PyTorch only (1 GPU, torchrun on N GPUs or N
                                machines); its README has the commands.
  runs [--out DIR]              The runs in a folder, newest first: finished (every net
                                reached the end), stopped, failed, or training.
  analyze RUN_DIR --lesion|--gradients [options]
                                Studies of a run's nets at a checkpoint, residual net and
                                plain twin side by side.
      --lesion                  The lesion study (Veit et al., NeurIPS 2016): test error
                                with each single block deleted (residual: y = ReLU(shortcut(x));
                                plain: the block removed where the shapes allow), with k
                                random blocks deleted (mean ± std over draws), and with
                                adjacent blocks swapped.
      --gradients               The gradient flow: per block ‖∂L/∂x‖ at its input, per conv
                                ‖∂L/∂W‖ of its kernel (mean, min, max per stage), averaged over
                                training batches, BatchNorm on batch statistics as in training.
      --batches N               Training batches for --gradients (default 4, of the run's batch size).
      --slot a|b                Only one net of the run.
      --checkpoint STEP         Each net's checkpoint at STEP, or its nearest (default: the latest).
      --images N                Test images (default 1,000; at most the run's test set).
      --draws D                 Draws per k of the random deletions (default 5).
      --json                    The results as JSON: {run, lesion: {images, finding, nets},
                                gradients: {batches, nets}}.
  study new PRESET [--name NAME] [options]
                                Writes .resnet-lab/studies/NAME.json: a set of runs, depths ×
                                residual/plain × seeds, with one budget. PRESET: table6 (Table 6:
                                ResNet-20 to -110, 5 seeds), fig6 (Fig. 6: plain and residual
                                20/32/44/56, 1 seed), fig1 (Fig. 1: plain-20 vs plain-56). The
                                paper's budget unless --iterations N | --epochs N, --batch B,
                                --train-size N, --test-size N, --seeds N, --backend, --data
                                cifar10|synthetic change it; --dir WORKSPACE (default .).
  study run FILE [--data cifar10|PATH] [--backend …] [--parallel N]
                                Trains the study's runs (ordinary run folders in the
                                workspace's .resnet-lab/runs): finished runs are skipped, stopped
                                or crashed ones resume from their checkpoints. One run at a time
                                unless the study's "parallel" (or --parallel) says more: keep 1
                                on a CPU (a run's nets already share every core). Ctrl-C stops
                                with checkpoints; the same command continues.
  study status FILE             Each run of the study: to do, stopped, failed or finished.
  study export FILE --to DIR    One torchrun job folder per run, and run-all.sh that trains
                                them all (for a GPU machine or a cluster).
  report STUDY_OR_RUNS… --md FILE [--no-fig7]
                                The reproduction report as Markdown with SVG figures (FILE-fig6.svg,
                                FILE-fig7.svg): test error per net as mean ± std (sample, n−1)
                                and min over seeds beside the paper's Table 6 and an independent
                                reproduction, the gap, the iterations reached, Fig. 6 redrawn,
                                Fig. 7 from the final checkpoints. Its first line says whether
                                the runs are comparable with the paper.
  help                          This text.

Examples:
  resnet-lab summary resnet56
  resnet-lab summary resnet34 --plain --level stages
  resnet-lab summary resnet50 --json
  resnet-lab train --model resnet20 --compare plain20 --iterations 300 --batch 32
  resnet-lab analyze .resnet-lab/runs/RUN_ID --lesion
  resnet-lab analyze .resnet-lab/runs/RUN_ID --gradients --batches 8`;

function oneOf<T extends string>(name: string, value: string | undefined, allowed: readonly T[], fallback: T): T {
  if (value === undefined) return fallback;
  if ((allowed as readonly string[]).includes(value)) return value as T;
  throw new UsageError(`--${name} must be one of ${allowed.join(', ')}; got "${value}".`);
}

function customFromFlags(values: Record<string, string | boolean | undefined>): NetworkSpec {
  const str = (k: string) => (typeof values[k] === 'string' ? (values[k] as string) : undefined);
  const blocksText = str('blocks');
  if (!blocksText) throw new UsageError('summary custom needs --blocks, the blocks per stage, e.g. --blocks 3,4,6,3.');
  const stem = oneOf<StemKind>('stem', str('stem'), ['imagenet', 'cifar'], 'imagenet');
  const blocks = blocksText.split(',').map((b) => Number(b.trim()));
  return customSpec({
    blocks,
    baseWidth: wholeNumber('width', str('width'), stem === 'cifar' ? 16 : 64),
    blockType: oneOf<BlockType>('block', str('block'), ['basic', 'bottleneck'], 'basic'),
    stem,
    inputSize: wholeNumber('input', str('input'), stem === 'cifar' ? 32 : 224),
    classes: wholeNumber('classes', str('classes'), stem === 'cifar' ? 10 : 1000),
    residual: values.plain !== true,
    shortcut: str('shortcut') ? parseShortcut(str('shortcut')!) : undefined,
  });
}

function summaryCommand(args: string[], io: CliIo): number {
  const { values, positionals } = parseArgs({
    args,
    allowPositionals: true,
    options: {
      plain: { type: 'boolean' },
      shortcut: { type: 'string' },
      json: { type: 'boolean' },
      level: { type: 'string' },
      blocks: { type: 'string' },
      width: { type: 'string' },
      block: { type: 'string' },
      stem: { type: 'string' },
      input: { type: 'string' },
      classes: { type: 'string' },
    },
  });
  if (positionals.length !== 1) throw new UsageError(positionals.length === 0 ? 'summary needs a MODEL, e.g. resnet-lab summary resnet56.' : `summary takes one MODEL; got ${positionals.join(' ')}.`);
  const level = oneOf<SummaryLevel>('level', values.level, ['layers', 'blocks', 'stages'], 'layers');
  const name = positionals[0];
  const spec =
    name.toLowerCase() === 'custom'
      ? customFromFlags(values)
      : specFromName(name, { plain: values.plain, shortcut: values.shortcut !== undefined ? parseShortcut(values.shortcut) : undefined });
  const report = reportForSpec(spec);
  io.out(values.json ? JSON.stringify(summaryJson(report), null, 2) : summaryText(report, level));
  return 0;
}

function listCommand(args: string[], io: CliIo): number {
  parseArgs({ args, options: {} });
  const models = listModels();
  const width = Math.max(...models.map((m) => m.name.length));
  io.out(models.map((m) => `${m.name.padEnd(width)}  ${m.title.padEnd(12)}  ${m.description}`).join('\n'));
  io.out('\nAlso: resnet-cifar-nN and plain-cifar-nN for any n ≥ 1 (depth 6n+2), and `summary custom` for your own depths and widths.');
  return 0;
}

const COMMANDS: Record<string, (args: string[], io: CliIo) => number | Promise<number>> = {
  list: listCommand,
  summary: summaryCommand,
  train: trainCommand,
  export: exportCommand,
  runs: runsCommand,
  analyze: analyzeCommand,
  study: studyCommand,
  report: reportCommand,
};

/** Runs the CLI and returns its exit code: 0 done, 1 failed, 2 bad usage. */
export async function runCli(argv: string[], io: CliIo): Promise<number> {
  const [command, ...rest] = argv;
  if (!command || command === 'help' || command === '--help' || command === '-h') {
    io.out(USAGE);
    return command ? 0 : 2;
  }
  const handler = COMMANDS[command];
  if (!handler) {
    io.err(`resnet-lab: unknown command "${command}". Valid commands: ${Object.keys(COMMANDS).join(', ')}, help.\n\n${USAGE}`);
    return 2;
  }
  try {
    return await handler(rest, io);
  } catch (error) {
    const usage = error instanceof SpecError || error instanceof UsageError || error instanceof PlanError || (error as { code?: string }).code?.startsWith('ERR_PARSE_ARGS');
    if (usage || error instanceof BackendError) {
      io.err(`resnet-lab ${command}: ${(error as Error).message}\nRun "resnet-lab help" for the usage.`);
      return 2;
    }
    if (error instanceof DataError || error instanceof StudyError || error instanceof RunStoreError || error instanceof RunLockError || error instanceof PythonError || error instanceof JobError) {
      io.err(`resnet-lab ${command}: ${error.message}`);
      return 1;
    }
    io.err(`resnet-lab ${command}: ${(error as Error).stack ?? String(error)}`);
    return 1;
  }
}

/** Entry point of the `resnet-lab` bin: runs with the process's arguments and streams. */
export function main(): void {
  // A closed pipe (e.g. `| head`) is not an error worth a stack trace.
  process.stdout.on('error', (error: NodeJS.ErrnoException) => {
    if (error.code === 'EPIPE') process.exit(0);
    throw error;
  });
  // The progress line rewrites itself on a terminal; elsewhere (a log, CI) it is not printed.
  const progress = process.stderr.isTTY ? (t: string) => process.stderr.write(`\r\x1b[2K${t}`) : undefined;
  runCli(process.argv.slice(2), { out: (t) => process.stdout.write(t + '\n'), err: (t) => process.stderr.write(t + '\n'), progress }).then((code) => {
    process.exitCode = code;
  });
}

if (require.main === module) main();
