// Which process trains a run: `<run>/owner.json` holds the extension host's pid while a run
// trains, so that a reloaded window (a new extension host) or another window never trains the
// same run folder while the old process is still writing to it.
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { writeFileAtomic } from '../core/training/runStore';

interface OwnerRecord {
  pid: number;
  host: string;
  since: string;
}

const ownerFile = (runFolder: string) => path.join(runFolder, 'owner.json');

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** The pid of another live process of this machine that trains the run, or undefined. */
export function otherOwner(runFolder: string): number | undefined {
  let record: OwnerRecord;
  try {
    record = JSON.parse(fs.readFileSync(ownerFile(runFolder), 'utf8')) as OwnerRecord;
  } catch {
    return undefined;
  }
  if (record.host !== os.hostname() || record.pid === process.pid) return undefined;
  return alive(record.pid) ? record.pid : undefined;
}

export function claimRun(runFolder: string): void {
  writeFileAtomic(ownerFile(runFolder), JSON.stringify({ pid: process.pid, host: os.hostname(), since: new Date().toISOString() } satisfies OwnerRecord) + '\n');
}

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
