/**
 * Detecting lost hosts. Every host looks at the others on each heartbeat; one whose heartbeat
 * is older than its lease is declared lost in one transaction (guarded by the epoch and the very
 * heartbeat seen, so a host that renewed meanwhile is left alone, and two detectors never both
 * act). Its VMs become `unknown`; the agents that were using them go back to the queue, or fail
 * when they have no retry left, like agents interrupted by a restart.
 * @module
 */
import type { Agent } from '../domain/types.js';
import type { Store } from '../store/store.js';
import type { Logger } from '../_util/logger.js';
import { errorMessage } from '../_util/logger.js';

export interface LostHost {
  host: string;
  vms: string[];
  requeued: string[];
  failed: string[];
}

/** Whether a host's heartbeat has run past its lease at `nowMs`. */
export function isStale(heartbeatAt: string | null, leaseMs: number, nowMs: number): boolean {
  if (heartbeatAt === null) return true;
  return nowMs - Date.parse(heartbeatAt) > leaseMs;
}

export async function detectLostHosts(store: Store, self: string, nowMs: number, logger: Logger): Promise<LostHost[]> {
  const lost: LostHost[] = [];
  for (const h of await store.listHosts()) {
    if (h.name === self || h.status === 'lost' || !isStale(h.heartbeatAt, h.leaseMs, nowMs)) continue;
    const silentMs = h.heartbeatAt === null ? null : nowMs - Date.parse(h.heartbeatAt);
    const r = await store.markHostLost(h.name, {
      epoch: h.epoch,
      heartbeatAt: h.heartbeatAt,
      actor: `host:${self}`,
      reason: `no heartbeat for ${silentMs ?? '?'} ms (lease ${h.leaseMs} ms)`,
    });
    if (!r) continue;
    const agents = await recoverAgents(store, new Set(r.vms), self, logger);
    logger.warn({ host: h.name, vms: r.vms.length, ...agents }, 'host lost; its VMs are unknown and will be replaced');
    lost.push({ host: h.name, vms: r.vms, ...agents });
  }
  return lost;
}

/** Agents bound to VMs that were lost: back to the queue when a retry is left, else failed. */
async function recoverAgents(store: Store, vms: ReadonlySet<string>, self: string, logger: Logger): Promise<{ requeued: string[]; failed: string[] }> {
  const requeued: string[] = [];
  const failed: string[] = [];
  if (vms.size === 0) return { requeued, failed };
  const actor = `host:${self}`;
  const bound = (await store.listAgents({ statuses: ['scheduled', 'running'] })).filter((a: Agent) => a.vm !== null && vms.has(a.vm));
  for (const agent of bound) {
    try {
      // A scheduled agent had not started; a running one counts the attempt it lost.
      if (agent.status === 'scheduled' || agent.attempts <= agent.task.retries) {
        const back = await store.updateAgent(agent.id, [agent.status], { status: 'pending', vm: null, startedAt: null, deadlineAt: null }, actor);
        if (back) requeued.push(agent.id);
      } else {
        const now = new Date().toISOString();
        const error = `its VM ${agent.vm ?? '?'} was on a host that was lost`;
        const ended = await store.updateAgent(
          agent.id,
          [agent.status],
          {
            status: 'failed',
            endedAt: now,
            result: {
              success: false,
              output: null,
              error,
              screenshots: [],
              durationMs: agent.startedAt ? Date.now() - Date.parse(agent.startedAt) : 0,
              vm: agent.vm,
              timings: { queuedMs: null, resumeMs: null, runMs: null, releaseMs: null },
            },
          },
          actor,
        );
        if (ended) failed.push(agent.id);
      }
    } catch (e) {
      logger.warn({ agent: agent.id, err: errorMessage(e) }, 'could not recover an agent of a lost host');
    }
  }
  return { requeued, failed };
}
