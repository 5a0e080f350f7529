/**
 * A template may set its own readiness time-out (a slow guest image, or a fast one whose
 * failures should show sooner); null keeps the configured or accelerator default.
 * @module
 */
import type { Kysely } from 'kysely';
import type { Database } from '../schema.js';

export async function up(db: Kysely<Database>): Promise<void> {
  await db.schema.alterTable('templates').addColumn('ready_timeout_s', 'integer').execute();
}
