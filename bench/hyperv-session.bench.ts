/**
 * One persistent PowerShell session vs a new process per call, against the stand-in.
 * The stand-in is bundled first so that both modes pay plain `node` start-up, not a TypeScript
 * compile; on a Windows host the spawn cost is larger (powershell.exe start plus the Hyper-V
 * module import). Writes bench/results/hyperv-session.json; then the VM lookup comparison
 * (hyperv-lookup.bench.ts, bench/results/hyperv-lookup.json).
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import { PowerShellSession, type SessionOptions } from '../src/hypervisor/hyperv/powershell-session.js';
import { standinHost } from '../src/hypervisor/hyperv/standin/testing.js';
import { lookupBench } from './hyperv-lookup.bench.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const PERSISTENT_CALLS = Number(process.env.HVKUBE_BENCH_CALLS ?? 500);
const SPAWN_CALLS = Number(process.env.HVKUBE_BENCH_SPAWNS ?? 25);

interface Stats {
  p50_ms: number;
  p99_ms: number;
  calls_per_s: number;
}

function stats(samples: number[], totalMs: number): Stats {
  const sorted = [...samples].sort((a, b) => a - b);
  const at = (q: number): number => sorted[Math.min(sorted.length - 1, Math.ceil(q * sorted.length) - 1)] ?? 0;
  const round = (n: number): number => Math.round(n * 1000) / 1000;
  return { p50_ms: round(at(0.5)), p99_ms: round(at(0.99)), calls_per_s: round((samples.length * 1000) / totalMs) };
}

async function persistent(options: SessionOptions): Promise<Stats> {
  const session = new PowerShellSession(options);
  await session.ready();
  for (let i = 0; i < 20; i++) await session.call('ping', { Echo: 'warm-up' });
  const samples: number[] = [];
  const started = performance.now();
  for (let i = 0; i < PERSISTENT_CALLS; i++) {
    const t = performance.now();
    await session.call('get-vm', { Name: `bench-${i % 10}` });
    samples.push(performance.now() - t);
  }
  const total = performance.now() - started;
  await session.close();
  return stats(samples, total);
}

async function spawnPerCall(options: SessionOptions): Promise<Stats> {
  const samples: number[] = [];
  const started = performance.now();
  for (let i = 0; i < SPAWN_CALLS; i++) {
    const t = performance.now();
    const session = new PowerShellSession(options);
    await session.call('get-vm', { Name: `bench-${i % 10}` });
    samples.push(performance.now() - t);
    await session.close();
  }
  return stats(samples, performance.now() - started);
}

async function main(): Promise<void> {
  const bundle = path.join(os.tmpdir(), `hvkube-standin-bench-${process.pid}.mjs`);
  await build({
    entryPoints: [path.join(root, 'src/hypervisor/hyperv/standin/main.ts')],
    bundle: true,
    platform: 'node',
    format: 'esm',
    outfile: bundle,
    logLevel: 'silent',
    banner: { js: "import { createRequire } from 'node:module'; const require = createRequire(import.meta.url);" },
  });
  const host = standinHost();
  const options = host.sessionOptions({ executable: process.execPath, prefixArgs: [bundle] });
  try {
    const results = { persistent: await persistent(options), spawn: await spawnPerCall(options) };
    console.log(`hyperv session benchmark (stand-in, get-vm; ${PERSISTENT_CALLS} persistent calls, ${SPAWN_CALLS} spawned)`);
    console.table(results);
    console.log(`persistent is ${(results.spawn.p50_ms / results.persistent.p50_ms).toFixed(0)}x faster per call at p50`);
    mkdirSync(path.join(root, 'bench/results'), { recursive: true });
    writeFileSync(path.join(root, 'bench/results/hyperv-session.json'), `${JSON.stringify(results, null, 2)}\n`);
    await lookupBench(host, options);
  } finally {
    host.dispose();
  }
}

await main();
