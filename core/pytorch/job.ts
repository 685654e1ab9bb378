// The job folder the PyTorch trainer (python/resnet_lab_trainer.py) trains from: job.json with
// the run's config, each net's graph IR and the data (CIFAR-10 index lists, or the embedded
// synthetic set beside it in synthetic.bin), and each net's initial weights in init/<slot>/
// (the TF.js engine's own initialisation, in the checkpoint format). Written the same way for
// a run trained here and for one exported to another machine.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { initialWeights } from '../engine/model';
import { buildGraph, NetworkGraph } from '../graph';
import { specFromRequest } from '../spec';
import { loadRunData, RunData } from '../training/runData';
import { RunFolder, writeFileAtomic } from '../training/runFolder';
import type { NetPlan, RunConfig } from '../training/types';

export const JOB_FORMAT = 'resnet-lab-job';
const JOB_FILE = 'job.json';
const SYNTHETIC_FILE = 'synthetic.bin';

/** The run's job could not be written (its data could not be read, …); the message says why. */
export class JobError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'JobError';
  }
}

export type JobData =
  | { kind: 'cifar10'; folder: string; trainIndices: number[]; testIndices: number[]; description: string }
  /** synthetic.bin: train pixels, train labels, test pixels, test labels (bytes, NHWC). */
  | { kind: 'synthetic'; file: string; shape: [number, number, number]; trainCount: number; testCount: number; description: string };

export interface Job {
  format: typeof JOB_FORMAT;
  version: 1;
  config: RunConfig;
  graphs: Partial<Record<NetPlan['slot'], NetworkGraph>>;
  data: JobData;
}

/** Writes the job of `config` into `folder` (created), loading the run's data once to fix its images. */
export async function writeJob(config: RunConfig, folder: string, data?: RunData): Promise<Job> {
  const runData = data ?? (await loadRunData(config.data, config.seed));
  fs.mkdirSync(folder, { recursive: true });
  const graphs: Job['graphs'] = {};
  for (const net of config.nets) {
    const graph = buildGraph(specFromRequest(net.request));
    graphs[net.slot] = graph;
    // The initial weights as a step-0 checkpoint of a scratch run folder: init/<slot>/.
    const init = path.join(folder, 'init', net.slot);
    const scratch = new RunFolder(path.join(folder, '.init'));
    const written = scratch.writeCheckpoint(net.slot, 0, initialWeights(graph, config.seed));
    fs.rmSync(init, { recursive: true, force: true });
    fs.mkdirSync(path.dirname(init), { recursive: true });
    fs.renameSync(written.folder, init);
    fs.rmSync(scratch.folder, { recursive: true, force: true });
  }
  const job: Job = { format: JOB_FORMAT, version: 1, config, graphs, data: jobData(runData, folder) };
  writeFileAtomic(path.join(folder, JOB_FILE), JSON.stringify(job) + '\n');
  return job;
}

function jobData(data: RunData, folder: string): JobData {
  if (data.cifar10) {
    const { folder: cifar, trainIndices, testIndices } = data.cifar10;
    return { kind: 'cifar10', folder: cifar, trainIndices: Array.from(trainIndices), testIndices: Array.from(testIndices), description: data.description };
  }
  const { train, test } = data;
  const bytes = Buffer.concat([train.images, train.labels, test.images, test.labels]);
  writeFileAtomic(path.join(folder, SYNTHETIC_FILE), bytes);
  return { kind: 'synthetic', file: SYNTHETIC_FILE, shape: [train.height, train.width, train.channels], trainCount: train.count, testCount: test.count, description: data.description };
}
