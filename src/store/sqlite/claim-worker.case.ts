/**
 * Another process for the shared-file test, with its own connection and event loop, claiming from
 * the same SQLite file. (Two connections in one process would deadlock: better-sqlite3 waits on
 * busy_timeout synchronously, which blocks the event loop the other connection needs to commit.)
 * Run as `node --import tsx claim-worker.case.ts '<job json>'`; prints the claimed names as JSON.
 * @module
 */
import { createSqliteStore } from './index.js';

interface Job {
  file: string;
  claims: number;
  tag: string;
}

const job = JSON.parse(process.argv[2] ?? '{}') as Job;
const store = createSqliteStore({ file: job.file });
const results = await Promise.all(
  Array.from({ length: job.claims }, (_, i) =>
    store.claimVm({
      pool: 'desk',
      states: ['paused', 'saved'],
      holder: job.tag,
      leaseId: `${job.tag}-${i}`,
      leaseExpiresAt: null,
      actor: job.tag,
    }),
  ),
);
await store.close();
process.stdout.write(JSON.stringify(results.flatMap((v) => (v ? [v.name] : []))));
