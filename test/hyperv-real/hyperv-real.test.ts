/**
 * The Hyper-V backend on a real Windows host. Skipped unless running on Windows with
 * HVKUBE_HYPERV_TEST=1; needs an elevated shell (or Hyper-V Administrators) and a Windows
 * VHDX in HVKUBE_HYPERV_VHDX. See docs/hyperv-backend.md.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { PNG } from 'pngjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { validateFilePath } from '../../src/domain/validation.js';
import { runHypervisorContract } from '../../src/hypervisor/hypervisor.case.js';
import { createHypervHypervisor, type HypervHypervisor } from '../../src/hypervisor/hyperv/backend.js';
import { hypervDoctor } from '../../src/hypervisor/hyperv/doctor.js';

const enabled = process.platform === 'win32' && process.env.HVKUBE_HYPERV_TEST === '1';
const MINUTE = 60_000;
const switchName = process.env.HVKUBE_HYPERV_SWITCH ?? 'Default Switch';
const memoryMb = Number(process.env.HVKUBE_HYPERV_MEMORY_MB ?? 4096);

function config(vmDirectory: string): Parameters<typeof createHypervHypervisor>[0] {
  return { vmDirectory, switchName, sessions: 3, ...(process.env.HVKUBE_POWERSHELL ? { powershell: process.env.HVKUBE_POWERSHELL } : {}) };
}

async function waitFor(what: string, timeoutMs: number, check: () => Promise<boolean>): Promise<number> {
  const started = performance.now();
  while (performance.now() - started < timeoutMs) {
    if (await check().catch(() => false)) return performance.now() - started;
    await new Promise((r) => setTimeout(r, 500));
  }
  throw new Error(`timed out waiting until ${what}`);
}

describe.skipIf(!enabled)('Hyper-V backend on this host', () => {
  let hv: HypervHypervisor;
  let template: string;
  let vmDir: string;
  const run = `hvkreal-${Date.now().toString(36)}`;
  const names = [`${run}-1`, `${run}-2`];
  const timings: Record<string, Record<string, number>> = {};

  beforeAll(() => {
    template = validateFilePath('HVKUBE_HYPERV_VHDX', process.env.HVKUBE_HYPERV_VHDX, { flavour: path.win32, extensions: ['.vhdx', '.vhd'] });
    vmDir = mkdtempSync(path.join(process.env.HVKUBE_HYPERV_VM_DIR ?? os.tmpdir(), 'hvkube-real-'));
    hv = createHypervHypervisor(config(vmDir));
  });

  afterAll(async () => {
    if (!hv) return;
    for (const n of names) await hv.remove(n).catch(() => undefined);
    await hv.close();
    rmSync(vmDir, { recursive: true, force: true });
    console.table(timings);
  }, 10 * MINUTE);

  it('passes the doctor', async () => {
    const checks = await hypervDoctor(hv.scripts, { switchName, vmDirectory: vmDir });
    console.table(checks);
    expect(checks.filter((c) => !c.ok && c.check !== 'free-disk' && c.check !== 'free-memory')).toEqual([]);
  }, 5 * MINUTE);

  it('provisions two VMs from the template and measures cold boot, save and resume', async () => {
    for (const name of names) {
      const disk = hv.diskPathFor(name, template);
      await hv.createDifferencingDisk(template, disk);
      const vm = await hv.createVm({ name, diskPath: disk, memoryMb, cpus: 2, gpu: false, guestPorts: [3389], boot: null });
      expect(vm.state).toBe('off');
      let t = performance.now();
      await hv.start(name);
      const bootMs = performance.now() - t + (await waitFor(`${name} heartbeat`, 10 * MINUTE, async () => (await hv.heartbeat(name)) === 'ok'));
      await hv.checkpoint(name, 'clean');
      t = performance.now();
      await hv.save(name);
      const saveMs = performance.now() - t;
      t = performance.now();
      await hv.start(name);
      const resumeCallMs = performance.now() - t;
      const resumeReadyMs = resumeCallMs + (await waitFor(`${name} heartbeat after resume`, 2 * MINUTE, async () => (await hv.heartbeat(name)) === 'ok'));
      timings[name] = { bootMs, saveMs, resumeCallMs, resumeReadyMs };
      expect((await hv.getVm(name))?.state).toBe('running');
    }
  }, 30 * MINUTE);

  it('takes a screenshot and types into Notepad through Win+R', async () => {
    const name = names[0] ?? '';
    const before = await hv.screenshot(name);
    const image = PNG.sync.read(before);
    expect(image.width).toBeGreaterThan(0);
    expect(PNG.sync.read(await hv.screenshot(name, { width: 320 })).width).toBe(320);
    await hv.pressKeys(name, ['meta+r']);
    await new Promise((r) => setTimeout(r, 1500));
    await hv.typeText(name, 'notepad\n');
    await new Promise((r) => setTimeout(r, 3000));
    await hv.typeText(name, 'hello from hvkube\n');
    await new Promise((r) => setTimeout(r, 1000));
    const after = await hv.screenshot(name);
    expect(after.equals(before)).toBe(false);
    expect(await hv.guestAddress(name)).toMatch(/^\d+\.\d+\.\d+\.\d+$/);
  }, 5 * MINUTE);

  it('resets to the clean checkpoint (saved) and removes everything', async () => {
    for (const name of names) {
      expect(await hv.restoreCheckpoint(name, 'clean')).toBe('saved');
      await hv.remove(name);
      expect(await hv.getVm(name)).toBeNull();
    }
    expect(await hv.listVms(run)).toEqual([]);
  }, 10 * MINUTE);
});

if (enabled) {
  runHypervisorContract(
    'hyperv (this host)',
    async () => {
      const dir = mkdtempSync(path.join(process.env.HVKUBE_HYPERV_VM_DIR ?? os.tmpdir(), 'hvkube-contract-'));
      const hv = createHypervHypervisor(config(dir));
      return {
        hv,
        templateDisk: validateFilePath('HVKUBE_HYPERV_VHDX', process.env.HVKUBE_HYPERV_VHDX, { flavour: path.win32 }),
        cleanup: async () => {
          await hv.close();
          rmSync(dir, { recursive: true, force: true });
        },
      };
    },
    { timeoutMs: 10 * MINUTE, memoryMb, vmPrefix: 'hvkct-' },
  );
}
