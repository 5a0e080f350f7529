/**
 * The pg pool as Kysely sees it, with two rules for a loaded host. A request that finds every
 * connection busy waits its turn for longer than a connection may take to open: a full pool is a
 * busy database, not a broken one, and a slow answer beats a failed one. And whatever still
 * fails for a reason a retry can cure (a connection that would not open, a dropped connection, a
 * query time-out, a deadlock) leaves the store as the typed STORE_UNAVAILABLE, never as a
 * driver's untyped error.
 * @module
 */
import type pg from 'pg';
import type { PostgresCursor, PostgresPool, PostgresPoolClient } from 'kysely';
import { typedStoreError } from '../db-errors.js';

export interface TypedPoolOptions {
  /** How long a request may wait in all for a connection while every one is in use. */
  busyWaitMs: number;
}

function isPoolWaitTimeout(e: unknown): boolean {
  return e instanceof Error && e.message.startsWith('timeout exceeded when trying to connect');
}

function isPromise(value: unknown): value is Promise<unknown> {
  return typeof value === 'object' && value !== null && typeof (value as { then?: unknown }).then === 'function';
}

export function typedPool(pool: pg.Pool, options: TypedPoolOptions): PostgresPool {
  // Kysely keeps one connection object per client: hand it the same wrapper every time.
  const wrapped = new WeakMap<pg.PoolClient, PostgresPoolClient>();
  const wrap = (client: pg.PoolClient): PostgresPoolClient => {
    let w = wrapped.get(client);
    if (!w) {
      w = {
        query: ((text: string | PostgresCursor<unknown>, parameters?: readonly unknown[]) => {
          // A cursor is answered at once and fails on read; a query answers a promise.
          const answer: unknown = typeof text === 'string' ? client.query(text, parameters as unknown[]) : client.query(text as unknown as pg.Submittable);
          return isPromise(answer)
            ? answer.catch((e: unknown) => {
                throw typedStoreError(e);
              })
            : answer;
        }) as PostgresPoolClient['query'],
        release: (destroy?: boolean) => client.release(destroy),
      };
      wrapped.set(client, w);
    }
    return w;
  };
  return {
    async connect() {
      const started = Date.now();
      for (;;) {
        try {
          return wrap(await pool.connect());
        } catch (e) {
          // The wait ran out while every connection was in use: queue again, within the bound.
          const full = pool.totalCount >= (pool.options.max ?? 10);
          if (isPoolWaitTimeout(e) && full && Date.now() - started < options.busyWaitMs) continue;
          throw typedStoreError(e);
        }
      }
    },
    end: () => pool.end(),
  };
}
