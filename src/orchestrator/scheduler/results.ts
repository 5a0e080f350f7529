/**
 * Agent results. Whoever ends an agent (its runner, a cancel, an outside report, a timeout)
 * writes a first result with the final status; the runner then completes it once the VM is back
 * (release time, screenshots). A result is "settled" when nothing more will be added.
 * @module
 */
import type { Agent, AgentResult, AgentTimings } from '../../domain/types.js';
import { isFinalAgentStatus } from '../../domain/agent-state.js';

export const EMPTY_TIMINGS: AgentTimings = { queuedMs: null, resumeMs: null, runMs: null, releaseMs: null };

export function msSince(iso: string | null, now: number): number | null {
  return iso === null ? null : Math.max(0, now - Date.parse(iso));
}

/** The result written at the moment an agent ends from outside its runner. */
export function endingResult(agent: Agent, now: number, fields: { success: boolean; output?: unknown; error: string | null }): AgentResult {
  return {
    success: fields.success,
    output: fields.output ?? null,
    error: fields.error,
    screenshots: agent.result?.screenshots ?? [],
    durationMs: msSince(agent.startedAt, now) ?? 0,
    vm: agent.vm,
    // An agent that never held a VM has nothing left to do: its release time is 0.
    timings: { ...EMPTY_TIMINGS, ...agent.result?.timings, releaseMs: agent.vm === null ? 0 : null },
  };
}

/** Ended, and its VM is back (or it never had one): the result will not change any more. */
export function isSettled(agent: Agent): boolean {
  if (!isFinalAgentStatus(agent.status) || agent.result === null) return false;
  return agent.result.timings.releaseMs !== null;
}
