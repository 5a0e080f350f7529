/**
 * A template declares its guest (Linux or Windows) and the machine built for it: Secure Boot,
 * device set and display resolution, as JSON. Null is the Linux machine templates had before.
 * @module
 */
import type { Kysely } from 'kysely';
import type { Database } from '../schema.js';

export async function up(db: Kysely<Database>): Promise<void> {
  await db.schema.alterTable('templates').addColumn('guest', 'text').execute();
}
