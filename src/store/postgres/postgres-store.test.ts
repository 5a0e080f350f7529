import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runStoreContract } from '../store.case.js';
import { runHostContract } from '../hosts.case.js';
import { runWebhookContract } from '../webhooks.case.js';
import { createPostgresStore } from './index.js';
import { openStore } from '../index.js';
import { makePool, makeTemplate, makeVm } from '../store-fixtures.case.js';

const stores = (process.env.HVKUBE_STORES ?? 'sqlite,pg').split(',').map((s) => s.trim());
const enabled = stores.includes('pg');
const url = process.env.HVKUBE_TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
// One schema per run, so parallel runs and leftovers of a crashed run never meet.
const schema = `hvk_test_${randomBytes(6).toString('hex')}`;

async function admin(statement: string): Promise<void> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    await client.query(statement);
  } finally {
    await client.end();
  }
}

describe.skipIf(!enabled)(
  `PostgreSQL store (${enabled ? url : 'skipped: HVKUBE_STORES excludes pg'})`,
  () => {
    beforeAll(() => admin(`create schema ${schema}`));
    afterAll(() => admin(`drop schema if exists ${schema} cascade`));

    const open = (clock: { now: () => Date }) =>
      createPostgresStore({ connectionString: url, searchPath: schema, now: clock.now });

    runStoreContract(
      'postgres',
      async (clock) => {
        const store = open(clock);
        await store.migrate();
        await sql`truncate events, agents, vms, pools, templates, hosts restart identity`.execute(
          store.db,
        );
        return store;
      },
      { reopen: async (clock) => open(clock) },
    );

    runHostContract('postgres', async (clock) => {
      const store = open(clock);
      await store.migrate();
      await sql`truncate events, agents, vms, pools, templates, hosts restart identity`.execute(store.db);
      return store;
    });

    runWebhookContract('postgres', async (clock) => {
      const store = open(clock);
      await store.migrate();
      await sql`truncate webhook_deliveries, webhooks, webhook_outbox, events, agents, vms, pools, templates, hosts restart identity`.execute(store.db);
      return store;
    });

    it('tells other connections when a VM becomes ready (LISTEN/NOTIFY)', async () => {
      const clock = { now: () => new Date() };
      const a = open(clock);
      const b = open(clock);
      try {
        await a.migrate();
        await sql`truncate events, agents, vms, pools, templates, hosts restart identity`.execute(a.db);
        expect(b.crossProcessNotifications).toBe(true);
        const heard: string[] = [];
        const ready = new Promise<void>((resolve) => {
          b.onVmReady((pool) => {
            heard.push(pool);
            resolve();
          });
        });
        // Let the listener connect before the change, as a long-running host would be.
        await new Promise((r) => setTimeout(r, 300));
        await a.createTemplate(makeTemplate());
        await a.createPool(makePool('desk'));
        await a.insertVm(makeVm('vm1', 'desk', { state: 'saving', stateSince: new Date().toISOString() }), { actor: 't', action: 'c' });
        await a.transitionVm('vm1', { from: ['saving'], to: 'saved', actor: 't', action: 'saved' });
        await ready;
        expect(heard).toEqual(['desk']);
      } finally {
        await a.close();
        await b.close();
      }
    });

    it('a query that finds every connection busy waits its turn instead of failing', async () => {
      // One connection, a wait of 100 ms for it, and a query holding it far longer.
      const store = createPostgresStore({ connectionString: url, searchPath: schema, maxConnections: 1, connectTimeoutMs: 100 });
      try {
        const holding = sql`select pg_sleep(1)`.execute(store.db);
        await expect(store.countVms()).resolves.toBeTypeOf('number');
        await holding;
      } finally {
        await store.close();
      }
    });

    it('a query that cannot get a connection in time fails with the typed, retryable STORE_UNAVAILABLE', async () => {
      const store = createPostgresStore({ connectionString: url, searchPath: schema, maxConnections: 1, connectTimeoutMs: 100, busyWaitMs: 0 });
      try {
        const holding = sql`select pg_sleep(1)`.execute(store.db);
        await expect(store.countVms()).rejects.toMatchObject({ code: 'STORE_UNAVAILABLE', details: { retryable: true } });
        await holding;
        // A driver's failure of another kind is not dressed up as one.
        await expect(sql`select * from no_such_table`.execute(store.db)).rejects.toMatchObject({ code: '42P01' });
      } finally {
        await store.close();
      }
    });

    it('answers counts and ids as numbers', async () => {
      const store = open({ now: () => new Date() });
      try {
        await store.migrate();
        const e = await store.appendEvent({
          actor: 'u',
          kind: 'host',
          subject: 'h',
          action: 'x',
          from: null,
          to: null,
          durationMs: null,
          details: null,
        });
        expect(typeof e.id).toBe('number');
        expect(typeof (await store.countVms())).toBe('number');
      } finally {
        await store.close();
      }
    });

    it('openStore picks PostgreSQL for a postgres:// URL', async () => {
      const sep = url.includes('?') ? '&' : '?';
      const store = await openStore({
        databaseUrl: `${url}${sep}options=-c%20search_path%3D${schema}`,
        dataDir: '/nonexistent',
      });
      try {
        expect(store.dialect).toBe('pg');
        expect((await store.listTemplates()).map((t) => t.name)).toEqual(['win11']);
      } finally {
        await store.close();
      }
    });
  },
);
