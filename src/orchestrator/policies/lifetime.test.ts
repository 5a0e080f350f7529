import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { harness, type Harness, type HarnessOptions } from '../../../test/helpers/harness.js';
import { isHvkubeError } from '../../domain/errors.js';
import type { StateEvent } from '../../domain/types.js';
import { webhookTypeOf } from '../../domain/webhook-events.js';
import type { Clock } from '../../_util/clock.js';
import { buildLifetime, parseDuration } from './lifetime-input.js';

/** Time that moves only when the test says; sleeps yield for real but take no simulated time. */
class TestClock implements Clock {
  #t = Date.parse('2026-03-01T08:00:00.000Z');
  now(): number {
    return this.#t;
  }
  sleep(): Promise<void> {
    return new Promise((r) => setTimeout(r, 1));
  }
  advance(seconds: number): void {
    this.#t += seconds * 1000;
  }
}

let open: Harness[] = [];
let dirs: string[] = [];
afterEach(async () => {
  for (const h of open) await h.close();
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
  open = [];
  dirs = [];
});

async function start(clock: TestClock, options: HarnessOptions = {}): Promise<Harness> {
  const h = await harness({ clock, ...options });
  open.push(h);
  return h;
}

/** One controller pass and everything it started. */
async function pass(h: Harness): Promise<void> {
  await h.orch.controller.tick();
  await h.orch.controller.idle();
}

async function vmEvents(h: Harness, vm: string): Promise<StateEvent[]> {
  return h.orch.listEvents({ kind: 'vm', subject: vm, limit: 1000 });
}

async function expectError(p: Promise<unknown>, code: Parameters<typeof isHvkubeError>[1]): Promise<Error> {
  const e = await p.then(
    () => null,
    (err: unknown) => err,
  );
  expect(isHvkubeError(e, code), `expected ${code}, got ${String(e)}`).toBe(true);
  return e as Error;
}

describe('idle policy: release', () => {
  it('ends an idle lease after the time-out, not a second before, with the reason on a vm.released event', async () => {
    const clock = new TestClock();
    const h = await start(clock);
    await h.pool('p', 2, { releasePolicy: 'save', lifetime: { idleTimeoutS: 600 } });
    const a = await h.orch.acquire({ pool: 'p', holder: 'alice' });

    clock.advance(599);
    await pass(h);
    const still = await h.orch.store.getVm(a.vm.name);
    expect(still?.state).toBe('running');
    expect(still?.lease?.id).toBe(a.leaseId);

    clock.advance(2);
    await pass(h);
    const after = await h.orch.store.getVm(a.vm.name);
    expect(after?.lease).toBeNull();
    expect(after?.state).toBe('saved');
    const ended = (await vmEvents(h, a.vm.name)).find((e) => e.details?.released !== undefined);
    expect(ended?.details).toMatchObject({ released: 'save', reason: 'idle', idleTimeoutS: 600 });
    expect(ended?.actor).toBe('lifetime-policy');
    expect(ended && webhookTypeOf(ended)).toBe('vm.released');
    // The holder's lease is over: its input is refused, not sent.
    await expectError(h.orch.typeText(a.vm.name, 'x', { leaseId: a.leaseId }), 'LEASE_MISMATCH');
  });

  it('input, screenshots and API calls through hvkube reset the idle time', async () => {
    const clock = new TestClock();
    const h = await start(clock);
    await h.pool('p', 1, { lifetime: { idleTimeoutS: 600 } });
    const a = await h.orch.acquire({ pool: 'p' });
    clock.advance(500);
    await h.orch.screenshot(a.vm.name, { leaseId: a.leaseId });
    clock.advance(500);
    await pass(h);
    expect((await h.orch.store.getVm(a.vm.name))?.lease?.id).toBe(a.leaseId);
    await h.orch.pressKeys(a.vm.name, ['enter'], { leaseId: a.leaseId });
    clock.advance(590);
    await h.orch.renewLease(a.vm.name, a.leaseId, 6_000_000);
    clock.advance(590);
    await h.orch.getVm(a.vm.name);
    clock.advance(590);
    await pass(h);
    expect((await h.orch.store.getVm(a.vm.name))?.lease?.id).toBe(a.leaseId);
    clock.advance(11);
    await pass(h);
    expect((await h.orch.store.getVm(a.vm.name))?.lease).toBeNull();
  });

  it('leaves leases of a pool without an idle time-out alone', async () => {
    const clock = new TestClock();
    const h = await start(clock);
    await h.pool('p', 1);
    const a = await h.orch.acquire({ pool: 'p' });
    clock.advance(30 * 24 * 3600);
    await pass(h);
    expect((await h.orch.store.getVm(a.vm.name))?.lease?.id).toBe(a.leaseId);
  });
});

describe('idle policy: save and keep the lease', () => {
  it('saves an idle VM with its lease kept, and the next call resumes it transparently', async () => {
    const clock = new TestClock();
    const h = await start(clock);
    await h.pool('p', 1, { lifetime: { idleTimeoutS: 300, idleAction: 'save-keep-lease' } });
    const a = await h.orch.acquire({ pool: 'p', holder: 'bob' });
    clock.advance(301);
    await pass(h);
    const parked = await h.orch.store.getVm(a.vm.name);
    expect(parked?.state).toBe('saved');
    expect(parked?.lease?.id).toBe(a.leaseId);
    expect(parked?.parkedAt).toBeTruthy();
    expect((await h.hv.getVm(a.vm.name))?.state).toBe('saved');
    // Saved but held: nobody else gets it, and the pool does not count it as ready.
    expect((await h.orch.getPool('p')).ready).toBe(0);
    await expectError(h.orch.acquire({ pool: 'p' }), 'NO_VM_AVAILABLE');
    // Further passes keep the lease (it is not a stale one).
    clock.advance(3600);
    await pass(h);
    expect((await h.orch.store.getVm(a.vm.name))?.lease?.id).toBe(a.leaseId);

    // Input needs a running guest: the call resumes it first.
    await h.orch.typeText(a.vm.name, 'hello', { leaseId: a.leaseId });
    const back = await h.orch.store.getVm(a.vm.name);
    expect(back?.state).toBe('running');
    expect(back?.lease?.id).toBe(a.leaseId);
    expect(back?.parkedAt).toBeUndefined();
    expect((await h.hv.getVm(a.vm.name))?.state).toBe('running');
    const events = await vmEvents(h, a.vm.name);
    expect(events.some((e) => e.action === 'idle-save' && e.details?.leaseKept === true)).toBe(true);
    expect(events.some((e) => e.action === 'resumed' && e.details?.afterIdle === true && webhookTypeOf(e) === 'vm.resumed')).toBe(true);
  });

  it('two calls at once on a parked VM resume it once', async () => {
    const clock = new TestClock();
    const h = await start(clock);
    await h.pool('p', 1, { lifetime: { idleTimeoutS: 300, idleAction: 'save-keep-lease' } });
    const a = await h.orch.acquire({ pool: 'p' });
    clock.advance(301);
    await pass(h);
    await Promise.all([h.orch.screenshot(a.vm.name, { leaseId: a.leaseId }), h.orch.click(a.vm.name, 5, 5, { leaseId: a.leaseId })]);
    const resumes = (await vmEvents(h, a.vm.name)).filter((e) => e.action === 'idle-resume');
    expect(resumes).toHaveLength(1);
  });

  it('a parked VM can be released and renewed without a resume, and its lease still expires', async () => {
    const clock = new TestClock();
    const h = await start(clock);
    await h.pool('p', 2, { releasePolicy: 'save', lifetime: { idleTimeoutS: 300, idleAction: 'save-keep-lease' } });
    const a = await h.orch.acquire({ pool: 'p' });
    const b = await h.orch.acquire({ pool: 'p', leaseTtlMs: 1_000_000 });
    clock.advance(301);
    await pass(h);
    expect((await h.orch.store.getVm(a.vm.name))?.parkedAt).toBeTruthy();

    const released = await h.orch.release(a.vm.name, { leaseId: a.leaseId });
    expect(released.vm.lease).toBeNull();
    const freed = await h.orch.store.getVm(a.vm.name);
    expect(freed?.state).toBe('saved');
    expect(freed?.lease).toBeNull();
    expect(freed?.parkedAt).toBeUndefined();

    const renewed = await h.orch.renewLease(b.vm.name, b.leaseId, 600_000);
    expect(renewed.state).toBe('saved');
    clock.advance(601);
    await pass(h);
    const expired = await h.orch.store.getVm(b.vm.name);
    expect(expired?.lease).toBeNull();
    const ended = (await vmEvents(h, b.vm.name)).find((e) => e.details?.released !== undefined);
    expect(ended?.details).toMatchObject({ reason: 'lease-expired', parked: true });
  });
});

describe('max lease duration', () => {
  it('refuses a renew past the limit with the time left, and ends the lease at the limit by the release policy', async () => {
    const clock = new TestClock();
    const h = await start(clock);
    await h.pool('p', 1, { releasePolicy: 'reset', lifetime: { maxLeaseS: 3600 } });
    const a = await h.orch.acquire({ pool: 'p', leaseTtlMs: 600_000 });
    await h.orch.renewLease(a.vm.name, a.leaseId, 3_000_000);
    clock.advance(1000);
    const e = await expectError(h.orch.renewLease(a.vm.name, a.leaseId, 3_000_000), 'LEASE_LIMIT');
    expect(e.message).toMatch(/2600 s from now/);
    // Within the limit a renew still works.
    await h.orch.renewLease(a.vm.name, a.leaseId, 2_600_000);

    clock.advance(2599);
    await h.orch.typeText(a.vm.name, 'busy', { leaseId: a.leaseId });
    await pass(h);
    expect((await h.orch.store.getVm(a.vm.name))?.lease?.id).toBe(a.leaseId);
    clock.advance(1);
    await pass(h);
    const after = await h.orch.store.getVm(a.vm.name);
    expect(after?.lease).toBeNull();
    expect(after?.state).toBe('saved');
    const ended = (await vmEvents(h, a.vm.name)).find((ev) => ev.details?.released !== undefined);
    expect(ended?.details).toMatchObject({ released: 'reset', reason: 'max-lease-duration', maxLeaseS: 3600 });
    expect(ended && webhookTypeOf(ended)).toBe('vm.released');
  });
});

describe('max VM age', () => {
  it('replaces an old unleased VM with a fresh clone and never touches a leased one', async () => {
    const clock = new TestClock();
    const h = await start(clock);
    await h.pool('p', 2, { releasePolicy: 'save', lifetime: { maxVmAgeS: 86_400 } });
    const a = await h.orch.acquire({ pool: 'p' });
    const [other] = (await h.orch.listVms({ pool: 'p' })).filter((v) => v.name !== a.vm.name);
    if (!other) throw new Error('the pool should have a second VM');

    clock.advance(86_399);
    await pass(h);
    expect(await h.orch.store.getVm(other.name)).not.toBeNull();

    clock.advance(2);
    await pass(h);
    await pass(h);
    expect(await h.orch.store.getVm(other.name)).toBeNull();
    const vms = await h.orch.listVms({ pool: 'p' });
    expect(vms).toHaveLength(2);
    const fresh = vms.find((v) => v.name !== a.vm.name);
    expect(fresh?.state).toBe('saved');
    expect(Date.parse(fresh?.createdAt ?? '')).toBe(clock.now());
    const replaced = (await vmEvents(h, other.name)).find((e) => e.action === 'replaced');
    expect(replaced?.details).toMatchObject({ reason: 'max-vm-age', maxVmAgeS: 86_400 });
    expect(replaced && webhookTypeOf(replaced)).toBe('vm.replaced');

    // The leased one is older still, and stays as long as it is held.
    clock.advance(10 * 86_400);
    await h.orch.screenshot(a.vm.name, { leaseId: a.leaseId });
    await pass(h);
    const held = await h.orch.store.getVm(a.vm.name);
    expect(held?.state).toBe('running');
    expect(held?.lease?.id).toBe(a.leaseId);

    // Released, it is replaced (the fresh one is past the age by now too: one at a time).
    await (await h.orch.release(a.vm.name)).done;
    await pass(h);
    await pass(h);
    expect(await h.orch.store.getVm(a.vm.name)).toBeNull();
  });

  it('replaces one VM of a pool at a time', async () => {
    const clock = new TestClock();
    const h = await start(clock);
    await h.pool('p', 3, { lifetime: { maxVmAgeS: 3600 } });
    clock.advance(3601);
    await h.orch.controller.tick();
    const events = await h.orch.listEvents({ kind: 'vm', limit: 1000 });
    expect(events.filter((e) => e.action === 'replaced')).toHaveLength(1);
    await h.orch.controller.idle();
  });
});

describe('policy state survives a restart', () => {
  it('a new process goes on from the stored lease start, last use and park', async () => {
    const clock = new TestClock();
    const dir = mkdtempSync(path.join(os.tmpdir(), 'hvk-policy-'));
    dirs.push(dir);
    const h1 = await start(clock, { dataDir: dir });
    await h1.pool('p', 1, { lifetime: { idleTimeoutS: 600, idleAction: 'save-keep-lease', maxLeaseS: 7200 } });
    const a = await h1.orch.acquire({ pool: 'p' });
    clock.advance(300);
    await h1.orch.click(a.vm.name, 1, 1, { leaseId: a.leaseId });
    await h1.close({ keepDir: true });
    open = open.filter((h) => h !== h1);

    // Idle is counted from the stored last use, not from the restart.
    clock.advance(550);
    const h2 = await start(clock, { dataDir: dir });
    await pass(h2);
    expect((await h2.orch.store.getVm(a.vm.name))?.state).toBe('running');
    clock.advance(51);
    await pass(h2);
    expect((await h2.orch.store.getVm(a.vm.name))?.parkedAt).toBeTruthy();
    await h2.close({ keepDir: true });
    open = open.filter((h) => h !== h2);

    // Parked across the restart: the lease is kept, and a call resumes the VM.
    const h3 = await start(clock, { dataDir: dir });
    await pass(h3);
    const parked = await h3.orch.store.getVm(a.vm.name);
    expect(parked?.state).toBe('saved');
    expect(parked?.lease?.id).toBe(a.leaseId);
    await h3.orch.typeText(a.vm.name, 'back', { leaseId: a.leaseId });
    expect((await h3.orch.store.getVm(a.vm.name))?.state).toBe('running');
    // The max lease duration counts from the acquire in the first process.
    await expectError(h3.orch.renewLease(a.vm.name, a.leaseId, 7_000_000), 'LEASE_LIMIT');
    clock.advance(7200 - 901);
    await pass(h3);
    expect((await h3.orch.store.getVm(a.vm.name))?.lease).toBeNull();
  });
});

describe('bad input', () => {
  it('refuses policies out of range, unknown actions and fields, and an idle time-out beyond the max lease', async () => {
    const clock = new TestClock();
    const h = await start(clock);
    await h.orch.registerTemplate({ name: 't', diskPath: h.image, memoryMb: 512, cpus: 1 });
    const bad: unknown[] = [
      { idleTimeoutS: 5 },
      { idleTimeoutS: 1.5 },
      { idleTimeoutS: '10m' },
      { maxLeaseS: -1 },
      { maxVmAgeS: 60 },
      { idleAction: 'sleep' },
      { idleTimeout: 600 },
      { idleTimeoutS: 3600, maxLeaseS: 600 },
      'forever',
    ];
    for (const lifetime of bad) {
      await expectError(h.orch.createPool({ name: 'p', template: 't', desired: 1, lifetime: lifetime as never }), 'INVALID_INPUT');
    }
    expect(await h.orch.store.getPool('p')).toBeNull();

    await h.orch.createPool({ name: 'p', template: 't', desired: 0, lifetime: { idleTimeoutS: 600 } });
    await expectError(h.orch.scalePool('p', { desired: 0, lifetime: { maxLeaseS: 300 } }), 'INVALID_INPUT');
    expect((await h.orch.store.getPool('p'))?.lifetime).toEqual({ idleTimeoutS: 600, idleAction: 'release', maxLeaseS: null, maxVmAgeS: null });
    // Scale changes only what it names; null turns a limit off.
    const p = await h.orch.scalePool('p', { desired: 0, lifetime: { idleTimeoutS: null, maxVmAgeS: 86_400 } });
    expect(p.lifetime).toEqual({ idleTimeoutS: null, idleAction: 'release', maxLeaseS: null, maxVmAgeS: 86_400 });
  });

  it('reads durations as the CLI takes them', () => {
    expect(parseDuration('x', '90')).toBe(90);
    expect(parseDuration('x', '15m')).toBe(900);
    expect(parseDuration('x', '8h')).toBe(28_800);
    expect(parseDuration('x', '30d')).toBe(2_592_000);
    expect(parseDuration('x', 'off')).toBeNull();
    for (const t of ['', '1.5h', '-5m', '10 minutes', '5w']) expect(() => parseDuration('x', t)).toThrow(/duration/);
    expect(buildLifetime(undefined)).toEqual({ idleTimeoutS: null, idleAction: 'release', maxLeaseS: null, maxVmAgeS: null });
  });
});
