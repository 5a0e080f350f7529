/**
 * A lease may declare the display size its agent sees (`1024x768`): screenshots taken under the
 * lease are scaled to it and coordinates sent under it are mapped back to the real screen. Null
 * (every lease before this, and any lease that declares none) means the real screen size.
 * @module
 */
import type { Kysely } from 'kysely';
import type { Database } from '../schema.js';

export async function up(db: Kysely<Database>): Promise<void> {
  await db.schema.alterTable('vms').addColumn('lease_display', 'text').execute();
}
