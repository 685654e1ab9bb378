// `npm run bench:gpu-prepare`: the folder bench/gpu_bench.py needs on a GPU machine that has
// Python and PyTorch but no Node. The product's own export (exportRun) writes one job folder per
// net, ResNet-20 and ResNet-56 at batch 128 on synthetic data (5,000 training images, so both
// stay small: ~40 MiB together), with the logging cadence of the paper's 64,000-iteration run
// (a train point, and so a host sync, every 50 steps) and evaluation and the checkpoint only
// after the last step. The benchmark scripts are copied beside them, so the folder runs alone.
//
// Usage: node out/bench/gpuPrepare.js [--to DIR] (default bench/gpu-jobs, gitignored)
import * as fs from 'node:fs';
import * as path from 'node:path';
import { exportRun } from '../core/pytorch/export';
import { planRun } from '../core/training/plan';

/** The nets and the steps each trains on the GPU (a few seconds each on a recent GPU). */
export const GPU_JOBS = [
  { model: 'resnet20', iterations: 2000 },
  { model: 'resnet56', iterations: 1000 },
] as const;
export const GPU_BATCH = 128;
const PAPER_ITERATIONS = 64_000;
const SCRIPTS = ['gpu_bench.py', 'trainer_speed.py', 'torch_reference.py', 'engine_profile.py', 'gpu-bench.sh'];

export async function prepareGpuJobs(to: string): Promise<string[]> {
  fs.rmSync(to, { recursive: true, force: true });
  fs.mkdirSync(to, { recursive: true });
  const written: string[] = [];
  for (const { model, iterations } of GPU_JOBS) {
    const nets = [{ kind: 'named' as const, name: model }];
    const data = { kind: 'synthetic' as const, trainSize: 5000, testSize: 1000 };
    // The logging cadence of the paper's run (planRun: every 50 steps at 64k iterations).
    const { logEvery } = planRun({ nets, data, iterations: PAPER_ITERATIONS, batchSize: GPU_BATCH, backend: 'pytorch' });
    const config = planRun({ nets, data, iterations, batchSize: GPU_BATCH, backend: 'pytorch' });
    const folder = path.join(to, `${model}-b${GPU_BATCH}`);
    await exportRun({ ...config, logEvery, evalEvery: iterations, checkpointEvery: iterations }, folder);
    written.push(folder);
  }
  const source = path.join(__dirname, '..', '..', 'bench');
  for (const file of SCRIPTS) fs.copyFileSync(path.join(source, file), path.join(to, file));
  return written;
}

function folderBytes(folder: string): number {
  let total = 0;
  for (const entry of fs.readdirSync(folder, { withFileTypes: true })) {
    const file = path.join(folder, entry.name);
    total += entry.isDirectory() ? folderBytes(file) : fs.statSync(file).size;
  }
  return total;
}

async function main(): Promise<void> {
  const args = process.argv.slice(2);
  const at = args.indexOf('--to');
  const to = path.resolve(at >= 0 && args[at + 1] ? args[at + 1] : path.join(__dirname, '..', '..', 'bench', 'gpu-jobs'));
  const jobs = await prepareGpuJobs(to);
  const mib = folderBytes(to) / 2 ** 20;
  console.log(`Wrote ${jobs.map((j) => path.basename(j)).join(', ')} and the bench scripts to ${to} (${mib.toFixed(1)} MiB).`);
  console.log(`On the GPU machine (Python + PyTorch, no Node): copy that folder, then: python3 ${path.basename(to)}/gpu_bench.py`);
  console.log(`(or, in a checkout with it at bench/gpu-jobs: bash bench/gpu-bench.sh). fp32 then bf16 autocast; --help for the flags.`);
}

if (require.main === module) {
  main().catch((error: unknown) => {
    console.error(error instanceof Error ? error.message : error);
    process.exit(1);
  });
}
