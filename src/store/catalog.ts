/**
 * Templates and pools: plain CRUD whose constraint violations become errors a person can act on.
 * Checks come first for a clear message; the foreign keys stay as the safety net for races.
 * @module
 */
import { HvkubeError } from '../domain/errors.js';
import { FINAL_AGENT_STATUSES } from '../domain/agent-state.js';
import type { Pool, PoolAutoscaleStatus, Template } from '../domain/types.js';
import type { StoreContext } from './context.js';
import { isForeignKeyViolation, isUniqueViolation } from './db-errors.js';
import {
  poolPatchToRow,
  poolToRow,
  rowToPool,
  rowToTemplate,
  templateToRow,
  type PoolPatch,
} from './rows.js';

export async function createTemplate(ctx: StoreContext, template: Template): Promise<void> {
  try {
    await ctx.db.insertInto('templates').values(templateToRow(template)).execute();
  } catch (e) {
    if (!isUniqueViolation(e)) throw e;
    throw new HvkubeError('TEMPLATE_EXISTS', `template ${template.name} already exists`, {
      hint: 'pick another name, or delete the existing template first',
      details: { template: template.name },
      cause: e,
    });
  }
}

export async function getTemplate(ctx: StoreContext, name: string): Promise<Template | null> {
  const row = await ctx.db
    .selectFrom('templates')
    .selectAll()
    .where('name', '=', name)
    .executeTakeFirst();
  return row ? rowToTemplate(row) : null;
}

export async function listTemplates(ctx: StoreContext): Promise<Template[]> {
  const rows = await ctx.db.selectFrom('templates').selectAll().orderBy('name').execute();
  return rows.map(rowToTemplate);
}

function templateInUse(name: string, pools: string[], cause?: unknown): HvkubeError {
  const shown = pools.length > 0 ? pools.join(', ') : 'a pool';
  return new HvkubeError('TEMPLATE_IN_USE', `template ${name} is used by ${shown}`, {
    hint: `delete ${pools.length === 1 ? 'that pool' : 'those pools'} first, then the template`,
    details: { template: name, pools },
    cause,
  });
}

export async function deleteTemplate(ctx: StoreContext, name: string): Promise<boolean> {
  const users = await ctx.db
    .selectFrom('pools')
    .select('name')
    .where('template', '=', name)
    .orderBy('name')
    .execute();
  if (users.length > 0)
    throw templateInUse(
      name,
      users.map((p) => p.name),
    );
  try {
    const gone = await ctx.db
      .deleteFrom('templates')
      .where('name', '=', name)
      .returning('name')
      .execute();
    return gone.length > 0;
  } catch (e) {
    // A pool created between the check and the delete.
    if (isForeignKeyViolation(e)) throw templateInUse(name, [], e);
    throw e;
  }
}

export async function createPool(ctx: StoreContext, pool: Pool): Promise<void> {
  try {
    await ctx.db.insertInto('pools').values(poolToRow(pool)).execute();
  } catch (e) {
    if (isUniqueViolation(e)) {
      throw new HvkubeError('POOL_EXISTS', `pool ${pool.name} already exists`, {
        hint: 'pick another name, or change the existing pool instead',
        details: { pool: pool.name },
        cause: e,
      });
    }
    if (isForeignKeyViolation(e)) {
      throw new HvkubeError('TEMPLATE_NOT_FOUND', `template ${pool.template} does not exist`, {
        hint: 'create the template first, or name an existing one',
        details: { template: pool.template, pool: pool.name },
        cause: e,
      });
    }
    throw e;
  }
}

export async function getPool(ctx: StoreContext, name: string): Promise<Pool | null> {
  const row = await ctx.db
    .selectFrom('pools')
    .selectAll()
    .where('name', '=', name)
    .executeTakeFirst();
  return row ? rowToPool(row) : null;
}

export async function listPools(ctx: StoreContext): Promise<Pool[]> {
  const rows = await ctx.db.selectFrom('pools').selectAll().orderBy('name').execute();
  return rows.map(rowToPool);
}

export async function updatePool(
  ctx: StoreContext,
  name: string,
  patch: PoolPatch,
): Promise<Pool | null> {
  const values = poolPatchToRow(patch);
  if (Object.keys(values).length === 0) return getPool(ctx, name);
  const row = await ctx.db
    .updateTable('pools')
    .set(values)
    .where('name', '=', name)
    .returningAll()
    .executeTakeFirst();
  return row ? rowToPool(row) : null;
}

export async function resizePool(
  ctx: StoreContext,
  name: string,
  change: { from: number; desired: number; warm: number; status: PoolAutoscaleStatus },
): Promise<Pool | null> {
  const row = await ctx.db
    .updateTable('pools')
    .set({ desired: change.desired, warm: change.warm, autoscale_status: JSON.stringify(change.status) })
    .where('name', '=', name)
    .where('desired', '=', change.from)
    .returningAll()
    .executeTakeFirst();
  return row ? rowToPool(row) : null;
}

export async function getPoolAutoscaleStatus(
  ctx: StoreContext,
  name: string,
): Promise<PoolAutoscaleStatus | null> {
  const row = await ctx.db
    .selectFrom('pools')
    .select('autoscale_status')
    .where('name', '=', name)
    .executeTakeFirst();
  return row?.autoscale_status ? (JSON.parse(row.autoscale_status) as PoolAutoscaleStatus) : null;
}

export async function setPoolAutoscaleStatus(
  ctx: StoreContext,
  name: string,
  status: PoolAutoscaleStatus | null,
): Promise<void> {
  await ctx.db
    .updateTable('pools')
    .set({ autoscale_status: status === null ? null : JSON.stringify(status) })
    .where('name', '=', name)
    .execute();
}

function poolNotEmpty(name: string, vms: number, cause?: unknown): HvkubeError {
  return new HvkubeError(
    'VM_INVALID_STATE',
    `pool ${name} still has ${vms > 0 ? vms : 'some'} VM(s)`,
    {
      hint: 'scale the pool to 0 (desired 0) and wait until its VMs are deleted, then delete the pool',
      details: { pool: name, vms },
      cause,
    },
  );
}

/**
 * Deletes an empty pool. Finished agents go with it (ON DELETE CASCADE); unfinished ones and
 * remaining VMs make it refuse, since removing them would orphan machines or work.
 */
export async function deletePool(ctx: StoreContext, name: string): Promise<boolean> {
  const { vms } = await ctx.db
    .selectFrom('vms')
    .select((eb) => eb.fn.countAll<number>().as('vms'))
    .where('pool', '=', name)
    .executeTakeFirstOrThrow();
  if (Number(vms) > 0) throw poolNotEmpty(name, Number(vms));
  const { agents } = await ctx.db
    .selectFrom('agents')
    .select((eb) => eb.fn.countAll<number>().as('agents'))
    .where('pool', '=', name)
    .where('status', 'not in', FINAL_AGENT_STATUSES)
    .executeTakeFirstOrThrow();
  if (Number(agents) > 0) {
    throw new HvkubeError(
      'AGENT_INVALID_STATE',
      `pool ${name} has ${Number(agents)} agent(s) not finished`,
      {
        hint: 'cancel them or wait for them to end, then delete the pool',
        details: { pool: name, agents: Number(agents) },
      },
    );
  }
  try {
    const gone = await ctx.db
      .deleteFrom('pools')
      .where('name', '=', name)
      .returning('name')
      .execute();
    return gone.length > 0;
  } catch (e) {
    // A VM inserted between the count and the delete.
    if (isForeignKeyViolation(e)) throw poolNotEmpty(name, 0, e);
    throw e;
  }
}
