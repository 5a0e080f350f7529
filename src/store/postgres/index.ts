/**
 * The store for several hosts: PostgreSQL through a `pg.Pool`.
 * @module
 */
import pg from 'pg';
import { Kysely, PostgresDialect } from 'kysely';
import type { Database } from '../schema.js';
import { KyselyStore } from '../kysely-store.js';
import { VmReadyListener } from './notifications.js';
import { typedPool } from './typed-pool.js';

export interface PostgresStoreOptions {
  connectionString: string;
  /**
   * Schema(s) to use instead of the server's default `search_path`, e.g. one schema per test run
   * or per installation sharing a database. The schema must exist.
   */
  searchPath?: string;
  /** Connections in the pool. Default is pg's (10). */
  maxConnections?: number;
  /**
   * A query without an answer after this long fails instead of hanging on a silent network
   * (a cut link never resets the connection). Default 15000 ms.
   */
  queryTimeoutMs?: number;
  /** Opening a connection fails after this long. Default 5000 ms. */
  connectTimeoutMs?: number;
  /**
   * While every connection is in use, a query waits this long in all for one before it fails
   * with STORE_UNAVAILABLE (a loaded host answers slower rather than fail). Default 60000 ms.
   */
  busyWaitMs?: number;
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
  const searchPath = options.searchPath ? { options: `-c search_path=${options.searchPath}` } : {};
  const pool = new pg.Pool({
    connectionString: options.connectionString,
    types: typeParsers(),
    // pg's defaults wait forever: a host cut off from the database must see errors, not hang.
    connectionTimeoutMillis: options.connectTimeoutMs ?? 5000,
    query_timeout: options.queryTimeoutMs ?? 15_000,
    // Probes after 10 s of silence: a connection whose far end vanished is noticed and dropped.
    keepAlive: true,
    keepAliveInitialDelayMillis: 10_000,
    ...(options.maxConnections ? { max: options.maxConnections } : {}),
    ...searchPath,
  });
  // An idle connection that breaks (server restart, network cut) is reported here; without a
  // listener pg-pool's error would crash the process. The pool drops that connection itself.
  pool.on('error', () => undefined);
  // pg-pool listens for errors only on idle connections. A connection in use that breaks emits
  // 'error' too (its queries are rejected anyway), and with nobody listening the process dies.
  pool.on('connect', (client) => {
    client.on('error', () => undefined);
  });
  const vmReady = new VmReadyListener({ connectionString: options.connectionString, ...searchPath });
  const db = new Kysely<Database>({ dialect: new PostgresDialect({ pool: typedPool(pool, { busyWaitMs: options.busyWaitMs ?? 60_000 }) }) });
  return new KyselyStore({ db, dialect: 'pg', vmReady, ...(options.now ? { now: options.now } : {}) });
}
