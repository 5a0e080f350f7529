/**
 * Agent ids: `agt-` then the time and a per-process sequence in base 36, then a random tail.
 * They sort in submission order, which makes them the queue's tie-break for agents submitted in
 * the same millisecond.
 * @module
 */
import { HvkubeError } from '../../domain/errors.js';
import { shortId } from '../../_util/ids.js';

export const AGENT_ID_PATTERN = /^agt-[0-9a-z]{12,40}$/;

let sequence = 0;

export function newAgentId(nowMs: number): string {
  sequence = (sequence + 1) % 36 ** 4;
  return `agt-${nowMs.toString(36).padStart(9, '0')}${sequence.toString(36).padStart(4, '0')}${shortId(5)}`;
}

/** Throws INVALID_NAME unless `id` looks like an id hvkube hands out. */
export function validateAgentId(id: unknown): string {
  if (typeof id !== 'string' || !AGENT_ID_PATTERN.test(id)) {
    const shown = typeof id === 'string' ? JSON.stringify(id.length > 60 ? `${id.slice(0, 60)}…` : id) : String(id);
    throw new HvkubeError('INVALID_NAME', `agent id ${shown} is not valid`, {
      hint: 'agent ids look like agt-0lq2x3abc0001k3j2h; list them with `hvkube agent list`',
      details: { kind: 'agent' },
    });
  }
  return id;
}

/** The lease holder an agent's VM carries, so a VM in `vm list` shows which agent has it. */
export function holderOf(agentId: string): string {
  return `agent:${agentId}`;
}

export function agentOfHolder(holder: string): string | null {
  const id = holder.startsWith('agent:') ? holder.slice('agent:'.length) : null;
  return id !== null && AGENT_ID_PATTERN.test(id) ? id : null;
}
