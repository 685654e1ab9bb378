// `resnet-lab export`: a planned run, or an existing run folder, as a self-contained folder that
// trains with only Python and PyTorch (one GPU, N GPUs, or N machines under torchrun), and whose
// run folder comes back into a workspace like any run trained here.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { RunFolder, writeFileAtomic } from '../training/runFolder';
import type { RunConfig } from '../training/types';
import { writeJob } from './job';
import { trainerScript } from './python';

export const TRAINER_FILE = 'resnet_lab_trainer.py';

export interface ExportResult {
  folder: string;
  /** The run folder inside it, as the trainer writes it: runs/<run-id>. */
  runFolder: string;
  readme: string;
}

/** Writes the export of `config` into `folder` (which must not exist or be empty); `from` copies a run folder's progress. */
export async function exportRun(config: RunConfig, folder: string, from?: RunFolder): Promise<ExportResult> {
  if (fs.existsSync(folder) && fs.readdirSync(folder).length > 0) throw new Error(`${folder} is not empty: export into a new folder.`);
  fs.mkdirSync(folder, { recursive: true });
  const job = await writeJob(config, folder);
  fs.copyFileSync(trainerScript(), path.join(folder, TRAINER_FILE));
  const runFolder = path.join(folder, 'runs', config.id);
  if (from) fs.cpSync(from.folder, runFolder, { recursive: true });
  const readme = exportReadme(config, job.data.kind === 'cifar10' ? job.data.folder : null, from !== undefined);
  writeFileAtomic(path.join(folder, 'README.md'), readme);
  return { folder, runFolder, readme };
}

function exportReadme(config: RunConfig, cifarFolder: string | null, resumed: boolean): string {
  const run = `runs/${config.id}`;
  const nets = config.nets.map((n) => `${n.title} (--slot ${n.slot})`).join(' and ');
  const data = cifarFolder ? ` --data /path/to/cifar-10-batches-bin` : '';
  const cmd = (launcher: string, slot: string) => `${launcher} ${TRAINER_FILE} train --job . --run ${run} --slot ${slot}${data}`;
  const lines = [
    `# ResNet Lab run ${config.id}`,
    '',
    `${config.nets.map((n) => n.title).join(' vs ')}: ${config.iterations.toLocaleString('en-US')} iterations of global batch ${config.batchSize}, seed ${config.seed}; ${config.schedule.text}.`,
    `Data: ${config.data.description}.`,
    '',
    `This folder trains with Python 3.8+, PyTorch 1.12+ and numpy only (no Node, no ResNet Lab). ${TRAINER_FILE} is ResNet Lab's PyTorch engine; job.json holds the run's config, each net's graph and the data's index lists, and init/ each net's initial weights.`,
    resumed ? `${run} holds the run's progress so far: training continues from its last checkpoint.` : '',
    cifarFolder
      ? `It reads the CIFAR-10 binary files (data_batch_1.bin … test_batch.bin). They were at ${cifarFolder} on the machine that exported it; give their folder on this machine with --data.`
      : 'The synthetic images it trains on are in synthetic.bin.',
    '',
    `Each net trains on its own: ${nets}. Run the command once per slot (one after the other, or at the same time on different GPUs or machines). Stop with Ctrl-C or SIGTERM: it writes a checkpoint, and the same command continues from it.`,
    '',
    '## One GPU (or the CPU)',
    '',
    '```sh',
    ...config.nets.map((n) => cmd('python3', n.slot)),
    '```',
    '',
    '`--device cuda|mps|cpu` picks the device (default: the GPU if there is one), `--amp bf16` trains in mixed precision.',
    '',
    '## N GPUs on one machine (DistributedDataParallel)',
    '',
    `The global batch of ${config.batchSize} is split across the processes, so the recipe is the paper's whatever N is (N must divide ${config.batchSize}). \`--sync-bn\` makes BatchNorm use the statistics of the whole global batch (default: each process's own share, as the paper's multi-GPU training did).`,
    '',
    '```sh',
    ...config.nets.map((n) => cmd('torchrun --standalone --nproc_per_node 4', n.slot)),
    '```',
    '',
    '## N machines',
    '',
    'On each of the N machines (here 2, with 4 GPUs each), with HOST the address of the first one, a free PORT, and this folder (and the data) on each:',
    '',
    '```sh',
    cmd('torchrun --nnodes 2 --nproc_per_node 4 --rdzv_backend c10d --rdzv_endpoint HOST:PORT --rdzv_id ' + config.id, config.nets[0].slot),
    '```',
    '',
    `Rank 0 writes the run folder (${run}): config.json, metrics.jsonl, checkpoints/ and outcome.json. Put it on storage the first machine keeps. A job stopped with SIGTERM or Ctrl-C (to torchrun) writes a checkpoint; the same command continues from it.`,
    '',
    "Debian's python3-torch 1.13 on Python 3.11 has a torchrun bug (`'NoneType' object has no attribute 'get'` at start): add `--redirects 1 --tee 1` to its options there.",
    '',
    '## Bringing the run back',
    '',
    `Copy (or sync) ${run} into the workspace's .resnet-lab/runs/ folder, e.g. \`rsync -a ${run} WORKSPACE/.resnet-lab/runs/\`. "ResNet Lab: Open Run" then shows its curves, overlays and Inspect Blocks, and \`resnet-lab runs\` lists it. While it trains elsewhere, syncing again shows its progress.`,
    '',
  ];
  return lines.filter((line, i) => line !== '' || lines[i - 1] !== '').join('\n').trimEnd() + '\n';
}
