/**
 * Removing a VM: `deleting` first, then the hypervisor removes the VM and its files, then the row
 * goes. A failure leaves the row in `deleting`, and reconcile finishes the job.
 * @module
 */
import { rm } from 'node:fs/promises';
import type { Vm } from '../domain/types.js';
import type { OrchestratorContext } from './context.js';
import { transition } from './vm-operation.js';

/** Starts the removal (state `deleting`); `finished` settles when the VM and its files are gone. */
export async function beginRemove(ctx: OrchestratorContext, vm: Vm, actor: string, leaseId?: string | null, details?: Record<string, unknown>): Promise<{ finished: Promise<void> }> {
  const deleting = await transition(ctx, vm, { event: 'delete', actor, leaseId, patch: { lease: null }, details });
  return { finished: finishRemove(ctx, deleting, actor) };
}

/** Removes a VM already in `deleting` from the hypervisor, its disk, then its row. */
export async function finishRemove(ctx: OrchestratorContext, vm: Vm, actor: string): Promise<void> {
  await ctx.hv.remove(vm.name);
  // The backend removes the files it knows; a disk made before the VM existed may remain.
  if (vm.diskPath) await rm(vm.diskPath, { force: true });
  await ctx.store.deleteVm(vm.name, { actor, action: 'deleted' });
  ctx.bus.emit('vm-change', { vm: vm.name, pool: vm.pool, from: 'deleting', to: null });
  ctx.bus.emit('appended');
}
