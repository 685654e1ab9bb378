// Number and shape formatting for the page (the figures themselves come from core).
import { BYTES_PER_VALUE, formatBytes, formatCount, formatFlops, formatShape } from '../core/costs';
import type { Shape } from '../core/graph';

export { formatBytes, formatCount, formatFlops, formatShape };

/** Activation values of one image at float32, e.g. "1.25 MiB". */
export function formatActivationBytes(values: number): string {
  return formatBytes(values * BYTES_PER_VALUE);
}

export function activationBytes(values: number): number {
  return values * BYTES_PER_VALUE;
}

export function shapeText(shape: Shape): string {
  return formatShape(shape);
}
