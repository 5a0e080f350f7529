/**
 * What the host's accelerator turned out to be, and the one sentence every face (log, doctor,
 * demo, `host info`, benchmarks) uses to say so.
 * @module
 */
import type { Accel } from '../vm-definition.js';

export type KvmStatus =
  /** The probe ran a guest under KVM. */
  | 'usable'
  /** The device exists but no guest ran under it; `reason` says why. */
  | 'unusable'
  /** No KVM device. */
  | 'absent'
  /** `qemu.accel: tcg`: KVM was not tried. */
  | 'not-tried';

export interface AccelVerdict {
  /** What new VMs use. */
  accel: Accel;
  /** The CPU model new VMs use (the first candidate that ran under KVM; `qemu64` under TCG). */
  cpuModel: string;
  kvm: KvmStatus;
  /** Why KVM is not used (or, when KVM was forced, why it will fail); null when it is. */
  reason: string | null;
  /** True when the verdict came from the cache in the data directory rather than a probe just now. */
  cached: boolean;
  /** When the probe ran (ISO time), and how long it took; null when nothing was probed. */
  probedAt: string | null;
  probeMs: number | null;
}

/** The sentence for people: what runs the guests and why. */
export function describeVerdict(v: AccelVerdict): string {
  if (v.accel === 'kvm' && v.kvm === 'usable') return `KVM (-cpu ${v.cpuModel}, probed)`;
  if (v.accel === 'kvm') return `KVM forced by qemu.accel but unusable: ${v.reason ?? 'unknown'}; VMs will not start`;
  switch (v.kvm) {
    case 'unusable':
      return `KVM present but unusable: ${v.reason ?? 'unknown'}; using software emulation`;
    case 'absent':
      return `software emulation (${v.reason ?? 'no KVM device'}): boots and resumes are several times slower`;
    default:
      return 'software emulation (qemu.accel is tcg)';
  }
}

/** The short label benchmarks and `host info` put next to figures: `kvm`, `tcg (kvm unusable)`, ... */
export function verdictLabel(v: AccelVerdict): string {
  if (v.accel === 'kvm') return v.kvm === 'usable' ? 'kvm' : 'kvm (unusable)';
  return v.kvm === 'unusable' ? 'tcg (kvm unusable)' : v.kvm === 'absent' ? 'tcg (no kvm)' : 'tcg';
}
