/**
 * Agent rows. `updateAgent` is a compare-and-set on the status, like `transitionVm`, and keeps
 * the old status in `previous_status` for the event the same way.
 * @module
 */
import { HvkubeError } from '../domain/errors.js';
import type { Agent } from '../domain/types.js';
import type { AgentStatus } from '../domain/agent-state.js';
import type { AgentFilter, AgentPatch } from './store.js';
import { insertEvent, type StoreContext } from './context.js';
import { isForeignKeyViolation, isUniqueViolation } from './db-errors.js';
import { agentPatchToRow, agentToRow, rowToAgent } from './rows.js';

export async function insertAgent(ctx: StoreContext, agent: Agent): Promise<void> {
  try {
    await ctx.db.insertInto('agents').values(agentToRow(agent)).execute();
  } catch (e) {
    if (isUniqueViolation(e)) {
      throw new HvkubeError('INVALID_INPUT', `agent ${agent.id} already exists`, {
        hint: 'agent ids are unique; submit it again to get a new id',
        details: { agent: agent.id },
        cause: e,
      });
    }
    if (isForeignKeyViolation(e)) {
      throw new HvkubeError('POOL_NOT_FOUND', `pool ${agent.pool} does not exist`, {
        hint: 'name an existing pool, or create it first',
        details: { pool: agent.pool, agent: agent.id },
        cause: e,
      });
    }
    throw e;
  }
}

export async function getAgent(ctx: StoreContext, id: string): Promise<Agent | null> {
  const row = await ctx.db.selectFrom('agents').selectAll().where('id', '=', id).executeTakeFirst();
  return row ? rowToAgent(row) : null;
}

/** Queue order: higher priority first, then first submitted, then id for a stable tie-break. */
export async function listAgents(ctx: StoreContext, filter: AgentFilter = {}): Promise<Agent[]> {
  const { pool, statuses, limit } = filter;
  if (statuses !== undefined && statuses.length === 0) return [];
  const rows = await ctx.db
    .selectFrom('agents')
    .selectAll()
    .$if(pool !== undefined, (qb) => qb.where('pool', '=', pool ?? ''))
    .$if(statuses !== undefined, (qb) => qb.where('status', 'in', statuses ?? []))
    .orderBy('priority', 'desc')
    .orderBy('submitted_at')
    .orderBy('id')
    .$if(limit !== undefined, (qb) => qb.limit(limit ?? 0))
    .execute();
  return rows.map(rowToAgent);
}

export async function updateAgent(
  ctx: StoreContext,
  id: string,
  from: readonly AgentStatus[],
  patch: AgentPatch,
  actor: string,
): Promise<Agent | null> {
  if (from.length === 0) return null;
  return ctx.db.transaction().execute(async (trx) => {
    const row = await trx
      .updateTable('agents')
      .set((eb) => ({ ...agentPatchToRow(patch), previous_status: eb.ref('status') }))
      .where('id', '=', id)
      .where('status', 'in', from)
      .returningAll()
      .executeTakeFirst();
    if (!row) return null;
    if (row.previous_status !== row.status) {
      await insertEvent(trx, ctx, {
        actor,
        kind: 'agent',
        subject: id,
        action: row.status,
        from: row.previous_status,
        to: row.status,
        durationMs: null,
        details: { pool: row.pool, vm: row.vm, attempts: row.attempts },
      });
    }
    return rowToAgent(row);
  });
}
