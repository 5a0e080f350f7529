/**
 * The machine a VM is built as, fixed in its definition at creation (a resumed process needs
 * the identical command line). A Linux guest keeps the machine the demo guest was built for
 * (SeaBIOS, virtio disk and network, std VGA); a Windows guest gets UEFI firmware with its own
 * NVRAM variables, a TPM 2.0 from swtpm, devices a stock Windows has drivers for (or virtio when
 * the image carries the virtio drivers), a display with room for its resolution, and Hyper-V
 * enlightenments under KVM.
 * @module
 */
import { constants } from 'node:fs';
import { access } from 'node:fs/promises';
import path from 'node:path';
import { HypervisorError } from '../../../domain/errors.js';
import type { GuestDevices, GuestMachine, GuestOs } from '../../../domain/types.js';
import type { Accel } from '../vm-definition.js';

/** Where the machine's helpers come from. */
export interface MachineTools {
  /** Directory of the OVMF images (Debian package `ovmf`). Default `/usr/share/OVMF`. */
  firmwareDir?: string;
  /** Default `swtpm` from PATH (Debian package `swtpm`). */
  swtpmBinary?: string;
  /** Default `swtpm_setup` from PATH (Debian package `swtpm-tools`). */
  swtpmSetupBinary?: string;
}

export function resolveMachineTools(tools: MachineTools | undefined): Required<MachineTools> {
  return {
    firmwareDir: tools?.firmwareDir ?? '/usr/share/OVMF',
    swtpmBinary: tools?.swtpmBinary ?? 'swtpm',
    swtpmSetupBinary: tools?.swtpmSetupBinary ?? 'swtpm_setup',
  };
}

export interface UefiFirmware {
  /** Read-only firmware code, shared by every VM. */
  code: string;
  /** The variable store every VM's own copy starts from. */
  varsTemplate: string;
  secureBoot: boolean;
}

/** The machine of one VM, as stored in its definition. */
export interface MachineShape {
  os: GuestOs;
  devices: GuestDevices;
  /** UEFI firmware with per-VM variables; null: SeaBIOS (QEMU's default). */
  uefi: UefiFirmware | null;
  /** A TPM 2.0 device backed by a per-VM swtpm. */
  tpm: boolean;
  display: { width: number; height: number } | null;
  /** Hyper-V enlightenments on the CPU (`hv-…` properties); empty under TCG. */
  hyperv: string[];
}

/**
 * Hyper-V enlightenments a Windows guest uses under KVM, only those that survive migration (and
 * so a save to file and a resume): QEMU's docs/system/i386/hyperv.rst. Left out: `hv-passthrough`
 * and `hv-evmcs` (block migration), `hv-reenlightenment`, `hv-frequencies` and `hv-invtsc`
 * (expose the host's TSC frequency; a state resumed on another host would lie to the guest
 * without a fixed `tsc-frequency`), `hv-syndbg` (debugging).
 * Order matters only for readability: `hv-vpindex` precedes those that need it.
 */
export const MIGRATABLE_HYPERV = [
  'hv-relaxed=on',
  'hv-vapic=on',
  'hv-spinlocks=0x1fff',
  'hv-vpindex=on',
  'hv-runtime=on',
  'hv-time=on',
  'hv-synic=on',
  'hv-stimer=on',
  'hv-tlbflush=on',
  'hv-ipi=on',
  'hv-reset=on',
] as const;

/** The Debian `ovmf` images: 4 MiB builds; Secure Boot takes the one with Microsoft's keys enrolled. */
export function firmwareFiles(firmwareDir: string, secureBoot: boolean): UefiFirmware {
  return secureBoot
    ? { code: path.join(firmwareDir, 'OVMF_CODE_4M.ms.fd'), varsTemplate: path.join(firmwareDir, 'OVMF_VARS_4M.ms.fd'), secureBoot }
    : { code: path.join(firmwareDir, 'OVMF_CODE_4M.fd'), varsTemplate: path.join(firmwareDir, 'OVMF_VARS_4M.fd'), secureBoot };
}

/**
 * The shape for a new VM from what its template declares and the accelerator it will run under;
 * null for the plain Linux machine (its definition then has no shape, as before templates declared one).
 */
export async function resolveMachineShape(
  guest: GuestMachine | undefined,
  accel: Accel,
  tools: Required<MachineTools>,
): Promise<MachineShape | null> {
  if (!guest || (guest.os === 'linux' && guest.display === null)) return null;
  if (guest.os === 'linux') {
    return { os: 'linux', devices: 'virtio', uefi: null, tpm: false, display: guest.display, hyperv: [] };
  }
  const uefi = firmwareFiles(tools.firmwareDir, guest.secureBoot);
  for (const file of [uefi.code, uefi.varsTemplate]) {
    try {
      await access(file, constants.R_OK);
    } catch {
      throw new HypervisorError('HV_UNAVAILABLE', `UEFI firmware ${file} is missing: a Windows guest needs it`, {
        hint: 'apt-get install ovmf (or point the QEMU backend option machine.firmwareDir at the OVMF images)',
      });
    }
  }
  return {
    os: 'windows',
    devices: guest.devices,
    uefi,
    tpm: true,
    display: guest.display,
    hyperv: accel === 'kvm' ? [...MIGRATABLE_HYPERV] : [],
  };
}
