/**
 * What a real Hyper-V host refuses and the stand-in now refuses too (review 2026-12, docs/hyperv-backend.md
 * "Verified against documents"): each test drives the backend against the strict stand-in and
 * fails if the scripts or the backend fall back to what a host would reject.
 */
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { PNG } from 'pngjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HvkubeError } from '../../domain/errors.js';
import { validateMemoryMb } from '../../domain/validation.js';
import { createHypervHypervisor, type HypervHypervisor } from './backend.js';
import { PowerShellSession } from './powershell-session.js';
import type { SimHost } from './standin/state.js';
import { standinHost, type StandinHost } from './standin/testing.js';

interface Rig {
  host: StandinHost;
  hv: HypervHypervisor;
  dir: string;
  disk: string;
  log: string;
  dispose(): Promise<void>;
}

function rig(options: Parameters<typeof standinHost>[0] = {}, config: Parameters<StandinHost['backendConfig']>[0] = {}): Rig {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'hvkube-findings-'));
  const disk = path.join(dir, 'win11.vhdx');
  writeFileSync(disk, 'golden image placeholder');
  const log = path.join(dir, 'requests.log');
  const host = standinHost({ ...options, logFile: log });
  const hv = createHypervHypervisor(host.backendConfig({ sessions: 1, ...config }));
  return {
    host,
    hv,
    dir,
    disk,
    log,
    dispose: async () => {
      await hv.close();
      host.dispose();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

async function runningVm(r: Rig, name: string, gpu = false): Promise<void> {
  const disk = r.hv.diskPathFor(name, r.disk);
  await r.hv.createDifferencingDisk(r.disk, disk);
  await r.hv.createVm({ name, diskPath: disk, memoryMb: 2048, cpus: 2, gpu, guestPorts: [3389], boot: null });
  await r.hv.start(name);
}

function simHost(r: Rig): SimHost {
  return JSON.parse(readFileSync(path.join(r.host.stateDir, 'host.json'), 'utf8')) as SimHost;
}

function requests(r: Rig): { script: string; params: Record<string, unknown> }[] {
  return readFileSync(r.log, 'utf8')
    .trim()
    .split('\n')
    .map((line) => JSON.parse(line) as { script: string; params: Record<string, unknown> });
}

describe('input through WMI (findings 1 and 6)', () => {
  let r: Rig;
  beforeAll(async () => {
    // Every WMI method answers 4096 (job started): the scripts must wait for the job each time.
    r = rig({ faults: { jobRate: 1 } });
    await runningVm(r, 'hvk-input');
  });
  afterAll(() => r.dispose());

  it('scrolls with scrollPositionDelta, 120 wheel units per notch, positive notches downwards', async () => {
    await r.hv.scroll('hvk-input', 3);
    await r.hv.scroll('hvk-input', -1);
    expect(simHost(r).vms[0]?.screen.scroll).toBe(-3 * 120 + 120);
  });

  it('types, presses keys, clicks and takes screenshots when every method answers "job started"', async () => {
    await r.hv.typeText('hvk-input', 'hello');
    await r.hv.pressKeys('hvk-input', ['ctrl+a']);
    await r.hv.click('hvk-input', 10, 20, { double: true });
    await r.hv.mouseMove('hvk-input', 30, 40);
    const png = PNG.sync.read(await r.hv.screenshot('hvk-input'));
    expect([png.width, png.height]).toEqual([1024, 768]);
    expect(simHost(r).vms[0]?.screen).toMatchObject({ mouseX: 30, mouseY: 40, clicks: 2 });
  });
});

describe('GPU pools (finding 2)', () => {
  let r: Rig;
  beforeAll(() => {
    r = rig({}, { gpu: true });
  });
  afterAll(() => r.dispose());

  it('provision → clean state → reset works with a GPU partition: the reset is a fresh disk and a cold boot', async () => {
    await runningVm(r, 'hvk-gpu', true);
    await r.hv.checkpoint('hvk-gpu', 'clean');
    expect((await r.hv.getVm('hvk-gpu'))?.checkpoints).toContain('clean');
    await r.hv.save('hvk-gpu');
    const disk = r.hv.diskPathFor('hvk-gpu', r.disk);
    writeFileSync(disk, 'written by the guest since');
    expect(await r.hv.restoreCheckpoint('hvk-gpu', 'clean')).toBe('off');
    expect(readFileSync(disk, 'utf8')).not.toContain('written by the guest');
    expect(simHost(r).vms[0]?.checkpoints).toEqual([]);
    // What pool status reads to show GPU pools' resets as cold boots.
    expect(r.hv.capabilities.gpuCheckpoints).toBe(false);
  });
});

describe('memory sizes (finding 3)', () => {
  it('refuses memory that is not a multiple of 2 MB on Hyper-V, with a clear error, before anything runs', async () => {
    const r = rig();
    try {
      const disk = r.hv.diskPathFor('hvk-odd', r.disk);
      await r.hv.createDifferencingDisk(r.disk, disk);
      const err = await r.hv.createVm({ name: 'hvk-odd', diskPath: disk, memoryMb: 4019, cpus: 2, gpu: false, guestPorts: [], boot: null }).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(HvkubeError);
      expect((err as HvkubeError).code).toBe('INVALID_INPUT');
      expect((err as HvkubeError).message).toMatch(/multiple of 2 MB/);
      expect(requests(r).map((q) => q.script)).not.toContain('new-vm');
    } finally {
      await r.dispose();
    }
  });

  it('the stand-in refuses unaligned memory the way New-VM does', async () => {
    const host = standinHost();
    const dir = mkdtempSync(path.join(os.tmpdir(), 'hvkube-findings-'));
    const session = new PowerShellSession(host.sessionOptions());
    try {
      writeFileSync(path.join(dir, 'p.vhdx'), 'x');
      const call = session.call('new-vm', {
        Name: 'hvk-raw',
        VhdPath: path.join(dir, 'p.vhdx'),
        Path: dir,
        MemoryStartupBytes: 4019 * 1024 * 1024,
        ProcessorCount: 1,
        DynamicMemory: false,
        MemoryMinimumBytes: 0,
        MemoryMaximumBytes: 0,
        AutomaticStopAction: 'Save',
        SecureBootTemplate: 'MicrosoftWindows',
      });
      await expect(call).rejects.toThrow(/not properly aligned/);
    } finally {
      await session.close();
      host.dispose();
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('applies the rule where it holds: Hyper-V needs 2 MB steps, QEMU takes any whole MB', () => {
    expect(() => validateMemoryMb('hyperv', 4019)).toThrow(/multiple of 2 MB.*use 4018 or 4020|multiple of 2 MB/);
    expect(validateMemoryMb('hyperv', 4096)).toBe(4096);
    expect(validateMemoryMb('qemu', 4019)).toBe(4019);
    expect(() => createHypervHypervisor({ minimumMemoryMb: 1023 })).toThrow(/multiple of 2 MB/);
  });
});

describe('removing a VM with checkpoints (finding 5)', () => {
  it('deletes the checkpoints, waits for their merge, and leaves no file behind', async () => {
    const r = rig({ latency: { merge: 300 } });
    try {
      await runningVm(r, 'hvk-rm');
      await r.hv.checkpoint('hvk-rm', 'clean');
      await r.hv.save('hvk-rm');
      const vmDir = path.join(r.dir, 'hvkube-vms');
      expect(readdirSync(vmDir).some((f) => f.endsWith('.avhdx'))).toBe(true);
      await r.hv.remove('hvk-rm');
      await r.hv.remove('hvk-rm');
      expect(readdirSync(vmDir)).toEqual([]);
      expect(existsSync(r.disk)).toBe(true);
      expect(await r.hv.getVm('hvk-rm')).toBeNull();
    } finally {
      await r.dispose();
    }
  });
});

describe('PowerShell 7 module path (finding 7)', () => {
  it('starts Windows PowerShell without the PowerShell 7 module folders it would inherit', async () => {
    const r = rig();
    const env = { ...r.host.env, PSModulePath: 'C:\\Users\\a\\Documents\\PowerShell\\Modules;C:\\Program Files\\PowerShell\\7\\Modules;C:\\WINDOWS\\system32\\WindowsPowerShell\\v1.0\\Modules' };
    const hv = createHypervHypervisor(r.host.backendConfig({ sessions: 1, env }));
    try {
      expect((await hv.hostInfo()).backend).toBe('hyperv');
    } finally {
      await hv.close();
      await r.dispose();
    }
  });
});

describe('large screenshots (finding 8)', () => {
  it('a 1920x1080 console arrives whole: the pixels travel outside the JSON', async () => {
    const r = rig({ faults: { screen: { width: 1920, height: 1080 } } });
    try {
      await runningVm(r, 'hvk-big');
      const png = PNG.sync.read(await r.hv.screenshot('hvk-big'));
      expect([png.width, png.height]).toEqual([1920, 1080]);
    } finally {
      await r.dispose();
    }
  });
});

describe('VM lookups (finding 12)', () => {
  it('finds VMs by the id it saw, not by listing every VM', async () => {
    const r = rig();
    try {
      await runningVm(r, 'hvk-id');
      const id = (await r.hv.getVm('hvk-id'))?.id;
      await r.hv.save('hvk-id');
      const save = requests(r).find((q) => q.script === 'save-vm');
      expect(save?.params).toMatchObject({ Name: 'hvk-id', Id: id });
    } finally {
      await r.dispose();
    }
  });
});
