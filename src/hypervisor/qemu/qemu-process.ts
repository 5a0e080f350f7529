/**
 * Starting, finding and ending QEMU processes. A VM's process is recorded in a PID file and
 * recognised by its command line, so a later hvkube process can drive a VM an earlier one started.
 * Processes are always ended and reaped by PID (a stale QEMU holds the disk's write lock).
 * @module
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, openSync } from 'node:fs';
import { readFile, rm, writeFile } from 'node:fs/promises';
import { setTimeout as sleep } from 'node:timers/promises';
import { HypervisorError } from '../../domain/errors.js';
import type { VmPaths } from './vm-definition.js';

/** Children this process spawned; waiting on their exit event reaps them at once. */
const children = new Map<number, ChildProcess>();

export interface SpawnedQemu {
  pid: number;
  /** Resolves with the exit code (or signal) when the process ends. */
  exited: Promise<string>;
}

/**
 * Spawns QEMU detached (it outlives this process) with stdout/stderr appended to the VM's log.
 * `stateFile`, when given, is opened read-only and inherited as fd 3 for `migrate-incoming fd:3`.
 * The PID goes to `pidFile` (the VM's own PID file unless the process is a standby).
 */
export async function spawnQemu(binary: string, args: string[], paths: VmPaths, stateFile?: string, pidFile = paths.pid): Promise<SpawnedQemu> {
  const log = openSync(paths.log, 'a');
  const fds: number[] = [log];
  let child: ChildProcess;
  try {
    const stdio: (number | 'ignore')[] = ['ignore', log, log];
    if (stateFile) {
      const fd = openSync(stateFile, 'r');
      fds.push(fd);
      stdio.push(fd);
    }
    child = spawn(binary, args, { stdio, detached: true });
  } catch (e) {
    throw new HypervisorError('HV_UNAVAILABLE', `cannot start ${binary}: ${(e as Error).message}`, { cause: e });
  } finally {
    // The child holds its own copies now.
    for (const fd of fds) closeSync(fd);
  }
  const exited = new Promise<string>((resolve) => {
    child.once('exit', (code, signal) => {
      if (child.pid !== undefined) children.delete(child.pid);
      resolve(signal ?? String(code));
    });
    child.once('error', (e) => resolve(`error: ${e.message}`));
  });
  const pid = child.pid;
  if (pid === undefined) {
    const reason = await exited;
    throw new HypervisorError('HV_UNAVAILABLE', `cannot start ${binary} (${reason})`, {
      hint: 'install qemu-system-x86 or set qemuBinary',
    });
  }
  children.set(pid, child);
  child.unref();
  await writeFile(pidFile, `${pid}\n`);
  return { pid, exited };
}

/** The PID of the VM's live QEMU, or null when there is none (no PID file, dead, or not ours). */
export async function findQemuPid(paths: VmPaths, pidFile = paths.pid): Promise<number | null> {
  const text = await readFile(pidFile, 'utf8').catch(() => '');
  const pid = Number.parseInt(text, 10);
  if (!Number.isInteger(pid) || pid <= 0) return null;
  return (await isQemuOf(pid, paths)) ? pid : null;
}

/** True while `pid` runs (and is not a zombie) with this VM's QMP socket on its command line. */
export async function isQemuOf(pid: number, paths: VmPaths): Promise<boolean> {
  try {
    const [cmdline, stat] = await Promise.all([
      readFile(`/proc/${pid}/cmdline`, 'utf8'),
      readFile(`/proc/${pid}/stat`, 'utf8'),
    ]);
    // The state letter follows the parenthesised command name.
    const state = stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3);
    if (state === 'Z' || state === 'X') return false;
    return cmdline.split('\0').some((arg) => arg.startsWith(`unix:${paths.qmpSocket},`));
  } catch {
    return false;
  }
}

/**
 * Sends SIGKILL to the VM's QEMU and waits until it is gone. A child of ours is reaped through
 * its exit event; an adopted one counts as gone once it is a zombie (its parent reaps it).
 */
export async function killQemu(pid: number, paths: VmPaths, timeoutMs = 10_000, pidFile = paths.pid): Promise<void> {
  if (!(await isQemuOf(pid, paths))) return;
  try {
    process.kill(pid, 'SIGKILL');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'ESRCH') throw e;
  }
  await waitForExit(pid, paths, timeoutMs, pidFile);
}

/** Waits for the process to end, then removes `pidFile` (the VM's own unless told otherwise). */
export async function waitForExit(pid: number, paths: VmPaths, timeoutMs: number, pidFile = paths.pid): Promise<boolean> {
  const child = children.get(pid);
  const deadline = Date.now() + timeoutMs;
  if (child) {
    const gone = await new Promise<boolean>((resolve) => {
      if (child.exitCode !== null || child.signalCode !== null) return resolve(true);
      const timer = setTimeout(() => resolve(false), timeoutMs);
      child.once('exit', () => {
        clearTimeout(timer);
        resolve(true);
      });
    });
    if (gone) await rm(pidFile, { force: true });
    return gone;
  }
  while (Date.now() < deadline) {
    if (!(await isQemuOf(pid, paths))) {
      await rm(pidFile, { force: true });
      return true;
    }
    await sleep(10);
  }
  return false;
}

/** PIDs of every QEMU this process spawned and that still runs (for test clean-up). */
export function spawnedPids(): number[] {
  return [...children.keys()];
}
