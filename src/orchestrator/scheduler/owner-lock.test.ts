import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { isHvkubeError } from '../../domain/errors.js';
import { schedulerOwner, SchedulerLock } from './owner-lock.js';

describe('one scheduler per data directory', () => {
  let dir = '';
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('refuses a second scheduler while the first lives, with SCHEDULER_RUNNING naming the owner', () => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'hvk-lock-'));
    const lock = SchedulerLock.acquire(dir);
    expect(schedulerOwner(dir)?.pid).toBe(process.pid);
    let caught: unknown;
    try {
      SchedulerLock.acquire(dir);
    } catch (e) {
      caught = e;
    }
    expect(isHvkubeError(caught, 'SCHEDULER_RUNNING')).toBe(true);
    expect(String(caught)).toContain(`pid ${process.pid}`);
    // The refused attempt left the owner's lock alone.
    expect(JSON.parse(readFileSync(path.join(dir, 'scheduler.lock'), 'utf8'))).toMatchObject({ pid: process.pid });
    lock.release();
    expect(schedulerOwner(dir)).toBeNull();
    SchedulerLock.acquire(dir).release();
  });

  it('takes over the lock of a process that is gone', () => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'hvk-lock-'));
    // A pid far above pid_max's default cannot be running.
    writeFileSync(path.join(dir, 'scheduler.lock'), JSON.stringify({ pid: 2 ** 30, host: os.hostname(), since: '2026-01-01T00:00:00.000Z' }));
    expect(schedulerOwner(dir)).toBeNull();
    const lock = SchedulerLock.acquire(dir);
    expect(schedulerOwner(dir)?.pid).toBe(process.pid);
    lock.release();
  });
});
