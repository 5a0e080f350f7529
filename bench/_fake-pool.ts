/**
 * The orchestrator the core and API benchmarks measure: the fake backend at zero latency on a
 * real SQLite file (WAL, as in production), with one provisioned pool `p` released by save.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createFakeHypervisor } from '../src/hypervisor/fake/index.js';
import { Orchestrator } from '../src/orchestrator/orchestrator.js';
import { createSqliteStore } from '../src/store/sqlite/index.js';

export interface FakePool {
  orch: Orchestrator;
  close: () => Promise<void>;
}

export async function fakePool(size: number, prefix = 'hvk-bench-'): Promise<FakePool> {
  const dir = mkdtempSync(path.join(os.tmpdir(), prefix));
  const image = path.join(dir, 'golden.vhdx');
  writeFileSync(image, 'golden');
  const store = createSqliteStore({ file: path.join(dir, 'hvkube.db') });
  await store.migrate();
  const hv = createFakeHypervisor({ dataDir: dir, hostMemoryMb: 10_000_000 });
  const orch = new Orchestrator({ store, hypervisor: hv, settings: { provisionConcurrency: 16 } });
  const close = async (): Promise<void> => {
    await orch.close();
    await hv.close();
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    await orch.registerTemplate({ name: 't', diskPath: image, memoryMb: 256, cpus: 1 });
    await orch.createPool({ name: 'p', template: 't', desired: size, releasePolicy: 'save' });
    await orch.provisionPool('p');
  } catch (e) {
    await close();
    throw e;
  }
  return { orch, close };
}
