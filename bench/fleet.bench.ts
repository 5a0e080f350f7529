/**
 * A fleet on one PostgreSQL: acquire throughput and latency with 1, 2 and 3 hosts, each a real
 * `hvkube serve --host` process on the fake backend at zero latency. Clients acquire from every
 * host and release at once (policy save). Acquires answered with another host's VM paid the hop
 * to its owner; they are reported apart, which is the cost of forwarding.
 * Run: npm run bench:fleet (needs PostgreSQL on 127.0.0.1:5432, database `test`).
 */
import { api, createFleetDb, eventually, HostProcess, poolCensus, seedPool, type AcquireAnswer } from '../test/helpers/fleet.js';
import { percentile, printTable, round, writeResult } from './_stats.js';

interface Case {
  hosts: number;
  pool_size: number;
  clients: number;
  acquires: number;
  acquires_per_s: number;
  p50_ms: number;
  p99_ms: number;
  /** Acquires whose VM was on the host that answered. */
  local_p50_ms: number;
  /** Acquires whose VM was on another host: claim here, resume forwarded to the owner. */
  forwarded: number;
  forwarded_p50_ms: number | null;
  forwarded_p99_ms: number | null;
  /** One client on the first host, VM on that host: the hop-free baseline. */
  single_local_p50_ms: number;
  /** One client on the first host while all its own VMs are held: every resume is forwarded. */
  single_forwarded_p50_ms: number | null;
  single_forwarded_p99_ms: number | null;
}

/** Acquire+release cycles by one client on `url` for `ms`; answers the acquire latencies, sorted. */
async function singleClient(url: string, ms: number): Promise<number[]> {
  const out: number[] = [];
  const end = performance.now() + ms;
  while (performance.now() < end) {
    const t0 = performance.now();
    const r = await api<AcquireAnswer>(url, 'POST', '/acquire', { pool_name: 'bench', timeout_s: 30 });
    out.push(performance.now() - t0);
    if (r.status !== 200) throw new Error(`acquire failed: ${JSON.stringify(r.body)}`);
    await api(url, 'POST', `/vms/${r.body.vm_name}/release?wait=true`, { lease_id: r.body.lease_id });
  }
  return out.sort((a, b) => a - b);
}

const DURATION_MS = Number(process.env.HVKUBE_BENCH_MS ?? 4000);
const VMS_PER_HOST = 10;
const CLIENTS_PER_HOST = 8;

async function runCase(n: number): Promise<Case> {
  const db = await createFleetDb();
  const port = 19700 + Math.floor(Math.random() * 200) * 4;
  const hosts = Array.from({ length: n }, (_, i) => new HostProcess({ name: `b${i + 1}`, dir: db.dir, listen: `127.0.0.1:${port + i}`, databaseUrl: db.url }));
  try {
    await Promise.all(hosts.map((h) => h.start()));
    await seedPool(db, 'bench', VMS_PER_HOST * n);
    await eventually('pool provisioned', async () => (await poolCensus(db, 'bench')).saved === VMS_PER_HOST * n, 120_000);
    const owner = new Map((await db.store.listVms({ pool: 'bench' })).map((v) => [v.name, v.host]));
    const samples: { ms: number; forwarded: boolean }[] = [];
    const end = performance.now() + DURATION_MS;
    const client = async (c: number): Promise<void> => {
      const host = hosts[c % n];
      if (!host) return;
      while (performance.now() < end) {
        const t0 = performance.now();
        const r = await api<AcquireAnswer>(host.url, 'POST', '/acquire', { pool_name: 'bench', timeout_s: 30, holder: `c${c}` });
        const ms = performance.now() - t0;
        if (r.status !== 200) throw new Error(`acquire failed: ${JSON.stringify(r.body)}`);
        samples.push({ ms, forwarded: owner.get(r.body.vm_name) !== host.name });
        await api(host.url, 'POST', `/vms/${r.body.vm_name}/release`, { lease_id: r.body.lease_id });
      }
    };
    const t0 = performance.now();
    await Promise.all(Array.from({ length: CLIENTS_PER_HOST * n }, (_, c) => client(c)));
    const elapsed = performance.now() - t0;
    await eventually('pool saved again', async () => (await poolCensus(db, 'bench')).saved === VMS_PER_HOST * n, 30_000);
    const first = hosts[0];
    if (!first) throw new Error('no host');
    const singleLocal = await singleClient(first.url, 1500);
    let singleForwarded: number[] = [];
    if (n > 1) {
      // Hold every VM of the first host, so its claims can only take other hosts' VMs.
      const own = (await db.store.listVms({ pool: 'bench', host: first.name })).length;
      const holds = await Promise.all(Array.from({ length: own }, () => api<AcquireAnswer>(first.url, 'POST', '/acquire', { pool_name: 'bench', wait: false })));
      singleForwarded = await singleClient(first.url, 1500);
      await Promise.all(holds.map((h) => api(first.url, 'POST', `/vms/${h.body.vm_name}/release`, { lease_id: h.body.lease_id })));
    }
    const all = samples.map((s) => s.ms).sort((a, b) => a - b);
    const local = samples.filter((s) => !s.forwarded).map((s) => s.ms).sort((a, b) => a - b);
    const fwd = samples.filter((s) => s.forwarded).map((s) => s.ms).sort((a, b) => a - b);
    return {
      hosts: n,
      pool_size: VMS_PER_HOST * n,
      clients: CLIENTS_PER_HOST * n,
      acquires: samples.length,
      acquires_per_s: round(samples.length / (elapsed / 1000), 1),
      p50_ms: round(percentile(all, 50), 2),
      p99_ms: round(percentile(all, 99), 2),
      local_p50_ms: round(percentile(local, 50), 2),
      forwarded: fwd.length,
      forwarded_p50_ms: fwd.length ? round(percentile(fwd, 50), 2) : null,
      forwarded_p99_ms: fwd.length ? round(percentile(fwd, 99), 2) : null,
      single_local_p50_ms: round(percentile(singleLocal, 50), 2),
      single_forwarded_p50_ms: singleForwarded.length ? round(percentile(singleForwarded, 50), 2) : null,
      single_forwarded_p99_ms: singleForwarded.length ? round(percentile(singleForwarded, 99), 2) : null,
    };
  } finally {
    await Promise.all(hosts.map((h) => h.stop('SIGTERM')));
    await db.drop();
  }
}

const cases: Case[] = [];
for (const n of [1, 2, 3]) cases.push(await runCase(n));
printTable(
  ['hosts', 'pool', 'clients', 'acquires', 'acq/s', 'p50 ms', 'p99 ms', 'fwd', 'fwd p50', '1-client local p50', '1-client fwd p50', '1-client fwd p99'],
  cases.map((c) => [c.hosts, c.pool_size, c.clients, c.acquires, c.acquires_per_s, c.p50_ms, c.p99_ms, c.forwarded, c.forwarded_p50_ms ?? '-', c.single_local_p50_ms, c.single_forwarded_p50_ms ?? '-', c.single_forwarded_p99_ms ?? '-']),
);
const file = writeResult('fleet.json', {
  bench: 'fleet',
  machine: { cpus: (await import('node:os')).cpus().length, node: process.version, load_average_1m: round((await import('node:os')).loadavg()[0] ?? 0, 2) },
  duration_ms: DURATION_MS,
  backend: 'fake (zero latency)',
  store: 'PostgreSQL 127.0.0.1, one schema per case',
  cases,
});
console.log(`\nwritten: ${file}`);
process.exit(0);
