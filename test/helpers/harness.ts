/**
 * An orchestrator on the fake backend and an SQLite store, for tests and benchmarks.
 * In-memory by default; give `dataDir` to share state with another harness (another "process").
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createFakeHypervisor, type FakeHypervisor, type FakeHypervisorOptions } from '../../src/hypervisor/fake/index.js';
import { Orchestrator } from '../../src/orchestrator/orchestrator.js';
import type { OrchestratorSettings } from '../../src/orchestrator/context.js';
import { createSqliteStore } from '../../src/store/sqlite/index.js';
import type { Store } from '../../src/store/store.js';
import type { Clock } from '../../src/_util/clock.js';

export interface HarnessOptions {
  /** Share the store file and the fake host with other harnesses on the same folder. */
  dataDir?: string;
  fake?: Omit<FakeHypervisorOptions, 'stateFile' | 'dataDir'>;
  settings?: Partial<OrchestratorSettings>;
  /** The orchestrator's clock (the store keeps the system's). */
  clock?: Clock;
}

export interface Harness {
  dir: string;
  image: string;
  store: Store;
  hv: FakeHypervisor;
  orch: Orchestrator;
  /** Registers template `t` and pool `name`, then provisions it. */
  pool(name: string, desired: number, options?: { warm?: number; hot?: number; releasePolicy?: 'save' | 'reset' | 'destroy' }): Promise<void>;
  close(options?: { keepDir?: boolean }): Promise<void>;
}

export async function harness(options: HarnessOptions = {}): Promise<Harness> {
  const shared = options.dataDir !== undefined;
  const dir = options.dataDir ?? mkdtempSync(path.join(os.tmpdir(), 'hvk-test-'));
  const image = path.join(dir, 'golden.vhdx');
  writeFileSync(image, 'golden');
  const store = createSqliteStore({ file: shared ? path.join(dir, 'hvkube.db') : ':memory:' });
  await store.migrate();
  const hv = createFakeHypervisor({ ...options.fake, dataDir: dir, ...(shared ? { stateFile: path.join(dir, 'fake-host.json') } : {}) });
  const orch = new Orchestrator({ store, hypervisor: hv, clock: options.clock, settings: { readyTimeoutMs: 5000, ...options.settings } });
  return {
    dir,
    image,
    store,
    hv,
    orch,
    async pool(name, desired, o = {}) {
      if (!(await store.getTemplate('t'))) await orch.registerTemplate({ name: 't', diskPath: image, memoryMb: 512, cpus: 1 });
      await orch.createPool({ name, template: 't', desired, warm: o.warm, hot: o.hot, releasePolicy: o.releasePolicy });
      await orch.provisionPool(name);
    },
    async close(o = {}) {
      await orch.close();
      await hv.close();
      await store.close();
      if (!shared && !o.keepDir) rmSync(dir, { recursive: true, force: true });
    },
  };
}
