// What the charts draw of the stored runs: the shown series, their training curves smoothed
// (the logged ones faint behind), and runs that differ only in their seed as mean ± std bands.
import type { RunEntry, Series } from './curveStore';
import { bandPoints, SeedGroup, seedGroups } from './seedBands';
import { smoothPoints } from './smoothing';

export interface CurveViewOptions {
  /** The moving average's weight w, 0 (off) to 0.99. */
  smoothing: number;
  /** Draw seed groups as mean ± std bands instead of one curve per run. */
  bands: boolean;
  hidden: ReadonlySet<string>;
}

export interface CurveView {
  /** Drawn in full: test curves as logged, training curves smoothed, band means (with `spread`). */
  lines: Series[];
  /** Drawn faint behind: the training curves as logged, when they are smoothed. */
  raw: Series[];
  /** Runs that differ only in their seed (two or more each). */
  groups: SeedGroup[];
}

/** Derived series are recomputed only when what they come from changes. */
const derived = new Map<string, { signature: string; series: Series }>();
let derivedVersion = 0;

function cached(key: string, signature: string, make: () => Omit<Series, 'version'>): Series {
  const found = derived.get(key);
  if (found?.signature === signature) return found.series;
  const series = { ...make(), version: ++derivedVersion };
  derived.set(key, { signature, series });
  return series;
}

/** Only the training curves are smoothed: test points are whole evaluations, not mini-batch estimates. */
const smoothed = (s: Series, weight: number): boolean => weight > 0 && s.split === 'train';

function smoothedSeries(s: Series, weight: number): Series {
  return cached(`smooth:${s.key}`, `${s.version}|${weight}`, () => ({ ...s, points: smoothPoints(s.points, weight) }));
}

export function curveView(runs: readonly RunEntry[], { smoothing, bands, hidden }: CurveViewOptions): CurveView {
  const groups = seedGroups(runs);
  const banded = new Set(bands ? groups.flatMap((g) => g.runs) : []);
  const lines: Series[] = [];
  const raw: Series[] = [];
  for (const run of runs) {
    if (banded.has(run)) continue;
    for (const s of run.series) {
      if (hidden.has(s.key)) continue;
      if (smoothed(s, smoothing)) {
        lines.push(smoothedSeries(s, smoothing));
        raw.push(s);
      } else lines.push(s);
    }
  }
  if (bands) {
    for (const group of groups) {
      const [first] = group.runs;
      for (const template of first.series) {
        const members = group.runs
          .map((run) => run.series.find((s) => s.slot === template.slot && s.split === template.split))
          .filter((s): s is Series => s !== undefined && !hidden.has(s.key));
        if (members.length === 0) continue;
        const signature = `${members.map((s) => `${s.key}@${s.version}`).join(',')}|${smoothing}`;
        lines.push(
          cached(`band:${template.key}`, signature, () => ({
            ...template,
            key: `band:${template.key}`,
            runIndex: Math.min(...group.runs.map((run) => run.series[0]?.runIndex ?? 0)),
            points: bandPoints(members.map((s) => (smoothed(s, smoothing) ? smoothedSeries(s, smoothing).points : s.points))),
            seeds: members.map((s) => runs.find((run) => run.config.id === s.runId)!.config.seed),
          })),
        );
      }
    }
  }
  return { lines, raw, groups };
}
