/**
 * Caps a process's CPU with a cgroup, to make each fleet host behave like a small machine of its
 * own while all of them share this one. Linux and root only (cgroup v1 `cpu` or v2 `cpu.max`);
 * elsewhere `capCpu` answers null and the benchmark skips the capped run.
 */
import { existsSync, mkdirSync, readFileSync, rmdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';

const V1 = '/sys/fs/cgroup/cpu';
const V2 = '/sys/fs/cgroup';

function v2HasCpu(): boolean {
  try {
    return readFileSync(path.join(V2, 'cgroup.controllers'), 'utf8').split(/\s+/).includes('cpu');
  } catch {
    return false;
  }
}

/** Why processes cannot be capped here, or null when they can. */
export function cpuCapUnavailable(): string | null {
  if (process.platform !== 'linux') return 'not Linux';
  if (process.getuid?.() !== 0) return 'not root';
  if (existsSync(path.join(V1, 'cpu.cfs_quota_us')) || v2HasCpu()) return null;
  return 'no cgroup cpu controller';
}

/** Puts `pid` in a cgroup of its own limited to `fraction` of one CPU; answers the undo. */
export function capCpu(pid: number, fraction: number, name: string): (() => void) | null {
  if (cpuCapUnavailable() !== null) return null;
  const period = 100_000;
  const quota = Math.max(1000, Math.round(period * fraction));
  const v1 = existsSync(path.join(V1, 'cpu.cfs_quota_us'));
  const root = v1 ? V1 : V2;
  const dir = path.join(root, `hvkube-bench-${name}-${pid}`);
  mkdirSync(dir, { recursive: true });
  if (v1) {
    writeFileSync(path.join(dir, 'cpu.cfs_period_us'), String(period));
    writeFileSync(path.join(dir, 'cpu.cfs_quota_us'), String(quota));
  } else {
    writeFileSync(path.join(dir, 'cpu.max'), `${quota} ${period}`);
  }
  writeFileSync(path.join(dir, 'cgroup.procs'), String(pid));
  return () => {
    try {
      // Back to the root group (if still alive), then the empty group can go.
      writeFileSync(path.join(root, 'cgroup.procs'), String(pid));
    } catch {
      // The process is gone.
    }
    try {
      rmdirSync(dir);
    } catch {
      // Still has members: removed with the next boot.
    }
  };
}
