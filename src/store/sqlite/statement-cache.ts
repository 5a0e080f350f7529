/**
 * Kysely's SQLite driver prepares every query anew. The store runs the same few statements over
 * and over (claim, transition, event), so keeping prepared statements by their SQL text saves the
 * parse and plan on each call. SQLite re-prepares a cached statement by itself after a schema
 * change, and Kysely's single-connection mutex means no statement is used twice at once.
 * @module
 */
import type BetterSqlite3 from 'better-sqlite3';
import type { SqliteDatabase, SqliteStatement } from 'kysely';

/** Enough for every distinct statement the store issues; filter combinations vary a little. */
const DEFAULT_CAPACITY = 256;

export function withStatementCache(
  db: BetterSqlite3.Database,
  capacity = DEFAULT_CAPACITY,
): SqliteDatabase {
  // A Map keeps insertion order: re-inserting on use makes the first key the least recently used.
  const cache = new Map<string, SqliteStatement>();
  return {
    close: () => {
      cache.clear();
      db.close();
    },
    prepare(sql: string): SqliteStatement {
      const hit = cache.get(sql);
      if (hit) {
        cache.delete(sql);
        cache.set(sql, hit);
        return hit;
      }
      const statement = db.prepare(sql);
      cache.set(sql, statement);
      if (cache.size > capacity) {
        const oldest = cache.keys().next();
        if (!oldest.done) cache.delete(oldest.value);
      }
      return statement;
    },
  };
}
