/**
 * Orchestration overhead on the fake backend at zero latency: acquire+release cycles per second
 * and acquire latency percentiles, for pools of 10, 100 and 1000 VMs, with 1 and 32 callers.
 * The store is a real SQLite file (WAL), as in production. Run: npm run bench
 */
import { fakePool } from './_fake-pool.js';
import { percentile, printTable, round, writeResult } from './_stats.js';

interface Case {
  pool_size: number;
  concurrency: number;
  cycles: number;
  p50_ms: number;
  p99_ms: number;
  release_p50_ms: number;
  ops_per_s: number;
}

const SIZES = (process.env.HVKUBE_BENCH_SIZES ?? '10,100,1000').split(',').map(Number);
const CONCURRENCY = [1, 32];
const DURATION_MS = Number(process.env.HVKUBE_BENCH_MS ?? 3000);

async function runCase(size: number, concurrency: number): Promise<Case> {
  const { orch, close } = await fakePool(size);
  try {

    const acquireMs: number[] = [];
    const releaseMs: number[] = [];
    const deadline = performance.now() + DURATION_MS;
    const worker = async (id: number): Promise<void> => {
      while (performance.now() < deadline) {
        const t0 = performance.now();
        const got = await orch.acquire({ pool: 'p', holder: `w${id}`, timeoutMs: 10_000 });
        const t1 = performance.now();
        const released = await orch.release(got.vm.name, { leaseId: got.leaseId });
        await released.done;
        acquireMs.push(t1 - t0);
        releaseMs.push(performance.now() - t1);
      }
    };
    const start = performance.now();
    await Promise.all(Array.from({ length: concurrency }, (_, i) => worker(i)));
    const elapsed = performance.now() - start;
    acquireMs.sort((a, b) => a - b);
    releaseMs.sort((a, b) => a - b);
    return {
      pool_size: size,
      concurrency,
      cycles: acquireMs.length,
      p50_ms: round(percentile(acquireMs, 50)),
      p99_ms: round(percentile(acquireMs, 99)),
      release_p50_ms: round(percentile(releaseMs, 50)),
      ops_per_s: round((acquireMs.length / elapsed) * 1000, 1),
    };
  } finally {
    await close();
  }
}

const cases: Case[] = [];
for (const size of SIZES) {
  for (const concurrency of CONCURRENCY) {
    cases.push(await runCase(size, concurrency));
  }
}
console.log(`acquire+release on the fake backend at zero latency, SQLite file store, ${DURATION_MS} ms per case\n`);
printTable(
  ['pool', 'callers', 'cycles', 'acquire p50 ms', 'acquire p99 ms', 'release p50 ms', 'cycles/s'],
  cases.map((c) => [c.pool_size, c.concurrency, c.cycles, c.p50_ms, c.p99_ms, c.release_p50_ms, c.ops_per_s]),
);
const seq = cases.filter((c) => c.concurrency === 1);
const flat = seq.length > 1 ? round((seq[seq.length - 1]?.p50_ms ?? 0) / (seq[0]?.p50_ms ?? 1), 2) : null;
console.log(`\nsequential p50, largest pool / smallest pool: ${flat ?? '-'}x (flat is ~1x)`);
const file = writeResult('core.json', { generated_at: new Date().toISOString(), node: process.version, duration_ms_per_case: DURATION_MS, cases, p50_ratio_largest_to_smallest_pool: flat });
console.log(`wrote ${file}`);
