/**
 * A cross-process lock as a file created with O_EXCL. A lock older than `staleMs` belongs to a
 * process that died inside its critical section (critical sections here take milliseconds) and
 * is broken.
 * @module
 */
import * as fs from 'node:fs';
import { HypervisorError } from '../../domain/errors.js';

const GIVE_UP_MS = 30_000;

function tryAcquire(lockPath: string): boolean {
  try {
    const fd = fs.openSync(lockPath, 'wx');
    fs.writeSync(fd, `${process.pid}\n`);
    fs.closeSync(fd);
    return true;
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw e;
  }
}

function breakIfStale(lockPath: string, staleMs: number): void {
  const st = fs.statSync(lockPath, { throwIfNoEntry: false });
  if (st && Date.now() - st.mtimeMs > staleMs) {
    try {
      fs.unlinkSync(lockPath);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
    }
  }
}

function pause(ms: number): Promise<void> {
  // Real time on purpose: a test's manual clock must not freeze lock retries.
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Runs the synchronous `critical` while holding the lock file. */
export async function withFileLock<T>(
  lockPath: string,
  staleMs: number,
  critical: () => T,
): Promise<T> {
  const started = Date.now();
  while (!tryAcquire(lockPath)) {
    breakIfStale(lockPath, staleMs);
    if (Date.now() - started > GIVE_UP_MS) {
      throw new HypervisorError(
        'HV_UNAVAILABLE',
        `the fake host's lock ${lockPath} stayed taken for ${GIVE_UP_MS / 1000} s`,
        {
          hint: 'another process holds it; if none is running, delete the lock file',
        },
      );
    }
    await pause(2 + Math.random() * 8);
  }
  try {
    return critical();
  } finally {
    fs.rmSync(lockPath, { force: true });
  }
}
