import * as fs from 'node:fs';
import * as path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { expectHvError, runHypervisorContract } from '../hypervisor.case.js';
import { createFakeHypervisor, type FakeHypervisor } from './index.js';
import { provision, tempHost, type TempHost } from './fake-test-helpers.js';

runHypervisorContract('fake in memory', async () => {
  const host = tempHost();
  const hv = createFakeHypervisor();
  return {
    hv,
    templateDisk: host.templateDisk,
    cleanup: async () => {
      await hv.close();
      host.cleanup();
    },
  };
});

runHypervisorContract('fake on a state file', async () => {
  const host = tempHost();
  const hv = createFakeHypervisor({ stateFile: path.join(host.dir, 'fake-host.json') });
  return {
    hv,
    templateDisk: host.templateDisk,
    cleanup: async () => {
      await hv.close();
      host.cleanup();
    },
  };
});

describe('fake hypervisor state rules', () => {
  let host: TempHost;
  let hv: FakeHypervisor;
  beforeEach(async () => {
    host = tempHost();
    hv = createFakeHypervisor({ hostMemoryMb: 8192, hostname: 'sim-1', hostCpus: 8 });
    await provision(hv, 'vm-a', host.templateDisk);
  });
  afterEach(async () => {
    await hv.close();
    host.cleanup();
  });

  it('saves a paused VM, as Hyper-V allows', async () => {
    await hv.start('vm-a');
    await hv.pause('vm-a');
    await hv.save('vm-a');
    expect((await hv.getVm('vm-a'))?.state).toBe('saved');
  });

  it('refuses save of an off VM and pause of a saved one', async () => {
    await expectHvError(hv.save('vm-a'), 'HV_INVALID_STATE');
    await hv.start('vm-a');
    await hv.save('vm-a');
    await expectHvError(hv.pause('vm-a'), 'HV_INVALID_STATE');
    await expectHvError(hv.unpause('vm-a'), 'HV_INVALID_STATE');
  });

  it('restores a checkpoint taken while off to off', async () => {
    await hv.checkpoint('vm-a', 'cold');
    await hv.start('vm-a');
    expect(await hv.restoreCheckpoint('vm-a', 'cold')).toBe('off');
    expect((await hv.getVm('vm-a'))?.state).toBe('off');
  });

  it('replaces a checkpoint of the same name', async () => {
    await hv.checkpoint('vm-a', 'clean');
    await hv.start('vm-a');
    await hv.checkpoint('vm-a', 'clean');
    expect((await hv.getVm('vm-a'))?.checkpoints).toEqual(['clean']);
    expect(await hv.restoreCheckpoint('vm-a', 'clean')).toBe('saved');
  });

  it('stops: graceful needs a running guest, force discards a saved state, off stays off', async () => {
    await hv.stop('vm-a');
    await hv.start('vm-a');
    await hv.save('vm-a');
    await expectHvError(hv.stop('vm-a'), 'HV_INVALID_STATE');
    await hv.stop('vm-a', { force: true });
    expect((await hv.getVm('vm-a'))?.state).toBe('off');
    await hv.start('vm-a');
    await hv.stop('vm-a');
    expect((await hv.getVm('vm-a'))?.state).toBe('off');
  });

  it('refuses a second VM of the same name and a VM on a missing disk', async () => {
    await expectHvError(
      hv.createVm({
        name: 'vm-a',
        diskPath: hv.diskPathFor('vm-a', host.templateDisk),
        memoryMb: 1,
        cpus: 1,
        gpu: false,
        guestPorts: [],
        boot: null,
      }),
      'HV_INVALID_STATE',
    );
    await expectHvError(
      hv.createVm({
        name: 'vm-b',
        diskPath: path.join(host.dir, 'nope.vhdx'),
        memoryMb: 1,
        cpus: 1,
        gpu: false,
        guestPorts: [],
        boot: null,
      }),
      'HV_NOT_FOUND',
    );
  });

  it('refuses to overwrite an existing disk file', async () => {
    await expectHvError(
      hv.createDifferencingDisk(host.templateDisk, hv.diskPathFor('vm-a', host.templateDisk)),
      'HV_FAILED',
    );
  });

  it('puts disks under <dataDir>/disks with the template extension', () => {
    expect(hv.diskPathFor('vm-x', '/images/win11.vhdx')).toBe(
      path.join(hv.dataDir, 'disks', 'vm-x.vhdx'),
    );
    expect(hv.diskPathFor('vm-x', '/images/demo.qcow2')).toBe(
      path.join(hv.dataDir, 'disks', 'vm-x.qcow2'),
    );
    expect(hv.diskPathFor('vm-x', '/images/odd.bin')).toBe(
      path.join(hv.dataDir, 'disks', 'vm-x.vhdx'),
    );
  });

  it('answers heartbeat, address and endpoint by state', async () => {
    expect(await hv.heartbeat('vm-a')).toBe('unknown');
    expect(await hv.guestAddress('vm-a')).toBeNull();
    expect(await hv.guestEndpoint('vm-a', 3389)).toBeNull();
    await hv.start('vm-a');
    expect(await hv.heartbeat('vm-a')).toBe('ok');
    const ip = await hv.guestAddress('vm-a');
    expect(ip).toMatch(/^10\.\d+\.\d+\.\d+$/);
    expect(await hv.guestEndpoint('vm-a', 3389)).toEqual({ host: ip, port: 3389 });
    await hv.pause('vm-a');
    expect(await hv.heartbeat('vm-a')).toBe('no-contact');
    expect(await hv.guestAddress('vm-a')).toBe(ip);
    await expectHvError(hv.heartbeat('nope'), 'HV_NOT_FOUND');
  });

  it('counts memory of running and paused VMs, not saved ones', async () => {
    await provision(hv, 'vm-b', host.templateDisk, 2048);
    expect(await hv.hostInfo()).toMatchObject({
      backend: 'fake',
      hostname: 'sim-1',
      cpus: 8,
      totalMemoryMb: 8192,
      freeMemoryMb: 8192,
    });
    await hv.start('vm-a');
    await hv.start('vm-b');
    await hv.pause('vm-b');
    expect((await hv.hostInfo()).freeMemoryMb).toBe(8192 - 1024 - 2048);
    await hv.save('vm-a');
    expect((await hv.hostInfo()).freeMemoryMb).toBe(8192 - 2048);
  });

  it('reports its capabilities and console access', async () => {
    expect(hv.capabilities).toEqual({
      pause: true,
      scroll: true,
      gpu: true,
      gpuCheckpoints: true,
      savedUsesNoMemory: true,
    });
    expect(await hv.console('vm-a')).toEqual({
      command: null,
      instructions: expect.stringContaining('hvkube vm screenshot') as unknown,
    });
    await expectHvError(hv.console('nope'), 'HV_NOT_FOUND');
  });

  it('only deletes disks it made itself', async () => {
    const foreign = path.join(host.dir, 'foreign.vhdx');
    fs.writeFileSync(foreign, 'x');
    await hv.createVm({
      name: 'vm-f',
      diskPath: foreign,
      memoryMb: 1,
      cpus: 1,
      gpu: false,
      guestPorts: [],
      boot: null,
    });
    await hv.remove('vm-f');
    expect(fs.existsSync(foreign)).toBe(true);
  });

  it('removes its temporary data folder on close', async () => {
    expect(fs.existsSync(hv.dataDir)).toBe(true);
    await hv.close();
    expect(fs.existsSync(hv.dataDir)).toBe(false);
  });

  it('handles 1000 VMs and 32 concurrent callers cheaply in memory', async () => {
    const names = Array.from({ length: 1000 }, (_, i) => `bench-${i}`);
    const disk = hv.diskPathFor('vm-a', host.templateDisk);
    await Promise.all(
      names.map((name) =>
        hv.createVm({
          name,
          diskPath: disk,
          memoryMb: 1,
          cpus: 1,
          gpu: false,
          guestPorts: [],
          boot: null,
        }),
      ),
    );
    await Promise.all(names.map((n) => hv.start(n)));
    await Promise.all(names.map((n) => hv.save(n)));
    const started = performance.now();
    let next = 0;
    const worker = async (): Promise<void> => {
      while (next < names.length) {
        const n = names[next++] as string;
        await hv.start(n);
        await hv.heartbeat(n);
        await hv.save(n);
      }
    };
    await Promise.all(Array.from({ length: 32 }, worker));
    const perCycleUs = ((performance.now() - started) * 1000) / names.length;
    expect((await hv.listVms('bench-')).every((v) => v.state === 'saved')).toBe(true);
    // Generous bound (a cycle takes tens of microseconds): it catches timers or I/O creeping into
    // the zero-latency path, since even one setTimeout per operation costs about a millisecond.
    expect(perCycleUs).toBeLessThan(1000);
  });
});
