/**
 * VM rows: every state change is one guarded UPDATE plus its event, in one transaction (on
 * PostgreSQL one statement: see postgres/one-statement.ts).
 *
 * The UPDATE also copies the old state and its start time into `previous_state(_since)`. SQL
 * evaluates SET expressions on the old row, so the statement that wins the compare-and-set also
 * tells which state it left and for how long, with no read before the write (no lost update on
 * PostgreSQL, no read-to-write lock upgrade on SQLite).
 * @module
 */
import {
  sql,
  type ExpressionBuilder,
  type Expression,
  type Kysely,
  type SqlBool,
  type UpdateObject,
} from 'kysely';
import { HvkubeError } from '../domain/errors.js';
import type { Vm } from '../domain/types.js';
import { READY_VM_STATES, type VmState } from '../domain/vm-state.js';
import type { Database } from './schema.js';
import type { ClaimedVm, ClaimRequest, VmFilter, VmPatch, VmTransition } from './store.js';
import { elapsedMs, insertEvent, type StoreContext } from './context.js';
import { isForeignKeyViolation, isUniqueViolation } from './db-errors.js';
import { displayToColumn, rowToVm, vmPatchToRow, vmToRow } from './rows.js';
import { notifyVmReady } from './postgres/vm-ready-channel.js';
import { updateVmWithEvent } from './postgres/one-statement.js';

function vmConditions(eb: ExpressionBuilder<Database, 'vms'>, f: VmFilter): Expression<SqlBool>[] {
  const all: Expression<SqlBool>[] = [];
  if (f.pool !== undefined) all.push(eb('pool', '=', f.pool));
  if (f.host !== undefined) all.push(eb('host', '=', f.host));
  if (f.states !== undefined) {
    // `IN ()` is a syntax error; an empty list simply matches nothing.
    all.push(f.states.length > 0 ? eb('state', 'in', f.states) : sql<SqlBool>`1 = 0`);
  }
  if (f.leased !== undefined) all.push(eb('lease_id', f.leased ? 'is not' : 'is', null));
  return all;
}

export async function insertVm(
  ctx: StoreContext,
  vm: Vm,
  event: { actor: string; action: string },
): Promise<void> {
  try {
    await ctx.db.transaction().execute(async (trx) => {
      await trx.insertInto('vms').values({ ...vmToRow(vm), operator: ctx.operator }).execute();
      await insertEvent(trx, ctx, {
        actor: event.actor,
        kind: 'vm',
        subject: vm.name,
        action: event.action,
        from: null,
        to: vm.state,
        durationMs: null,
        details: { pool: vm.pool, host: vm.host },
      });
    });
  } catch (e) {
    if (isUniqueViolation(e)) {
      throw new HvkubeError('INVALID_INPUT', `VM ${vm.name} already exists`, {
        hint: 'VM names are unique across pools; pick another name',
        details: { vm: vm.name },
        cause: e,
      });
    }
    if (isForeignKeyViolation(e)) {
      throw new HvkubeError('POOL_NOT_FOUND', `pool ${vm.pool} does not exist`, {
        hint: 'create the pool first',
        details: { pool: vm.pool, vm: vm.name },
        cause: e,
      });
    }
    throw e;
  }
}

export async function getVm(ctx: StoreContext, name: string): Promise<Vm | null> {
  const row = await ctx.db
    .selectFrom('vms')
    .selectAll()
    .where('name', '=', name)
    .executeTakeFirst();
  return row ? rowToVm(row) : null;
}

export async function listVms(ctx: StoreContext, filter: VmFilter = {}): Promise<Vm[]> {
  const rows = await ctx.db
    .selectFrom('vms')
    .selectAll()
    .where((eb) => eb.and(vmConditions(eb, filter)))
    .orderBy('name')
    .execute();
  return rows.map(rowToVm);
}

export async function countVms(ctx: StoreContext, filter: VmFilter = {}): Promise<number> {
  const { n } = await ctx.db
    .selectFrom('vms')
    .select((eb) => eb.fn.countAll<number>().as('n'))
    .where((eb) => eb.and(vmConditions(eb, filter)))
    .executeTakeFirstOrThrow();
  return Number(n);
}

export async function countVmsByState(
  ctx: StoreContext,
  pool: string,
): Promise<Partial<Record<VmState, number>>> {
  const rows = await ctx.db
    .selectFrom('vms')
    .select((eb) => ['state', eb.fn.countAll<number>().as('n')])
    .where('pool', '=', pool)
    .groupBy('state')
    .execute();
  const counts: Partial<Record<VmState, number>> = {};
  for (const r of rows) counts[r.state as VmState] = Number(r.n);
  return counts;
}

/** SET clause for a state change: the new state, now, and the old state kept for the event. */
function moveTo(ctx: StoreContext, to: VmState, nowIso: string, patch: VmPatch | undefined) {
  return (eb: ExpressionBuilder<Database, 'vms'>): UpdateObject<Database, 'vms'> => ({
    ...(patch ? vmPatchToRow(patch) : {}),
    operator: ctx.operator,
    previous_state: eb.ref('state'),
    previous_state_since: eb.ref('state_since'),
    state: to,
    state_since: nowIso,
  });
}

export async function transitionVm(
  ctx: StoreContext,
  name: string,
  change: VmTransition,
): Promise<Vm | null> {
  if (change.from.length === 0) return null;
  const nowIso = ctx.now().toISOString();
  const leaseId = change.leaseId;
  if (ctx.dialect === 'pg') {
    const row = await updateVmWithEvent(ctx.db, {
      set: moveTo(ctx, change.to, nowIso, change.patch),
      where: (eb) =>
        eb.and([
          eb('name', '=', name),
          eb('state', 'in', change.from),
          ...(leaseId === undefined ? [] : [eb('lease_id', leaseId === null ? 'is' : '=', leaseId)]),
        ]),
      nowIso,
      event: { actor: change.actor, action: change.action, to: change.to, details: change.details ?? null },
      notify: READY_VM_STATES.includes(change.to),
    });
    return row ? rowToVm(row) : null;
  }
  return ctx.db.transaction().execute(async (trx) => {
    const row = await trx
      .updateTable('vms')
      .set(moveTo(ctx, change.to, nowIso, change.patch))
      .where('name', '=', name)
      .where('state', 'in', change.from)
      .$if(leaseId !== undefined, (qb) =>
        qb.where('lease_id', leaseId === null ? 'is' : '=', leaseId ?? null),
      )
      .returningAll()
      .executeTakeFirst();
    if (!row) return null;
    await insertEvent(trx, ctx, {
      actor: change.actor,
      kind: 'vm',
      subject: name,
      action: change.action,
      from: row.previous_state,
      to: change.to,
      durationMs: elapsedMs(row.previous_state_since, nowIso),
      details: change.details ?? null,
    });
    if (ctx.dialect === 'pg' && READY_VM_STATES.includes(change.to)) await notifyVmReady(trx, row.pool);
    return rowToVm(row);
  });
}

export async function patchVm(ctx: StoreContext, name: string, patch: VmPatch): Promise<Vm | null> {
  const values = vmPatchToRow(patch);
  if (Object.keys(values).length === 0) return getVm(ctx, name);
  const row = await ctx.db
    .updateTable('vms')
    .set(values)
    .where('name', '=', name)
    .returningAll()
    .executeTakeFirst();
  return row ? rowToVm(row) : null;
}

export async function renewLease(
  ctx: StoreContext,
  name: string,
  renewal: { leaseId: string; states: readonly VmState[]; expiresAt: string | null },
): Promise<Vm | null> {
  if (renewal.states.length === 0) return null;
  const row = await ctx.db
    .updateTable('vms')
    .set({ lease_expires_at: renewal.expiresAt })
    .where('name', '=', name)
    .where('lease_id', '=', renewal.leaseId)
    .where('state', 'in', renewal.states)
    .returningAll()
    .executeTakeFirst();
  return row ? rowToVm(row) : null;
}

export async function vmOperators(ctx: StoreContext, host: string): Promise<Map<string, string | null>> {
  const rows = await ctx.db.selectFrom('vms').select(['name', 'operator']).where('host', '=', host).execute();
  return new Map(rows.map((r) => [r.name, r.operator]));
}

export async function deleteVm(
  ctx: StoreContext,
  name: string,
  event: { actor: string; action: string },
): Promise<boolean> {
  const nowIso = ctx.now().toISOString();
  return ctx.db.transaction().execute(async (trx) => {
    const row = await trx
      .deleteFrom('vms')
      .where('name', '=', name)
      .returning(['state', 'state_since', 'pool'])
      .executeTakeFirst();
    if (!row) return false;
    await insertEvent(trx, ctx, {
      actor: event.actor,
      kind: 'vm',
      subject: name,
      action: event.action,
      from: row.state,
      to: null,
      durationMs: elapsedMs(row.state_since, nowIso),
      details: { pool: row.pool },
    });
    return true;
  });
}

/**
 * PostgreSQL: every state at once, in the order asked (hot anywhere before saved anywhere), in
 * one statement with its event. SKIP LOCKED lets concurrent claimers pass a row another is
 * taking instead of queueing behind it; the outer guard is what makes the claim safe.
 */
/** At most this many preferred names go into a claim (the backend prepares a handful). */
const MAX_PREFERRED = 16;

function preferredNames(req: ClaimRequest): string[] {
  return [...new Set(req.prefer ?? [])].slice(0, MAX_PREFERRED);
}

async function claimVmPg(ctx: StoreContext, req: ClaimRequest, nowIso: string): Promise<ClaimedVm | null> {
  const states = req.states;
  const preferred = preferredNames(req);
  const rank = sql`case state ${sql.join(states.map((s, i) => sql`when ${s} then ${sql.lit(i)}`), sql` `)} end`;
  const candidate = ctx.db
    .selectFrom('vms')
    .select('name')
    .where('pool', '=', req.pool)
    .where('state', 'in', states)
    .where('lease_id', 'is', null)
    .$if(req.host !== undefined, (qb) => qb.where('host', '=', req.host ?? ''))
    .$if(req.liveHostsOnly === true, (qb) =>
      qb.where('host', 'in', (eb) => eb.selectFrom('hosts').select('hosts.name').where('hosts.status', '=', 'up')),
    )
    .orderBy(rank)
    .$if(preferred.length > 0, (qb) => qb.orderBy(sql`case when name in (${sql.join(preferred)}) then 0 else 1 end`))
    .$if(req.preferHost !== undefined, (qb) => qb.orderBy(sql`case when host = ${req.preferHost ?? ''} then 0 else 1 end`))
    .orderBy('state_since')
    .orderBy('name')
    .limit(1)
    .forUpdate()
    .skipLocked();
  const row = await updateVmWithEvent(ctx.db, {
    set: (eb) => ({
      ...moveTo(ctx, 'resuming', nowIso, undefined)(eb),
      lease_id: req.leaseId,
      lease_holder: req.holder,
      lease_expires_at: req.leaseExpiresAt,
      lease_started_at: nowIso,
      last_activity_at: nowIso,
      parked_at: null,
      lease_display: displayToColumn(req.leaseDisplay),
    }),
    where: (eb) => eb.and([eb('name', '=', candidate), eb('state', 'in', states), eb('lease_id', 'is', null)]),
    nowIso,
    event: { actor: req.actor, action: 'claim', to: 'resuming', details: { pool: req.pool, holder: req.holder, leaseId: req.leaseId } },
    notify: false,
  });
  if (!row) return null;
  return { ...rowToVm(row), claimedFrom: row.previous_state as VmState };
}

/** One attempt at one state: the portable guarded UPDATE over an ordered, indexed subselect. */
async function claimInState(
  trx: Kysely<Database>,
  ctx: StoreContext,
  req: ClaimRequest,
  state: VmState,
  nowIso: string,
) {
  const preferred = preferredNames(req);
  const candidate = trx
    .selectFrom('vms')
    .select('name')
    .where('pool', '=', req.pool)
    .where('state', '=', state)
    .where('lease_id', 'is', null)
    .$if(req.host !== undefined, (qb) => qb.where('host', '=', req.host ?? ''))
    .$if(req.liveHostsOnly === true, (qb) =>
      qb.where('host', 'in', (eb) => eb.selectFrom('hosts').select('hosts.name').where('hosts.status', '=', 'up')),
    )
    // A VM whose resume the backend prepared resumes fastest: those first.
    .$if(preferred.length > 0, (qb) => qb.orderBy(sql`case when name in (${sql.join(preferred)}) then 0 else 1 end`))
    // A VM on this host needs no hop to its owner: take those first when there is a choice.
    .$if(req.preferHost !== undefined, (qb) =>
      qb.orderBy(sql`case when host = ${req.preferHost ?? ''} then 0 else 1 end`),
    )
    .orderBy('state_since')
    .orderBy('name')
    .limit(1)
    // PostgreSQL only: concurrent claimers skip a row another one is taking instead of queueing
    // behind it. SQLite has no such clause (it fails at run time) and needs none: its writers
    // are serialised.
    .$if(ctx.dialect === 'pg', (qb) => qb.forUpdate().skipLocked());
  return (
    trx
      .updateTable('vms')
      .set((eb) => ({
        ...moveTo(ctx, 'resuming', nowIso, undefined)(eb),
        lease_id: req.leaseId,
        lease_holder: req.holder,
        lease_expires_at: req.leaseExpiresAt,
        lease_started_at: nowIso,
        last_activity_at: nowIso,
        parked_at: null,
        lease_display: displayToColumn(req.leaseDisplay),
      }))
      .where('name', '=', candidate)
      // The outer guard is what makes the claim safe: whatever the subselect saw, only a row
      // that is still unleased and in that state changes hands.
      .where('state', '=', state)
      .where('lease_id', 'is', null)
      .returningAll()
      .executeTakeFirst()
  );
}

export async function claimVm(ctx: StoreContext, req: ClaimRequest): Promise<ClaimedVm | null> {
  if (req.states.length === 0) return null;
  const nowIso = ctx.now().toISOString();
  if (ctx.dialect === 'pg') return claimVmPg(ctx, req, nowIso);
  return ctx.db.transaction().execute(async (trx) => {
    for (const state of req.states) {
      const row = await claimInState(trx, ctx, req, state, nowIso);
      if (!row) continue;
      await insertEvent(trx, ctx, {
        actor: req.actor,
        kind: 'vm',
        subject: row.name,
        action: 'claim',
        from: row.previous_state,
        to: row.state,
        durationMs: elapsedMs(row.previous_state_since, nowIso),
        details: { pool: req.pool, holder: req.holder, leaseId: req.leaseId },
      });
      return { ...rowToVm(row), claimedFrom: state };
    }
    return null;
  });
}
