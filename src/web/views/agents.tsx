/**
 * The agent queue fragment: recent agents with status, timings, results and artifacts, a cancel
 * action, and a form to submit an agent from a workflow.
 * @module
 */
import type { JSX } from 'hono/jsx/jsx-runtime';
import type { Agent, Pool } from '../../domain/types.js';
import { FINAL_AGENT_STATUSES } from '../../domain/agent-state.js';
import type { WorkflowInfo } from '../../mcp/agents.js';
import { clock, duration } from '../format.js';

function AgentRow({ a }: { a: Agent }): JSX.Element {
  const t = a.result?.timings;
  const final = FINAL_AGENT_STATUSES.includes(a.status);
  return (
    <tr data-agent={a.id}>
      <td class="mono nowrap" title={a.id}>
        {/* Ids start with their submission time; the random tail tells them apart. */}…
        {a.id.slice(-8)}
      </td>
      <td>{a.pool}</td>
      <td>{a.task.workflow}</td>
      <td class="nowrap">
        <span class={`status status-${a.status}`}>{a.status}</span>
      </td>
      <td class="mono">{a.vm ?? '–'}</td>
      <td class="nowrap">{clock(a.submittedAt)}</td>
      <td class="num">{duration(t?.queuedMs)}</td>
      <td class="num">{duration(t?.runMs ?? a.result?.durationMs)}</td>
      <td class="small">
        {a.result?.error ? <div class="bad">{a.result.error}</div> : null}
        {(a.result?.screenshots ?? []).map((file, i) => (
          <a href="#" data-action="artifact" data-agent={a.id} data-index={String(i)} title={file}>
            shot {i + 1}
          </a>
        ))}
      </td>
      <td>
        {final ? null : (
          <button type="button" data-action="cancel-agent" data-agent={a.id} class="danger-outline">
            cancel
          </button>
        )}
      </td>
    </tr>
  );
}

function SubmitForm({
  pools,
  workflows,
}: {
  pools: Pool[];
  workflows: WorkflowInfo[];
}): JSX.Element {
  if (workflows.length === 0)
    return (
      <p class="muted small">No workflows are defined, so nothing can be submitted from here.</p>
    );
  return (
    <form class="submit-agent inline" data-action="submit-agent" autocomplete="off">
      <select name="pool" required aria-label="pool">
        {pools.map((p) => (
          <option value={p.name}>{p.name}</option>
        ))}
      </select>
      <select name="workflow" required aria-label="workflow">
        {workflows.map((w) => (
          <option value={w.name} title={w.description ?? ''}>
            {w.name}
          </option>
        ))}
      </select>
      <input name="input" aria-label="workflow input as JSON" placeholder='input as JSON, e.g. {"url": "https://example.org"}' />
      <button type="submit">submit agent</button>
    </form>
  );
}

export interface AgentsViewProps {
  agents: Agent[] | null;
  pools: Pool[];
  workflows: WorkflowInfo[];
}

export function AgentsView({ agents, pools, workflows }: AgentsViewProps): JSX.Element {
  if (agents === null) return <p class="muted">Agents are not enabled on this server.</p>;
  return (
    <>
      <SubmitForm pools={pools} workflows={workflows} />
      {agents.length === 0 ? (
        <p class="muted">No agents yet.</p>
      ) : (
        <div class="scroll-x">
          <table class="grid compact">
            <thead>
              <tr>
                <th>id</th>
                <th>pool</th>
                <th>workflow</th>
                <th>status</th>
                <th>vm</th>
                <th>submitted</th>
                <th class="num">queued</th>
                <th class="num">ran</th>
                <th>result</th>
                <th></th>
              </tr>
            </thead>
            <tbody>
              {agents.map((a) => (
                <AgentRow a={a} />
              ))}
            </tbody>
          </table>
        </div>
      )}
    </>
  );
}
