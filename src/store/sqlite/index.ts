/**
 * The default store: one SQLite file in the data directory, shared by the server and the CLI.
 * @module
 */
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import { Kysely, SqliteDialect } from 'kysely';
import type { Database as Schema } from '../schema.js';
import { KyselyStore } from '../kysely-store.js';
import { withStatementCache } from './statement-cache.js';

export interface SqliteStoreOptions {
  /** Path of the database file, or ':memory:' for a private in-memory database. */
  file: string;
  now?: () => Date;
  /** Who writes state changes (default: this process); another process's, to test crash leftovers. */
  operator?: string;
}

export function openSqliteDatabase(file: string): Database.Database {
  if (file !== ':memory:') mkdirSync(path.dirname(path.resolve(file)), { recursive: true });
  const sqlite = new Database(file);
  // WAL: readers (the CLI) never block the writer (the server) and commits are appends.
  sqlite.pragma('journal_mode = WAL');
  // Without this SQLite ignores the REFERENCES clauses.
  sqlite.pragma('foreign_keys = ON');
  // With WAL, NORMAL is still crash-safe for the database; a power cut may lose the last commits.
  sqlite.pragma('synchronous = NORMAL');
  // A second process writing at the same moment waits instead of failing with SQLITE_BUSY.
  sqlite.pragma('busy_timeout = 5000');
  return sqlite;
}

/** Opens (creating if needed) the SQLite store. Call `migrate()` before use. */
export function createSqliteStore(options: SqliteStoreOptions): KyselyStore {
  const db = new Kysely<Schema>({
    dialect: new SqliteDialect({ database: withStatementCache(openSqliteDatabase(options.file)) }),
  });
  return new KyselyStore({ db, dialect: 'sqlite', ...(options.now ? { now: options.now } : {}), ...(options.operator ? { operator: options.operator } : {}) });
}
