/**
 * Test kit: an orchestrator on the fake backend (test/helpers/harness.ts), a provisioned pool, a
 * workflows folder, and a Scheduler over them.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { harness, type Harness, type HarnessOptions } from '../../../test/helpers/harness.js';
import type { Agent, ReleasePolicy } from '../../domain/types.js';
import { Scheduler, type SchedulerOptions } from './scheduler.js';
import { HELLO } from '../../../test/helpers/hello-workflow.js';

export interface KitOptions {
  pool?: { name?: string; size?: number; releasePolicy?: ReleasePolicy; maxRunning?: number | null; gpu?: boolean; mcp?: { port: number; path: string } };
  harness?: HarnessOptions;
  scheduler?: Partial<SchedulerOptions>;
  workflows?: Record<string, string>;
  /** Start the loop. Default true. */
  start?: boolean;
}

export interface Kit {
  h: Harness;
  scheduler: Scheduler;
  pool: string;
  writeWorkflow(name: string, text: string, ext?: string): void;
  /** A new Scheduler on the same orchestrator and data directory (not started). */
  newScheduler(options?: Partial<SchedulerOptions>): Scheduler;
  waitAll(agents: Agent[]): Promise<Agent[]>;
  close(options?: { keepDir?: boolean }): Promise<void>;
}

export async function kit(options: KitOptions = {}): Promise<Kit> {
  const h = await harness(options.harness);
  const poolName = options.pool?.name ?? 'p';
  const dir = path.join(h.dir, 'workflows');
  mkdirSync(dir, { recursive: true });
  const writeWorkflow = (name: string, text: string, ext = 'yaml'): void => writeFileSync(path.join(dir, `${name}.${ext}`), text);
  for (const [name, text] of Object.entries(options.workflows ?? { hello: HELLO })) writeWorkflow(name, text);
  if (options.pool?.size !== 0) {
    if (!(await h.store.getTemplate('t'))) {
      await h.orch.registerTemplate({ name: 't', diskPath: h.image, memoryMb: 256, cpus: 1, gpu: options.pool?.gpu ?? false, mcp: options.pool?.mcp ?? null });
    }
    await h.orch.createPool({ name: poolName, template: 't', desired: options.pool?.size ?? 2, releasePolicy: options.pool?.releasePolicy, maxRunning: options.pool?.maxRunning ?? null });
    await h.orch.provisionPool(poolName);
  }
  const make = (o: Partial<SchedulerOptions> = {}): Scheduler => new Scheduler({ orchestrator: h.orch, dataDir: h.dir, pollIntervalMs: 100, ...options.scheduler, ...o });
  const scheduler = make();
  if (options.start !== false) await scheduler.start();
  return {
    h,
    scheduler,
    pool: poolName,
    writeWorkflow,
    newScheduler: make,
    waitAll: (agents) => Promise.all(agents.map((a) => scheduler.waitFor(a.id))),
    async close(o = {}) {
      await scheduler.stop();
      await h.close(o);
    },
  };
}

/** Polls until `check` holds (or fails after `ms`). */
export async function until(check: () => Promise<boolean> | boolean, ms = 10_000, what = 'condition'): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}
