/**
 * Lifecycle webhooks: subscriptions, the outbox (one row per announced event, written in the
 * same transaction as the event, so a crash loses none) and the delivery log (one row per event
 * and subscription, carrying its attempts; its id is the Standard Webhooks `webhook-id`).
 * @module
 */
import type { Kysely } from 'kysely';
import type { StoreDialect } from '../store.js';
import type { Database } from '../schema.js';

export async function up(db: Kysely<Database>, dialect: StoreDialect): Promise<void> {
  await db.schema
    .createTable('webhooks')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('url', 'text', (c) => c.notNull())
    // JSON list of event types; empty: every type.
    .addColumn('events', 'text', (c) => c.notNull())
    .addColumn('secret', 'text', (c) => c.notNull())
    .addColumn('created_at', 'text', (c) => c.notNull())
    .execute();

  await db.schema
    .createTable('webhook_outbox')
    .addColumn('id', dialect === 'pg' ? 'bigserial' : 'integer', (c) => (dialect === 'pg' ? c.primaryKey() : c.primaryKey().autoIncrement()))
    .addColumn('event_id', dialect === 'pg' ? 'bigint' : 'integer', (c) => c.notNull())
    .addColumn('type', 'text', (c) => c.notNull())
    .execute();

  await db.schema
    .createTable('webhook_deliveries')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('webhook_id', 'text', (c) => c.notNull().references('webhooks.id').onDelete('cascade'))
    // The outbox id: deliveries of one subscription go out in this order.
    .addColumn('seq', dialect === 'pg' ? 'bigint' : 'integer', (c) => c.notNull())
    .addColumn('event_id', dialect === 'pg' ? 'bigint' : 'integer', (c) => c.notNull())
    .addColumn('type', 'text', (c) => c.notNull())
    // The body, fixed when the delivery is made, so every attempt sends the same bytes.
    .addColumn('payload', 'text', (c) => c.notNull())
    .addColumn('status', 'text', (c) => c.notNull())
    .addColumn('attempts', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('next_attempt_at', 'text', (c) => c.notNull())
    .addColumn('last_status', 'integer')
    .addColumn('last_error', 'text')
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addColumn('delivered_at', 'text')
    .execute();
  await db.schema.createIndex('webhook_deliveries_queue').on('webhook_deliveries').columns(['webhook_id', 'status', 'seq']).execute();
}
