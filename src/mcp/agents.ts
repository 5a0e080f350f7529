/**
 * What the MCP tools and the dashboard need from the agent scheduler, and the adapter over the
 * Scheduler. Kept as a small port so both faces work (without agent features) on a server that
 * runs no scheduler, and tests can stand in for it.
 * @module
 */
import { FINAL_AGENT_STATUSES } from '../domain/agent-state.js';
import type { Agent } from '../domain/types.js';
import type { Scheduler } from '../orchestrator/scheduler/index.js';

export interface AgentSubmission {
  pool: string;
  workflow: string;
  input: Record<string, unknown>;
}

export interface WorkflowInfo {
  name: string;
  description: string | null;
}

export interface AgentsPort {
  submit(submission: AgentSubmission): Promise<Agent>;
  get(id: string): Promise<Agent>;
  /** Agents waiting or running, in queue order. */
  queued(): Promise<Agent[]>;
  /** The most recently ended agents, newest first. */
  ended(limit: number): Promise<Agent[]>;
  cancel(id: string, actor: string): Promise<Agent>;
  /** Workflows that load (broken files are left out: they cannot be submitted). */
  workflows(): Promise<WorkflowInfo[]>;
}

export function agentsFromScheduler(scheduler: Scheduler): AgentsPort {
  return {
    submit: (s) => scheduler.submit({ pool: s.pool, workflow: s.workflow, input: s.input }),
    get: (id) => scheduler.show(id),
    queued: () => scheduler.list({ status: ['pending', 'scheduled', 'running'] }),
    async ended(limit) {
      const ended = await scheduler.list({ status: FINAL_AGENT_STATUSES });
      return ended
        .sort((a, b) => (b.endedAt ?? b.submittedAt).localeCompare(a.endedAt ?? a.submittedAt))
        .slice(0, limit);
    },
    cancel: (id, actor) => scheduler.cancel(id, actor),
    async workflows() {
      return (await scheduler.workflows.list())
        .filter((w) => w.valid)
        .map((w) => ({ name: w.name, description: w.description }));
    },
  };
}
