// How the product writes its numbers, for the CLI, the extension and the pages alike.
import { BYTES_PER_VALUE } from './costs';

const COUNT_FORMAT = new Intl.NumberFormat('en-US');

/** "11,689,512" (one NumberFormat: toLocaleString builds a new one per call, which a long table feels). */
export function formatCount(n: number): string {
  return COUNT_FORMAT.format(Math.round(n));
}

/** Paper-style rounding: 1.8 G, 40.6 M. */
export function formatFlops(n: number, digits = 3): string {
  if (n >= 1e9) return `${(n / 1e9).toFixed(digits)} G`;
  if (n >= 1e6) return `${(n / 1e6).toFixed(digits > 2 ? 2 : digits)} M`;
  if (n >= 1e3) return `${(n / 1e3).toFixed(1)} K`;
  return `${n}`;
}

export function formatBytes(bytes: number): string {
  if (bytes >= 2 ** 30) return `${(bytes / 2 ** 30).toFixed(2)} GiB`;
  if (bytes >= 2 ** 20) return `${(bytes / 2 ** 20).toFixed(2)} MiB`;
  if (bytes >= 2 ** 10) return `${(bytes / 2 ** 10).toFixed(1)} KiB`;
  return `${bytes} B`;
}

/** Activation values at float32, as bytes: "1.25 MiB". */
export function formatActivationBytes(values: number): string {
  return formatBytes(values * BYTES_PER_VALUE);
}

/** "42 s", "3 min 5 s", "2 h 10 min". */
export function formatDuration(seconds: number): string {
  if (seconds < 60) return `${Math.round(seconds)} s`;
  if (seconds < 3600) return `${Math.floor(seconds / 60)} min ${Math.round(seconds % 60)} s`;
  return `${Math.floor(seconds / 3600)} h ${Math.round((seconds % 3600) / 60)} min`;
}

/** A fraction as a percentage: 0.1234 → "12.3%". */
export function formatPercent(fraction: number, digits = 1): string {
  return `${(fraction * 100).toFixed(digits)}%`;
}

/** A change of a fraction in percentage points, signed: +3.2, −0.5. */
export function formatPointChange(delta: number, digits = 1): string {
  return `${delta >= 0 ? '+' : '−'}${Math.abs(delta * 100).toFixed(digits)}`;
}

/** A norm that may span decades: 1.234e-3. */
export function formatNorm(value: number, digits = 3): string {
  return value.toExponential(digits);
}
