/**
 * A VM's machine state on disk: creating it (a fresh variable store and a manufactured TPM),
 * copying it into and out of checkpoints, and its size.
 * @module
 */
import { copyFile, mkdir, readdir, rename, rm, stat } from 'node:fs/promises';
import path from 'node:path';
import { HypervisorError } from '../../../domain/errors.js';
import type { MachineStateFiles } from './files.js';
import type { MachineShape } from './shape.js';
import { manufactureTpm } from './swtpm.js';

/** Gives a new VM its own UEFI variables and TPM. */
export async function createMachineState(shape: MachineShape, files: MachineStateFiles, swtpmSetup: string): Promise<void> {
  if (shape.uefi) await copyFile(shape.uefi.varsTemplate, files.vars);
  if (shape.tpm) await manufactureTpm(swtpmSetup, files.tpmDir);
}

/**
 * Copies the machine state from `from` to `to` (a checkpoint being taken or restored), replacing
 * what `to` had. The caller makes sure no process writes `from` meanwhile.
 */
export async function copyMachineState(shape: MachineShape, from: MachineStateFiles, to: MachineStateFiles): Promise<void> {
  if (shape.uefi) {
    try {
      await copyFile(from.vars, `${to.vars}.copy`);
      await rename(`${to.vars}.copy`, to.vars);
    } catch (e) {
      await rm(`${to.vars}.copy`, { force: true });
      throw new HypervisorError('HV_FAILED', `cannot copy the UEFI variables ${from.vars}: ${(e as Error).message.split('\n')[0]}`, { cause: e });
    }
  }
  if (shape.tpm) {
    const tmp = `${to.tpmDir}.copy`;
    await rm(tmp, { recursive: true, force: true });
    await mkdir(tmp, { recursive: true, mode: 0o700 });
    for (const entry of await readdir(from.tpmDir)) {
      // swtpm's lock file is its own, not state.
      if (entry === '.lock') continue;
      await copyFile(path.join(from.tpmDir, entry), path.join(tmp, entry));
    }
    await rm(to.tpmDir, { recursive: true, force: true });
    await rename(tmp, to.tpmDir);
  }
}

/** Bytes the machine state takes (variable store and TPM state). */
export async function machineStateBytes(files: MachineStateFiles): Promise<number> {
  let total = (await stat(files.vars).catch(() => null))?.size ?? 0;
  for (const entry of await readdir(files.tpmDir).catch(() => [])) {
    total += (await stat(path.join(files.tpmDir, entry)).catch(() => null))?.size ?? 0;
  }
  return total;
}
