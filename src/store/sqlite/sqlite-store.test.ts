import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';
import { runStoreContract } from '../store.case.js';
import { runHostContract } from '../hosts.case.js';
import { runWebhookContract } from '../webhooks.case.js';
import { createSqliteStore } from './index.js';
import { openStore } from '../index.js';
import { makePool, makeTemplate, makeVm } from '../store-fixtures.case.js';

const enabled = (process.env.HVKUBE_STORES ?? 'sqlite,pg')
  .split(',')
  .map((s) => s.trim())
  .includes('sqlite');
const dir = mkdtempSync(path.join(tmpdir(), 'hvkube-sqlite-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

let n = 0;
let current = '';

describe.skipIf(!enabled)('SQLite store', () => {
  // A file, not :memory:, so WAL and the reopen test run as in production.
  runStoreContract(
    'sqlite file',
    async (clock) => {
      current = path.join(dir, `t${++n}`, 'hvkube.db');
      const store = createSqliteStore({ file: current, now: clock.now });
      await store.migrate();
      return store;
    },
    { reopen: async (clock) => createSqliteStore({ file: current, now: clock.now }) },
  );

  runStoreContract('sqlite :memory:', async (clock) => {
    const store = createSqliteStore({ file: ':memory:', now: clock.now });
    await store.migrate();
    return store;
  });

  runHostContract('sqlite :memory:', async (clock) => {
    const store = createSqliteStore({ file: ':memory:', now: clock.now });
    await store.migrate();
    return store;
  });

  runWebhookContract('sqlite :memory:', async (clock) => {
    const store = createSqliteStore({ file: ':memory:', now: clock.now });
    await store.migrate();
    return store;
  });

  it('openStore puts hvkube.db in the data directory and migrates it', async () => {
    const dataDir = path.join(dir, 'data', 'nested');
    const store = await openStore({ dataDir });
    try {
      expect(store.dialect).toBe('sqlite');
      expect(await store.listPools()).toEqual([]);
      // A URL that is not PostgreSQL's is a mistake, never a quiet fallback to this file.
      for (const databaseUrl of ['file-not-a-url', 'postgress://u@db/x', 'mysql://u@db/x']) {
        await expect(openStore({ dataDir, databaseUrl })).rejects.toMatchObject({ code: 'INVALID_INPUT' });
      }
    } finally {
      await store.close();
    }
  });

  it('never hands one VM to two processes sharing the file', async () => {
    const file = path.join(dir, 'shared', 'hvkube.db');
    const store = createSqliteStore({ file });
    try {
      await store.migrate();
      await store.createTemplate(makeTemplate());
      await store.createPool(makePool('desk'));
      for (let i = 0; i < 20; i++) {
        await store.insertVm(makeVm(`vm${i}`, 'desk', { state: i % 2 ? 'saved' : 'paused' }), ev);
      }
    } finally {
      await store.close();
    }
    // Three processes, as the server and two CLIs would be.
    const claimed = (
      await Promise.all(['a', 'b', 'c'].map((tag) => claimInWorker(file, tag, 40)))
    ).flat();
    expect(claimed).toHaveLength(20);
    expect(new Set(claimed).size).toBe(20);
  });
});

const ev = { actor: 't', action: 'create' };
const run = promisify(execFile);

async function claimInWorker(file: string, tag: string, claims: number): Promise<string[]> {
  const script = fileURLToPath(new URL('./claim-worker.case.ts', import.meta.url));
  const job = JSON.stringify({ file, tag, claims });
  const { stdout } = await run(process.execPath, ['--import', 'tsx', script, job], {
    timeout: 30_000,
  });
  return JSON.parse(stdout) as string[];
}
