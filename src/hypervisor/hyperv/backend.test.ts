import { mkdtempSync, rmSync, writeFileSync, existsSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { PNG } from 'pngjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { expectHvError, runHypervisorContract } from '../hypervisor.case.js';
import { createHypervHypervisor, type HypervHypervisor } from './backend.js';
import { hypervDoctor } from './doctor.js';
import { standinHost, type StandinHost } from './standin/testing.js';

function template(): { dir: string; disk: string } {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'hvkube-hv-template-'));
  const disk = path.join(dir, 'win11.vhdx');
  writeFileSync(disk, 'golden image placeholder');
  return { dir, disk };
}

runHypervisorContract('hyperv (stand-in)', async () => {
  const host = standinHost();
  const t = template();
  const hv = createHypervHypervisor(host.backendConfig({ sessions: 2 }));
  return {
    hv,
    templateDisk: t.disk,
    cleanup: async () => {
      await hv.close();
      host.dispose();
      rmSync(t.dir, { recursive: true, force: true });
    },
  };
});

describe('hyperv backend lifecycle (stand-in)', () => {
  let host: StandinHost;
  let hv: HypervHypervisor;
  let t: { dir: string; disk: string };
  const calls: string[] = [];

  beforeAll(() => {
    host = standinHost({ latency: { boot: 300 } });
    t = template();
    hv = createHypervHypervisor(host.backendConfig({ sessions: 2, onCall: (script) => calls.push(script) }));
  });

  afterAll(async () => {
    await hv.close();
    host.dispose();
    rmSync(t.dir, { recursive: true, force: true });
  });

  it('provisions, boots, checkpoints clean, saves, resumes, resets and removes', async () => {
    const name = 'hvk-life-1';
    const disk = hv.diskPathFor(name, t.disk);
    expect(disk).toBe(path.join(t.dir, 'hvkube-vms', `${name}.vhdx`));
    await hv.createDifferencingDisk(t.disk, disk);
    const created = await hv.createVm({ name, diskPath: disk, memoryMb: 2048, cpus: 2, gpu: false, guestPorts: [3389], boot: null });
    expect(created).toMatchObject({ name, state: 'off', memoryMb: 2048, cpus: 2, checkpoints: [] });
    expect(created.id).toMatch(/^[0-9a-f-]{36}$/);

    await hv.start(name);
    expect(await hv.heartbeat(name)).toBe('no-contact');
    expect(await hv.guestAddress(name)).toBeNull();
    await new Promise((r) => setTimeout(r, 350));
    expect(await hv.heartbeat(name)).toBe('ok');
    const ip = await hv.guestAddress(name);
    expect(ip).toMatch(/^172\.27\.\d+\.\d+$/);
    expect(await hv.guestEndpoint(name, 3389)).toEqual({ host: ip, port: 3389 });

    await hv.checkpoint(name, 'clean');
    await hv.save(name);
    expect((await hv.getVm(name))?.state).toBe('saved');
    await hv.start(name);
    expect(await hv.heartbeat(name)).toBe('ok');

    await hv.typeText(name, 'dirty\n');
    expect(await hv.restoreCheckpoint(name, 'clean')).toBe('saved');
    const info = await hv.getVm(name);
    expect(info).toMatchObject({ state: 'saved', checkpoints: ['clean'] });

    await hv.remove(name);
    expect(await hv.getVm(name)).toBeNull();
    expect(existsSync(disk)).toBe(false);
    expect(existsSync(t.disk)).toBe(true);
    expect(calls).toContain('new-vm');
  });

  it('answers host facts and a console command', async () => {
    const info = await hv.hostInfo();
    expect(info).toMatchObject({ backend: 'hyperv', hostname: 'HVKUBE-STANDIN', cpus: 16, totalMemoryMb: 65536 });
    expect(info.freeMemoryMb).toBeGreaterThan(0);
    expect(await hv.console('hvk-x')).toMatchObject({ command: ['vmconnect.exe', 'localhost', 'hvk-x'] });
  });

  it('keys, mouse and scroll reach the guest and change its screen', async () => {
    const name = 'hvk-input';
    const disk = hv.diskPathFor(name, t.disk);
    await hv.createDifferencingDisk(t.disk, disk);
    await hv.createVm({ name, diskPath: disk, memoryMb: 1024, cpus: 1, gpu: false, guestPorts: [], boot: null });
    await hv.start(name);
    const a = await hv.screenshot(name);
    await hv.pressKeys(name, ['meta+r']);
    await hv.typeText(name, 'notepad');
    await hv.pressKeys(name, ['enter', 'shift+h', 'i', 'ctrl+alt+delete']);
    const b = await hv.screenshot(name);
    expect(a.equals(b)).toBe(false);
    await hv.mouseMove(name, 500, 400);
    await hv.click(name, 510, 410, { button: 'right', double: true });
    await hv.scroll(name, -3);
    const c = PNG.sync.read(await hv.screenshot(name, { width: 256 }));
    expect([c.width, c.height]).toEqual([256, 192]);
    await expectHvError(hv.typeText(name, 'naïve'), 'HV_FAILED');
    await hv.pause(name);
    await expectHvError(hv.typeText(name, 'x'), 'HV_INVALID_STATE');
    expect(PNG.sync.read(await hv.screenshot(name)).width).toBe(1024);
    await hv.stop(name, { force: true });
    await expectHvError(hv.screenshot(name), 'HV_INVALID_STATE');
    await hv.remove(name);
  });

  it('refuses what Hyper-V refuses', async () => {
    const name = 'hvk-rules';
    const disk = hv.diskPathFor(name, t.disk);
    await hv.createDifferencingDisk(t.disk, disk);
    await expectHvError(hv.createDifferencingDisk(t.disk, disk), 'HV_INVALID_STATE');
    await hv.createVm({ name, diskPath: disk, memoryMb: 1024, cpus: 1, gpu: false, guestPorts: [], boot: null });
    await expectHvError(hv.createVm({ name, diskPath: disk, memoryMb: 1024, cpus: 1, gpu: false, guestPorts: [], boot: null }), 'HV_INVALID_STATE');
    await expectHvError(hv.save(name), 'HV_INVALID_STATE');
    await expectHvError(hv.pause(name), 'HV_INVALID_STATE');
    await expectHvError(hv.unpause(name), 'HV_INVALID_STATE');
    await expectHvError(hv.createVm({ name: 'hvk-gpu', diskPath: disk, memoryMb: 1024, cpus: 1, gpu: true, guestPorts: [], boot: null }), 'HV_FAILED');
    // A checkpoint of an off VM holds no memory: restoring it leaves the VM off.
    await hv.checkpoint(name, 'cold');
    await hv.start(name);
    expect(await hv.restoreCheckpoint(name, 'cold')).toBe('off');
    // Stopping an off VM is a no-op; stopping a saved one discards its saved state.
    await hv.stop(name);
    await hv.start(name);
    await hv.save(name);
    await hv.stop(name);
    expect((await hv.getVm(name))?.state).toBe('off');
    await hv.remove(name);
  });

  it('checks names and paths before anything reaches PowerShell', async () => {
    const before = calls.length;
    await expect(hv.start("x'; Remove-VM *")).rejects.toMatchObject({ code: 'INVALID_NAME' });
    await expect(hv.createDifferencingDisk(t.disk, 'relative.vhdx')).rejects.toMatchObject({ code: 'INVALID_PATH' });
    await expect(hv.createDifferencingDisk(t.disk, path.join(t.dir, 'x.qcow2'))).rejects.toMatchObject({ code: 'INVALID_PATH' });
    expect(calls.length).toBe(before);
  });
});

describe('hyperv backend with host faults (stand-in)', () => {
  it('maps a saved state that no longer fits the host', async () => {
    const host = standinHost({ faults: { savedStateIncompatible: ['hvk-old'] } });
    const t = template();
    const hv = createHypervHypervisor(host.backendConfig({ sessions: 1 }));
    try {
      const disk = hv.diskPathFor('hvk-old', t.disk);
      await hv.createDifferencingDisk(t.disk, disk);
      await hv.createVm({ name: 'hvk-old', diskPath: disk, memoryMb: 1024, cpus: 1, gpu: false, guestPorts: [], boot: null });
      await hv.start('hvk-old');
      await hv.save('hvk-old');
      await expectHvError(hv.start('hvk-old'), 'HV_SAVED_STATE_INCOMPATIBLE');
      await hv.stop('hvk-old');
      await hv.start('hvk-old');
      expect((await hv.getVm('hvk-old'))?.state).toBe('running');
    } finally {
      await hv.close();
      host.dispose();
      rmSync(t.dir, { recursive: true, force: true });
    }
  });

  it('reports a missing module and missing rights as typed errors and doctor findings', async () => {
    const host = standinHost({ faults: { noHyperV: true } });
    const hv = createHypervHypervisor(host.backendConfig({ sessions: 1 }));
    try {
      await expectHvError(hv.listVms('hvk-'), 'HV_MODULE_MISSING');
      const checks = await hypervDoctor(hv.scripts, { switchName: 'Default Switch' });
      expect(checks.find((c) => c.check === 'hyperv-module')).toMatchObject({ ok: false });
      // The stand-in is a Windows Server host: features come from Install-WindowsFeature there.
      expect(checks.find((c) => c.check === 'hyperv-enabled')?.fix).toMatch(/Install-WindowsFeature -Name Hyper-V -IncludeManagementTools/);
      expect(checks.find((c) => c.check === 'hyperv-enabled')?.fix).not.toMatch(/Enable-WindowsOptionalFeature/);
    } finally {
      await hv.close();
      host.dispose();
    }
    const client = standinHost({ faults: { noHyperV: true, productType: 1 } });
    const hvClient = createHypervHypervisor(client.backendConfig({ sessions: 1 }));
    try {
      const checks = await hypervDoctor(hvClient.scripts, { switchName: 'Default Switch' });
      expect(checks.find((c) => c.check === 'hyperv-enabled')?.fix).toMatch(/Enable-WindowsOptionalFeature -Online -FeatureName Microsoft-Hyper-V-All/);
    } finally {
      await hvClient.close();
      client.dispose();
    }
    const denied = standinHost({ faults: { notElevated: true } });
    const hv2 = createHypervHypervisor(denied.backendConfig({ sessions: 1 }));
    try {
      await expectHvError(hv2.getVm('hvk-a'), 'HV_ACCESS_DENIED');
      const checks = await hypervDoctor(hv2.scripts);
      expect(checks.find((c) => c.check === 'rights')).toMatchObject({ ok: false });
    } finally {
      await hv2.close();
      denied.dispose();
    }
  });

  it('doctor passes on a healthy host and measures the round trip', async () => {
    const host = standinHost();
    const hv = createHypervHypervisor(host.backendConfig({ sessions: 1 }));
    try {
      const checks = await hypervDoctor(hv.scripts, { switchName: 'Default Switch', minFreeMemoryMb: 1024 });
      expect(checks.map((c) => c.check)).toEqual(['powershell', 'hyperv-enabled', 'hyperv-module', 'rights', 'switch', 'free-memory', 'free-disk', 'round-trip']);
      expect(checks.filter((c) => !c.ok)).toEqual([]);
      const missing = await hypervDoctor(hv.scripts, { switchName: 'No Such Switch' });
      expect(missing.find((c) => c.check === 'switch')).toMatchObject({ ok: false });
    } finally {
      await hv.close();
      host.dispose();
    }
  });
});
