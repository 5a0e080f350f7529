import { execFile } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { expectHvError } from '../hypervisor.case.js';
import { createFakeHypervisor, type FakeHypervisor } from './index.js';
import { provision, tempHost, type TempHost } from './fake-test-helpers.js';

const run = promisify(execFile);

describe('fake hypervisor on a shared state file', () => {
  let host: TempHost;
  let stateFile: string;
  let first: FakeHypervisor;
  let second: FakeHypervisor;
  beforeEach(() => {
    host = tempHost();
    stateFile = path.join(host.dir, 'data', 'fake-host.json');
    first = createFakeHypervisor({ stateFile });
    second = createFakeHypervisor({ stateFile });
  });
  afterEach(async () => {
    await first.close();
    await second.close();
    host.cleanup();
  });

  it('shows one instance the VMs, states and screens the other made', async () => {
    await provision(first, 'vm-a', host.templateDisk);
    await first.start('vm-a');
    await first.typeText('vm-a', 'echo shared\n');
    await first.save('vm-a');
    expect(await second.getVm('vm-a')).toMatchObject({ state: 'saved' });
    await second.start('vm-a');
    expect(await second.screenText('vm-a')).toContain('shared');
    expect((await first.getVm('vm-a'))?.state).toBe('running');
  });

  it('keeps disks next to the state file and leaves no lock or temporary file behind', async () => {
    const disk = await provision(first, 'vm-a', host.templateDisk);
    expect(disk).toBe(path.join(host.dir, 'data', 'disks', 'vm-a.vhdx'));
    expect(fs.readdirSync(path.dirname(stateFile)).sort()).toEqual(['disks', 'fake-host.json']);
  });

  it('lets one instance arm a fault that the other trips over', async () => {
    await provision(first, 'vm-a', host.templateDisk);
    await first.start('vm-a');
    await first.save('vm-a');
    await first.faults.failNextResume('vm-a');
    await expectHvError(second.start('vm-a'), 'HV_FAILED');
    await second.start('vm-a');
  });

  it('loses no write when two instances mutate at the same time', async () => {
    const names = (p: string) => Array.from({ length: 16 }, (_, i) => `${p}-${i}`);
    await Promise.all([
      ...names('one').map((n) => provision(first, n, host.templateDisk)),
      ...names('two').map((n) => provision(second, n, host.templateDisk)),
    ]);
    expect(await first.listVms('one-')).toHaveLength(16);
    expect(await first.listVms('two-')).toHaveLength(16);
    expect(await second.listVms('')).toHaveLength(32);
  });

  it('breaks a stale lock left by a crashed process', async () => {
    const lock = `${stateFile}.lock`;
    fs.mkdirSync(path.dirname(lock), { recursive: true });
    fs.writeFileSync(lock, '999999\n');
    const old = new Date(Date.now() - 60_000);
    fs.utimesSync(lock, old, old);
    await provision(first, 'vm-a', host.templateDisk);
    expect(fs.existsSync(lock)).toBe(false);
  });

  it('puts back a VM whose operation belonged to a process that died', async () => {
    await provision(first, 'vm-a', host.templateDisk);
    const state = JSON.parse(fs.readFileSync(stateFile, 'utf8')) as {
      vms: Record<string, { state: string; busy: unknown }>;
    };
    const vm = state.vms['vm-a'];
    if (!vm) throw new Error('vm-a missing from the state file');
    vm.state = 'starting';
    vm.busy = { operation: 'boot', from: 'off', pid: 2 ** 22 + 17, token: 't' };
    fs.writeFileSync(stateFile, JSON.stringify(state));
    expect((await second.getVm('vm-a'))?.state).toBe('off');
  });

  it('says what to do about an unreadable state file', async () => {
    fs.mkdirSync(path.dirname(stateFile), { recursive: true });
    fs.writeFileSync(stateFile, '{"version": 1, "vms": ');
    await expectHvError(first.listVms(''), 'HV_UNAVAILABLE');
    await expect(first.listVms('')).rejects.toMatchObject({
      hint: expect.stringContaining('delete the file') as unknown,
    });
  });

  it('is shared with another real process', async () => {
    await provision(first, 'vm-a', host.templateDisk);
    const script = path.join(host.dir, 'child.mts');
    const entry = pathToFileURL(
      path.join(path.dirname(fileURLToPath(import.meta.url)), 'index.ts'),
    ).href;
    fs.writeFileSync(
      script,
      [
        `import { createFakeHypervisor } from ${JSON.stringify(entry)};`,
        'const hv = createFakeHypervisor({ stateFile: process.argv[2] });',
        "await hv.start('vm-a');",
        "await hv.typeText('vm-a', 'echo from-the-child\\n');",
        "await hv.save('vm-a');",
        "await Promise.all(Array.from({ length: 8 }, (_, i) => hv.checkpoint('vm-a', `cp-${i}`)));",
        "await hv.faults.corruptSavedState('vm-a');",
        "console.log(JSON.stringify(await hv.getVm('vm-a')));",
      ].join('\n'),
    );
    const child = run(process.execPath, ['--import', 'tsx', script, stateFile], {
      cwd: process.cwd(),
    });
    // Meanwhile this process writes too; the lock must keep both sides' changes.
    await Promise.all(
      Array.from({ length: 8 }, (_, i) => provision(first, `parent-${i}`, host.templateDisk)),
    );
    const { stdout } = await child;
    expect(JSON.parse(stdout)).toMatchObject({ name: 'vm-a', state: 'saved' });
    expect((await first.getVm('vm-a'))?.checkpoints).toHaveLength(8);
    expect(await first.listVms('parent-')).toHaveLength(8);
    await expectHvError(first.start('vm-a'), 'HV_SAVED_STATE_INCOMPATIBLE');
    expect((await first.getVm('vm-a'))?.state).toBe('off');
  }, 60_000);
});
