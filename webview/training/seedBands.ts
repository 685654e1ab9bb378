// Runs that differ only in their seed, drawn as one mean curve with a ± standard deviation band.
import type { RunConfig } from '../../core/training/types';
import type { CurvePoint, RunEntry } from './curveStore';

/** Runs whose configurations are the same but for id, creation time, seed and data folder. */
export interface SeedGroup {
  runs: RunEntry[];
  seeds: number[];
}

/** What a run's curves depend on: the configuration without what tells seeds apart. */
function experimentOf(config: RunConfig): string {
  const { id: _id, createdAt: _createdAt, seed: _seed, data, ...rest } = config;
  const { location: _location, ...dataRest } = data;
  return JSON.stringify({ ...rest, data: dataRest });
}

/** The groups of two or more runs that differ only in their seed, in the order of their first run. */
export function seedGroups(runs: readonly RunEntry[]): SeedGroup[] {
  const byExperiment = new Map<string, RunEntry[]>();
  for (const run of runs) {
    const key = experimentOf(run.config);
    byExperiment.set(key, [...(byExperiment.get(key) ?? []), run]);
  }
  return [...byExperiment.values()].filter((group) => group.length > 1).map((group) => ({ runs: group, seeds: group.map((run) => run.config.seed) }));
}

/** Sample standard deviation (n − 1); 0 for a single value. */
function std(values: readonly number[], mean: number): number {
  if (values.length < 2) return 0;
  let sum = 0;
  for (const v of values) sum += (v - mean) ** 2;
  return Math.sqrt(sum / (values.length - 1));
}

/**
 * The mean and the sample standard deviation across curves at every step any of them logged;
 * `spread.runs` says how many curves logged that step (a live run may be behind the others).
 * Non-finite values are left out of the mean.
 */
export function bandPoints(curves: ReadonlyArray<readonly CurvePoint[]>): CurvePoint[] {
  const byStep = new Map<number, CurvePoint[]>();
  for (const points of curves) {
    for (const point of points) {
      const at = byStep.get(point.step);
      if (at) at.push(point);
      else byStep.set(point.step, [point]);
    }
  }
  const stat = (values: number[]) => {
    const finite = values.filter(Number.isFinite);
    if (finite.length === 0) return { mean: Number.NaN, std: Number.NaN };
    const mean = finite.reduce((a, b) => a + b, 0) / finite.length;
    return { mean, std: std(finite, mean) };
  };
  return [...byStep.entries()]
    .sort((a, b) => a[0] - b[0])
    .map(([step, points]) => {
      const error = stat(points.map((p) => p.error));
      const loss = stat(points.map((p) => p.loss));
      return { step, error: error.mean, loss: loss.mean, lr: points[0].lr, spread: { error: error.std, loss: loss.std, runs: points.length } };
    });
}
