/**
 * A submitted task, checked and turned into a pending agent. Everything a user can get wrong is
 * refused here, before anything is queued: unknown pool or workflow, an invalid workflow file,
 * input of the wrong shape, a GPU task on a pool without one.
 * @module
 */
import { HvkubeError } from '../../domain/errors.js';
import type { Agent } from '../../domain/types.js';
import { validateInt, validateName } from '../../domain/validation.js';
import type { Store } from '../../store/store.js';
import type { Clock } from '../../_util/clock.js';
import { resolveInput } from '../workflows/inputs.js';
import type { WorkflowCatalog } from '../workflows/workflow-catalog.js';
import { newAgentId } from './agent-ids.js';

export interface SubmitRequest {
  pool: string;
  workflow: string;
  /** A JSON object matching the workflow's inputs; defaults fill what is left out. */
  input?: unknown;
  /** Higher runs first; equal priorities run in submission order. -1000..1000, default 0. */
  priority?: number;
  /** Seconds the agent may take once dispatched; null for none. Default: the workflow's. */
  timeoutS?: number | null;
  /** Extra attempts on another VM if the VM fails mid-run, 0..3. Default: the workflow's. */
  retries?: number;
  /** Require a GPU even if the workflow does not. */
  needsGpu?: boolean;
}

const MAX_INPUT_BYTES = 1024 * 1024;

export async function buildAgent(deps: { store: Store; workflows: WorkflowCatalog; clock: Clock }, request: SubmitRequest): Promise<Agent> {
  const poolName = validateName('pool', request.pool);
  validateName('workflow', request.workflow);
  const pool = await deps.store.getPool(poolName);
  if (!pool) {
    throw new HvkubeError('POOL_NOT_FOUND', `pool ${poolName} does not exist`, {
      hint: 'list pools with `hvkube pool list`',
      details: { pool: poolName },
    });
  }
  const workflow = await deps.workflows.get(request.workflow);
  const input = resolveInput(workflow, request.input);
  if (Buffer.byteLength(JSON.stringify(input)) > MAX_INPUT_BYTES) {
    throw new HvkubeError('INVALID_INPUT', 'input is larger than 1 MiB', { hint: 'pass large data by reference (a path or URL) instead' });
  }
  const needsGpu = workflow.needsGpu || request.needsGpu === true;
  if (needsGpu) {
    const template = await deps.store.getTemplate(pool.template);
    if (!template?.gpu) {
      throw new HvkubeError('INVALID_INPUT', `pool ${pool.name} cannot run this task: it needs a GPU and template ${pool.template} has none`, {
        hint: 'submit it to a pool whose template was registered with a GPU',
        details: { pool: pool.name, template: pool.template },
      });
    }
  }
  const now = deps.clock.now();
  return {
    id: newAgentId(now),
    pool: pool.name,
    task: {
      workflow: workflow.name,
      input,
      needsGpu,
      timeoutS: request.timeoutS === undefined ? workflow.timeoutS : request.timeoutS === null ? null : validateInt('timeout (s)', request.timeoutS, 1, 7 * 24 * 3600),
      retries: request.retries === undefined ? workflow.retries : validateInt('retries', request.retries, 0, 3),
    },
    priority: request.priority === undefined ? 0 : validateInt('priority', request.priority, -1000, 1000),
    status: 'pending',
    vm: null,
    attempts: 0,
    submittedAt: new Date(now).toISOString(),
    startedAt: null,
    endedAt: null,
    deadlineAt: null,
    result: null,
  };
}
