/**
 * Autoscaling under a bursty load on the fake backend, with latencies that feel like a host
 * (HVKUBE_FAKE_LATENCY, or a default below): an autoscaled pool at rest, then bursts of
 * acquires that each hold their VM a while, then quiet. Samples the pool's size and the acquire
 * waits over time, and checks that waits fall once the pool has grown, that it shrinks back
 * after the idle period, and that its size never leaves [min, max].
 * Run: npm run bench:autoscale (HVKUBE_BENCH_MS scales the phases; default 1).
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createFakeHypervisor } from '../src/hypervisor/fake/index.js';
import { fakeOptionsFromEnv } from '../src/hypervisor/fake/fake-hypervisor-config.js';
import { Orchestrator } from '../src/orchestrator/orchestrator.js';
import { createSqliteStore } from '../src/store/sqlite/index.js';
import { percentile, printTable, round, writeResult } from './_stats.js';

const SCALE = Number(process.env.HVKUBE_BENCH_SCALE ?? 1);
const BOUNDS = { min: 1, max: 12, target: 2, scaleDownAfterMs: Math.round(3000 * SCALE) };
const DEFAULT_LATENCY = { boot: 400, guestReady: 200, save: 150, resume: 80, checkpoint: 50, createDisk: 30, create: 30, restore: 60, remove: 20 };
const SAMPLE_MS = 250;
const HOLD_MS = Math.round(1500 * SCALE);

/** Phases: [name, duration ms, acquires started per second]. */
const PHASES: [string, number, number][] = [
  ['rest', 2000 * SCALE, 0],
  ['burst 1', 5000 * SCALE, 4],
  ['quiet 1', 6000 * SCALE, 0],
  ['burst 2', 5000 * SCALE, 4],
  ['quiet 2', 6000 * SCALE, 0],
];

interface Sample {
  t_ms: number;
  phase: string;
  desired: number;
  total: number;
  ready: number;
  in_use: number;
  waiting: number;
}

interface Acquire {
  phase: string;
  started_ms: number;
  wait_ms: number;
  ok: boolean;
}

const env = fakeOptionsFromEnv(process.env);
const latencies = env.latencies ?? DEFAULT_LATENCY;
const dir = mkdtempSync(path.join(os.tmpdir(), 'hvk-bench-autoscale-'));
const image = path.join(dir, 'golden.vhdx');
writeFileSync(image, 'golden');
const store = createSqliteStore({ file: path.join(dir, 'hvkube.db') });
await store.migrate();
const hv = createFakeHypervisor({ dataDir: dir, latencies });
const orch = new Orchestrator({ store, hypervisor: hv, settings: { provisionConcurrency: 4, readyTimeoutMs: 30_000 } });

const samples: Sample[] = [];
const acquires: Acquire[] = [];
let t0 = 0;
let phase = 'setup';
const work = new Set<Promise<void>>();

function acquireAndHold(): void {
  const started = performance.now();
  const at = phase;
  const p = (async () => {
    try {
      const got = await orch.acquire({ pool: 'p', holder: 'bench', timeoutMs: 60_000 });
      acquires.push({ phase: at, started_ms: round(started - t0, 0), wait_ms: round(performance.now() - started, 1), ok: true });
      await new Promise((r) => setTimeout(r, HOLD_MS));
      await (await orch.release(got.vm.name, { leaseId: got.leaseId })).done;
    } catch {
      acquires.push({ phase: at, started_ms: round(started - t0, 0), wait_ms: round(performance.now() - started, 1), ok: false });
    }
  })().finally(() => work.delete(p));
  work.add(p);
}

try {
  await orch.registerTemplate({ name: 't', diskPath: image, memoryMb: 512, cpus: 1 });
  await orch.createPool({ name: 'p', template: 't', autoscale: BOUNDS, releasePolicy: 'save' });
  await orch.provisionPool('p');
  orch.controller.start(100);

  t0 = performance.now();
  const sampler = setInterval(() => {
    void orch.getPool('p').then((s) =>
      samples.push({ t_ms: round(performance.now() - t0, 0), phase, desired: s.pool.desired, total: s.total, ready: s.ready, in_use: s.inUse, waiting: orch.waitingAcquires('p') }),
    );
  }, SAMPLE_MS);
  for (const [name, ms, rate] of PHASES) {
    phase = name;
    const end = performance.now() + ms;
    while (performance.now() < end) {
      if (rate > 0) acquireAndHold();
      await new Promise((r) => setTimeout(r, rate > 0 ? 1000 / rate : 100));
    }
  }
  while (work.size > 0) await Promise.allSettled([...work]);
  clearInterval(sampler);
  await new Promise((r) => setTimeout(r, SAMPLE_MS));
} finally {
  await orch.close();
  await hv.close();
  await store.close();
  rmSync(dir, { recursive: true, force: true });
}

// Per phase: acquires, waits, the pool's size range; and the first and second half of burst 1.
const rows = PHASES.map(([name]) => {
  const a = acquires.filter((x) => x.phase === name);
  const waits = a.map((x) => x.wait_ms).sort((p, q) => p - q);
  const s = samples.filter((x) => x.phase === name);
  const sizes = s.map((x) => x.desired);
  return {
    phase: name,
    acquires: a.length,
    failed: a.filter((x) => !x.ok).length,
    wait_p50_ms: waits.length ? round(percentile(waits, 50), 1) : null,
    wait_p95_ms: waits.length ? round(percentile(waits, 95), 1) : null,
    wait_max_ms: waits.length ? round(waits[waits.length - 1] ?? 0, 1) : null,
    size_min: sizes.length ? Math.min(...sizes) : null,
    size_max: sizes.length ? Math.max(...sizes) : null,
    size_end: sizes.length ? (sizes[sizes.length - 1] ?? null) : null,
  };
});

const halves = (name: string): { first: number; second: number } => {
  const a = acquires.filter((x) => x.phase === name && x.ok).sort((p, q) => p.started_ms - q.started_ms);
  const mid = Math.floor(a.length / 2);
  const p50 = (xs: Acquire[]): number => round(percentile(xs.map((x) => x.wait_ms).sort((p, q) => p - q), 50), 1);
  return { first: p50(a.slice(0, mid)), second: p50(a.slice(mid)) };
};
const b1 = halves('burst 1');
const b2 = halves('burst 2');
const allSizes = samples.map((s) => s.desired);
const peak = Math.max(...allSizes);
const endSize = samples[samples.length - 1]?.desired ?? null;
const checks = {
  waits_fall_within_burst_1: b1.second < b1.first,
  waits_fall_within_burst_2: b2.second < b2.first,
  grew_beyond_rest_size: peak > (rows[0]?.size_end ?? 0),
  shrank_back_after_bursts: endSize !== null && endSize < peak && endSize === Math.max(BOUNDS.min, BOUNDS.target),
  never_outside_min_max: allSizes.every((n) => n >= BOUNDS.min && n <= BOUNDS.max) && samples.every((s) => s.total <= BOUNDS.max),
  every_acquire_served: acquires.every((a) => a.ok),
};

console.log(`autoscaling on the fake backend: bounds ${JSON.stringify(BOUNDS)}, latencies ${JSON.stringify(latencies)}, each acquire holds its VM ${HOLD_MS} ms\n`);
printTable(
  ['phase', 'acquires', 'failed', 'wait p50 ms', 'wait p95 ms', 'wait max ms', 'size min', 'size max', 'size at end'],
  rows.map((r) => [r.phase, r.acquires, r.failed, r.wait_p50_ms ?? '-', r.wait_p95_ms ?? '-', r.wait_max_ms ?? '-', r.size_min ?? '-', r.size_max ?? '-', r.size_end ?? '-']),
);
console.log(`\nburst 1 wait p50: first half ${b1.first} ms, second half ${b1.second} ms; burst 2: ${b2.first} ms, ${b2.second} ms`);
/** p50 wait of the acquires started in the second after `tMs`. */
const waitFrom = (tMs: number): string => {
  const w = acquires.filter((a) => a.started_ms >= tMs && a.started_ms < tMs + 1000).map((a) => a.wait_ms).sort((p, q) => p - q);
  return w.length ? String(round(percentile(w, 50), 1)) : '-';
};
console.log('\npool size over time (one line per second; wait: p50 of the acquires started in that second):');
printTable(
  ['t s', 'phase', 'size', 'VMs', 'ready', 'in use', 'waiting', 'wait p50 ms'],
  samples.filter((_, i) => i % Math.round(1000 / SAMPLE_MS) === 0).map((s) => [round(s.t_ms / 1000, 1), s.phase, s.desired, s.total, s.ready, s.in_use, s.waiting, waitFrom(s.t_ms)]),
);
console.log(`\nchecks: ${JSON.stringify(checks)}`);
const file = writeResult('autoscale.json', {
  generated_at: new Date().toISOString(),
  node: process.version,
  bounds: BOUNDS,
  latencies_ms: latencies,
  hold_ms: HOLD_MS,
  phases: PHASES.map(([name, ms, rate]) => ({ name, ms, acquires_per_s: rate })),
  summary: rows,
  burst_wait_p50_halves_ms: { burst_1: b1, burst_2: b2 },
  checks,
  samples,
  acquires,
});
console.log(`wrote ${file}`);
if (!Object.values(checks).every(Boolean)) process.exitCode = 1;
