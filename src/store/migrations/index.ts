/**
 * Numbered migrations and the runner that applies the missing ones at every start.
 *
 * Kysely's Migrator is not used: on PostgreSQL it looks for its bookkeeping table across all
 * schemas, so a second hvkube schema in the same database (one per test run, or per tenant)
 * makes it skip creating its own. This runner is small and keeps to the current search_path.
 * @module
 */
import { sql, type Kysely, type Transaction } from 'kysely';
import type { StoreDialect } from '../store.js';
import type { Database } from '../schema.js';
import * as m001 from './001-initial.js';
import * as m002 from './002-fleet.js';
import * as m003 from './003-webhooks.js';
import * as m004 from './004-operator.js';
import * as m005 from './005-template-readiness.js';
import * as m006 from './006-template-guest.js';
import * as m007 from './007-lifetime-policies.js';
import * as m008 from './008-pool-autoscale.js';
import * as m009 from './009-lease-display.js';

export interface Migration {
  name: string;
  up(db: Kysely<Database>, dialect: StoreDialect): Promise<void>;
}

/** In order. Never edit or reorder a released migration: add the next number. */
export const MIGRATIONS: readonly Migration[] = [
  { name: '001-initial', up: m001.up },
  { name: '002-fleet', up: m002.up },
  { name: '003-webhooks', up: m003.up },
  { name: '004-operator', up: m004.up },
  { name: '005-template-readiness', up: m005.up },
  { name: '006-template-guest', up: m006.up },
  { name: '007-lifetime-policies', up: m007.up },
  { name: '008-pool-autoscale', up: m008.up },
  { name: '009-lease-display', up: m009.up },
];

/** Any number that other software on the same PostgreSQL database is unlikely to pick. */
const PG_MIGRATION_LOCK = 0x68766b75; // "hvku"

/**
 * Applies the migrations not yet recorded, each with its bookkeeping row, in one transaction.
 * Both dialects run DDL inside transactions, so a failed migration leaves nothing half done.
 */
export async function migrate(
  db: Kysely<Database>,
  dialect: StoreDialect,
  now: () => Date,
): Promise<string[]> {
  const apply = async (trx: Kysely<Database>): Promise<string[]> => {
    await trx.schema
      .createTable('hvkube_migrations')
      .ifNotExists()
      .addColumn('name', 'text', (c) => c.primaryKey())
      .addColumn('applied_at', 'text', (c) => c.notNull())
      .execute();
    const done = new Set(
      (await trx.selectFrom('hvkube_migrations').select('name').execute()).map((r) => r.name),
    );
    const applied: string[] = [];
    for (const migration of MIGRATIONS) {
      if (done.has(migration.name)) continue;
      await migration.up(trx, dialect);
      await trx
        .insertInto('hvkube_migrations')
        .values({ name: migration.name, applied_at: now().toISOString() })
        .execute();
      applied.push(migration.name);
    }
    return applied;
  };

  if (dialect === 'pg') {
    return db.transaction().execute(async (trx: Transaction<Database>) => {
      // Two hosts starting at once: the second waits here, then finds everything applied.
      // The lock is released with the transaction.
      await sql`select pg_advisory_xact_lock(${sql.lit(PG_MIGRATION_LOCK)})`.execute(trx);
      return apply(trx);
    });
  }
  // SQLite: BEGIN IMMEDIATE takes the write lock up front, so a CLI and a server opening the
  // same file at once queue on busy_timeout instead of failing on a read-to-write upgrade.
  return db.connection().execute(async (conn) => {
    await sql`begin immediate`.execute(conn);
    try {
      const applied = await apply(conn);
      await sql`commit`.execute(conn);
      return applied;
    } catch (e) {
      await sql`rollback`.execute(conn);
      throw e;
    }
  });
}
