/**
 * Autoscaling pools: the bounds a pool is sized within (JSON, null when the size is set by
 * hand) and the autoscaler's memory of it (its last decision and the measured cold-start time),
 * kept apart from the settings so that exporting a pool never carries them.
 * @module
 */
import type { Kysely } from 'kysely';
import type { Database } from '../schema.js';

export async function up(db: Kysely<Database>): Promise<void> {
  await db.schema.alterTable('pools').addColumn('autoscale', 'text').execute();
  await db.schema.alterTable('pools').addColumn('autoscale_status', 'text').execute();
}
