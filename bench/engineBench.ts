// `npm run bench`: the graph-cost figures, then training and inference speed of ResNet-20 and
// ResNet-56 at batch 32 and 128 on every TF.js backend that starts here and on the product's
// PyTorch engine (training only), against the same models in plain PyTorch
// (bench/torch_reference.py: the trainer's build_model in a bare loop) in the same run. Each
// measurement runs in its own child process, so its peak RSS is its own. Figures: images/s
// (median step after warm-up), ratio to plain PyTorch, GFLOP/s (2 FLOPs per multiply-add of
// core/costs.ts; a training step counted as 3× the forward), peak RSS in MiB; for the PyTorch
// engine also its overhead against plain PyTorch.
//
// The PyTorch engine (backend `pytorch`) trains through the product's own path: a job folder
// written by exportRun (synthetic data, logEvery 1, iterations = warm-up + steps), its
// resnet_lab_trainer.py run standalone (`train --device cpu --threads <cores>`) by
// bench/trainer_speed.py, which reads the images/s of each step from metrics.jsonl.
//
// Flags: --model resnet20,resnet56  --batch 32,128  --backend wasm,pytorch,cpu,…  --mode train,infer
//        --steps N (timed steps, default 5)  --warmup N (default 2)  --min-seconds S (default 3)
//        --repeat N (plain PyTorch and every backend measured N times each, taking turns;
//        medians)  --quick (resnet20 only, 3 steps, 1 warm-up, 0 s)  --no-torch  --no-graph
//        --json FILE
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import * as os from 'node:os';
import * as path from 'node:path';
import { computeCosts } from '../core/costs';
import { buildGraph } from '../core/graph';
import { specFromName } from '../core/spec';
import { BACKEND_ORDER, BackendKind } from '../core/engine/backend';
import { exportRun } from '../core/pytorch/export';
import { planRun } from '../core/training/plan';
import { benchGraphCosts } from './graphCosts';

export interface BenchRow {
  /** cpuDescription(): the CPU the row was measured on. */
  cpu: string;
  model: string;
  batch: number;
  backend: string;
  mode: 'train' | 'infer';
  imagesPerSec: number | null;
  torchImagesPerSec: number | null;
  ratio: number | null;
  gflops: number | null;
  peakRssMiB: number | null;
  /** The PyTorch engine's row: its time per image over plain PyTorch's, in % (+5: 5% slower). */
  overheadPct?: number | null;
  /** Why the row has no figures (a backend that could not start, PyTorch missing…). */
  error?: string;
}

/** `pytorch`: the product's PyTorch engine (core/pytorch/, python/resnet_lab_trainer.py). */
type BenchBackend = BackendKind | 'pytorch';
const BENCH_BACKENDS: readonly BenchBackend[] = [...BACKEND_ORDER, 'pytorch'];
/** The plain PyTorch reference's row. */
const REFERENCE = 'torch-ref';

interface Options {
  models: string[];
  batches: number[];
  backends: BenchBackend[];
  modes: Array<'train' | 'infer'>;
  steps: number;
  warmup: number;
  minSeconds: number;
  repeat: number;
  torch: boolean;
  graph: boolean;
  json: string | null;
}

function parseArgs(argv: string[]): Options {
  const o: Options = { models: ['resnet20', 'resnet56'], batches: [32, 128], backends: [], modes: ['train', 'infer'], steps: 5, warmup: 2, minSeconds: 3, repeat: 1, torch: true, graph: true, json: null };
  let backendsGiven = false;
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const value = () => {
      const v = argv[++i];
      if (v === undefined) throw new Error(`${a} needs a value`);
      return v;
    };
    if (a === '--model') o.models = value().split(',');
    else if (a === '--batch') o.batches = value().split(',').map(Number);
    else if (a === '--backend') {
      o.backends = value().split(',') as BenchBackend[];
      backendsGiven = true;
      for (const b of o.backends) if (!BENCH_BACKENDS.includes(b)) throw new Error(`unknown backend ${b}; valid: ${BENCH_BACKENDS.join(', ')}`);
    } else if (a === '--mode') o.modes = value().split(',') as Options['modes'];
    else if (a === '--steps') o.steps = Number(value());
    else if (a === '--warmup') o.warmup = Number(value());
    else if (a === '--min-seconds') o.minSeconds = Number(value());
    else if (a === '--repeat') o.repeat = Math.max(1, Number(value()));
    else if (a === '--quick') {
      o.models = ['resnet20'];
      o.steps = 3;
      o.warmup = 1;
      o.minSeconds = 0;
    } else if (a === '--no-torch') o.torch = false;
    else if (a === '--no-graph') o.graph = false;
    else if (a === '--json') o.json = value();
    else throw new Error(`unknown flag ${a}`);
  }
  // The pure-JS cpu backend takes minutes per step of ResNet-56 at batch 128: only on request.
  if (!backendsGiven) o.backends = BENCH_BACKENDS.filter((b) => b !== 'cpu');
  return o;
}

const runtimeRequire = createRequire(__filename);
const NODE_PACKAGES: Partial<Record<BackendKind, string>> = { 'tensorflow-gpu': '@tensorflow/tfjs-node-gpu', tensorflow: '@tensorflow/tfjs-node' };

/** Why a backend cannot be benched here, or null when it may start. */
function unavailable(kind: BenchBackend, torchProblem: string | null): string | null {
  if (kind === 'pytorch') return torchProblem && !torchProblem.startsWith('skipped') ? torchProblem : null;
  const pkg = NODE_PACKAGES[kind];
  if (!pkg) return null;
  try {
    runtimeRequire.resolve(pkg);
    return null;
  } catch {
    return `${pkg} not installed`;
  }
}

const PYTHON = '/usr/bin/python3';

/** Makes Debian's python3-torch available (apt-get when missing); returns null or why not. */
function ensureTorch(): string | null {
  const probe = () => spawnSync(PYTHON, ['-c', 'import torch'], { encoding: 'utf8' });
  if (!existsSync(PYTHON)) return `${PYTHON} not found (Debian's python3 and python3-torch are needed)`;
  if (probe().status === 0) return null;
  console.log('PyTorch missing: apt-get install -y python3-torch …');
  if (process.getuid?.() !== 0) return 'python3-torch is not installed and this is not root (run: sudo apt-get install -y python3-torch)';
  const r = spawnSync('apt-get', ['install', '-y', 'python3-torch'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
  if (r.error) return `apt-get could not run: ${r.error.message}`;
  if (r.status !== 0) return `apt-get install python3-torch failed (exit ${r.status}): ${(r.stderr || r.stdout).trim().split('\n').slice(-2).join(' ')}`;
  const after = probe();
  return after.status === 0 ? null : `python3-torch installed but "import torch" fails: ${after.stderr.trim().split('\n').pop()}`;
}

interface ChildResult {
  imagesPerSec?: number;
  stepMs?: number;
  peakRssMiB?: number;
  error?: string;
}

function parseChild(stdout: string, stderr: string, status: number | null): ChildResult {
  const line = stdout.trim().split('\n').filter((l) => l.startsWith('{')).pop();
  if (line) return JSON.parse(line) as ChildResult;
  return { error: `exit ${status}: ${(stderr || stdout).trim().split('\n').slice(-3).join(' ')}` };
}

function runNode(model: string, batch: number, backend: BackendKind, mode: string, o: Options): ChildResult {
  const r = spawnSync(process.execPath, [path.join(__dirname, 'engineChild.js'), model, String(batch), backend, mode, String(o.steps), String(o.warmup), String(o.minSeconds)], { encoding: 'utf8', maxBuffer: 1 << 24 });
  return parseChild(r.stdout, r.stderr, r.status);
}

const BENCH_SOURCE = path.join(__dirname, '..', '..', 'bench');

function runTorch(graphFile: string, batch: number, mode: string, o: Options): ChildResult {
  const r = spawnSync(PYTHON, [path.join(BENCH_SOURCE, 'torch_reference.py'), graphFile, '--batch', String(batch), '--mode', mode, '--steps', String(o.steps), '--warmup', String(o.warmup), '--min-seconds', String(o.minSeconds), '--threads', String(os.cpus().length)], { encoding: 'utf8', maxBuffer: 1 << 24 });
  return parseChild(r.stdout, r.stderr, r.status);
}

/**
 * The job folder the PyTorch engine trains in the bench, written by the product's export: the
 * net alone on synthetic data (the default 5,000 training images), one train point logged per
 * step (its images/s), evaluation and the checkpoint only after the last of `iterations` steps.
 */
async function exportBenchJob(model: string, batch: number, iterations: number, folder: string): Promise<string> {
  const config = planRun({ nets: [{ kind: 'named', name: model }], data: { kind: 'synthetic', testSize: 10 }, iterations, batchSize: batch, backend: 'pytorch' });
  const job = { ...config, logEvery: 1, evalEvery: iterations, checkpointEvery: iterations };
  await exportRun(job, folder);
  return folder;
}

/** The PyTorch engine trains the job standalone in its own process (bench/trainer_speed.py); warm-up steps are left out. */
function runEngine(jobFolder: string, o: Options): ChildResult {
  const r = spawnSync(PYTHON, [path.join(BENCH_SOURCE, 'trainer_speed.py'), jobFolder, '--device', 'cpu', '--threads', String(os.cpus().length), '--skip', String(o.warmup)], { encoding: 'utf8', maxBuffer: 1 << 24 });
  return parseChild(r.stdout, r.stderr, r.status);
}

const median = (values: number[]) => {
  const s = [...values].sort((a, b) => a - b);
  return s.length === 0 ? null : s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};

/** One figure of several alternating runs: the medians, or the last error when none ran. */
function medianResult(results: ChildResult[]): ChildResult {
  const ok = results.filter((r) => r.imagesPerSec !== undefined);
  if (ok.length === 0) return results[results.length - 1] ?? { error: 'not run' };
  const ips = median(ok.map((r) => r.imagesPerSec!))!;
  return { imagesPerSec: ips, stepMs: median(ok.map((r) => r.stepMs ?? NaN)) ?? undefined, peakRssMiB: median(ok.map((r) => r.peakRssMiB ?? 0)) ?? undefined };
}

const fmt = (v: number | null, digits = 1) => (v === null ? '—' : v.toFixed(digits));

/**
 * The CPU and its widest vector instructions, e.g. "AMD EPYC (x86 family 26 model 2, AVX-512)":
 * the ratios depend on them (PyTorch's oneDNN uses the widest, WebAssembly SIMD is 128-bit), and
 * machines of one kind differ between runs.
 */
function cpuDescription(): string {
  let info = '';
  try {
    info = readFileSync('/proc/cpuinfo', 'utf8');
  } catch {
    return os.cpus()[0]?.model ?? 'unknown CPU';
  }
  const field = (name: string) => new RegExp(`^${name}\\s*: (.*)$`, 'm').exec(info)?.[1].trim();
  const flags = new Set((field('flags') ?? '').split(' '));
  const widest = flags.has('avx512f') ? 'AVX-512' : flags.has('avx2') ? 'AVX2' : flags.has('sse4_1') ? 'SSE4.1' : null;
  const family = field('cpu family');
  const details = [family !== undefined ? `x86 family ${family} model ${field('model')}` : null, widest].filter((d) => d !== null);
  const name = field('model name') ?? os.cpus()[0]?.model ?? 'unknown CPU';
  return details.length ? `${name} (${details.join(', ')})` : name;
}

export async function runEngineBench(o: Options): Promise<BenchRow[]> {
  const rows: BenchRow[] = [];
  const cpu = cpuDescription();
  console.log(`\nEngine speed — ${cpu}, ${os.cpus().length} cores, Node ${process.version}; median of ≥${o.steps} steps after ${o.warmup} warm-up, each in its own process`);
  const torchProblem = o.torch ? ensureTorch() : 'skipped (--no-torch)';
  if (torchProblem) console.log(`PyTorch reference: ${torchProblem}; ratios are left out.`);
  // The PyTorch engine needs the same Python and torch even when the reference is skipped.
  const engineProblem = o.backends.includes('pytorch') && torchProblem?.startsWith('skipped') ? ensureTorch() : torchProblem;
  const backends: BenchBackend[] = [];
  for (const b of o.backends) {
    const why = unavailable(b, engineProblem);
    if (why) console.log(`backend ${b}: skipped, ${why}`);
    else backends.push(b);
  }
  if (!o.backends.includes('pytorch')) console.log('backend pytorch (the PyTorch engine): not asked for; --backend pytorch to include it');
  if (!o.backends.includes('cpu')) console.log('backend cpu: skipped by default (pure JS, minutes per step); --backend cpu to include it');
  const tmp = mkdtempSync(path.join(os.tmpdir(), 'resnetlab-bench-'));
  try {
    for (const model of o.models) {
      const graph = buildGraph(specFromName(model));
      const madds = computeCosts(graph).total.flops;
      const graphFile = path.join(tmp, `${model}.json`);
      writeFileSync(graphFile, JSON.stringify(graph));
      for (const batch of o.batches) {
        console.log(`\n${graph.spec.title}, batch ${batch} (${(madds / 1e6).toFixed(1)} M multiply-adds an image)`);
        console.log(`  ${'backend'.padEnd(10)} ${'mode'.padEnd(6)} ${'img/s'.padStart(8)} ${'×PyTorch'.padStart(9)} ${'GFLOP/s'.padStart(8)} ${'RSS MiB'.padStart(8)} ${'RSS ×PT'.padStart(8)}`);
        for (const mode of o.modes) {
          const gflopsOf = (ips: number | null) => (ips === null ? null : (ips * madds * 2 * (mode === 'train' ? 3 : 1)) / 1e9);
          // Plain PyTorch, the PyTorch engine (training only) and each TF.js backend take turns,
          // --repeat rounds: a busy spell of the machine then falls on all of them alike.
          const engine = mode === 'train' && backends.includes('pytorch');
          const nodeBackends = backends.filter((b): b is BackendKind => b !== 'pytorch');
          const torchRuns: ChildResult[] = [];
          const engineRuns: ChildResult[] = [];
          const nodeRuns = new Map<BackendKind, ChildResult[]>(nodeBackends.map((b) => [b, []]));
          let jobFolder: string | null = null;
          for (let rep = 0; rep < o.repeat; rep++) {
            if (!torchProblem) torchRuns.push(runTorch(graphFile, batch, mode, o));
            if (engine) {
              if (!jobFolder) {
                // As many steps as plain PyTorch timed (≥ --steps, ≥ --min-seconds), after the warm-up.
                const refMs = torchRuns[0]?.stepMs;
                const steps = Math.max(o.steps, refMs ? Math.ceil((o.minSeconds * 1000) / refMs) : 0);
                jobFolder = await exportBenchJob(model, batch, o.warmup + steps, path.join(tmp, `job-${model}-${batch}`));
              }
              engineRuns.push(runEngine(jobFolder, o));
            }
            for (const backend of nodeBackends) nodeRuns.get(backend)!.push(runNode(model, batch, backend, mode, o));
          }
          const torch = torchProblem ? { error: torchProblem } : medianResult(torchRuns);
          const tIps = torch.imagesPerSec ?? null;
          const tRss = torch.peakRssMiB ?? null;
          const print = (r: BenchRow, runs: ChildResult[]) => {
            const rssRatio = r.peakRssMiB !== null && tRss !== null ? r.peakRssMiB / tRss : null;
            const tail = r.error ? `  (${r.error})` : '';
            console.log(`  ${r.backend.padEnd(10)} ${mode.padEnd(6)} ${fmt(r.imagesPerSec).padStart(8)} ${fmt(r.ratio, 3).padStart(9)} ${fmt(r.gflops).padStart(8)} ${fmt(r.peakRssMiB, 0).padStart(8)} ${fmt(rssRatio, 2).padStart(8)}${tail}`);
            if (o.repeat > 1) console.log(`  ${''.padEnd(10)} ${''.padEnd(6)} each run: ${runs.map((e) => fmt(e.imagesPerSec ?? null)).join(', ')}`);
            for (const failed of runs.filter((e) => e.error && r.imagesPerSec !== null)) console.log(`  (a run failed: ${failed.error})`);
          };
          const row = (backend: string, r: ChildResult): BenchRow => {
            const ips = r.imagesPerSec ?? null;
            return { cpu, model, batch, backend, mode, imagesPerSec: ips, torchImagesPerSec: tIps, ratio: ips !== null && tIps !== null ? ips / tIps : null, gflops: gflopsOf(ips), peakRssMiB: r.peakRssMiB ?? null, ...(r.error ? { error: r.error } : {}) };
          };
          if (!torchProblem) {
            const torchRow = row(REFERENCE, torch);
            rows.push(torchRow);
            print(torchRow, torchRuns);
          }
          if (engine) {
            const engineRow = row('pytorch', medianResult(engineRuns));
            const ips = engineRow.imagesPerSec;
            const overheadPct = ips !== null && tIps !== null ? (tIps / ips - 1) * 100 : null;
            engineRow.overheadPct = overheadPct;
            rows.push(engineRow);
            print(engineRow, engineRuns);
            if (overheadPct !== null) console.log(`  PyTorch engine overhead: ${fmt(ips)} img/s vs plain PyTorch ${fmt(tIps)} img/s = ${overheadPct >= 0 ? '+' : ''}${overheadPct.toFixed(1)}% time an image (goal ≤ 10%)`);
          }
          for (const backend of nodeBackends) {
            const runs = nodeRuns.get(backend)!;
            const backendRow = row(backend, medianResult(runs));
            rows.push(backendRow);
            print(backendRow, runs);
          }
        }
      }
    }
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
  return rows;
}

async function main(): Promise<void> {
  const o = parseArgs(process.argv.slice(2));
  if (o.graph) {
    console.log('Graph IR + costs (median of 15 runs)');
    for (const row of benchGraphCosts()) {
      console.log(`${row.model.padEnd(11)} ${String(row.layers).padStart(5)} layers  ${row.ms.toFixed(2).padStart(7)} ms  time per layer ×${row.perLayerRatio.toFixed(2)} of resnet110's`);
    }
  }
  const rows = await runEngineBench(o);
  if (o.json) {
    writeFileSync(o.json, JSON.stringify(rows, null, 2) + '\n');
    console.log(`\nWrote ${rows.length} rows to ${o.json}`);
  }
}

if (require.main === module) {
  main().catch((error: unknown) => {
    console.error(error instanceof Error ? error.message : error);
    process.exit(1);
  });
}
