// A run configuration shared by the tests of run folders and their readers.
import type { RunConfig } from '../../core/training/types';

/** A run of ResNet-20 vs plain-20 on synthetic data, for tests of the run folder and what reads it. */
export function testRunConfig(id: string, changes: Partial<RunConfig> = {}): RunConfig {
  return {
    version: 1,
    id,
    createdAt: new Date(0).toISOString(),
    nets: [
      { slot: 'a', request: { kind: 'named', name: 'resnet20' }, title: 'ResNet-20' },
      { slot: 'b', request: { kind: 'named', name: 'resnet20', plain: true }, title: 'plain-20' },
    ],
    data: { kind: 'synthetic', trainSize: 500, testSize: 100, description: 'synthetic shapes' },
    iterations: 100,
    batchSize: 32,
    seed: 1,
    backend: 'auto',
    schedule: { baseLr: 0.1, milestones: [{ step: 0, lr: 0.1 }], text: 'lr 0.1' },
    weightDecay: 1e-4,
    momentum: 0.9,
    logEvery: 10,
    evalEvery: 20,
    checkpointEvery: 20,
    ...changes,
  };
}
