/**
 * The API layer's overhead: acquire+release round trips per second and their p50/p99, through
 * HTTP (`HvkubeClient` → `hvkube serve`'s Hono app on a loopback socket, keep-alive) and through
 * the library directly, in the same run on the same kind of pool, with 1 and 16 callers. The
 * fake backend runs at zero latency, so what is measured is hvkube, not a hypervisor.
 * Writes bench/results/api.json. Run: npm run bench:api
 */
import { startApiServer } from '../src/api/server.js';
import { HvkubeClient } from '../src/client/client.js';
import { fakePool } from './_fake-pool.js';
import { percentile, printTable, round, writeResult } from './_stats.js';

const POOL_SIZE = 32;
const CONCURRENCY = [1, 16];
const DURATION_MS = Number(process.env.HVKUBE_BENCH_MS ?? 3000);

type Face = 'library' | 'http';

interface Case {
  face: Face;
  concurrency: number;
  round_trips: number;
  per_s: number;
  p50_ms: number;
  p99_ms: number;
}

/** One round trip: acquire, then release and wait until the VM is back in the pool. */
type RoundTrip = (worker: number) => Promise<void>;

async function measure(face: Face, concurrency: number, roundTrip: RoundTrip): Promise<Case> {
  // Warm up (JIT, prepared statements, keep-alive sockets) outside the measurement.
  await Promise.all(Array.from({ length: concurrency }, (_, i) => roundTrip(i)));
  const ms: number[] = [];
  const deadline = performance.now() + DURATION_MS;
  const start = performance.now();
  await Promise.all(
    Array.from({ length: concurrency }, async (_, i) => {
      while (performance.now() < deadline) {
        const t0 = performance.now();
        await roundTrip(i);
        ms.push(performance.now() - t0);
      }
    }),
  );
  const elapsed = performance.now() - start;
  ms.sort((a, b) => a - b);
  return {
    face,
    concurrency,
    round_trips: ms.length,
    per_s: round((ms.length / elapsed) * 1000, 1),
    p50_ms: round(percentile(ms, 50)),
    p99_ms: round(percentile(ms, 99)),
  };
}

const { orch, close } = await fakePool(POOL_SIZE, 'hvk-bench-api-');
const server = await startApiServer({ orchestrator: orch, listen: '127.0.0.1:0' });
const client = new HvkubeClient({ url: server.url });

const library: RoundTrip = async (i) => {
  const got = await orch.acquire({ pool: 'p', holder: `w${i}`, timeoutMs: 10_000 });
  await (await orch.release(got.vm.name, { leaseId: got.leaseId })).done;
};
const http: RoundTrip = async (i) => {
  const got = await client.acquire({ pool: 'p', holder: `w${i}`, timeoutS: 10 });
  await client.release(got.vm_name, { leaseId: got.lease_id, wait: true });
};

const cases: Case[] = [];
try {
  for (const concurrency of CONCURRENCY) {
    // Alternate the faces so drift in the machine's load hits both alike.
    cases.push(await measure('library', concurrency, library));
    cases.push(await measure('http', concurrency, http));
  }
} finally {
  await server.close();
  await close();
}

const ratios = CONCURRENCY.map((concurrency) => {
  const lib = cases.find((c) => c.face === 'library' && c.concurrency === concurrency);
  const web = cases.find((c) => c.face === 'http' && c.concurrency === concurrency);
  return {
    concurrency,
    throughput_library_over_http: lib && web ? round(lib.per_s / web.per_s, 2) : null,
    p50_http_over_library: lib && web ? round(web.p50_ms / lib.p50_ms, 2) : null,
    p50_overhead_ms: lib && web ? round(web.p50_ms - lib.p50_ms) : null,
  };
});

console.log(`acquire+release round trips, fake backend at zero latency, pool of ${POOL_SIZE}, SQLite file store, ${DURATION_MS} ms per case\n`);
printTable(
  ['face', 'callers', 'round trips', 'per s', 'p50 ms', 'p99 ms'],
  cases.map((c) => [c.face, c.concurrency, c.round_trips, c.per_s, c.p50_ms, c.p99_ms]),
);
console.log('');
printTable(
  ['callers', 'library/http throughput', 'http/library p50', 'p50 overhead ms'],
  ratios.map((r) => [r.concurrency, `${r.throughput_library_over_http ?? '-'}x`, `${r.p50_http_over_library ?? '-'}x`, r.p50_overhead_ms ?? '-']),
);
const file = writeResult('api.json', { generated_at: new Date().toISOString(), node: process.version, pool_size: POOL_SIZE, duration_ms_per_case: DURATION_MS, cases, ratios });
console.log(`\nwrote ${file}`);
