/**
 * Several hosts on one database: each host's lease (how long its heartbeat stays valid) and its
 * epoch, a number that grows with every registration. A host renews its heartbeat only under the
 * epoch it registered with, so a process that was cut off and comes back finds out that it was
 * declared lost instead of carrying on as if nothing happened.
 * @module
 */
import type { Kysely } from 'kysely';
import type { Database } from '../schema.js';

export async function up(db: Kysely<Database>): Promise<void> {
  await db.schema.alterTable('hosts').addColumn('lease_ms', 'integer', (c) => c.notNull().defaultTo(10_000)).execute();
  await db.schema.alterTable('hosts').addColumn('epoch', 'integer', (c) => c.notNull().defaultTo(0)).execute();
  await db.schema.alterTable('hosts').addColumn('registered_at', 'text').execute();
}
