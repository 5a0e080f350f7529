/**
 * Host rows for a fleet on one database: registration under an epoch, heartbeats, and status
 * changes as compare-and-sets, each status change with its event in the same transaction.
 * @module
 */
import type { Selectable } from 'kysely';
import type { HostsTable } from './schema.js';
import type { HostCapacity, HostRecord, HostRegistration, HostStatus } from './store.js';
import { elapsedMs, insertEvent, type StoreContext } from './context.js';

function rowToHost(r: Selectable<HostsTable>): HostRecord {
  return {
    name: r.name,
    backend: r.backend,
    capacity: JSON.parse(r.capacity) as HostCapacity,
    address: r.address,
    heartbeatAt: r.heartbeat_at,
    status: r.status as HostStatus,
    leaseMs: Number(r.lease_ms),
    epoch: Number(r.epoch),
    registeredAt: r.registered_at,
  };
}

export async function registerHost(
  ctx: StoreContext,
  host: HostRegistration,
  expectEpoch: number | null,
  actor: string,
): Promise<HostRecord | null> {
  const now = ctx.now().toISOString();
  const values = {
    backend: host.backend,
    capacity: JSON.stringify(host.capacity),
    address: host.address,
    heartbeat_at: now,
    status: 'up',
    lease_ms: host.leaseMs,
    registered_at: now,
  };
  return ctx.db.transaction().execute(async (trx) => {
    const before = await trx.selectFrom('hosts').select(['status', 'epoch']).where('name', '=', host.name).executeTakeFirst();
    let row: Selectable<HostsTable> | undefined;
    if (expectEpoch === null) {
      if (before) return null;
      row = await trx.insertInto('hosts').values({ name: host.name, ...values, epoch: 1 }).returningAll().executeTakeFirst();
    } else {
      row = await trx
        .updateTable('hosts')
        .set((eb) => ({ ...values, epoch: eb('epoch', '+', 1) }))
        .where('name', '=', host.name)
        .where('epoch', '=', expectEpoch)
        .returningAll()
        .executeTakeFirst();
    }
    if (!row) return null;
    await insertEvent(trx, ctx, {
      actor,
      kind: 'host',
      subject: host.name,
      action: 'register',
      from: before?.status ?? null,
      to: 'up',
      durationMs: null,
      details: { epoch: Number(row.epoch), address: host.address, capacity: host.capacity },
    });
    return rowToHost(row);
  });
}

export async function getHost(ctx: StoreContext, name: string): Promise<HostRecord | null> {
  const row = await ctx.db.selectFrom('hosts').selectAll().where('name', '=', name).executeTakeFirst();
  return row ? rowToHost(row) : null;
}

export async function listHosts(ctx: StoreContext): Promise<HostRecord[]> {
  const rows = await ctx.db.selectFrom('hosts').selectAll().orderBy('name').execute();
  return rows.map(rowToHost);
}

export async function renewHost(ctx: StoreContext, name: string, epoch: number): Promise<HostRecord | null> {
  const row = await ctx.db
    .updateTable('hosts')
    .set({ heartbeat_at: ctx.now().toISOString() })
    .where('name', '=', name)
    .where('epoch', '=', epoch)
    .where('status', 'in', ['up', 'draining'])
    .returningAll()
    .executeTakeFirst();
  return row ? rowToHost(row) : null;
}

export async function setHostStatus(
  ctx: StoreContext,
  name: string,
  change: { from: readonly HostStatus[]; to: HostStatus; epoch?: number; heartbeatAt?: string | null; actor: string; reason?: string },
): Promise<HostRecord | null> {
  if (change.from.length === 0) return null;
  return ctx.db.transaction().execute(async (trx) => {
    const before = await trx.selectFrom('hosts').select(['status']).where('name', '=', name).executeTakeFirst();
    const row = await trx
      .updateTable('hosts')
      .set({ status: change.to })
      .where('name', '=', name)
      .where('status', 'in', change.from)
      .$if(change.epoch !== undefined, (qb) => qb.where('epoch', '=', change.epoch ?? -1))
      .$if(change.heartbeatAt !== undefined, (qb) =>
        change.heartbeatAt === null ? qb.where('heartbeat_at', 'is', null) : qb.where('heartbeat_at', '=', change.heartbeatAt ?? ''),
      )
      .returningAll()
      .executeTakeFirst();
    if (!row) return null;
    await insertEvent(trx, ctx, {
      actor: change.actor,
      kind: 'host',
      subject: name,
      action: change.to === 'lost' ? 'lost' : change.to === 'draining' ? 'drain' : 'status',
      from: before?.status ?? null,
      to: change.to,
      durationMs: null,
      details: change.reason ? { reason: change.reason } : null,
    });
    return rowToHost(row);
  });
}

export async function deleteHost(ctx: StoreContext, name: string, actor: string): Promise<boolean> {
  return ctx.db.transaction().execute(async (trx) => {
    const row = await trx.deleteFrom('hosts').where('name', '=', name).returning(['status']).executeTakeFirst();
    if (!row) return false;
    await insertEvent(trx, ctx, { actor, kind: 'host', subject: name, action: 'remove', from: row.status, to: null, durationMs: null, details: null });
    return true;
  });
}

export async function markHostLost(
  ctx: StoreContext,
  name: string,
  guard: { epoch: number; heartbeatAt: string | null; actor: string; reason: string },
): Promise<{ host: HostRecord; vms: string[] } | null> {
  const nowIso = ctx.now().toISOString();
  return ctx.db.transaction().execute(async (trx) => {
    const host = await trx
      .updateTable('hosts')
      .set({ status: 'lost' })
      .where('name', '=', name)
      .where('status', 'in', ['up', 'draining'])
      .where('epoch', '=', guard.epoch)
      .$if(guard.heartbeatAt === null, (qb) => qb.where('heartbeat_at', 'is', null))
      .$if(guard.heartbeatAt !== null, (qb) => qb.where('heartbeat_at', '=', guard.heartbeatAt ?? ''))
      .returningAll()
      .executeTakeFirst();
    if (!host) return null;
    await insertEvent(trx, ctx, {
      actor: guard.actor,
      kind: 'host',
      subject: name,
      action: 'lost',
      from: 'up',
      to: 'lost',
      durationMs: null,
      details: { reason: guard.reason, epoch: guard.epoch },
    });
    // Same shape as a VM transition: the old state is kept for the event, the lease is dropped
    // (nobody can use a VM whose host is gone), and the VM leaves every count.
    const moved = await trx
      .updateTable('vms')
      .set((eb) => ({
        previous_state: eb.ref('state'),
        previous_state_since: eb.ref('state_since'),
        state: 'unknown',
        state_since: nowIso,
        lease_id: null,
        lease_holder: null,
        lease_expires_at: null,
        lease_display: null,
        last_error: `host ${name} was lost: ${guard.reason}`,
      }))
      .where('host', '=', name)
      .where('state', 'not in', ['deleting', 'unknown'])
      .returning(['name', 'pool', 'previous_state', 'previous_state_since'])
      .execute();
    for (const vm of moved) {
      await insertEvent(trx, ctx, {
        actor: guard.actor,
        kind: 'vm',
        subject: vm.name,
        action: 'host-lost',
        from: vm.previous_state,
        to: 'unknown',
        durationMs: elapsedMs(vm.previous_state_since, nowIso),
        details: { pool: vm.pool, host: name },
      });
    }
    return { host: rowToHost(host), vms: moved.map((v) => v.name).sort() };
  });
}
