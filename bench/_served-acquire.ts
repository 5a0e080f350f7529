/**
 * Acquire → first screenshot as a user of `hvkube serve` sees it: the orchestrator with the QEMU
 * backend, its pool controller running as `serve` runs it, the HTTP API on a loopback socket, and
 * `HvkubeClient` on the other side. Each round acquires, takes one screenshot, releases with a
 * reset and waits until the pool is ready again (the warm pool a user meets), then records at
 * the client: acquire (its resume part as the server reports it), screenshot, and the sum; and
 * whether the resume took the process the controller pre-started.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { startApiServer } from '../src/api/server.js';
import { HvkubeClient } from '../src/client/client.js';
import { createQemuHypervisor, type DemoImage } from '../src/hypervisor/qemu/index.js';
import { Orchestrator } from '../src/orchestrator/orchestrator.js';
import { createSqliteStore } from '../src/store/sqlite/index.js';
import { percentile, round } from './_stats.js';

export interface ServedAcquireResult {
  rounds: number;
  first_screenshot_p50_ms: number;
  first_screenshot_p95_ms: number;
  acquire_p50_ms: number;
  acquire_p95_ms: number;
  resume_p50_ms: number;
  resume_p95_ms: number;
  screenshot_p50_ms: number;
  screenshot_p95_ms: number;
  /** Rounds whose resume took the process prepared ahead (the claimed VM had a standby). */
  prepared_claims: number;
}

const POOL = 'served';
const CONTROLLER_INTERVAL_MS = 2000;

async function until(what: string, timeoutMs: number, check: () => Promise<boolean>): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting until ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

export async function benchServedAcquire(image: DemoImage, rounds: number, log: (line: string) => void): Promise<ServedAcquireResult> {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'hvk-bench-served-'));
  const store = createSqliteStore({ file: path.join(dir, 'hvkube.db') });
  await store.migrate();
  const hv = createQemuHypervisor({ dataDir: dir });
  // HVKUBE_BENCH_TRACE=1 prints every backend call made while an acquire is under way, with its time.
  let tracing = false;
  const traced = process.env.HVKUBE_BENCH_TRACE === '1'
    ? new Proxy(hv, {
      get(target, key, receiver) {
        const value: unknown = Reflect.get(target, key, receiver);
        if (typeof value !== 'function') return value;
        return (...args: unknown[]) => {
          const t = performance.now();
          const result: unknown = (value as (...a: unknown[]) => unknown).apply(target, args);
          if (tracing && result instanceof Promise) {
            void result.finally(() => log(`    ${String(key)}(${typeof args[0] === 'string' ? args[0] : ''}) ${Math.round(performance.now() - t)} ms`)).catch(() => undefined);
          }
          return result;
        };
      },
    })
    : hv;
  const orch = new Orchestrator({ store, hypervisor: traced });
  const server = await startApiServer({ orchestrator: orch, listen: '127.0.0.1:0' });
  const client = new HvkubeClient({ url: server.url });
  const acquireMs: number[] = [];
  const resumeMs: number[] = [];
  const shotMs: number[] = [];
  const firstMs: number[] = [];
  let prepared = 0;
  try {
    await orch.registerTemplate({
      name: 'demo', diskPath: image.diskPath, memoryMb: 128, cpus: 1, probes: [{ type: 'heartbeat' }],
      boot: { kernel: image.kernel, initrd: image.initrd, cmdline: image.cmdline },
    });
    await orch.createPool({ name: POOL, template: 'demo', desired: 3, warm: 2, releasePolicy: 'reset' });
    await orch.provisionPool(POOL);
    orch.controller.start(CONTROLLER_INTERVAL_MS);
    const ready = async (): Promise<boolean> => {
      const vms = await orch.listVms({ pool: POOL });
      const saved = vms.filter((v) => v.state === 'saved' && v.lease === null);
      const settled = vms.every((v) => v.state === 'saved' || v.state === 'off');
      // The warm pool a user meets: its warm VMs saved, none in an operation, and the next one's process pre-started.
      return settled && saved.length >= 2 && hv.readyStandbyNames().length > 0;
    };
    // One round outside the measurement (JIT, keep-alive socket, page cache).
    for (let round = -1; round < rounds; round++) {
      await until('the pool is warm again', 300_000, ready);
      const standbys = hv.readyStandbyNames();
      tracing = true;
      const t0 = performance.now();
      const got = await client.acquire({ pool: POOL, holder: 'bench', timeoutS: 120 });
      const t1 = performance.now();
      const png = await client.screenshot(got.vm_name, { leaseId: got.lease_id });
      const t2 = performance.now();
      tracing = false;
      if (png.length < 100) throw new Error('the screenshot is empty');
      if (round >= 0) {
        acquireMs.push(t1 - t0);
        shotMs.push(t2 - t1);
        firstMs.push(t2 - t0);
        resumeMs.push(got.resume_ms);
        if (hv.lastResumeFrom(got.vm_name) === 'standby') prepared++;
      }
      const from = hv.lastResumeFrom(got.vm_name) === 'standby' ? 'its pre-started process' : `a new process (ready standbys: ${standbys.join(', ') || 'none'})`;
      log(`  served round ${round + 1}/${rounds}: ${got.vm_name} resumed in ${from}, acquire ${Math.round(t1 - t0)} ms (resume ${got.resume_ms}), screenshot ${Math.round(t2 - t1)} ms`);
      await client.release(got.vm_name, { leaseId: got.lease_id, wait: true });
    }
  } finally {
    await server.close();
    await orch.removePool(POOL, { force: true }).catch(() => undefined);
    await orch.close();
    await hv.close();
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  }
  const sorted = (xs: number[]): number[] => [...xs].sort((a, b) => a - b);
  const p = (xs: number[], q: number): number => round(percentile(sorted(xs), q), 1);
  return {
    rounds,
    first_screenshot_p50_ms: p(firstMs, 50), first_screenshot_p95_ms: p(firstMs, 95),
    acquire_p50_ms: p(acquireMs, 50), acquire_p95_ms: p(acquireMs, 95),
    resume_p50_ms: p(resumeMs, 50), resume_p95_ms: p(resumeMs, 95),
    screenshot_p50_ms: p(shotMs, 50), screenshot_p95_ms: p(shotMs, 95),
    prepared_claims: prepared,
  };
}
