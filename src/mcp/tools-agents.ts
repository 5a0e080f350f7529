/**
 * MCP tools over the agent scheduler: submit_agent and agent_status. Registered only when the
 * server runs a scheduler.
 * @module
 */
import type { McpServer } from '@modelcontextprotocol/server';
import type { Agent } from '../domain/types.js';
import type { AgentsPort } from './agents.js';
import { guarded, jsonResult } from './results.js';
import { AgentStatusInput, SubmitAgentInput } from './schemas.js';
import type { ToolDeps } from './tool-deps.js';

export function agentSummary(a: Agent): Record<string, unknown> {
  return {
    id: a.id,
    pool: a.pool,
    workflow: a.task.workflow,
    status: a.status,
    vm_name: a.vm,
    attempts: a.attempts,
    submitted_at: a.submittedAt,
    started_at: a.startedAt,
    ended_at: a.endedAt,
    result: a.result
      ? {
          success: a.result.success,
          output: a.result.output,
          error: a.result.error,
          screenshots: a.result.screenshots,
          duration_ms: a.result.durationMs,
        }
      : null,
  };
}

export function registerAgentTools(
  server: McpServer,
  agents: AgentsPort,
  { logger }: ToolDeps,
): void {
  server.registerTool(
    'submit_agent',
    {
      title: 'Submit an agent',
      description:
        'Queues a workflow to run on a desktop of a pool; the scheduler acquires a VM, runs it and releases the VM. Answers the agent id; follow it with agent_status.',
      inputSchema: SubmitAgentInput,
    },
    ({ pool, workflow, input }) =>
      guarded('submit_agent', logger, async () => {
        const agent = await agents.submit({
          pool,
          workflow,
          input: input ?? {},
        });
        return jsonResult(agentSummary(agent));
      }),
  );

  server.registerTool(
    'agent_status',
    {
      title: 'Agent status',
      description:
        'Shows an agent: pending, scheduled, running, completed, failed, cancelled or timed_out, with its result when finished.',
      inputSchema: AgentStatusInput,
      annotations: { readOnlyHint: true },
    },
    ({ id }) =>
      guarded('agent_status', logger, async () => jsonResult(agentSummary(await agents.get(id)))),
  );
}
