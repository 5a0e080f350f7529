/**
 * The machine a VM is built as (see shape.ts) and the helpers that run beside its QEMU. The
 * backend calls these at fixed points: when a VM is created, before and after each QEMU process,
 * around checkpoints, and when it looks at a VM.
 * @module
 */
import type { VmDefinition, VmPaths } from '../vm-definition.js';
import { machineFiles, machineStateFiles } from './files.js';
import { copyMachineState, createMachineState, machineStateBytes } from './state.js';
import type { MachineTools } from './shape.js';
import { endSwtpm, findSwtpm, ORPHAN_GRACE_MS, startSwtpm, swtpmAgeMs } from './swtpm.js';

export { machineArgs, type MachineArgs } from './args.js';
export { machineFiles, machineStateFiles, type MachineFiles, type MachineStateFiles } from './files.js';
export {
  firmwareFiles, MIGRATABLE_HYPERV, resolveMachineShape, resolveMachineTools, type MachineShape, type MachineTools, type UefiFirmware,
} from './shape.js';
export { findSwtpm } from './swtpm.js';

/** Creates the new VM's own firmware variables and TPM state. */
export async function createVmMachine(def: VmDefinition, paths: VmPaths, tools: Required<MachineTools>): Promise<void> {
  if (def.shape) await createMachineState(def.shape, machineStateFiles(paths.dir), tools.swtpmSetupBinary);
}

/** Starts what must run before the VM's QEMU (its swtpm). */
export async function startMachineHelpers(def: VmDefinition, paths: VmPaths, tools: Required<MachineTools>): Promise<void> {
  if (def.shape?.tpm) await startSwtpm(tools.swtpmBinary, machineFiles(paths));
}

/** Ends what ran beside a QEMU that has ended (or never started). */
export async function endMachineHelpers(def: VmDefinition | null, paths: VmPaths): Promise<void> {
  if (!def || def.shape?.tpm) await endSwtpm(machineFiles(paths));
}

/**
 * Whether the helpers a live QEMU needs still run: false when its swtpm died (the guest has lost
 * its TPM and the VM can no longer be saved; the backend reports it as broken).
 */
export async function machineHelpersAlive(def: VmDefinition, paths: VmPaths): Promise<boolean> {
  return !def.shape?.tpm || (await findSwtpm(machineFiles(paths))) !== null;
}

/**
 * Ends a swtpm that runs although the VM has no QEMU (neither its own nor a standby): hvkube was
 * killed between starting the two. One younger than a grace period is left alone, as another
 * process may be about to start its QEMU.
 */
export async function sweepMachineHelpers(def: VmDefinition, paths: VmPaths): Promise<void> {
  if (!def.shape?.tpm) return;
  const files = machineFiles(paths);
  if ((await findSwtpm(files)) === null) return;
  const age = await swtpmAgeMs(files);
  if (age !== null && age < ORPHAN_GRACE_MS) return;
  await endSwtpm(files);
}

/** Copies the VM's machine state into a checkpoint directory, or back from one. */
export async function copyMachineStateTo(def: VmDefinition, fromDir: string, toDir: string): Promise<void> {
  if (def.shape) await copyMachineState(def.shape, machineStateFiles(fromDir), machineStateFiles(toDir));
}

/** Bytes of machine state the VM keeps beside its saved device state. */
export async function vmMachineStateBytes(def: VmDefinition, paths: VmPaths): Promise<number> {
  return def.shape ? machineStateBytes(machineStateFiles(paths.dir)) : 0;
}
