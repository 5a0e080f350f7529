/**
 * The parts of the QEMU command line that depend on the machine shape. Without a shape they are
 * exactly what the Linux demo machine always had, so VMs created before shapes existed keep a
 * command line their saved state matches.
 * @module
 */
import type { VmPaths } from '../vm-definition.js';
import { machineFiles } from './files.js';
import type { MachineShape } from './shape.js';

export interface MachineArgs {
  /** Appended to `-machine q35,memory-backend=ram0`. */
  machineOptions: string;
  /** Appended to the `-cpu` model. */
  cpuOptions: string;
  display: string[];
  /** The device of drive `d0` (id `vd0`). */
  disk: string[];
  /** The device model of the NIC on netdev `net0` (the network layer writes its options). */
  nicModel: 'virtio-net-pci' | 'e1000e';
  /** Firmware, TPM and anything else the shape adds. */
  extra: string[];
}

/** Enough video memory for 32-bit colour at 4K (and the firmware's framebuffer beside it). */
const VGA_MEMORY_MB = 64;

export function machineArgs(shape: MachineShape | undefined, paths: VmPaths): MachineArgs {
  const virtioDisk = ['-device', 'virtio-blk-pci,drive=d0,id=vd0'];
  if (!shape) return { machineOptions: '', cpuOptions: '', display: ['-vga', 'std'], disk: virtioDisk, nicModel: 'virtio-net-pci', extra: [] };

  const stock = shape.devices === 'stock';
  const extra: string[] = [];
  if (shape.uefi) {
    const files = machineFiles(paths);
    extra.push(
      '-drive', `if=pflash,format=raw,unit=0,readonly=on,file=${opt(shape.uefi.code)}`,
      '-drive', `if=pflash,format=raw,unit=1,file=${opt(files.vars)}`,
    );
    // The Secure Boot build keeps its variables behind SMM, so only firmware can change them.
    if (shape.uefi.secureBoot) extra.push('-global', 'driver=cfi.pflash01,property=secure,value=on');
  }
  if (shape.tpm) {
    extra.push(
      '-chardev', `socket,id=chrtpm,path=${opt(machineFiles(paths).tpmSocket)}`,
      '-tpmdev', 'emulator,id=tpm0,chardev=chrtpm',
      '-device', 'tpm-tis,tpmdev=tpm0,id=tpmdev0',
    );
  }
  const size = shape.display ? `,xres=${shape.display.width},yres=${shape.display.height}` : '';
  return {
    machineOptions: shape.uefi?.secureBoot ? ',smm=on' : '',
    cpuOptions: shape.hyperv.map((flag) => `,${flag}`).join(''),
    display: ['-device', `VGA,id=video0,vgamem_mb=${VGA_MEMORY_MB},edid=on${size}`],
    // The AHCI controller (ich9-ahci) is built into q35: its first port is bus ide.0.
    disk: stock ? ['-device', 'ide-hd,drive=d0,bus=ide.0,id=vd0'] : virtioDisk,
    nicModel: stock ? 'e1000e' : 'virtio-net-pci',
    extra,
  };
}

/** QEMU option values use "," as separator; a literal comma is written twice. */
function opt(value: string): string {
  return value.replaceAll(',', ',,');
}
