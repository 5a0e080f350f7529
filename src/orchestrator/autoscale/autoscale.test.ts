import { afterEach, describe, expect, it } from 'vitest';
import { harness, type Harness, type HarnessOptions } from '../../../test/helpers/harness.js';
import { systemClock, type Clock } from '../../_util/clock.js';
import { isHvkubeError } from '../../domain/errors.js';
import type { PoolAutoscale, ScaleSignals } from '../../domain/types.js';
import type { AcquireResult } from '../acquire.js';
import { decide } from './decide.js';

/** The system clock, moved forward by hand: VMs look idle without the test waiting. */
function skewedClock(): Clock & { advance(ms: number): void } {
  let skew = 0;
  return { now: () => Date.now() + skew, sleep: (ms, signal) => systemClock.sleep(ms, signal), advance: (ms) => (skew += ms) };
}

let h: Harness | undefined;
afterEach(async () => {
  await h?.close();
  h = undefined;
});

async function setup(options: HarnessOptions = {}): Promise<Harness> {
  h = await harness(options);
  await h.orch.registerTemplate({ name: 't', diskPath: h.image, memoryMb: 512, cpus: 1 });
  return h;
}

/** One controller pass over the pool, and the work it started. */
async function pass(x: Harness, pool = 'p'): Promise<void> {
  await x.orch.controller.tick(pool);
  await x.orch.controller.idle();
}

async function scaledEvents(x: Harness, pool = 'p'): Promise<{ action: string; from: string | null; to: string | null; reason: unknown }[]> {
  const events = await x.orch.listEvents({ kind: 'pool', subject: pool });
  return events.filter((e) => e.action === 'scaled' || e.action === 'scale-limited').map((e) => ({ action: e.action, from: e.from, to: e.to, reason: e.details?.reason }));
}

describe('autoscaling pools', () => {
  it('grows when acquires wait, hands every waiter a VM, and explains the decision', async () => {
    const x = await setup();
    await x.orch.createPool({ name: 'p', template: 't', autoscale: { min: 1, max: 8, target: 1, scaleDownAfterMs: 60_000 } });
    expect((await x.orch.getPool('p')).pool).toMatchObject({ desired: 1, warm: 1 });
    await pass(x);
    const first = await x.orch.acquire({ pool: 'p', holder: 'a' });

    // A burst: three acquires wait for a pool whose only VM is in use.
    const burst = [1, 2, 3].map((i) => x.orch.acquire({ pool: 'p', holder: `b${i}`, timeoutMs: 20_000 }));
    await new Promise((r) => setTimeout(r, 20));
    expect(x.orch.waitingAcquires('p')).toBe(3);
    await pass(x);
    const grown = await x.orch.getPool('p');
    // 1 in use + 3 waiting + 1 ready beyond demand.
    expect(grown.pool.desired).toBe(5);
    expect(grown.autoscale?.last).toMatchObject({ from: 1, to: 5, limitedBy: null, signals: { inUse: 1, waiting: 3 } });
    expect(grown.autoscale?.last?.reason).toContain('3 acquires waiting');

    x.orch.controller.start(20);
    const got: AcquireResult[] = await Promise.all(burst);
    expect(new Set([first.vm.name, ...got.map((g) => g.vm.name)]).size).toBe(4);
    const events = await scaledEvents(x);
    expect(events[0]).toMatchObject({ action: 'scaled', from: '1', to: '5' });
  });

  it('counts queued agents as demand, within the pool’s max running', async () => {
    const signals: ScaleSignals = { inUse: 2, ready: 0, coming: 0, waiting: 0, queued: 3, idle: 0 };
    const d = decide({ settings: { min: 0, max: 10, target: 1, scaleDownAfterMs: 1000 }, current: 2, signals, room: null });
    expect(d.to).toBe(6);
    expect(d.reason).toContain('3 agents queued');
  });

  it('shrinks only after ready VMs have been unused for the whole period, never below the demand', async () => {
    const clock = skewedClock();
    const x = await setup({ clock });
    await x.orch.createPool({ name: 'p', template: 't', desired: 5, autoscale: { min: 1, max: 8, target: 1, scaleDownAfterMs: 60_000 } });
    await pass(x);
    await x.orch.controller.tick('p');
    const held = await x.orch.acquire({ pool: 'p', holder: 'a' });

    // Four ready VMs, but none unused for a minute yet: the pool keeps its size.
    await pass(x);
    expect((await x.orch.getPool('p')).pool.desired).toBe(5);

    clock.advance(61_000);
    await pass(x);
    await pass(x);
    const shrunk = await x.orch.getPool('p');
    // 1 in use + 1 ready beyond demand.
    expect(shrunk.pool.desired).toBe(2);
    expect(shrunk.total).toBe(2);
    expect(shrunk.inUse).toBe(1);
    expect(shrunk.autoscale?.last).toMatchObject({ from: 5, to: 2, signals: { idle: 4 } });
    expect(shrunk.autoscale?.last?.reason).toMatch(/4 VMs unused for over 60 s: shrink to 2/);
    // The VM in use is never the one removed.
    expect((await x.orch.getVm(held.vm.name)).state).toBe('running');
  });

  it('never takes a pool outside [min, max], whatever the load (seeded random walk)', async () => {
    const clock = skewedClock();
    const x = await setup({ clock });
    const bounds = { min: 2, max: 5, target: 2, scaleDownAfterMs: 10_000 };
    await x.orch.createPool({ name: 'p', template: 't', autoscale: bounds });
    let seed = 7;
    const random = (): number => {
      seed = (seed * 1103515245 + 12345) % 2147483648;
      return seed / 2147483648;
    };
    const held: AcquireResult[] = [];
    for (let step = 0; step < 40; step++) {
      const r = random();
      if (r < 0.45) {
        const got = await x.orch.acquire({ pool: 'p', holder: `s${step}` }).catch((e: unknown) => {
          if (isHvkubeError(e, 'NO_VM_AVAILABLE')) return null;
          throw e;
        });
        if (got) held.push(got);
      } else if (r < 0.8 && held.length > 0) {
        const gone = held.splice(Math.floor(random() * held.length), 1)[0];
        if (gone) await (await x.orch.release(gone.vm.name, { leaseId: gone.leaseId })).done;
      } else clock.advance(11_000);
      await pass(x);
      const s = await x.orch.getPool('p');
      expect(s.pool.desired).toBeGreaterThanOrEqual(bounds.min);
      expect(s.pool.desired).toBeLessThanOrEqual(bounds.max);
      expect(s.total).toBeLessThanOrEqual(bounds.max);
    }
    // The walk did move the pool both ways.
    const sizes = (await scaledEvents(x)).filter((e) => e.action === 'scaled').map((e) => Number(e.to) - Number(e.from));
    expect(sizes.some((d) => d > 0)).toBe(true);
    expect(sizes.some((d) => d < 0)).toBe(true);
  });

  it('keeps every decision within [min, max] for any demand and starting size (pure rule)', () => {
    let seed = 11;
    const n = (k: number): number => {
      seed = (seed * 1103515245 + 12345) % 2147483648;
      return Math.floor((seed / 2147483648) * k);
    };
    for (let i = 0; i < 3000; i++) {
      const min = n(6);
      const max = min + 1 + n(10);
      const settings: PoolAutoscale = { min, max, target: n(max + 1), scaleDownAfterMs: 1000 };
      const current = min + n(max - min + 1);
      const signals: ScaleSignals = { inUse: n(current + 1), ready: n(5), coming: n(3), waiting: n(20), queued: n(20), idle: n(current + 1) };
      const room = n(3) === 0 ? { count: n(4), limitedBy: 'capacity' as const, why: 'host full' } : null;
      const d = decide({ settings, current, signals, room });
      expect(d.to).toBeGreaterThanOrEqual(min);
      expect(d.to).toBeLessThanOrEqual(max);
      // Shrinking removes no more VMs than have been idle for the period.
      if (d.to < current) expect(current - d.to).toBeLessThanOrEqual(signals.idle);
      // Growth never goes past the room the host has.
      if (room && d.to > current) expect(d.to - current).toBeLessThanOrEqual(room.count);
    }
  });

  it('grows no further than the host can run, and says so once', async () => {
    // 2048 MB, of which 80% may be used: three VMs of 512 MB.
    const x = await setup({ fake: { hostMemoryMb: 2048 } });
    await x.orch.createPool({ name: 'p', template: 't', desired: 0, autoscale: { min: 0, max: 10, target: 6, scaleDownAfterMs: 60_000 } });
    await pass(x);
    const first = await x.orch.getPool('p');
    expect(first.pool.desired).toBe(3);
    expect(first.autoscale?.last).toMatchObject({ from: 0, to: 3, limitedBy: 'capacity' });
    expect(first.autoscale?.last?.reason).toMatch(/wants 6, host fake-host has 2048 MB free/);
    await pass(x);
    await pass(x);
    await pass(x);
    const held = await x.orch.getPool('p');
    expect(held.pool.desired).toBe(3);
    expect(held.ready).toBe(3);
    expect(held.autoscale?.last).toMatchObject({ from: 3, to: 3, limitedBy: 'capacity' });
    expect((await scaledEvents(x)).map((e) => `${e.action} ${e.from}->${e.to}`)).toEqual(['scaled 0->3', 'scale-limited 3->3']);
  });

  it('scales an idle pool to zero, keeps the template and the cold-start cost, and grows again for an acquire', async () => {
    const clock = skewedClock();
    const x = await setup({ clock });
    await x.orch.createPool({ name: 'p', template: 't', desired: 1, autoscale: { min: 0, max: 3, target: 0, scaleDownAfterMs: 30_000 } });
    await pass(x);
    const before = await x.orch.getPool('p');
    expect(before.ready).toBe(1);
    expect(before.autoscale?.coldStartMs).not.toBeNull();

    clock.advance(31_000);
    await pass(x);
    await pass(x);
    const zero = await x.orch.getPool('p');
    expect(zero.pool.desired).toBe(0);
    expect(zero.total).toBe(0);
    expect((await x.orch.getTemplate('t')).name).toBe('t');
    expect(zero.autoscale?.coldStartMs).toBe(before.autoscale?.coldStartMs);

    // Without waiting, the acquire fails at once and says how to wait for the cold start.
    const refused = await x.orch.acquire({ pool: 'p' }).catch((e: unknown) => e);
    expect(isHvkubeError(refused, 'NO_VM_AVAILABLE')).toBe(true);
    expect((refused as Error).message).toContain('scaled to zero');
    expect((refused as { hint?: string }).hint).toMatch(/autoscaled .*cold start \(about \d+ s\)/);

    x.orch.controller.start(20);
    const got = await x.orch.acquire({ pool: 'p', holder: 'cold', timeoutMs: 20_000 });
    expect(got.vm.state).toBe('running');
    const after = await x.orch.getPool('p');
    expect(after.pool.desired).toBe(1);
    expect(after.autoscale?.last).toMatchObject({ from: 0, to: 1, signals: { waiting: 1 } });
  });

  it('removes an autoscaled pool while the controller runs, without it growing back', async () => {
    const x = await setup();
    await x.orch.createPool({ name: 'p', template: 't', autoscale: { min: 2, max: 4, target: 2, scaleDownAfterMs: 60_000 } });
    await pass(x);
    x.orch.controller.start(10);
    await x.orch.removePool('p');
    await x.orch.controller.stop();
    expect(await x.orch.listPools()).toEqual([]);
    expect(await x.orch.listVms({})).toEqual([]);
  });

  it('refuses bad bounds with a clear error and changes nothing', async () => {
    const x = await setup();
    const bad: [Record<string, number>, RegExp][] = [
      [{ min: 5, max: 3 }, /autoscale\.min \(5\) is above autoscale\.max \(3\)/],
      [{ min: -1, max: 3 }, /autoscale\.min must be a whole number from 0/],
      [{ max: 4, target: 9 }, /autoscale\.target \(9\) is above autoscale\.max \(4\)/],
      [{ max: 4, scaleDownAfterMs: -5 }, /autoscale\.scaleDownAfterMs must be a whole number/],
      [{ min: 1 }, /autoscale\.max is required/],
    ];
    for (const [autoscale, message] of bad) {
      const e = await x.orch.createPool({ name: 'p', template: 't', autoscale }).catch((err: unknown) => err);
      expect(isHvkubeError(e, 'INVALID_INPUT')).toBe(true);
      expect((e as Error).message).toMatch(message);
    }
    expect(await x.orch.listPools()).toEqual([]);
    await expect(x.orch.createPool({ name: 'p', template: 't', desired: 9, autoscale: { min: 0, max: 4 } })).rejects.toThrow(/pool size \(count\) must be a whole number from 0 to 4/);

    await x.orch.createPool({ name: 'p', template: 't', autoscale: { min: 1, max: 4, target: 1 } });
    const kept = await x.orch.getPool('p');
    await expect(x.orch.scalePool('p', { autoscale: { min: 6 } })).rejects.toThrow(/autoscale\.min \(6\) is above autoscale\.max \(4\)/);
    await expect(x.orch.scalePool('p', { desired: 7 })).rejects.toThrow(/from 1 to 4/);
    await expect(x.orch.scalePool('p', { warm: 2 })).rejects.toThrow(/keeps every VM warm/);
    expect(await x.orch.getPool('p')).toEqual(kept);

    // Turning autoscaling off keeps the size; turning it on again keeps what was not given.
    expect(await x.orch.scalePool('p', { autoscale: null })).toMatchObject({ desired: 1, autoscale: null });
    expect(await x.orch.scalePool('p', { autoscale: { max: 6 } })).toMatchObject({ desired: 1, warm: 1, autoscale: { min: 0, max: 6, target: 1, scaleDownAfterMs: 300_000 } });
  });
});
