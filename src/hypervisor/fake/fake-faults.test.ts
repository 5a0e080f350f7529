import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { isHvkubeError } from '../../domain/errors.js';
import { expectHvError } from '../hypervisor.case.js';
import { createFakeHypervisor, ManualClock, type FakeHypervisor } from './index.js';
import { provision, tempHost, type TempHost } from './fake-test-helpers.js';

describe('fake hypervisor fault injection', () => {
  let host: TempHost;
  let hv: FakeHypervisor;
  beforeEach(async () => {
    host = tempHost();
    hv = createFakeHypervisor();
    for (const n of ['vm-a', 'vm-b']) {
      await provision(hv, n, host.templateDisk);
      await hv.start(n);
      await hv.save(n);
    }
  });
  afterEach(async () => {
    await hv.close();
    host.cleanup();
  });

  it('fails the next resume of a named VM once, leaving it saved', async () => {
    await hv.faults.failNextResume('vm-b');
    await hv.start('vm-a');
    await expectHvError(hv.start('vm-b'), 'HV_FAILED');
    expect((await hv.getVm('vm-b'))?.state).toBe('saved');
    await hv.start('vm-b');
  });

  it('fails the next resume of any VM, but not a cold boot', async () => {
    await hv.faults.failNextResume();
    await provision(hv, 'vm-c', host.templateDisk);
    await hv.start('vm-c');
    await expectHvError(hv.start('vm-a'), 'HV_FAILED');
    await hv.start('vm-b');
  });

  it('makes a VM vanish, keeping its disk unless asked', async () => {
    const disk = hv.diskPathFor('vm-a', host.templateDisk);
    await hv.faults.vanish('vm-a');
    expect(await hv.getVm('vm-a')).toBeNull();
    await expectHvError(hv.start('vm-a'), 'HV_NOT_FOUND');
    await hv.remove('vm-a');
    const { existsSync } = await import('node:fs');
    expect(existsSync(disk)).toBe(true);
    await hv.faults.vanish('vm-b', { deleteDisk: true });
    expect(existsSync(hv.diskPathFor('vm-b', host.templateDisk))).toBe(false);
    await expectHvError(hv.faults.vanish('vm-b'), 'HV_NOT_FOUND');
  });

  it('discards a corrupt saved state on resume: the VM is off and boots again', async () => {
    await hv.faults.corruptSavedState('vm-a');
    await expectHvError(hv.start('vm-a'), 'HV_SAVED_STATE_INCOMPATIBLE');
    expect((await hv.getVm('vm-a'))?.state).toBe('off');
    await hv.start('vm-a');
    expect((await hv.getVm('vm-a'))?.state).toBe('running');
  });

  it('fails the next operation of a kind with the given code', async () => {
    await hv.faults.failNext('save', 'HV_TIMEOUT', 'vm-a');
    await hv.start('vm-a');
    await hv.start('vm-b');
    await hv.save('vm-b');
    await expectHvError(hv.save('vm-a'), 'HV_TIMEOUT');
    expect((await hv.getVm('vm-a'))?.state).toBe('running');
    await hv.save('vm-a');
  });

  it('can disarm all faults', async () => {
    await hv.faults.failNextResume();
    await hv.faults.failNext('pause', 'HV_FAILED');
    await hv.faults.clear();
    await hv.start('vm-a');
    await hv.pause('vm-a');
  });

  it('hangs an operation until its signal aborts, then puts the VM back', async () => {
    await hv.faults.hangNext('resume', 'vm-a');
    const abort = new AbortController();
    const pending = hv.start('vm-a', { signal: abort.signal });
    await hv.faults.waitForHung(1);
    expect((await hv.getVm('vm-a'))?.state).toBe('starting');
    await expectHvError(hv.save('vm-a'), 'HV_INVALID_STATE');
    abort.abort();
    await expectHvError(pending, 'HV_TIMEOUT');
    expect((await hv.getVm('vm-a'))?.state).toBe('saved');
    await hv.start('vm-a');
  });

  it('hangs an operation until released, then completes it', async () => {
    await hv.faults.hangNext('save');
    await hv.start('vm-a');
    const pending = hv.save('vm-a');
    await hv.faults.waitForHung(1);
    expect((await hv.getVm('vm-a'))?.state).toBe('saving');
    expect(hv.faults.releaseHangs()).toBe(1);
    await pending;
    expect((await hv.getVm('vm-a'))?.state).toBe('saved');
  });

  it('refuses to start with an already aborted signal', async () => {
    await expectHvError(hv.start('vm-a', { signal: AbortSignal.abort() }), 'HV_TIMEOUT');
    expect((await hv.getVm('vm-a'))?.state).toBe('saved');
  });

  it('fails resumes at a seeded rate, the same way every run', async () => {
    const outcomes = async (): Promise<string> => {
      const local = tempHost();
      const fake = createFakeHypervisor({ resumeFailureRate: 0.3, randomSeed: 42 });
      let result = '';
      await provision(fake, 'r', local.templateDisk);
      await fake.start('r');
      for (let i = 0; i < 40; i++) {
        await fake.save('r');
        // A failed resume leaves the VM saved, so retrying is the caller's way out.
        for (let started = false; !started;) {
          try {
            await fake.start('r');
            started = true;
            result += '.';
          } catch (e) {
            expect(isHvkubeError(e, 'HV_FAILED')).toBe(true);
            result += 'x';
          }
        }
      }
      await fake.close();
      local.cleanup();
      return result;
    };
    const first = await outcomes();
    expect(first).toContain('x');
    expect(first).toContain('.');
    expect(await outcomes()).toBe(first);
  });
});

describe('fake hypervisor latency', () => {
  let host: TempHost;
  let clock: ManualClock;
  let hv: FakeHypervisor;
  beforeEach(async () => {
    host = tempHost();
    clock = new ManualClock();
    hv = createFakeHypervisor({
      clock,
      latencies: { boot: 2000, resume: 300, save: 400, guestReady: 1000 },
    });
    await provision(hv, 'vm-a', host.templateDisk);
  });
  afterEach(async () => {
    await hv.close();
    host.cleanup();
  });

  it('takes the configured time on the clock, showing a transient state meanwhile', async () => {
    let done = false;
    const boot = hv.start('vm-a').then(() => (done = true));
    await clock.waitForSleepers(1);
    expect((await hv.getVm('vm-a'))?.state).toBe('starting');
    await expectHvError(hv.start('vm-a'), 'HV_INVALID_STATE');
    await clock.advance(1999);
    expect(done).toBe(false);
    await clock.advance(1);
    await boot;
    expect((await hv.getVm('vm-a'))?.state).toBe('running');
  });

  it('answers the heartbeat only once the guest had time to boot', async () => {
    const boot = hv.start('vm-a');
    await clock.waitForSleepers(1);
    await clock.advance(2000);
    await boot;
    expect(await hv.heartbeat('vm-a')).toBe('no-contact');
    await clock.advance(1000);
    expect(await hv.heartbeat('vm-a')).toBe('ok');
  });

  it('gives up a slow operation when its signal aborts', async () => {
    const abort = new AbortController();
    const boot = hv.start('vm-a', { signal: abort.signal });
    await clock.waitForSleepers(1);
    abort.abort(new Error('deadline'));
    await expectHvError(boot, 'HV_TIMEOUT');
    expect((await hv.getVm('vm-a'))?.state).toBe('off');
    expect(clock.pendingSleeps).toBe(0);
  });

  it('runs operations without latency at once', async () => {
    await hv.checkpoint('vm-a', 'cold');
    expect(clock.pendingSleeps).toBe(0);
  });

  it('fails a vanished VM at the end of a slow operation', async () => {
    const boot = expectHvError(hv.start('vm-a'), 'HV_NOT_FOUND');
    await clock.waitForSleepers(1);
    await hv.faults.vanish('vm-a');
    await clock.advance(2000);
    await boot;
  });
});
