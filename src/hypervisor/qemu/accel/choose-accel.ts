/**
 * Which accelerator new VMs use: TCG when asked for or when there is no KVM device; otherwise
 * the KVM probe decides, once per host and QEMU (the verdict is cached, see verdict-cache.ts).
 * The CPU model is probed too: the configured one, or the candidates below in order.
 * @module
 */
import { stat } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { probeKvmOnce } from './kvm-probe.js';
import { writeProbeFirmware } from './probe-payload.js';
import type { AccelVerdict } from './verdict.js';
import { readCachedVerdict, writeCachedVerdict, type ProbeKey } from './verdict-cache.js';

/** CPU models tried under KVM when none is configured: a named model first, then QEMU's generic ones. */
export const KVM_CPU_CANDIDATES = ['Nehalem', 'qemu64', 'kvm64'] as const;
/** The CPU model under TCG; it must stay the same between save and resume, so never `max`. */
export const TCG_CPU_MODEL = 'qemu64';
/** Bump when the probe changes what it checks, so older verdicts are not trusted. */
const PROBE_VERSION = 1;

export interface AccelChoiceOptions {
  mode: 'auto' | 'kvm' | 'tcg';
  qemuBinary: string;
  /** The KVM device; injectable so tests can point it elsewhere. */
  kvmDevice: string;
  /** The configured CPU model, if any (then it is the only candidate). */
  cpuModel: string | undefined;
  /** Where the verdict and the probe payload live: `<dataDir>/accel/`. */
  dir: string;
  /** How long one probe boot may take before it counts as a stalled guest. */
  probeTimeoutMs: number;
  /** Probe even when a cached verdict matches (`hvkube doctor --probe`). */
  force?: boolean;
  qemuVersion: () => Promise<string>;
}

export async function chooseAccel(o: AccelChoiceOptions): Promise<AccelVerdict> {
  const none = { cached: false, probedAt: null, probeMs: null };
  if (o.mode === 'tcg') return { accel: 'tcg', cpuModel: o.cpuModel ?? TCG_CPU_MODEL, kvm: 'not-tried', reason: 'qemu.accel is tcg', ...none };
  const device = await stat(o.kvmDevice).catch(() => null);
  if (!device) {
    const reason = `no ${o.kvmDevice}`;
    if (o.mode === 'kvm') return { accel: 'kvm', cpuModel: o.cpuModel ?? KVM_CPU_CANDIDATES[0], kvm: 'absent', reason, ...none };
    return { accel: 'tcg', cpuModel: o.cpuModel ?? TCG_CPU_MODEL, kvm: 'absent', reason, ...none };
  }
  const candidates = o.cpuModel ? [o.cpuModel] : [...KVM_CPU_CANDIDATES];
  const key: ProbeKey = {
    qemuVersion: await o.qemuVersion(),
    kernelRelease: os.release(),
    device: `${o.kvmDevice} ${Math.floor(device.rdev / 256)}:${device.rdev % 256} ${device.ino}`,
    cpuModels: candidates,
    probeVersion: PROBE_VERSION,
  };
  const cacheFile = path.join(o.dir, 'verdict.json');
  const cached = o.force ? null : await readCachedVerdict(cacheFile, key);
  const verdict = cached ?? (await probe(o, candidates));
  if (!cached) await writeCachedVerdict(cacheFile, key, verdict);
  // The cache records what KVM can do; whether it is used depends on the mode asked for now.
  if (verdict.kvm === 'usable' || o.mode === 'kvm') return { ...verdict, accel: 'kvm' };
  return { ...verdict, accel: 'tcg', cpuModel: o.cpuModel ?? TCG_CPU_MODEL };
}

async function probe(o: AccelChoiceOptions, candidates: string[]): Promise<AccelVerdict> {
  const firmware = await writeProbeFirmware(o.dir);
  const probedAt = new Date().toISOString();
  const started = Date.now();
  const failures: string[] = [];
  for (const cpuModel of candidates) {
    const result = await probeKvmOnce({ qemuBinary: o.qemuBinary, firmware, cpuModel, timeoutMs: o.probeTimeoutMs });
    if (result.ok) return { accel: 'kvm', cpuModel, kvm: 'usable', reason: null, cached: false, probedAt, probeMs: Date.now() - started };
    failures.push(result.reason);
  }
  // The first model's failure is the telling one; the others only confirm it.
  const reason = failures.length > 1 ? `${failures[0]} (also failed: -cpu ${candidates.slice(1).join(', -cpu ')})` : (failures[0] ?? 'no CPU model to try');
  return { accel: 'tcg', cpuModel: TCG_CPU_MODEL, kvm: 'unusable', reason, cached: false, probedAt, probeMs: Date.now() - started };
}
