/**
 * What every query module of the store shares: the connection, the dialect flag that gates the
 * few dialect-only clauses, the clock, and the one way to append an event (with its webhook
 * outbox row).
 * @module
 */
import type { Kysely } from 'kysely';
import type { NewStateEvent, StateEvent } from '../domain/types.js';
import type { Database } from './schema.js';
import type { StoreDialect } from './store.js';
import { rowToEvent } from './rows.js';
import { webhookTypeOf } from '../domain/webhook-events.js';

export interface StoreContext {
  readonly db: Kysely<Database>;
  readonly dialect: StoreDialect;
  /** The clock; tests inject one. Every timestamp the store writes comes from it. */
  readonly now: () => Date;
  /** This store's process and instance, written on every VM state change it makes. */
  readonly operator: string;
}

/** Appends an event through `db`, which is a transaction when the event goes with a change. */
export async function insertEvent(
  db: Kysely<Database>,
  ctx: StoreContext,
  event: NewStateEvent,
): Promise<StateEvent> {
  const row = await db
    .insertInto('events')
    .values({
      at: event.at ?? ctx.now().toISOString(),
      actor: event.actor,
      kind: event.kind,
      subject: event.subject,
      action: event.action,
      from_state: event.from,
      to_state: event.to,
      duration_ms: event.durationMs,
      details: event.details === null ? null : JSON.stringify(event.details),
    })
    .returningAll()
    .executeTakeFirstOrThrow();
  const stored = rowToEvent(row);
  // The webhook outbox row goes in with its event (`db` is the event's transaction): never one without the other.
  const type = webhookTypeOf(stored);
  if (type !== null) await db.insertInto('webhook_outbox').values({ event_id: stored.id, type }).execute();
  return stored;
}

/** Milliseconds from an ISO timestamp to `nowIso`; null when there is no start, never negative. */
export function elapsedMs(sinceIso: string | null, nowIso: string): number | null {
  if (sinceIso === null) return null;
  const ms = Date.parse(nowIso) - Date.parse(sinceIso);
  return Number.isFinite(ms) ? Math.max(0, ms) : null;
}
