/**
 * One scheduler per data directory: `scheduler.lock` holds the owner's pid. The server takes it
 * for its lifetime and `agent submit --wait` for the one agent it runs when no server does.
 * Other processes only read it, to know whether someone will dispatch and clean up.
 * @module
 */
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { HvkubeError } from '../../domain/errors.js';
import { processAlive } from '../../_util/operator.js';

const LOCK_FILE = 'scheduler.lock';

export interface LockOwner {
  pid: number;
  host: string;
  since: string;
}

function lockPath(dataDir: string): string {
  return path.join(dataDir, LOCK_FILE);
}

/** The live owner of the data directory's scheduler, or null when none runs. */
export function schedulerOwner(dataDir: string): LockOwner | null {
  let owner: LockOwner;
  try {
    owner = JSON.parse(readFileSync(lockPath(dataDir), 'utf8')) as LockOwner;
  } catch {
    return null;
  }
  if (typeof owner.pid !== 'number') return null;
  // A lock from another host (a shared folder) cannot be checked; trust it.
  if (owner.host !== os.hostname()) return owner;
  return processAlive(owner.pid) ? owner : null;
}

function runningError(dataDir: string, owner: LockOwner): HvkubeError {
  return new HvkubeError('SCHEDULER_RUNNING', `another hvkube scheduler (pid ${owner.pid} on ${owner.host}, since ${owner.since}) runs agents from ${dataDir}`, {
    hint: 'only one `hvkube serve` (or `agent submit --wait` without a server) may run per data directory; stop it or wait for it to end',
    details: { owner },
  });
}

/** Throws SCHEDULER_RUNNING when a live process owns the data directory's scheduler. */
export function refuseWhileSchedulerRuns(dataDir: string): void {
  const owner = schedulerOwner(dataDir);
  if (owner) throw runningError(dataDir, owner);
}

export class SchedulerLock {
  private constructor(private readonly file: string) {}

  /** Takes the lock, replacing a stale one; throws when a live process holds it. */
  static acquire(dataDir: string): SchedulerLock {
    const file = lockPath(dataDir);
    const me: LockOwner = { pid: process.pid, host: os.hostname(), since: new Date().toISOString() };
    for (let attempt = 0; attempt < 2; attempt++) {
      try {
        writeFileSync(file, JSON.stringify(me), { flag: 'wx' });
        return new SchedulerLock(file);
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
      }
      const owner = schedulerOwner(dataDir);
      if (owner) throw runningError(dataDir, owner);
      rmSync(file, { force: true });
    }
    throw new HvkubeError('INTERNAL', `could not take ${file}`);
  }

  release(): void {
    try {
      const owner = JSON.parse(readFileSync(this.file, 'utf8')) as LockOwner;
      if (owner.pid === process.pid) rmSync(this.file, { force: true });
    } catch {
      // Already gone.
    }
  }
}
