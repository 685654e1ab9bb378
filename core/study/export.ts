// `resnet-lab study export`: one torchrun job per run of the study (core/pytorch/export.ts's
// folder, each with its own README), plus run-all.sh that trains them one after another on a
// GPU machine or a cluster node, and a README that says how to bring the runs back.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { exportRun, TRAINER_FILE } from '../pytorch/export';
import { writeFileAtomic } from '../training/runFolder';
import type { Study } from './studyFile';
import type { StudyRun } from './studyRuns';

export const RUN_ALL_FILE = 'run-all.sh';

export interface StudyExport {
  folder: string;
  /** Each run's export folder, in the order run-all.sh trains them. */
  runs: Array<{ id: string; folder: string; slots: string[] }>;
  script: string;
}

/** Writes the study's runs' jobs into `folder` (new or empty). */
export async function exportStudy(study: Study, runs: StudyRun[], folder: string, onRun?: (id: string, i: number) => void): Promise<StudyExport> {
  if (fs.existsSync(folder) && fs.readdirSync(folder).length > 0) throw new Error(`${folder} is not empty: export into a new folder.`);
  fs.mkdirSync(folder, { recursive: true });
  const exported: StudyExport['runs'] = [];
  for (const [i, run] of runs.entries()) {
    onRun?.(run.id, i);
    const result = await exportRun(run.config, path.join(folder, run.id));
    exported.push({ id: run.id, folder: result.folder, slots: run.config.nets.map((n) => n.slot) });
  }
  const cifar = study.data.kind === 'cifar10';
  const script = [
    '#!/usr/bin/env bash',
    `# Trains every run of the study "${study.name}" (${study.title}), one job after the other, each net`,
    '# under torchrun. A job stopped (Ctrl-C, SIGTERM, a crash) continues from its checkpoint when this',
    '# script runs again; a finished one ends at once.',
    '#   NPROC=4 (processes per net: GPUs on this machine; default 1)',
    '#   PYTHON=python3 (any Python: it picks a free port for each job\'s rendezvous)',
    cifar ? '#   DATA=/path/to/cifar-10-batches-bin (required: the CIFAR-10 binary files on this machine)' : '#   (the synthetic images are in each job folder)',
    "#   TORCHRUN_ARGS='--redirects 1 --tee 1' (Debian's torch 1.13 on Python 3.11 needs these)",
    '#   ONLY=RUN_ID (train one run only)',
    'set -euo pipefail',
    'cd "$(dirname "$0")"',
    'NPROC="${NPROC:-1}"',
    'TORCHRUN="${TORCHRUN:-torchrun}"',
    cifar ? ': "${DATA:?set DATA to the folder of the CIFAR-10 binary files (data_batch_1.bin … test_batch.bin)}"' : '',
    // What --standalone sets up, on a free port: torch 1.13's --standalone always takes port 29400,
    // where two torchruns on one machine (one ending, another user's) join each other's store.
    'free_port() { "${PYTHON:-python3}" -c \'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])\'; }',
    'train() {',
    '  local run="$1" slot="$2"',
    '  if [ -n "${ONLY:-}" ] && [ "$ONLY" != "$run" ]; then return 0; fi',
    '  echo "== $run, net $slot"',
    `  (cd "$run" && $TORCHRUN \${TORCHRUN_ARGS:-} --nnodes 1 --nproc_per_node "$NPROC" --rdzv_backend c10d --rdzv_endpoint "127.0.0.1:$(free_port)" --rdzv_id "$run-$slot" ${TRAINER_FILE} train --job . --run "runs/$run" --slot "$slot"${cifar ? ' --data "$DATA"' : ''} \${TRAINER_ARGS:-})`,
    '}',
    ...exported.flatMap((r) => r.slots.map((slot) => `train ${r.id} ${slot}`)),
    'echo "All runs trained. Bring them back: rsync -a */runs/* WORKSPACE/.resnet-lab/runs/"',
    '',
  ]
    .filter((line) => line !== '')
    .join('\n');
  const scriptFile = path.join(folder, RUN_ALL_FILE);
  writeFileAtomic(scriptFile, script + '\n');
  fs.chmodSync(scriptFile, 0o755);
  const readme = [
    `# ResNet Lab study ${study.name}: ${study.title}`,
    '',
    `${runs.length} run(s): ${study.depths.join(', ')} layers × ${study.nets.join(' and ')} × seeds ${study.seeds.join(', ')}; ${runs[0].config.iterations.toLocaleString('en-US')} iterations of batch ${study.budget.batch}; ${runs[0].config.data.description}.`,
    '',
    `Each folder is one run exported as by \`resnet-lab export\` (its README has the commands for 1 GPU, N GPUs and N machines). \`${RUN_ALL_FILE}\` trains them all, one after the other:`,
    '',
    '```sh',
    `${cifar ? 'DATA=/path/to/cifar-10-batches-bin ' : ''}NPROC=1 bash ${RUN_ALL_FILE}      # NPROC=4 on a 4-GPU machine; ONLY=RUN_ID for one run`,
    '```',
    '',
    'Then copy the run folders into the workspace that holds the study file, and make the report there:',
    '',
    '```sh',
    'rsync -a */runs/* WORKSPACE/.resnet-lab/runs/',
    `resnet-lab report WORKSPACE/.resnet-lab/studies/${study.name}.json --md report.md`,
    '```',
    '',
  ].join('\n');
  writeFileAtomic(path.join(folder, 'README.md'), readme);
  return { folder, runs: exported, script: scriptFile };
}
