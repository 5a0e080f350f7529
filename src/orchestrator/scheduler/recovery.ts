/**
 * Start-up recovery: agents a previous scheduler left behind. Expired deadlines fire now;
 * agents caught acquiring go back to the queue; external agents still holding their VM are
 * taken over; other interrupted runs are retried or failed; ended agents that still hold a VM
 * get it released. Runs only under the data directory's scheduler lock.
 * @module
 */
import { isFinalAgentStatus } from '../../domain/agent-state.js';
import type { Agent, Vm } from '../../domain/types.js';
import { isoNow } from '../../_util/clock.js';
import { errorMessage } from '../../_util/logger.js';
import { giveBack } from './agent-runner.js';
import { agentOfHolder, holderOf } from './agent-ids.js';
import { EMPTY_TIMINGS, endingResult } from './results.js';
import type { RunnerDeps } from './run-context.js';

const ACTOR = 'scheduler';

export interface RecoveryOptions {
  /** Take over running external agents (a long-lived scheduler); false leaves them running. */
  adopt: boolean;
  isActive(id: string): boolean;
  startAdopted(agent: Agent, vm: Vm): void;
}

export interface RecoveryReport {
  timedOut: string[];
  requeued: string[];
  failed: string[];
  adopted: string[];
  released: string[];
}

async function heldVm(d: RunnerDeps, agent: Agent): Promise<Vm | null> {
  if (agent.vm === null) return null;
  const vm = await d.store.getVm(agent.vm);
  return vm && vm.state === 'running' && vm.lease?.holder === holderOf(agent.id) ? vm : null;
}

/** Gives back the VM of an agent that ended while no scheduler ran it, and settles its result. */
async function settleOrphan(d: RunnerDeps, agent: Agent): Promise<void> {
  const vm = await heldVm(d, agent);
  const started = d.clock.now();
  if (vm) {
    const workflow = agent.status === 'completed' ? await d.workflows.get(agent.task.workflow).catch(() => null) : null;
    await giveBack(d, agent.id, vm, workflow?.release ?? 'reset');
  }
  const base = agent.result ?? endingResult(agent, started, { success: agent.status === 'completed', error: agent.status === 'completed' ? null : agent.status });
  const result = {
    ...base,
    screenshots: await d.artifacts.listScreenshots(agent.id),
    timings: { ...EMPTY_TIMINGS, ...base.timings, releaseMs: d.clock.now() - started },
  };
  const settled = await d.store.updateAgent(agent.id, [agent.status], { result }, ACTOR);
  if (settled) d.changed(settled);
}

async function endAgent(d: RunnerDeps, agent: Agent, status: 'timed_out' | 'failed', error: string): Promise<boolean> {
  const ended = await d.store.updateAgent(
    agent.id,
    [agent.status],
    { status, endedAt: isoNow(d.clock), result: endingResult(agent, d.clock.now(), { success: false, error }) },
    ACTOR,
  );
  if (!ended) return false;
  d.log(agent.id, `${status.replace('_', ' ')}: ${error}`, 'error');
  await settleOrphan(d, ended);
  return true;
}

export async function recover(d: RunnerDeps, options: RecoveryOptions): Promise<RecoveryReport> {
  const report: RecoveryReport = { timedOut: [], requeued: [], failed: [], adopted: [], released: [] };
  for (const agent of await d.store.listAgents({ statuses: ['scheduled', 'running'] })) {
    if (options.isActive(agent.id)) continue;
    try {
      if (agent.deadlineAt !== null && Date.parse(agent.deadlineAt) <= d.clock.now()) {
        if (await endAgent(d, agent, 'timed_out', `timed out after ${agent.task.timeoutS ?? '?'} s (the deadline passed while hvkube was stopped)`)) report.timedOut.push(agent.id);
        continue;
      }
      const vm = await heldVm(d, agent);
      if (agent.status === 'running' && vm) {
        const workflow = await d.workflows.get(agent.task.workflow).catch(() => null);
        if (workflow?.executor === 'external') {
          // Its outside worker may still report: take it over, or leave it running for the server.
          if (options.adopt) {
            options.startAdopted(agent, vm);
            report.adopted.push(agent.id);
          }
          continue;
        }
      }
      // An acquire or a run cut short: its VM is reset, and the agent queued again if allowed.
      const retry = agent.status === 'scheduled' || agent.attempts <= agent.task.retries;
      if (retry) {
        const back = await d.store.updateAgent(
          agent.id,
          [agent.status],
          { status: 'pending', vm: null, startedAt: null, deadlineAt: null, attempts: agent.status === 'scheduled' ? Math.max(0, agent.attempts - 1) : agent.attempts },
          ACTOR,
        );
        if (!back) continue;
        if (vm) await giveBack(d, agent.id, vm, 'reset');
        d.log(agent.id, 'back in the queue: hvkube stopped while it ran', 'warn');
        d.changed(back);
        report.requeued.push(agent.id);
      } else if (await endAgent(d, agent, 'failed', 'interrupted: hvkube stopped while the agent ran')) {
        report.failed.push(agent.id);
      }
    } catch (e) {
      d.logger.warn({ agent: agent.id, err: errorMessage(e) }, 'could not recover agent');
    }
  }
  // VMs still leased to agents that ended (cancelled or reported from another process meanwhile).
  for (const vm of await d.store.listVms({ leased: true })) {
    const id = vm.lease ? agentOfHolder(vm.lease.holder) : null;
    if (id === null || options.isActive(id) || vm.state !== 'running') continue;
    const agent = await d.store.getAgent(id);
    try {
      if (agent && isFinalAgentStatus(agent.status)) {
        await settleOrphan(d, agent);
        report.released.push(id);
      } else if (!agent || agent.status === 'pending') {
        await giveBack(d, id, vm, 'reset');
        report.released.push(id);
      }
    } catch (e) {
      d.logger.warn({ agent: id, vm: vm.name, err: errorMessage(e) }, 'could not release a VM left by an agent');
    }
  }
  return report;
}
