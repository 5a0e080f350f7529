/**
 * The probe's verdict, cached per host in the data directory (`accel.json`), keyed by what can
 * change it: the QEMU version, the host kernel release, the KVM device's identity, the CPU models
 * asked for and the probe itself. A key that differs means the cache is ignored and rewritten.
 * @module
 */
import { readFile, rename, writeFile } from 'node:fs/promises';
import { isDeepStrictEqual } from 'node:util';
import type { AccelVerdict } from './verdict.js';

export interface ProbeKey {
  qemuVersion: string;
  kernelRelease: string;
  /** `path major:minor inode`, so a new device node (another boot, another container) re-probes. */
  device: string;
  cpuModels: string[];
  probeVersion: number;
}

interface CacheFile {
  key: ProbeKey;
  verdict: AccelVerdict;
}

export async function readCachedVerdict(file: string, key: ProbeKey): Promise<AccelVerdict | null> {
  try {
    const cached = JSON.parse(await readFile(file, 'utf8')) as CacheFile;
    return isDeepStrictEqual(cached.key, key) ? { ...cached.verdict, cached: true } : null;
  } catch {
    return null;
  }
}

export async function writeCachedVerdict(file: string, key: ProbeKey, verdict: AccelVerdict): Promise<void> {
  const tmp = `${file}.${process.pid}.tmp`;
  await writeFile(tmp, `${JSON.stringify({ key, verdict: { ...verdict, cached: false } } satisfies CacheFile, null, 2)}\n`);
  await rename(tmp, file);
}
