import { mkdirSync, readFileSync, truncateSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createQemuHypervisor, type DemoImage, type QemuHypervisor } from '../hypervisor/qemu/index.js';
import {
  demoImageForTests, killSpawnedQemus, processesMentioning, QEMU_AVAILABLE, tempDir, waitFor, writeBrokenKvmQemu,
} from '../hypervisor/qemu/qemu-test-helpers.js';
import { createSqliteStore } from '../store/sqlite/index.js';
import type { Store } from '../store/store.js';
import { Orchestrator } from './orchestrator.js';

const STEP_MS = 300_000;

/**
 * Every failure path on real QEMU, on a host whose KVM is present but unusable (a stand-in QEMU
 * that aborts under `-accel kvm`, as such hosts do): afterwards no QEMU process of this test's
 * data directory runs (other tests' QEMUs on the machine are not counted).
 */
describe.skipIf(!QEMU_AVAILABLE)('failure paths on real QEMU leave no process behind', () => {
  let data: { dir: string; cleanup(): void };
  let image: DemoImage;
  let qemuBinary: string;
  let kvmDevice: string;
  const open: { hv: QemuHypervisor; store: Store; orch: Orchestrator }[] = [];
  const ours = (): number[] => processesMentioning(data.dir);

  async function orchestrator(name: string, accel: 'auto' | 'kvm'): Promise<{ hv: QemuHypervisor; orch: Orchestrator }> {
    const dir = path.join(data.dir, name);
    // No pre-started resumes: then every process that runs while no VM is running is a leak.
    const hv = createQemuHypervisor({ dataDir: dir, qemuBinary, kvmDevice, accel, qmpIdleMs: 300, standbys: 0 });
    const store = createSqliteStore({ file: path.join(dir, 'hvkube.db') });
    await store.migrate();
    const orch = new Orchestrator({ store, hypervisor: hv });
    open.push({ hv, store, orch });
    return { hv, orch };
  }

  beforeAll(async () => {
    image = await demoImageForTests();
    data = tempDir('hvk-qemu-failures-');
    mkdirSync(path.join(data.dir, 'bin'));
    qemuBinary = writeBrokenKvmQemu(path.join(data.dir, 'bin'), 'abort');
    kvmDevice = path.join(data.dir, 'kvm');
    writeFileSync(kvmDevice, '');
  }, STEP_MS);

  afterAll(async () => {
    for (const { orch, hv, store } of open) {
      await orch.close();
      await hv.close();
      await store.close();
    }
    killSpawnedQemus();
    data?.cleanup();
  }, STEP_MS);

  it('accel auto: the probe falls back to TCG and says why; the pool provisions and hands out VMs; a failed resume is powered off', async () => {
    const { hv, orch } = await orchestrator('auto', 'auto');
    const notes = (await hv.hostInfo()).notes;
    expect(notes.accel).toBe('tcg (kvm unusable)');
    expect(notes.accelerator).toMatch(/^KVM present but unusable: QEMU was killed by SIGABRT: .*failed to set MSR 0x10a to 0x69.*; using software emulation$/);
    await orch.registerTemplate({ name: 'demo', diskPath: image.diskPath, memoryMb: 128, cpus: 1, boot: image });
    await orch.createPool({ name: 'p', template: 'demo', desired: 1, releasePolicy: 'save' });
    const report = await orch.provisionPool('p');
    expect(report.failed).toEqual([]);
    expect(ours()).toEqual([]);

    const [vm] = await orch.listVms({ pool: 'p' });
    // A saved state that cannot be loaded: the resume fails, and the VM waits for its repair powered off.
    truncateSync(path.join(data.dir, 'auto', 'qemu', vm?.name ?? '', 'state.bin'), 4096);
    await expect(orch.acquire({ pool: 'p', timeoutMs: 0 })).rejects.toThrow();
    expect(ours()).toEqual([]);
    await orch.controller.idle();
    expect((await orch.getVm(vm?.name ?? '')).state).toBe('saved');
    expect(ours()).toEqual([]);
  }, STEP_MS);

  it('accel kvm forced while its probe fails: provisioning fails at once with the reason, and an acquire does not wait', async () => {
    const { orch } = await orchestrator('forced', 'kvm');
    await orch.registerTemplate({ name: 'demo', diskPath: image.diskPath, memoryMb: 128, cpus: 1, boot: image });
    await orch.createPool({ name: 'p', template: 'demo', desired: 2, releasePolicy: 'save' });
    const report = await orch.provisionPool('p');
    expect(report.failed).toHaveLength(2);
    expect(report.failed[0]?.error).toMatch(/needs KVM, which is unusable on this host: QEMU was killed by SIGABRT/);
    const err = await orch.acquire({ pool: 'p', timeoutMs: 3_600_000 }).catch((e: unknown) => e);
    expect((err as Error).message).toMatch(/all 2 of its VMs are in error and nothing is repairing them.*needs KVM/);
    expect(ours()).toEqual([]);
  }, STEP_MS);

  it('a guest stuck early in its boot is found by its silent console, with its last lines, and stopped', async () => {
    const { orch } = await orchestrator('stuck', 'auto');
    // No initramfs init and no root device: the kernel panics and prints nothing more.
    await orch.registerTemplate({
      name: 'stuck', diskPath: image.diskPath, memoryMb: 128, cpus: 1, readyTimeoutS: 60,
      boot: { kernel: image.kernel, initrd: null, cmdline: 'console=ttyS0 panic=0' },
    });
    await orch.createPool({ name: 'p', template: 'stuck', desired: 1, releasePolicy: 'save' });
    const report = await orch.provisionPool('p');
    expect(report.failed).toHaveLength(1);
    expect(report.failed[0]?.error).toMatch(/is making no progress: its console has been silent for \d+ s; the guest's last lines: .*Kernel panic/);
    expect(ours()).toEqual([]);
  }, STEP_MS);

  it('a guest whose QEMU process dies while booting is reported at once, not after the time-out', async () => {
    const { hv, orch } = await orchestrator('killed', 'auto');
    let watching = false;
    const bootProgress = hv.bootProgress.bind(hv);
    hv.bootProgress = (name) => {
      watching = true;
      return bootProgress(name);
    };
    await orch.registerTemplate({ name: 'demo', diskPath: image.diskPath, memoryMb: 128, cpus: 1, boot: image, readyTimeoutS: 3600 });
    await orch.createPool({ name: 'p', template: 'demo', desired: 1, releasePolicy: 'save' });
    const provisioning = orch.provisionPool('p');
    // The VM's own process (the one with a QMP socket), not qemu-img making its disk.
    const vmProcesses = (): number[] => ours().filter((pid) => readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes('-qmp'));
    // Killed once readiness watches the boot, so the start itself has succeeded.
    await waitFor('readiness watches the boot', STEP_MS, () => watching);
    const pids = vmProcesses();
    expect(pids).toHaveLength(1);
    for (const pid of pids) process.kill(pid, 'SIGKILL');
    const report = await provisioning;
    expect(report.failed[0]?.error).toMatch(/stopped while booting: its QEMU process is gone/);
    expect(ours()).toEqual([]);
  }, STEP_MS);
});
