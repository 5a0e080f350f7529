/**
 * What the host offers: CPUs, memory (from /proc/meminfo), free disk under the data directory,
 * the QEMU version, and the accelerator verdict.
 * @module
 */
import { readFile, statfs } from 'node:fs/promises';
import os from 'node:os';
import { execa } from 'execa';
import type { HostInfo } from '../hypervisor.js';
import { describeVerdict, verdictLabel, type AccelVerdict } from './accel/index.js';
import type { ResolvedQemuConfig } from './qemu-hypervisor-config.js';

export async function qemuHostInfo(config: ResolvedQemuConfig, accel: AccelVerdict, qemuVersion: () => Promise<string>): Promise<HostInfo> {
  const meminfo = await readFile('/proc/meminfo', 'utf8').catch(() => '');
  const kib = (field: string): number | null => {
    const match = new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(meminfo);
    return match?.[1] ? Number(match[1]) : null;
  };
  const totalKib = kib('MemTotal') ?? os.totalmem() / 1024;
  const availableKib = kib('MemAvailable') ?? os.freemem() / 1024;
  return {
    backend: 'qemu',
    hostname: os.hostname(),
    cpus: os.availableParallelism(),
    totalMemoryMb: Math.floor(totalKib / 1024),
    freeMemoryMb: Math.floor(availableKib / 1024),
    freeDiskMb: await freeDiskMb(config.dataDir),
    notes: {
      qemu: await qemuVersion(),
      accel: verdictLabel(accel),
      cpuModel: accel.cpuModel,
      accelerator: describeVerdict(accel),
      runDir: config.runDir,
    },
  };
}

async function freeDiskMb(dir: string): Promise<number | null> {
  try {
    const fs = await statfs(dir);
    return Math.floor((fs.bavail * fs.bsize) / 1024 ** 2);
  } catch {
    return null;
  }
}

/** `QEMU emulator version 7.2.22 (...)` → `7.2.22`; `unavailable` when the binary does not run. */
export async function readQemuVersion(binary: string): Promise<string> {
  try {
    const { stdout } = await execa(binary, ['--version']);
    return /version (\S+)/.exec(stdout)?.[1] ?? stdout.split('\n')[0] ?? 'unknown';
  } catch {
    return 'unavailable';
  }
}
