/**
 * Webhook subscriptions, the outbox and the delivery log. The outbox is written by `insertEvent`
 * (context.ts) in the event's own transaction; here it is turned into deliveries — one per
 * matching subscription, in one transaction that also empties the outbox rows it read, so a crash
 * at any point neither loses an event nor makes a second delivery row for it.
 * @module
 */
import type { Kysely, Selectable } from 'kysely';
import { webhookData, type WebhookEventType } from '../domain/webhook-events.js';
import type { Database, WebhookDeliveriesTable, WebhooksTable } from './schema.js';
import type { StoreContext } from './context.js';
import { rowToEvent } from './rows.js';

export interface WebhookSubscription {
  id: string;
  url: string;
  /** Empty: every event type. */
  events: WebhookEventType[];
  /** `whsec_` + base64 key (Standard Webhooks). Never logged, never listed. */
  secret: string;
  createdAt: string;
}

export type DeliveryStatus = 'pending' | 'delivered' | 'failed';

export interface WebhookDelivery {
  /** Also the `webhook-id` header: the same on every attempt. */
  id: string;
  webhookId: string;
  /** Order of delivery within the subscription (the outbox id). */
  seq: number;
  eventId: number;
  type: WebhookEventType;
  /** The exact body sent: `{"type","timestamp","data"}`. */
  payload: string;
  status: DeliveryStatus;
  attempts: number;
  nextAttemptAt: string;
  lastStatus: number | null;
  lastError: string | null;
  createdAt: string;
  deliveredAt: string | null;
}

export interface AttemptResult {
  ok: boolean;
  status: number | null;
  error: string | null;
  /** When to try again after a failure; null gives up (status `failed`). */
  retryAt: string | null;
}

export interface WebhookStore {
  createWebhook(w: WebhookSubscription): Promise<void>;
  listWebhooks(): Promise<WebhookSubscription[]>;
  getWebhook(id: string): Promise<WebhookSubscription | null>;
  /** Removes a subscription and its delivery log. */
  deleteWebhook(id: string): Promise<boolean>;
  /** Moves up to `limit` outbox rows into deliveries; answers how many rows it took. */
  fanOut(newId: () => string, limit?: number): Promise<number>;
  /** Each subscription's oldest pending delivery: the only one it may send now (order per subscription). */
  headDeliveries(): Promise<WebhookDelivery[]>;
  recordAttempt(id: string, result: AttemptResult): Promise<void>;
  listDeliveries(query?: { webhookId?: string; limit?: number }): Promise<WebhookDelivery[]>;
  /** Queues a delivery again (same id and body), to go out next in its subscription's order. */
  redeliver(id: string): Promise<WebhookDelivery | null>;
}

function rowToWebhook(r: Selectable<WebhooksTable>): WebhookSubscription {
  return {
    id: r.id,
    url: r.url,
    events: JSON.parse(r.events) as WebhookEventType[],
    secret: r.secret,
    createdAt: r.created_at,
  };
}

function rowToDelivery(r: Selectable<WebhookDeliveriesTable>): WebhookDelivery {
  return {
    id: r.id,
    webhookId: r.webhook_id,
    seq: Number(r.seq),
    eventId: Number(r.event_id),
    type: r.type as WebhookEventType,
    payload: r.payload,
    status: r.status as DeliveryStatus,
    attempts: r.attempts,
    nextAttemptAt: r.next_attempt_at,
    lastStatus: r.last_status,
    lastError: r.last_error,
    createdAt: r.created_at,
    deliveredAt: r.delivered_at,
  };
}

export function webhookQueries(ctx: StoreContext): WebhookStore {
  const { db } = ctx;
  return {
    async createWebhook(w) {
      await db
        .insertInto('webhooks')
        .values({
          id: w.id,
          url: w.url,
          events: JSON.stringify(w.events),
          secret: w.secret,
          created_at: w.createdAt,
        })
        .execute();
    },
    async listWebhooks() {
      return (
        await db.selectFrom('webhooks').selectAll().orderBy('created_at').orderBy('id').execute()
      ).map(rowToWebhook);
    },
    async getWebhook(id) {
      const row = await db
        .selectFrom('webhooks')
        .selectAll()
        .where('id', '=', id)
        .executeTakeFirst();
      return row ? rowToWebhook(row) : null;
    },
    async deleteWebhook(id) {
      return db.transaction().execute(async (trx) => {
        await trx.deleteFrom('webhook_deliveries').where('webhook_id', '=', id).execute();
        const r = await trx.deleteFrom('webhooks').where('id', '=', id).executeTakeFirst();
        return Number(r.numDeletedRows) > 0;
      });
    },
    async fanOut(newId, limit = 200) {
      return db.transaction().execute(async (trx: Kysely<Database>) => {
        const rows = await trx
          .selectFrom('webhook_outbox')
          .innerJoin('events', 'events.id', 'webhook_outbox.event_id')
          .selectAll('events')
          .select(['webhook_outbox.id as outbox_id', 'webhook_outbox.type as outbox_type'])
          .orderBy('webhook_outbox.id')
          .limit(limit)
          // Two hosts' dispatchers on one PostgreSQL take different rows.
          .$if(ctx.dialect === 'pg', (qb) => qb.forUpdate().skipLocked())
          .execute();
        if (rows.length === 0) return 0;
        const subscriptions = (await trx.selectFrom('webhooks').selectAll().execute()).map(
          rowToWebhook,
        );
        const nowIso = ctx.now().toISOString();
        const deliveries = rows.flatMap((r) => {
          const event = rowToEvent(r);
          const type = r.outbox_type as WebhookEventType;
          const payload = JSON.stringify({ type, timestamp: event.at, data: webhookData(event) });
          return subscriptions
            .filter((s) => s.events.length === 0 || s.events.includes(type))
            .map((s) => ({
              id: newId(),
              webhook_id: s.id,
              seq: Number(r.outbox_id),
              event_id: event.id,
              type,
              payload,
              status: 'pending',
              attempts: 0,
              next_attempt_at: nowIso,
              created_at: nowIso,
            }));
        });
        for (let i = 0; i < deliveries.length; i += 100)
          await trx
            .insertInto('webhook_deliveries')
            .values(deliveries.slice(i, i + 100))
            .execute();
        await trx
          .deleteFrom('webhook_outbox')
          .where(
            'id',
            'in',
            rows.map((r) => r.outbox_id),
          )
          .execute();
        return rows.length;
      });
    },
    async headDeliveries() {
      const rows = await db
        .selectFrom('webhook_deliveries as d')
        .selectAll('d')
        .where('d.status', '=', 'pending')
        .where((eb) =>
          eb(
            'd.seq',
            '=',
            eb
              .selectFrom('webhook_deliveries as e')
              .select(({ fn }) => fn.min('e.seq').as('seq'))
              .whereRef('e.webhook_id', '=', 'd.webhook_id')
              .where('e.status', '=', 'pending'),
          ),
        )
        .orderBy('d.seq')
        .execute();
      return rows.map(rowToDelivery);
    },
    async recordAttempt(id, result) {
      const nowIso = ctx.now().toISOString();
      await db
        .updateTable('webhook_deliveries')
        .set((eb) => ({
          attempts: eb('attempts', '+', 1),
          last_status: result.status,
          last_error: result.error,
          ...(result.ok
            ? { status: 'delivered', delivered_at: nowIso }
            : result.retryAt === null
              ? { status: 'failed' }
              : { next_attempt_at: result.retryAt }),
        }))
        .where('id', '=', id)
        .where('status', '=', 'pending')
        .execute();
    },
    async listDeliveries(query = {}) {
      const rows = await db
        .selectFrom('webhook_deliveries')
        .selectAll()
        .$if(query.webhookId !== undefined, (qb) =>
          qb.where('webhook_id', '=', query.webhookId ?? ''),
        )
        .orderBy('seq', 'desc')
        .orderBy('webhook_id')
        .limit(query.limit ?? 100)
        .execute();
      return rows.map(rowToDelivery);
    },
    async redeliver(id) {
      const row = await db
        .updateTable('webhook_deliveries')
        .set({
          status: 'pending',
          attempts: 0,
          next_attempt_at: ctx.now().toISOString(),
          last_error: null,
        })
        .where('id', '=', id)
        .returningAll()
        .executeTakeFirst();
      return row ? rowToDelivery(row) : null;
    },
  };
}
