/**
 * Which process last moved each VM (`host/pid/instance`). A VM left in a transient state by a
 * process that is still alive is that process's work in flight, not a crash leftover: reconcile
 * in another process leaves it alone.
 * @module
 */
import type { Kysely } from 'kysely';
import type { Database } from '../schema.js';

export async function up(db: Kysely<Database>): Promise<void> {
  await db.schema.alterTable('vms').addColumn('operator', 'text').execute();
}
