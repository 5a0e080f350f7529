/**
 * Who runs an operation: `machine/pid/instance`, one per store a process opens. Written with every
 * VM state change, so another process can tell work in flight from a crash leftover.
 * @module
 */
import os from 'node:os';
import { shortId } from './ids.js';

export function newOperator(): string {
  return `${os.hostname()}/${process.pid}/${shortId(8)}`;
}

/** Whether process `pid` of this machine exists (EPERM: it does, under another user). */
export function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * Whether `operator` may still be working on a VM of this machine's hypervisor, seen from the
 * process whose own operator is `self`. Another process: while it lives. This process: only
 * under the same instance (a second orchestrator in one process took over from a dead one). A
 * process on another machine cannot drive this hypervisor, so it is not live here.
 */
export function operatorLive(operator: string | null, self: string): boolean {
  if (operator === null) return false;
  if (operator === self) return true;
  const [machine, pidText] = operator.split('/');
  const pid = Number(pidText);
  if (machine !== os.hostname() || !Number.isInteger(pid) || pid <= 0) return false;
  if (pid === process.pid) return false;
  return processAlive(pid);
}

/**
 * Whether `operator` is known to be gone: a process of this machine (not this one) that no longer
 * runs. Unknown operators, other machines and this process count as not gone, so that a caller
 * acting on it never takes work from a process that may still do it.
 */
export function operatorGone(operator: string | null): boolean {
  if (operator === null) return false;
  const [machine, pidText] = operator.split('/');
  const pid = Number(pidText);
  if (machine !== os.hostname() || !Number.isInteger(pid) || pid <= 0 || pid === process.pid) return false;
  return !processAlive(pid);
}
