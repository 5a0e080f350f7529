/**
 * Draining a host: it takes no new VMs and no claims (both need status `up`), running work is
 * left alone, and its idle VMs are removed a few at a time; the controllers of the other hosts
 * provision replacements, since a draining host's VMs no longer count for its pools.
 * @module
 */
import type { Orchestrator } from '../orchestrator/orchestrator.js';
import { errorMessage } from '../_util/logger.js';

const IDLE_STATES = ['saved', 'paused', 'off', 'error'] as const;

/** One pass: removes up to `batch` idle VMs of this host; answers their names. */
export async function drainPass(orch: Orchestrator, batch = 4): Promise<string[]> {
  const ctx = orch.ctx;
  const idle = (await ctx.store.listVms({ host: ctx.settings.host, states: IDLE_STATES, leased: false })).slice(0, batch);
  const removed: string[] = [];
  for (const vm of idle) {
    try {
      await orch.removeVm(vm.name);
      removed.push(vm.name);
    } catch (e) {
      ctx.logger.warn({ vm: vm.name, err: errorMessage(e) }, 'drain could not remove VM');
    }
  }
  return removed;
}
