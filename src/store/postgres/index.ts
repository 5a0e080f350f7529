/**
 * The store for several hosts: PostgreSQL through a `pg.Pool`.
 * @module
 */
import pg from 'pg';
import { Kysely, PostgresDialect } from 'kysely';
import type { Database } from '../schema.js';
import { KyselyStore } from '../kysely-store.js';

export interface PostgresStoreOptions {
  connectionString: string;
  /**
   * Schema(s) to use instead of the server's default `search_path`, e.g. one schema per test run
   * or per installation sharing a database. The schema must exist.
   */
  searchPath?: string;
  /** Connections in the pool. Default is pg's (10). */
  maxConnections?: number;
  now?: () => Date;
}

const INT8_OID = 20;

/**
 * count(*) and bigserial ids are int8, which pg returns as strings to keep precision. Event ids
 * and counts stay far below 2^53, so numbers are safe. The override is per pool: pg's global
 * parser table is left alone for other code in the process.
 */
function typeParsers(): pg.TypeOverrides {
  const types = new pg.TypeOverrides();
  types.setTypeParser(INT8_OID, (value: string) => Number(value));
  return types;
}

/** Opens the PostgreSQL store. Call `migrate()` before use. */
export function createPostgresStore(options: PostgresStoreOptions): KyselyStore {
  const pool = new pg.Pool({
    connectionString: options.connectionString,
    types: typeParsers(),
    ...(options.maxConnections ? { max: options.maxConnections } : {}),
    ...(options.searchPath ? { options: `-c search_path=${options.searchPath}` } : {}),
  });
  const db = new Kysely<Database>({ dialect: new PostgresDialect({ pool }) });
  return new KyselyStore({ db, dialect: 'pg', ...(options.now ? { now: options.now } : {}) });
}
