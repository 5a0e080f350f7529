/**
 * The state store: the `Store` port, its one Kysely implementation, and `openStore`, which picks
 * PostgreSQL for a `postgres://` URL and otherwise the SQLite file in the data directory.
 * @module
 */
import path from 'node:path';
import type { Store } from './store.js';
import { createSqliteStore } from './sqlite/index.js';
import { createPostgresStore } from './postgres/index.js';
import { HvkubeError } from '../domain/errors.js';
import { postgresOpenError, sqliteOpenError } from './open-errors.js';

export * from './store.js';
export type { Database } from './schema.js';
export { KyselyStore, type KyselyStoreOptions } from './kysely-store.js';
export { createSqliteStore, type SqliteStoreOptions } from './sqlite/index.js';
export { createPostgresStore, type PostgresStoreOptions } from './postgres/index.js';
export { MIGRATIONS } from './migrations/index.js';

export interface OpenStoreConfig {
  /** `postgres://…` or `postgresql://…` for PostgreSQL; none means SQLite; anything else is refused. */
  databaseUrl?: string;
  /** Where the SQLite file `hvkube.db` lives. */
  dataDir: string;
  now?: () => Date;
}

export const SQLITE_FILE_NAME = 'hvkube.db';

export function isPostgresUrl(url: string | undefined): url is string {
  return url !== undefined && /^postgres(ql)?:\/\//i.test(url);
}

/** Opens the configured store and applies pending migrations, ready to use. */
export async function openStore(config: OpenStoreConfig): Promise<Store> {
  const clock = config.now ? { now: config.now } : {};
  const url = config.databaseUrl;
  if (url !== undefined && url !== '' && !isPostgresUrl(url)) {
    throw new HvkubeError('INVALID_INPUT', 'the database URL is not postgres:// or postgresql://', { hint: 'fix the URL, or leave it unset to use SQLite' });
  }
  const file = path.join(config.dataDir, SQLITE_FILE_NAME);
  const explain = (e: unknown): unknown => (isPostgresUrl(url) ? postgresOpenError(e, url) : sqliteOpenError(e, file)) ?? e;
  let store: Store;
  try {
    store = isPostgresUrl(url) ? createPostgresStore({ connectionString: url, ...clock }) : createSqliteStore({ file, ...clock });
  } catch (e) {
    throw explain(e);
  }
  try {
    await store.migrate();
  } catch (e) {
    await store.close().catch(() => undefined);
    throw explain(e);
  }
  return store;
}
