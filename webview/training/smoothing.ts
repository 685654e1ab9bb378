// Smoothing of the noisy training curves: TensorBoard's debiased exponential moving average.
import type { CurvePoint } from './curveStore';

/**
 * s_t = w·s_{t−1} + (1 − w)·x_t, divided by the debias factor 1 − w^t, where t counts the
 * finite values so far (as TensorBoard after its bias fix: the first points are not pulled
 * towards 0). A non-finite value (a diverged step) is kept as it is and leaves the average
 * untouched. Weight 0 gives the values back.
 */
export function debiasedEma(values: readonly number[], weight: number): number[] {
  let last = 0;
  let count = 0;
  return values.map((value) => {
    if (!Number.isFinite(value)) return value;
    last = last * weight + (1 - weight) * value;
    count += 1;
    const debias = weight === 1 ? 1 : 1 - weight ** count;
    return last / debias;
  });
}

/** The points with their error and loss smoothed; each keeps the logged point as `raw`. */
export function smoothPoints(points: readonly CurvePoint[], weight: number): CurvePoint[] {
  const errors = debiasedEma(
    points.map((p) => p.error),
    weight,
  );
  const losses = debiasedEma(
    points.map((p) => p.loss),
    weight,
  );
  return points.map((p, i) => ({ step: p.step, error: errors[i], loss: losses[i], lr: p.lr, raw: p }));
}
