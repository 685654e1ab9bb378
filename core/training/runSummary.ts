// A run at a glance, for lists that refresh often (the Runs view): per net its last step and best
// test error, and the run's state. Reading is incremental: a second read of the same run parses
// only the lines appended to metrics.jsonl since, so a live run costs its new lines, not its history.
import * as fs from 'node:fs';
import { RunFolder } from './runFolder';
import { trainingPid } from './runLock';
import { runState, RunState } from './runState';
import { metricPoint, MetricPoint, NetPlan, RunConfig } from './types';

export interface NetSummary {
  slot: NetPlan['slot'];
  title: string;
  /** Its last logged step (0 before the first). */
  lastStep: number;
  /** Where it stands: its latest checkpoint's step where that is past the last logged step (a net stopped
   *  between two logged steps), which is where a resume continues; else its last logged step. */
  step: number;
  /** The lowest test error logged so far (a finite one), or undefined before the first evaluation. */
  bestTestError: number | undefined;
}

export interface RunSummary {
  id: string;
  folder: string;
  /** null when config.json cannot be read (then `problem` says why). */
  config: RunConfig | null;
  problem: string | null;
  nets: NetSummary[];
  state: RunState;
  /** The pid of a live process of this machine that trains it now, or undefined. */
  trainingPid: number | undefined;
}

/** What a read remembers to read only what was appended next time. */
interface MetricsCursor {
  /** Bytes of metrics.jsonl consumed (up to the end of its last complete line). */
  offset: number;
  /** The file's identity: a rewritten file (a resume truncates it) is read again from the start. */
  inode: number;
  configMtime: number;
  nets: Map<string, NetSummary>;
}

/** Keeps a cursor per run folder; `read` is cheap when little changed. */
export class RunSummaryReader {
  private readonly cursors = new Map<string, MetricsCursor>();

  read(folder: string): RunSummary {
    const run = new RunFolder(folder);
    let config: RunConfig;
    let configMtime: number;
    try {
      configMtime = fs.statSync(run.configFile).mtimeMs;
      config = run.readConfig();
    } catch (error) {
      this.cursors.delete(folder);
      return { id: run.id, folder, config: null, problem: (error as Error).message, nets: [], state: { lastStep: 0, finished: false, status: 'failed', outcome: null }, trainingPid: undefined };
    }
    const nets = this.readNets(run, config, configMtime);
    const outcome = run.readOutcome();
    // runState needs only each net's last step: one synthetic point per net stands for its metrics.
    const lasts: MetricPoint[] = nets.map((n) => ({ slot: n.slot, step: n.lastStep, epoch: 0, split: 'train', loss: 0, error: 0, lr: 0, time: 0 }));
    return { id: run.id, folder, config, problem: null, nets, state: runState(config, lasts, outcome), trainingPid: trainingPid(folder) };
  }

  /** Forgets runs that are gone. */
  retain(folders: Iterable<string>): void {
    const keep = new Set(folders);
    for (const folder of [...this.cursors.keys()]) if (!keep.has(folder)) this.cursors.delete(folder);
  }

  private readNets(run: RunFolder, config: RunConfig, configMtime: number): NetSummary[] {
    let stat: fs.Stats | undefined;
    try {
      stat = fs.statSync(run.metricsFile);
    } catch {
      stat = undefined;
    }
    let cursor = this.cursors.get(run.folder);
    const fresh = () => ({ offset: 0, inode: stat?.ino ?? 0, configMtime, nets: new Map(config.nets.map((n) => [n.slot, { slot: n.slot, title: n.title, lastStep: 0, step: 0, bestTestError: undefined } as NetSummary])) });
    if (!cursor || cursor.configMtime !== configMtime || !stat || stat.ino !== cursor.inode || stat.size < cursor.offset) cursor = fresh();
    if (stat && stat.size > cursor.offset) cursor.offset += this.consume(run.metricsFile, cursor.offset, stat.size, cursor.nets);
    this.cursors.set(run.folder, cursor);
    return config.nets.map((n) => {
      const net = cursor.nets.get(n.slot)!;
      let checkpoint = 0;
      try {
        checkpoint = run.latestCheckpoint(n.slot)?.step ?? 0;
      } catch {
        // a broken checkpoint pointer: resuming names it; the summary keeps the logged step
      }
      return { ...net, step: Math.max(net.lastStep, checkpoint) };
    });
  }

  /** Folds the complete lines of [from, to) into the nets; returns the bytes consumed. */
  private consume(file: string, from: number, to: number, nets: Map<string, NetSummary>): number {
    const fd = fs.openSync(file, 'r');
    const buffer = Buffer.alloc(to - from);
    try {
      fs.readSync(fd, buffer, 0, buffer.length, from);
    } finally {
      fs.closeSync(fd);
    }
    const end = buffer.lastIndexOf(0x0a) + 1; // a torn last line waits for its end
    for (const line of buffer.subarray(0, end).toString('utf8').split('\n')) {
      if (!line.trim()) continue;
      let point: MetricPoint;
      try {
        const parsed = metricPoint.safeParse(JSON.parse(line));
        if (!parsed.success) continue;
        point = parsed.data;
      } catch {
        continue; // a broken line: the curves panel names it; a summary skips it
      }
      const net = nets.get(point.slot);
      if (!net) continue;
      net.lastStep = Math.max(net.lastStep, point.step);
      if (point.split === 'test' && Number.isFinite(point.error)) {
        net.bestTestError = net.bestTestError === undefined ? point.error : Math.min(net.bestTestError, point.error);
      }
    }
    return end;
  }
}
