// The loss axis's range without the far outliers (e.g. a test loss of 9,569,934 from an
// evaluation whose BatchNorm statistics had not settled), which are marked at its edge instead.

export interface RobustRange {
  /** The lowest and highest value kept (undefined when there is none). */
  extent: [number, number] | undefined;
  /** A value off the axis: drawn as a mark at its edge. */
  isOutlier(value: number): boolean;
}

function quantileSorted(sorted: readonly number[], q: number): number {
  const at = (sorted.length - 1) * q;
  const low = Math.floor(at);
  return sorted[low] + (sorted[Math.min(low + 1, sorted.length - 1)] - sorted[low]) * (at - low);
}

/**
 * Fences in decades, as losses span several: above Q3 + max(3·IQR, 1 decade) of log10(value)
 * is an outlier (so at least 10× the upper quartile); on a log axis also below
 * Q1 − max(3·IQR, 2 decades), and every value ≤ 0.
 */
export function robustRange(values: readonly number[], log: boolean): RobustRange {
  const logs: number[] = [];
  for (const v of values) if (Number.isFinite(v) && v > 0) logs.push(Math.log10(v));
  logs.sort((a, b) => a - b);
  if (logs.length === 0) return { extent: undefined, isOutlier: (v) => log && v <= 0 };
  const q1 = quantileSorted(logs, 0.25);
  const q3 = quantileSorted(logs, 0.75);
  const iqr = q3 - q1;
  const high = 10 ** (q3 + Math.max(3 * iqr, 1));
  const low = log ? 10 ** (q1 - Math.max(3 * iqr, 2)) : -Infinity;
  const isOutlier = (v: number) => Number.isFinite(v) && (v > high || v < low || (log && v <= 0));
  let min = Infinity;
  let max = -Infinity;
  for (const v of values) {
    if (!Number.isFinite(v) || isOutlier(v)) continue;
    if (v < min) min = v;
    if (v > max) max = v;
  }
  return { extent: min <= max ? [min, max] : undefined, isOutlier };
}
