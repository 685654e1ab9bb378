// How often a live inspector refreshes: a small module of its own, so the extension host's
// bundle takes these numbers without the TF.js engine.

/** A live view looks for a newer checkpoint this often at most. */
export const LIVE_CHECK_MS = 3000;
/** And waits this many times its last refresh's duration between refreshes, so refreshing takes at most 1/20 of one core. */
const LIVE_DUTY_FACTOR = 20;

/** How long a live view waits after a refresh that took `lastRefreshMs` before the next. */
export function liveRefreshDelay(lastRefreshMs: number): number {
  return Math.max(LIVE_CHECK_MS, LIVE_DUTY_FACTOR * lastRefreshMs);
}
