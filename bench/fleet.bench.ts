/**
 * A fleet on one PostgreSQL: acquire throughput and latency with 1, 2 and 3 hosts, each a real
 * `hvkube serve --host` process on the fake backend at zero latency. Clients acquire from every
 * host and release at once (policy save). Acquires answered with another host's VM paid the hop
 * to its owner; they are reported apart, which is the cost of forwarding.
 *
 * All hosts, PostgreSQL and the clients share this machine, so the loaded run measures the
 * machine as much as the fleet: it also reports CPU per acquire for each tier (what a host and
 * the database spend on one acquire, which is what decides how far separate machines scale),
 * and a light run with one client per host, for latency without the CPUs saturated.
 * Run: npm run bench:fleet (needs PostgreSQL on 127.0.0.1:5432, database `test`).
 */
import os from 'node:os';
import { api, createFleetDb, eventually, HostProcess, poolCensus, seedPool, type AcquireAnswer } from '../test/helpers/fleet.js';
import { percentile, printTable, round, writeResult } from './_stats.js';
import { cpuMsByName, processCpuMs, selfCpuMs } from './_cpu.js';
import { capCpu, cpuCapUnavailable } from './_cpu-cap.js';

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
  /**
   * CPU ms per acquire+release cycle during the loaded run, by tier: all host processes, all
   * PostgreSQL processes, the benchmark's clients. Flat host CPU per cycle as hosts are added
   * means each host's work does not grow with the fleet; null off Linux.
   */
  host_cpu_ms_per_cycle: number | null;
  db_cpu_ms_per_cycle: number | null;
  client_cpu_ms_per_cycle: number;
  /** Share of the machine's CPUs busy during the loaded run (all processes above). */
  machine_busy_pct: number | null;
  /**
   * The loaded run again with each host process capped (cgroup) to this fraction of one CPU, as
   * if each host were a small machine of its own: then the hosts, not the shared machine, are
   * the bottleneck, and throughput shows how the fleet scales. Null where cgroups are unavailable.
   */
  capped_host_cpu: number | null;
  capped_acquires_per_s: number | null;
  capped_p50_ms: number | null;
  capped_p99_ms: number | null;
  capped_machine_busy_pct: number | null;
  /** One client per host at once, each on its own host: latency when the machine is not saturated. */
  light_clients: number;
  light_p50_ms: number;
  light_p99_ms: number;
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
const LIGHT_MS = Math.max(1000, DURATION_MS / 2);
const VMS_PER_HOST = 10;
const CLIENTS_PER_HOST = 8;
/** The CPU each host gets in the capped run: a fifth of one core. */
const HOST_CPU_CAP = Number(process.env.HVKUBE_BENCH_HOST_CPU ?? 0.2);

interface LoadedRun {
  samples: { ms: number; forwarded: boolean }[];
  elapsed: number;
  hostCpu: number | null;
  dbCpu: number | null;
  clientCpu: number;
  busyPct: number | null;
}

const perCycle = (ms: number | null, cycles: number): number | null => (ms === null ? null : round(ms / cycles, 2));

/** CLIENTS_PER_HOST clients per host acquiring and releasing for DURATION_MS, with the CPU each tier used. */
async function loadedRun(hosts: HostProcess[], owner: Map<string, string>): Promise<LoadedRun> {
  const samples: { ms: number; forwarded: boolean }[] = [];
  const cpuHosts = (): number | null => {
    let sum = 0;
    for (const h of hosts) {
      const ms = processCpuMs(h.pid);
      if (ms === null) return null;
      sum += ms;
    }
    return sum;
  };
  const cpu0 = { hosts: cpuHosts(), db: cpuMsByName('postgres'), self: selfCpuMs() };
  const end = performance.now() + DURATION_MS;
  const client = async (c: number): Promise<void> => {
    const host = hosts[c % hosts.length];
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
  await Promise.all(Array.from({ length: CLIENTS_PER_HOST * hosts.length }, (_, c) => client(c)));
  const elapsed = performance.now() - t0;
  const cpu1 = { hosts: cpuHosts(), db: cpuMsByName('postgres'), self: selfCpuMs() };
  const hostCpu = cpu0.hosts !== null && cpu1.hosts !== null ? cpu1.hosts - cpu0.hosts : null;
  const dbCpu = cpu0.db !== null && cpu1.db !== null ? cpu1.db - cpu0.db : null;
  const clientCpu = cpu1.self - cpu0.self;
  const busyPct = hostCpu !== null && dbCpu !== null ? (100 * (hostCpu + dbCpu + clientCpu)) / (elapsed * os.cpus().length) : null;
  return { samples, elapsed, hostCpu, dbCpu, clientCpu, busyPct };
}

async function runCase(n: number): Promise<Case> {
  const db = await createFleetDb();
  const port = 19700 + Math.floor(Math.random() * 200) * 4;
  const hosts = Array.from({ length: n }, (_, i) => new HostProcess({ name: `b${i + 1}`, dir: db.dir, listen: `127.0.0.1:${port + i}`, databaseUrl: db.url }));
  try {
    await Promise.all(hosts.map((h) => h.start()));
    await seedPool(db, 'bench', VMS_PER_HOST * n);
    await eventually('pool provisioned', async () => (await poolCensus(db, 'bench')).saved === VMS_PER_HOST * n, 120_000);
    const owner = new Map((await db.store.listVms({ pool: 'bench' })).map((v) => [v.name, v.host]));
    // Warm-up, not measured: the first requests of a process pay for JIT compilation.
    for (const host of hosts) await singleClient(host.url, 500);
    await eventually('pool saved again', async () => (await poolCensus(db, 'bench')).saved === VMS_PER_HOST * n, 30_000);
    // Light load first: one client per host, so the machine is not the bottleneck.
    const light: number[] = [];
    const lightEnd = performance.now() + LIGHT_MS;
    await Promise.all(
      hosts.map(async (host, c) => {
        while (performance.now() < lightEnd) {
          const t0 = performance.now();
          const r = await api<AcquireAnswer>(host.url, 'POST', '/acquire', { pool_name: 'bench', timeout_s: 30, holder: `l${c}` });
          light.push(performance.now() - t0);
          if (r.status !== 200) throw new Error(`acquire failed: ${JSON.stringify(r.body)}`);
          await api(host.url, 'POST', `/vms/${r.body.vm_name}/release?wait=true`, { lease_id: r.body.lease_id });
        }
      }),
    );
    light.sort((a, b) => a - b);
    await eventually('pool saved again', async () => (await poolCensus(db, 'bench')).saved === VMS_PER_HOST * n, 30_000);

    const loaded = await loadedRun(hosts, owner);
    await eventually('pool saved again', async () => (await poolCensus(db, 'bench')).saved === VMS_PER_HOST * n, 30_000);
    // The same load with every host capped to a slice of one CPU: each is its own small machine.
    let capped: LoadedRun | null = null;
    if (cpuCapUnavailable() === null) {
      const undo = hosts.map((h) => (h.pid === undefined ? null : capCpu(h.pid, HOST_CPU_CAP, h.name)));
      try {
        capped = await loadedRun(hosts, owner);
      } finally {
        for (const u of undo) u?.();
      }
      await eventually('pool saved again', async () => (await poolCensus(db, 'bench')).saved === VMS_PER_HOST * n, 30_000);
    }
    const samples = loaded.samples;
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
      acquires_per_s: round(samples.length / (loaded.elapsed / 1000), 1),
      p50_ms: round(percentile(all, 50), 2),
      p99_ms: round(percentile(all, 99), 2),
      local_p50_ms: round(percentile(local, 50), 2),
      host_cpu_ms_per_cycle: perCycle(loaded.hostCpu, loaded.samples.length),
      db_cpu_ms_per_cycle: perCycle(loaded.dbCpu, loaded.samples.length),
      client_cpu_ms_per_cycle: round(loaded.clientCpu / loaded.samples.length, 2),
      machine_busy_pct: loaded.busyPct === null ? null : round(loaded.busyPct, 0),
      capped_host_cpu: capped ? HOST_CPU_CAP : null,
      capped_acquires_per_s: capped ? round(capped.samples.length / (capped.elapsed / 1000), 1) : null,
      capped_p50_ms: capped ? round(percentile(capped.samples.map((x) => x.ms).sort((a, b) => a - b), 50), 2) : null,
      capped_p99_ms: capped ? round(percentile(capped.samples.map((x) => x.ms).sort((a, b) => a - b), 99), 2) : null,
      capped_machine_busy_pct: capped && capped.busyPct !== null ? round(capped.busyPct, 0) : null,
      light_clients: n,
      light_p50_ms: round(percentile(light, 50), 2),
      light_p99_ms: round(percentile(light, 99), 2),
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
const dash = (v: number | null): number | string => v ?? '-';
console.log('Loaded: 8 clients per host, each acquiring and releasing as fast as it can.');
printTable(
  ['hosts', 'pool', 'clients', 'acquires', 'acq/s', 'p50 ms', 'p99 ms', 'fwd', 'fwd p50', 'host CPU ms/cycle', 'db CPU ms/cycle', 'client CPU ms/cycle', 'machine busy %'],
  cases.map((c) => [c.hosts, c.pool_size, c.clients, c.acquires, c.acquires_per_s, c.p50_ms, c.p99_ms, c.forwarded, dash(c.forwarded_p50_ms), dash(c.host_cpu_ms_per_cycle), dash(c.db_cpu_ms_per_cycle), c.client_cpu_ms_per_cycle, dash(c.machine_busy_pct)]),
);
if (cases.some((c) => c.capped_acquires_per_s !== null)) {
  console.log(`\nCapped: the same load with each host process limited to ${HOST_CPU_CAP} of one CPU (cgroup), as if each host were a small machine of its own.`);
  printTable(
    ['hosts', 'acq/s', 'per host', 'p50 ms', 'p99 ms', 'machine busy %'],
    cases.map((c) => [c.hosts, dash(c.capped_acquires_per_s), c.capped_acquires_per_s === null ? '-' : round(c.capped_acquires_per_s / c.hosts, 1), dash(c.capped_p50_ms), dash(c.capped_p99_ms), dash(c.capped_machine_busy_pct)]),
  );
} else {
  console.log(`\nCapped run skipped: ${cpuCapUnavailable() ?? 'unknown reason'}`);
}
console.log('\nLight: one client per host at once; then one client on the first host, on its own VMs (local) and on the others\' (forwarded).');
printTable(
  ['hosts', 'light p50 ms', 'light p99 ms', '1-client local p50', '1-client fwd p50', '1-client fwd p99'],
  cases.map((c) => [c.hosts, c.light_p50_ms, c.light_p99_ms, c.single_local_p50_ms, dash(c.single_forwarded_p50_ms), dash(c.single_forwarded_p99_ms)]),
);
const file = writeResult('fleet.json', {
  bench: 'fleet',
  machine: { cpus: os.cpus().length, node: process.version, load_average_1m: round(os.loadavg()[0] ?? 0, 2) },
  duration_ms: DURATION_MS,
  backend: 'fake (zero latency)',
  store: 'PostgreSQL 127.0.0.1, one schema per case',
  cases,
});
console.log(`\nwritten: ${file}`);
process.exit(0);
