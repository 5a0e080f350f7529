/**
 * The state store: the `Store` port, its one Kysely implementation, and `openStore`, which picks
 * PostgreSQL for a `postgres://` URL and otherwise the SQLite file in the data directory.
 * @module
 */
import path from 'node:path';
import type { Store } from './store.js';
import { createSqliteStore } from './sqlite/index.js';
import { createPostgresStore } from './postgres/index.js';

export * from './store.js';
export type { Database } from './schema.js';
export { KyselyStore, type KyselyStoreOptions } from './kysely-store.js';
export { createSqliteStore, type SqliteStoreOptions } from './sqlite/index.js';
export { createPostgresStore, type PostgresStoreOptions } from './postgres/index.js';
export { MIGRATIONS } from './migrations/index.js';

export interface OpenStoreConfig {
  /** `postgres://…` or `postgresql://…` for PostgreSQL; anything else (or none) means SQLite. */
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
  const store = isPostgresUrl(config.databaseUrl)
    ? createPostgresStore({ connectionString: config.databaseUrl, ...clock })
    : createSqliteStore({ file: path.join(config.dataDir, SQLITE_FILE_NAME), ...clock });
  try {
    await store.migrate();
  } catch (e) {
    await store.close();
    throw e;
  }
  return store;
}
