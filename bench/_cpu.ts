/**
 * CPU time of other processes, for benchmarks that spread one job over several (fleet hosts,
 * PostgreSQL). Linux only (it reads /proc); elsewhere every reading is null and the benchmark
 * reports no CPU figures. Resolution is one clock tick (10 ms), fine over runs of seconds.
 */
import { readdirSync, readFileSync } from 'node:fs';

const TICK_MS = 10;

function ticksOf(pid: number | string): number | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // The command name is in parentheses and may hold spaces: count fields after the last ')'.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    // utime, stime, cutime, cstime are fields 14–17 of the line, 12–15 after the name.
    return [11, 12, 13, 14].reduce((sum, i) => sum + Number(fields[i] ?? 0), 0);
  } catch {
    return null;
  }
}

/** CPU ms used so far by a process and the children it reaped; null when unknown. */
export function processCpuMs(pid: number | undefined): number | null {
  if (process.platform !== 'linux' || pid === undefined) return null;
  const t = ticksOf(pid);
  return t === null ? null : t * TICK_MS;
}

/** CPU ms used so far by every process named `name` (e.g. all PostgreSQL backends); null off Linux. */
export function cpuMsByName(name: string): number | null {
  if (process.platform !== 'linux') return null;
  let sum = 0;
  for (const pid of readdirSync('/proc')) {
    if (!/^\d+$/.test(pid)) continue;
    try {
      if (readFileSync(`/proc/${pid}/comm`, 'utf8').trim() !== name) continue;
    } catch {
      continue;
    }
    sum += ticksOf(pid) ?? 0;
  }
  return sum * TICK_MS;
}

/** This process's own CPU ms so far. */
export function selfCpuMs(): number {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
}
