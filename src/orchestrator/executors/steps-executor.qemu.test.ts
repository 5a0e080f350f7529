import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createQemuHypervisor, type QemuHypervisor } from '../../hypervisor/qemu/index.js';
import { demoImageForTests, killSpawnedQemus, QEMU_AVAILABLE, tempDir, waitFor } from '../../hypervisor/qemu/qemu-test-helpers.js';
import { createSqliteStore } from '../../store/sqlite/index.js';
import type { Store } from '../../store/store.js';
import { Orchestrator } from '../orchestrator.js';
import { Scheduler } from '../scheduler/scheduler.js';

const STEP_MS = 300_000;

/** The steps executor on a real VM: the QEMU demo guest's VGA shell, read back through its serial log. */
describe.skipIf(!QEMU_AVAILABLE)('steps executor on a real QEMU VM', () => {
  let data: { dir: string; cleanup(): void };
  let hv: QemuHypervisor;
  let store: Store;
  let orch: Orchestrator;
  let scheduler: Scheduler;

  beforeAll(async () => {
    const image = await demoImageForTests();
    data = tempDir('hvk-qemu-steps-');
    hv = createQemuHypervisor({ dataDir: data.dir, qmpIdleMs: 300 });
    store = createSqliteStore({ file: path.join(data.dir, 'hvkube.db') });
    await store.migrate();
    orch = new Orchestrator({ store, hypervisor: hv, settings: { readyTimeoutMs: STEP_MS } });
    await orch.registerTemplate({ name: 'demo', diskPath: image.diskPath, memoryMb: 128, cpus: 1, boot: image });
    await orch.createPool({ name: 'q', template: 'demo', desired: 1, releasePolicy: 'save' });
    const report = await orch.provisionPool('q');
    expect(report.failed).toEqual([]);
    mkdirSync(path.join(data.dir, 'workflows'));
    writeFileSync(
      path.join(data.dir, 'workflows', 'echo.yaml'),
      `name: echo
executor: steps
release: save
inputs:
  word: string
steps:
  - type_text: "echo {{input.word}}-SEEN >/dev/ttyS0"
  - press_keys: [enter]
  - wait_until_stable: { stable_for: 0.5, timeout: 60 }
  - screenshot: true
`,
    );
    scheduler = new Scheduler({ orchestrator: orch, dataDir: data.dir });
    await scheduler.start();
  }, STEP_MS);

  afterAll(async () => {
    await scheduler?.stop();
    await orch?.close();
    await hv?.close();
    await store?.close();
    killSpawnedQemus();
    data?.cleanup();
  }, STEP_MS);

  it('types into the guest, presses keys and saves a real screenshot', async () => {
    const agent = await scheduler.submit({ pool: 'q', workflow: 'echo', input: { word: 'hvkube42' } });
    const done = await scheduler.waitFor(agent.id);
    expect(done.status, done.result?.error ?? '').toBe('completed');
    const serial = path.join(data.dir, 'qemu', done.vm ?? '', 'serial.log');
    await waitFor('the guest echoed the word', 30_000, () => readFileSync(serial, 'utf8').includes('hvkube42-SEEN'));
    const png = readFileSync(scheduler.artifacts.resolve(done.result?.screenshots[0] ?? ''));
    expect(png.subarray(1, 4).toString()).toBe('PNG');
    expect(done.result?.timings.resumeMs).toBeGreaterThan(0);
  }, STEP_MS);
});
