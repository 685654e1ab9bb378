// A run's state from its folder, one definition for the CLI and the extension: how far it got
// (a comparison is as far as its slower net), finished (every net reached the end), and when
// not, whether its last session failed or it stopped (either way a resume continues it).
import type { MetricPoint, RunConfig, RunOutcome } from './types';

export type PastRunStatus = 'finished' | 'stopped' | 'failed';

export interface RunState {
  /** The lowest of the nets' last logged steps (a comparison is as far as its slower net). */
  lastStep: number;
  /** Every net reached config.iterations. */
  finished: boolean;
  /** 'finished'; else 'failed' when its last session failed; else 'stopped' (crashed or still training count as stopped). */
  status: PastRunStatus;
  /** How its last session ended, when one ended and recorded it. */
  outcome: RunOutcome | null;
}

export function runState(config: RunConfig, metrics: MetricPoint[], outcome: RunOutcome | null): RunState {
  const lastOf = (slot: string) => metrics.reduce((m, p) => (p.slot === slot ? Math.max(m, p.step) : m), 0);
  const lastStep = Math.min(...config.nets.map((net) => lastOf(net.slot)));
  const finished = lastStep >= config.iterations;
  const status: PastRunStatus = finished ? 'finished' : outcome?.status === 'failed' ? 'failed' : 'stopped';
  return { lastStep, finished, status, outcome };
}

/** "finished 300 iterations", "failed at step 20 of 300: why", "not training: last logged step 20 of 300". */
export function runStateText(config: RunConfig, state: RunState): string {
  const count = (n: number) => n.toLocaleString('en-US');
  const of = `${count(state.lastStep)} of ${count(config.iterations)}`;
  if (state.status === 'finished') return `finished ${count(config.iterations)} iterations`;
  if (state.status === 'failed') return `failed at step ${of}: ${state.outcome?.detail ?? ''}`;
  return `not training: last logged step ${of}`;
}
