/**
 * The files a machine shape adds to a VM: its copy of the UEFI variables, the swtpm state
 * directory, and the swtpm's PID file, log and control socket. They sit beside the VM's other
 * files (and in each checkpoint), so that everything a VM is gets saved, restored and removed
 * with it.
 * @module
 */
import path from 'node:path';
import type { VmPaths } from '../vm-definition.js';

/** The machine state that belongs to a VM and to each of its checkpoints. */
export interface MachineStateFiles {
  /** The VM's UEFI variable store (NVRAM), a copy of the firmware's template. */
  vars: string;
  /** swtpm's state directory (`tpm2-00.permall`: the TPM's persistent state). */
  tpmDir: string;
}

export interface MachineFiles extends MachineStateFiles {
  swtpmPid: string;
  swtpmLog: string;
  /** swtpm's control socket; beside the QMP socket in the short run dir (107-byte limit). */
  tpmSocket: string;
}

export function machineFiles(paths: VmPaths): MachineFiles {
  return {
    ...machineStateFiles(paths.dir),
    swtpmPid: path.join(paths.dir, 'swtpm.pid'),
    swtpmLog: path.join(paths.dir, 'swtpm.log'),
    tpmSocket: paths.qmpSocket.replace(/\.qmp$/, '.tpm'),
  };
}

/** The machine state files under a VM's or a checkpoint's directory. */
export function machineStateFiles(dir: string): MachineStateFiles {
  return { vars: path.join(dir, 'efivars.fd'), tpmDir: path.join(dir, 'tpm') };
}
