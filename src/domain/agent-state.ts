/**
 * The agent lifecycle: pending -> scheduled -> running -> completed | failed | cancelled | timed_out.
 * @module
 */
import { HvkubeError } from './errors.js';

export const AGENT_STATUSES = [
  'pending',
  'scheduled',
  'running',
  'completed',
  'failed',
  'cancelled',
  'timed_out',
] as const;
export type AgentStatus = (typeof AGENT_STATUSES)[number];

export const FINAL_AGENT_STATUSES: readonly AgentStatus[] = ['completed', 'failed', 'cancelled', 'timed_out'];

export type AgentEvent = 'schedule' | 'start' | 'complete' | 'fail' | 'cancel' | 'timeout' | 'requeue';

const TABLE: Record<AgentEvent, Partial<Record<AgentStatus, AgentStatus>>> = {
  schedule: { pending: 'scheduled' },
  start: { scheduled: 'running' },
  complete: { running: 'completed' },
  fail: { pending: 'failed', scheduled: 'failed', running: 'failed' },
  cancel: { pending: 'cancelled', scheduled: 'cancelled', running: 'cancelled' },
  timeout: { scheduled: 'timed_out', running: 'timed_out' },
  // Back to the queue: a VM that failed before the task began, or a retry after a VM failure.
  requeue: { scheduled: 'pending', running: 'pending' },
};

export function tryAgentTransition(status: AgentStatus, event: AgentEvent): AgentStatus | undefined {
  return TABLE[event][status];
}

export function agentTransition(status: AgentStatus, event: AgentEvent, agentId = 'agent'): AgentStatus {
  const next = tryAgentTransition(status, event);
  if (next === undefined) {
    throw new HvkubeError('AGENT_INVALID_STATE', `agent ${agentId} is ${status}; "${event}" is not possible`, {
      hint: FINAL_AGENT_STATUSES.includes(status) ? 'the agent has already ended' : 'wait for it to progress',
      details: { agent: agentId, status, event },
    });
  }
  return next;
}

export function isFinalAgentStatus(status: AgentStatus): boolean {
  return FINAL_AGENT_STATUSES.includes(status);
}
