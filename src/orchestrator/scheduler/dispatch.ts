/**
 * One pass over the queue: per pool, pending agents in order (priority, then submission) get a
 * VM while the pool has ready VMs and stays under `max_running`. An agent is marked `scheduled`
 * (compare-and-set, so a cancel in between wins) before its runner acquires the VM.
 * @module
 */
import type { Agent, Pool } from '../../domain/types.js';
import { READY_VM_STATES } from '../../domain/vm-state.js';
import { isoNow } from '../../_util/clock.js';
import { errorMessage } from '../../_util/logger.js';
import { endingResult } from './results.js';
import type { RunnerDeps } from './run-context.js';

export interface DispatchHooks {
  /** Whether this scheduler may start the agent (the CLI runs only its own). */
  accepts(agent: Agent): boolean;
  /** Still running here (a requeued agent whose old run is finishing waits for the next pass). */
  isActive(id: string): boolean;
  /** A pool whose last acquire found no VM: skipped until a VM becomes ready. */
  isStarved(pool: string): boolean;
  /** Runs of this pool between dispatch and a claimed VM: they will take ready VMs. */
  acquiring(pool: string): number;
  stopping(): boolean;
  launch(agent: Agent): void;
}

function groupByPool(agents: Agent[]): Map<string, Agent[]> {
  const byPool = new Map<string, Agent[]>();
  for (const a of agents) byPool.set(a.pool, [...(byPool.get(a.pool) ?? []), a]);
  return byPool;
}

async function freeSlots(d: RunnerDeps, pool: Pool, hooks: DispatchHooks): Promise<number> {
  const ready =
    (await d.store.countVms({ pool: pool.name, states: READY_VM_STATES, leased: false, host: d.orch.ctx.settings.host })) - hooks.acquiring(pool.name);
  if (pool.maxRunning === null) return ready;
  // Counted from the store, so agents run by another process count too.
  const busy = (await d.store.listAgents({ pool: pool.name, statuses: ['scheduled', 'running'] })).length;
  return Math.min(ready, pool.maxRunning - busy);
}

/** A task that needs a GPU never reaches a pool without one (checked at submit; the template may have changed since). */
async function refuseWithoutGpu(d: RunnerDeps, agent: Agent, pool: Pool): Promise<boolean> {
  if (!agent.task.needsGpu) return false;
  const template = await d.store.getTemplate(pool.template);
  if (template?.gpu) return false;
  const error = `pool ${pool.name} has no GPU (template ${pool.template}) and this task needs one`;
  const failed = await d.store.updateAgent(agent.id, ['pending'], { status: 'failed', endedAt: isoNow(d.clock), result: endingResult(agent, d.clock.now(), { success: false, error }) }, 'scheduler');
  if (failed) {
    d.log(agent.id, `failed: ${error}`, 'error');
    d.changed(failed);
  }
  return true;
}

/** Answers how many agents it dispatched. */
export async function dispatchPass(d: RunnerDeps, hooks: DispatchHooks): Promise<number> {
  const pending = (await d.store.listAgents({ statuses: ['pending'] })).filter((a) => hooks.accepts(a) && !hooks.isActive(a.id));
  let dispatched = 0;
  for (const [poolName, queue] of groupByPool(pending)) {
    if (hooks.isStarved(poolName)) continue;
    try {
      const pool = await d.store.getPool(poolName);
      if (!pool) continue;
      let slots = await freeSlots(d, pool, hooks);
      for (const agent of queue) {
        if (slots <= 0 || hooks.stopping()) break;
        if (await refuseWithoutGpu(d, agent, pool)) continue;
        const now = d.clock.now();
        const scheduled = await d.store.updateAgent(
          agent.id,
          ['pending'],
          {
            status: 'scheduled',
            attempts: agent.attempts + 1,
            deadlineAt: agent.task.timeoutS === null ? null : new Date(now + agent.task.timeoutS * 1000).toISOString(),
          },
          'scheduler',
        );
        if (!scheduled) continue;
        slots--;
        dispatched++;
        d.changed(scheduled);
        hooks.launch(scheduled);
      }
    } catch (e) {
      d.logger.warn({ pool: poolName, err: errorMessage(e) }, 'dispatch pass failed for a pool; will retry');
    }
  }
  return dispatched;
}
