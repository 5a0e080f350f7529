/**
 * The hot path's writes on PostgreSQL as single statements: the guarded UPDATE, its event and
 * (for a VM that became ready) the NOTIFY travel together in one data-modifying CTE. One
 * statement is one implicit transaction, so the guarantees are those of BEGIN … COMMIT around
 * the three, at one round trip instead of four or five: an acquire+release cycle makes four
 * such changes, and on a fleet the round trips were most of its latency.
 *
 * SQLite keeps the portable transaction in `../vms.ts`: it is in-process, a round trip costs
 * nothing there, and it has no data-modifying CTEs.
 * @module
 */
import { sql, type Expression, type ExpressionBuilder, type Kysely, type Selectable, type SqlBool, type UpdateObject } from 'kysely';
import type { Database, VmsTable } from '../schema.js';
import { VM_READY_CHANNEL } from './vm-ready-channel.js';
import { webhookTypeOf } from '../../domain/webhook-events.js';

export interface OneStatementChange {
  /** The SET clause (it must copy the old state into previous_state(_since)). */
  set: (eb: ExpressionBuilder<Database, 'vms'>) => UpdateObject<Database, 'vms'>;
  /** The guard: the row that changes, and only while it is still as seen. */
  where: (eb: ExpressionBuilder<Database, 'vms'>) => Expression<SqlBool>;
  nowIso: string;
  event: { actor: string; action: string; to: string; details: Record<string, unknown> | null };
  /** Sends the pool's "a VM is ready" notification on commit. */
  notify: boolean;
}

type WithWebhook = OneStatementChange & { webhookType: string | null };

/** Runs the change; answers the changed row (with previous_state set) or undefined. */
export async function updateVmWithEvent(db: Kysely<Database>, input: OneStatementChange): Promise<Selectable<VmsTable> | undefined> {
  const change: WithWebhook = { ...input, webhookType: webhookTypeOf({ kind: 'vm', ...input.event }) };
  const { event, nowIso } = change;
  const details = event.details === null ? null : JSON.stringify(event.details);
  const query = db
    .with('moved', (q) => q.updateTable('vms').set(change.set).where(change.where).returningAll())
    .with('ev', (q) =>
      q
        .insertInto('events')
        .columns(['at', 'actor', 'kind', 'subject', 'action', 'from_state', 'to_state', 'duration_ms', 'details'])
        .expression((eb) =>
          eb
            .selectFrom('moved')
            .select([
              sql<string>`${nowIso}`.as('at'),
              sql<string>`${event.actor}`.as('actor'),
              sql<string>`'vm'`.as('kind'),
              'moved.name',
              sql<string>`${event.action}`.as('action'),
              'moved.previous_state',
              sql<string>`${event.to}`.as('to_state'),
              // The same rule as elapsedMs: null without a start, never negative.
              sql<number | null>`greatest(0, round(extract(epoch from (${nowIso}::timestamptz - moved.previous_state_since::timestamptz)) * 1000))::integer`.as('duration_ms'),
              sql<string | null>`${details}`.as('details'),
            ]),
        )
        .returning('id'),
    )
    // The webhook outbox row travels in the same statement as its event (see context.ts); none
    // when the event announces nothing.
    .with('outbox', (q) =>
      q
        .insertInto('webhook_outbox')
        .columns(['event_id', 'type'])
        .expression((eb) =>
          eb
            .selectFrom('ev')
            .select(['ev.id', sql<string>`${change.webhookType}::text`.as('type')])
            .where(sql<boolean>`${change.webhookType}::text is not null`),
        ),
    )
    .selectFrom('moved')
    .selectAll('moved')
    .$if(change.notify, (qb) => qb.select(sql<string>`pg_notify(${VM_READY_CHANNEL}, current_schema() || ' ' || moved.pool)`.as('notified')));
  const row = await query.executeTakeFirst();
  if (!row) return undefined;
  // pg_notify's answer is void; only the row matters.
  const { notified: _notified, ...vm } = row;
  return vm;
}
