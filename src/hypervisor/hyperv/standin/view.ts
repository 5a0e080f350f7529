/**
 * What our scripts print for a VM (`ConvertTo-HvkVmView` in _lib.ps1), from the simulated VM.
 * @module
 */
import { VM_STATE_NAMES } from '../normalise.js';
import type { SimVm } from './state.js';

export const STATE = {
  Running: 2,
  Off: 3,
  Stopping: 4,
  Saved: 6,
  Paused: 9,
  Starting: 10,
  Saving: 32773,
  Pausing: 32776,
  Resuming: 32777,
} as const;

/** `$FreshDiskMarker` of _lib.ps1. */
export const FRESH_DISK_MARKER = 'hvkube-fresh-disk:';

export function stateName(vm: SimVm): string {
  return VM_STATE_NAMES[vm.state] ?? String(vm.state);
}

export function isGuestReady(vm: SimVm, now: number): boolean {
  return vm.state === STATE.Running && vm.guestReadyAt !== null && now >= vm.guestReadyAt;
}

export function uptimeSeconds(vm: SimVm, now: number): number {
  if (vm.runningSince === null) return 0;
  return Math.floor((vm.uptimeBeforeSaveMs + now - vm.runningSince) / 1000);
}

function heartbeat(vm: SimVm, now: number): string | null {
  if (vm.state === STATE.Paused) return 'Paused';
  if (vm.state !== STATE.Running) return null;
  return isGuestReady(vm, now) ? 'OkApplicationsHealthy' : 'NoContact';
}

export function vmView(vm: SimVm, now: number): Record<string, unknown> {
  const live = vm.state === STATE.Running || vm.state === STATE.Paused;
  return {
    id: vm.id,
    name: vm.name,
    state: stateName(vm),
    status: 'Operating normally',
    heartbeat: heartbeat(vm, now),
    uptimeSeconds: uptimeSeconds(vm, now),
    memoryAssignedBytes: live ? vm.memoryStartupBytes : 0,
    memoryStartupBytes: vm.memoryStartupBytes,
    processorCount: vm.processorCount,
    generation: vm.generation,
    checkpointType: vm.checkpointType,
    automaticCheckpointsEnabled: vm.automaticCheckpointsEnabled,
    parentCheckpointName: vm.parentCheckpointName,
    checkpoints: [...vm.checkpoints.map((c) => c.name), ...(vm.notes.startsWith(FRESH_DISK_MARKER) ? [vm.notes.slice(FRESH_DISK_MARKER.length)] : [])],
    path: vm.path,
  };
}

/** `Where-Object { $_.Name -eq $Name }`: exact, case-insensitive, no wildcards. */
export function findVms(vms: readonly SimVm[], name: string): SimVm[] {
  const wanted = name.toLowerCase();
  return vms.filter((v) => v.name.toLowerCase() === wanted);
}
