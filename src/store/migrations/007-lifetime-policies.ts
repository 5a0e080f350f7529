/**
 * Idle and lifetime policies: the pool's limits, and per VM when its lease began, when it was
 * last used through hvkube, and whether the idle policy saved it with its lease kept. Kept in
 * the store so a restart picks every policy up where it stood.
 * @module
 */
import type { Kysely } from 'kysely';
import type { Database } from '../schema.js';

export async function up(db: Kysely<Database>): Promise<void> {
  await db.schema.alterTable('pools').addColumn('idle_timeout_s', 'integer').execute();
  await db.schema.alterTable('pools').addColumn('idle_action', 'text', (c) => c.notNull().defaultTo('release')).execute();
  await db.schema.alterTable('pools').addColumn('max_lease_s', 'integer').execute();
  await db.schema.alterTable('pools').addColumn('max_vm_age_s', 'integer').execute();
  await db.schema.alterTable('vms').addColumn('lease_started_at', 'text').execute();
  await db.schema.alterTable('vms').addColumn('last_activity_at', 'text').execute();
  await db.schema.alterTable('vms').addColumn('parked_at', 'text').execute();
}
