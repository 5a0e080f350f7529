/**
 * Stand-in power operations, enforcing Hyper-V's state machine (hyperv.md §8.4):
 * Off→Running (boot), Saved→Running (restore), Running⇄Paused, Running/Paused→Saved,
 * Running→Off (shutdown / turn off), Saved→Off (saved state discarded). Each script's own
 * guards come first (as in the .ps1), then the cmdlet's (as Hyper-V would refuse).
 * @module
 */
import { randomUUID } from 'node:crypto';
import path from 'node:path';
import { PsError, cmdletInvalidState, hyperVFailure, savedStateIncompatible } from './ps-errors.js';
import type { Bound } from './params.js';
import { newScreen, type SimHost, type SimScreen, type SimVm } from './state.js';
import { FRESH_DISK_MARKER, STATE, vmView } from './view.js';
import { assertState, deleteDiskFile, findVm, freeMemoryBytes, lookupVm, writeDiskFile } from './ops-host.js';
import type { OpContext, RunContext } from './ops-context.js';
import { callIndex, calls } from './strict.js';

function cloneScreen(screen: SimScreen): SimScreen {
  return JSON.parse(JSON.stringify(screen)) as SimScreen;
}

function powerOff(vm: SimVm): void {
  vm.state = STATE.Off;
  vm.runningSince = null;
  vm.uptimeBeforeSaveMs = 0;
  vm.guestReadyAt = null;
  vm.screen = newScreen();
}

/** Start-VM: boots Off, restores Saved. */
function cmdStart(ctx: OpContext, host: SimHost, vm: SimVm): void {
  if (vm.state !== STATE.Off && vm.state !== STATE.Saved) throw cmdletInvalidState('StartVM', vm.name);
  if (vm.state === STATE.Saved && (vm.savedStateIncompatible || ctx.faults.savedStateIncompatible.includes(vm.name))) {
    throw savedStateIncompatible(vm.name, vm.id);
  }
  if (vm.memoryStartupBytes > freeMemoryBytes(host)) {
    throw hyperVFailure(
      `'${vm.name}' failed to start.\r\n\r\nNot enough memory in the system to start the virtual machine ${vm.name}.`,
      'NotSpecified',
      'OutOfMemory',
      'StartVM',
    );
  }
  const now = ctx.now();
  if (vm.state === STATE.Off) {
    // Client Hyper-V takes an automatic checkpoint when a VM without checkpoints starts.
    if (vm.automaticCheckpointsEnabled && vm.checkpoints.length === 0) {
      vm.checkpoints.push({ id: randomUUID(), name: `Automatic Checkpoint - ${vm.name}`, withMemory: false, screen: cloneScreen(vm.screen), createdAt: now });
    }
    vm.uptimeBeforeSaveMs = 0;
    vm.guestReadyAt = now + (ctx.latency.boot ?? 0);
    vm.screen = newScreen();
    vm.screen.lines = [`${vm.name} - Windows`, ''];
  }
  vm.state = STATE.Running;
  vm.runningSince = now;
}

export function startVm(ctx: RunContext, p: Bound): unknown {
  return ctx.store.update((host) => {
    const vm = lookupVm(ctx, host, p);
    assertState(vm, [STATE.Off, STATE.Saved, STATE.Paused], 'Start');
    if (vm.state === STATE.Paused) vm.state = STATE.Running;
    else cmdStart(ctx, host, vm);
    return { state: 'Running' };
  });
}

export function saveVm(ctx: RunContext, p: Bound): unknown {
  return ctx.store.update((host) => {
    const vm = lookupVm(ctx, host, p);
    assertState(vm, [STATE.Running, STATE.Paused], 'Save');
    vm.uptimeBeforeSaveMs += vm.runningSince === null ? 0 : ctx.now() - vm.runningSince;
    vm.runningSince = null;
    vm.state = STATE.Saved;
    return { state: 'Saved' };
  });
}

export function suspendVm(ctx: RunContext, p: Bound): unknown {
  return ctx.store.update((host) => {
    const vm = lookupVm(ctx, host, p);
    assertState(vm, [STATE.Running], 'Pause');
    vm.state = STATE.Paused;
    return { state: 'Paused' };
  });
}

export function resumeVm(ctx: RunContext, p: Bound): unknown {
  return ctx.store.update((host) => {
    const vm = lookupVm(ctx, host, p);
    assertState(vm, [STATE.Paused], 'Unpause');
    vm.state = STATE.Running;
    return { state: 'Running' };
  });
}

export function stopVm(ctx: RunContext, p: Bound): unknown {
  return ctx.store.update((host) => {
    const vm = lookupVm(ctx, host, p);
    if (vm.state === STATE.Off) return { state: 'Off' };
    if (vm.state !== STATE.Saved && p.TurnOff !== true && vm.state !== STATE.Paused) assertState(vm, [STATE.Running], 'Stop');
    if (!([STATE.Running, STATE.Paused, STATE.Saved] as number[]).includes(vm.state)) throw cmdletInvalidState('StopVM', vm.name);
    powerOff(vm);
    return { state: 'Off' };
  });
}

/** The VM's disk chain down to its own differencing disk: checkpoint disks first. */
function diskChain(host: SimHost, start: string): string[] {
  const chain: string[] = [];
  let current: string | null = start;
  while (current) {
    chain.push(current);
    const file = host.files.find((f) => f.path.toLowerCase() === current?.toLowerCase());
    if (!file || file.kind !== 'avhd') break;
    current = file.parentPath;
  }
  return chain;
}

function sharingViolation(file: string): PsError {
  return new PsError(
    `Exception calling "Delete" with "1" argument(s): "The process cannot access the file '${file}' because it is being used by another process."`,
    'NotSpecified',
    'IOException',
    'System.Management.Automation.MethodInvocationException',
  );
}

/**
 * remove-vm.ps1 against Hyper-V's merge behaviour (REMOVEVM): a VM removed with checkpoints has
 * them merged into its disk in the background after it is gone, and the files stay locked while
 * that runs, longer than a delete's retries. A script that deletes the checkpoints first and
 * waits for their merge (while the VM still exists) finds the files free.
 */
export async function removeVm(ctx: RunContext, p: Bound): Promise<unknown> {
  const mergesFirst = calls(ctx.script, 'Remove-VMSnapshot') && callIndex(ctx.script, 'Remove-VMSnapshot') < callIndex(ctx.script, 'Remove-VM');
  const first = ctx.store.update((host) => {
    const vm = findVm(ctx, host, p);
    if (!vm) return null;
    if (vm.state !== STATE.Off) powerOff(vm);
    return { checkpoints: vm.checkpoints.length, id: vm.id };
  });
  if (first === null) return { removed: false, files: [] };
  if (first.checkpoints > 0 && mergesFirst) await new Promise((r) => setTimeout(r, ctx.latency.merge ?? 0));
  return ctx.store.update((host) => {
    const vm = host.vms.find((v) => v.id === first.id);
    if (!vm) return { removed: false, files: [] };
    const chain = diskChain(host, vm.vhdPath);
    if (vm.checkpoints.length > 0 && mergesFirst) {
      // Merged: the checkpoint disks are gone, the VM's drive is its own disk again.
      const merged = new Set(chain.slice(0, -1).map((f) => f.toLowerCase()));
      host.files = host.files.filter((f) => !merged.has(f.path.toLowerCase()));
      chain.slice(0, -1).forEach(deleteDiskFile);
      vm.vhdPath = chain[chain.length - 1] ?? vm.vhdPath;
      vm.checkpoints = [];
    }
    host.vms = host.vms.filter((v) => v !== vm);
    if (vm.checkpoints.length > 0) {
      // Removed with its checkpoints: the background merge holds every file of the chain.
      throw sharingViolation(chain[0] ?? vm.vhdPath);
    }
    const files = [vm.vhdPath];
    const gone = new Set(files.map((f) => f.toLowerCase()));
    host.files = host.files.filter((f) => !gone.has(f.path.toLowerCase()));
    files.forEach(deleteDiskFile);
    return { removed: true, files };
  });
}

export function checkpointVm(ctx: RunContext, p: Bound): unknown {
  return ctx.store.update((host) => {
    const vm = lookupVm(ctx, host, p);
    const snapshotName = typeof p.SnapshotName === 'string' ? p.SnapshotName : '';
    if (vm.gpuPartitions > 0 && calls(ctx.script, 'Get-VMGpuPartitionAdapter')) {
      vm.notes = `${FRESH_DISK_MARKER}${snapshotName}`;
      return { vm: vmView(vm, ctx.now()) };
    }
    if (vm.gpuPartitions > 0) {
      throw hyperVFailure(
        `Checkpoint operation failed for '${vm.name}'. The operation cannot be performed on the virtual machine because it is assigned one or more GPUP partitions.`,
        'NotSpecified',
        'OperationFailed',
        'CheckpointVM',
      );
    }
    if (!([STATE.Off, STATE.Running, STATE.Paused, STATE.Saved] as number[]).includes(vm.state)) throw cmdletInvalidState('CheckpointVM', vm.name);
    vm.checkpointType = 'Standard';
    const flavour = vm.vhdPath.startsWith('/') ? path.posix : path.win32;
    const base = flavour.basename(vm.vhdPath, flavour.extname(vm.vhdPath));
    const id = randomUUID();
    const avhd = flavour.join(flavour.dirname(vm.vhdPath), `${base}_${id.toUpperCase()}.avhdx`);
    writeDiskFile(avhd, vm.vhdPath);
    host.files.push({ path: avhd, kind: 'avhd', parentPath: vm.vhdPath });
    vm.vhdPath = avhd;
    vm.checkpoints.push({ id, name: snapshotName, withMemory: vm.state !== STATE.Off, screen: cloneScreen(vm.screen), createdAt: ctx.now() });
    vm.parentCheckpointName = snapshotName;
    return { vm: vmView(vm, ctx.now()) };
  });
}

export function restoreCheckpoint(ctx: RunContext, p: Bound): unknown {
  return ctx.store.update((host) => {
    const vm = lookupVm(ctx, host, p);
    const wanted = typeof p.SnapshotName === 'string' ? p.SnapshotName.toLowerCase() : '';
    const snapshot = vm.checkpoints.find((c) => c.name.toLowerCase() === wanted);
    if (!snapshot && vm.notes.toLowerCase() === `${FRESH_DISK_MARKER}${wanted}` && calls(ctx.script, 'New-VHD')) {
      // A fresh differencing disk of the same parent: the VM starts over from the template.
      if (vm.state !== STATE.Off) powerOff(vm);
      const disk = host.files.find((f) => f.path.toLowerCase() === vm.vhdPath.toLowerCase());
      deleteDiskFile(vm.vhdPath);
      writeDiskFile(vm.vhdPath, disk?.parentPath ?? null);
      vm.screen = newScreen();
      return { state: 'Off' };
    }
    if (!snapshot) {
      throw new PsError(`Hyper-V was unable to find a checkpoint named "${String(p.SnapshotName)}" of "${vm.name}".`, 'ObjectNotFound', 'ObjectNotFound');
    }
    if (vm.state !== STATE.Off && vm.state !== STATE.Saved) powerOff(vm);
    vm.screen = cloneScreen(snapshot.screen);
    vm.parentCheckpointName = snapshot.name;
    vm.runningSince = null;
    if (snapshot.withMemory) {
      vm.state = STATE.Saved;
      vm.guestReadyAt = 0;
      vm.savedStateIncompatible = false;
    } else {
      vm.state = STATE.Off;
      vm.guestReadyAt = null;
    }
    return { state: snapshot.withMemory ? 'Saved' : 'Off' };
  });
}
