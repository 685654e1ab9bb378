// One colour per net on every page (the curves, the inspector and its Fig. 7, the architecture
// charts), keyed by the net's role and slot, never by its position on a page: the residual net
// is blue, a plain net red, and a second net of the same role takes that role's other colour
// (plain-20 vs plain-56: orange and red). Overlaid runs take the colours after these.
// The colours themselves are page.css's --net-color-N (VS Code's chart colours).
import type { NetPlan } from '../core/training/types';
import { specFromRequest } from '../core/spec';

export type Slot = NetPlan['slot'];

/** How many colours the palette has (page.css defines --net-color-0 … --net-color-7). */
export const PALETTE_SIZE = 8;

/** 0 blue: residual in slot a · 1 purple: residual in slot b · 2 orange: plain in slot a · 3 red: plain in slot b. */
export function netColorIndex(residual: boolean, slot: Slot): number {
  return (residual ? 0 : 2) + (slot === 'a' ? 0 : 1);
}

/** The colour of a run's net; overlaid runs (runIndex > 0) take the overlay colours 4–7. */
export function runNetColorIndex(net: NetPlan, runIndex = 0): number {
  if (runIndex > 0) return 4 + (((runIndex - 1) * 2 + (net.slot === 'a' ? 0 : 1)) % 4);
  let residual: boolean;
  try {
    residual = specFromRequest(net.request).residual;
  } catch {
    // A net this version cannot rebuild (a newer run's custom spec): its title still says which.
    residual = !/^plain/i.test(net.title);
  }
  return netColorIndex(residual, net.slot);
}

/** The class that sets --net-color for an element (page.css). */
export function netColorClass(index: number): string {
  return `net-color-${index % PALETTE_SIZE}`;
}

/** The slot of the i-th net of a comparison (a page that lists a run's nets in slot order). */
export const slotAt = (index: number): Slot => (index === 0 ? 'a' : 'b');

/** The colour class of the i-th net a page shows of a run (the inspector's columns, Fig. 7, the strip). */
export function shownNetColorClass(net: { residual: boolean }, index: number): string {
  return netColorClass(netColorIndex(net.residual, slotAt(index)));
}
