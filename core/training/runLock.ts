// Which process trains a run: `<run>/owner.json` holds its pid (the extension host's, or the
// CLI's) while it trains, so that another window, a reloaded window or `resnet-lab train
// --resume` never trains the same run folder while that process still writes to it.
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { writeFileAtomic } from './runFolder';

interface OwnerRecord {
  pid: number;
  host: string;
  since: string;
}

const ownerFile = (runFolder: string) => path.join(runFolder, 'owner.json');

/** Another live process of this machine trains the run. */
export class RunLockError extends Error {
  constructor(
    readonly runFolder: string,
    readonly pid: number,
  ) {
    super(`${runFolder} is being trained by another process of this machine (pid ${pid}); stop it there first, or wait for it to end.`);
    this.name = 'RunLockError';
  }
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** The pid of the live process of this machine that trains the run (this one included), or undefined. */
export function trainingPid(runFolder: string): number | undefined {
  let record: OwnerRecord;
  try {
    record = JSON.parse(fs.readFileSync(ownerFile(runFolder), 'utf8')) as OwnerRecord;
  } catch {
    return undefined;
  }
  if (record.host !== os.hostname()) return undefined;
  return record.pid === process.pid || alive(record.pid) ? record.pid : undefined;
}

/** The pid of another live process of this machine that trains the run, or undefined. */
export function otherOwner(runFolder: string): number | undefined {
  const pid = trainingPid(runFolder);
  return pid === process.pid ? undefined : pid;
}

/** Records `pid` (this process by default) as the one that trains the run. */
export function claimRun(runFolder: string, pid = process.pid): void {
  writeFileAtomic(ownerFile(runFolder), JSON.stringify({ pid, host: os.hostname(), since: new Date().toISOString() } satisfies OwnerRecord) + '\n');
}

/** Claims the run for this process; throws RunLockError if another live process trains it. */
export function lockRun(runFolder: string): void {
  const owner = otherOwner(runFolder);
  if (owner !== undefined) throw new RunLockError(runFolder, owner);
  claimRun(runFolder);
}

/** Removes this process's claim (another process's claim stays). */
export function releaseRun(runFolder: string): void {
  try {
    const record = JSON.parse(fs.readFileSync(ownerFile(runFolder), 'utf8')) as OwnerRecord;
    if (record.pid === process.pid) fs.rmSync(ownerFile(runFolder), { force: true });
  } catch {
    // No record (or an unreadable one): nothing of ours to release.
  }
}

/** Waits (polling) until no other live process trains the run; false if one still does after timeoutMs. */
export async function waitForOtherOwner(runFolder: string, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (otherOwner(runFolder) !== undefined) {
    if (Date.now() > deadline) return false;
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
  return true;
}
