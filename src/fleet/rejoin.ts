/**
 * A host coming back after it was declared lost (a crash, or a network cut it lived through).
 * Its VMs were replaced elsewhere while it was gone, so before it takes any work it removes
 * them — hypervisor and disk — and then makes the rest of the store agree with its hypervisor.
 * It never takes a VM back: one VM row has one host, and the others already moved on.
 * @module
 */
import { rm } from 'node:fs/promises';
import type { Orchestrator } from '../orchestrator/orchestrator.js';
import { errorMessage } from '../_util/logger.js';

export interface RejoinReport {
  removed: string[];
  /** Replaced VMs that could not be removed this time (the caller retries). */
  failed: string[];
  orphansRemoved: string[];
}

const ACTOR = 'rejoin';

/** Removes this host's `unknown` VMs (and finishes its interrupted deletions), then reconciles. */
export async function cleanUpReplaced(orch: Orchestrator): Promise<RejoinReport> {
  const ctx = orch.ctx;
  const removed: string[] = [];
  const failed: string[] = [];
  for (const vm of await ctx.store.listVms({ host: ctx.settings.host, states: ['unknown', 'deleting'] })) {
    try {
      await ctx.hv.remove(vm.name);
      if (vm.diskPath) await rm(vm.diskPath, { force: true });
      await ctx.store.deleteVm(vm.name, { actor: ACTOR, action: 'replaced' });
      ctx.bus.emit('vm-change', { vm: vm.name, pool: vm.pool, from: vm.state, to: null });
      removed.push(vm.name);
    } catch (e) {
      failed.push(vm.name);
      ctx.logger.warn({ vm: vm.name, err: errorMessage(e) }, 'could not remove a replaced VM; will retry');
    }
  }
  // VMs on the hypervisor with no row left (removed above, or by `hvkube host remove`) go too.
  const report = await orch.reconcile({ removeOrphans: true });
  return { removed, failed, orphansRemoved: report.removed };
}
