/**
 * Rejoining after being declared lost: the host registers under a new epoch, removes the VMs
 * replaced meanwhile, and only then takes work — also when that clean-up breaks off half-way.
 */
import { afterEach, describe, expect, it, vi } from 'vitest';
import { harness, type Harness } from '../../test/helpers/harness.js';
import { silentLogger } from '../_util/logger.js';
import { FleetMember } from './member.js';
import { DEFAULT_FLEET_SETTINGS } from './settings.js';

const SETTINGS = { ...DEFAULT_FLEET_SETTINGS, heartbeatMs: 50, leaseMs: 400 };

async function until(what: string, check: () => boolean | Promise<boolean>, ms = 5000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`not within ${ms} ms: ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** A host `a` with a pool of three VMs, declared lost by the fleet: its VMs are `unknown`. */
async function lostHost(): Promise<{ h: Harness; vms: string[] }> {
  const h = await harness({ settings: { host: 'a' } });
  await h.pool('p', 3);
  const reg = { name: 'a', backend: 'fake', capacity: { memoryMb: 8192, cpus: 2, maxVms: 6 }, address: null, leaseMs: SETTINGS.leaseMs };
  const host = await h.store.registerHost(reg, null, 'test');
  if (!host) throw new Error('could not register a');
  const lost = await h.store.markHostLost('a', { epoch: host.epoch, heartbeatAt: host.heartbeatAt, actor: 'test', reason: 'silent' });
  expect(lost?.vms).toHaveLength(3);
  return { h, vms: lost?.vms ?? [] };
}

describe('FleetMember rejoining after it was lost', () => {
  let h: Harness | undefined;
  let member: FleetMember | undefined;

  afterEach(async () => {
    await member?.stop();
    await h?.close();
    member = undefined;
    h = undefined;
  });

  it('removes every replaced VM before it takes work', async () => {
    const lost = await lostHost();
    h = lost.h;
    member = new FleetMember({ orchestrator: h.orch, backend: 'fake', settings: { ...SETTINGS }, logger: silentLogger });
    const report = await member.start();
    expect(report.removed.sort()).toEqual([...lost.vms].sort());
    expect(member.acceptsWork()).toBe(true);
    expect(member.record?.epoch).toBe(2);
    expect(await h.store.listVms({ host: 'a' })).toEqual([]);
    expect(await h.hv.listVms('')).toEqual([]);
  });

  it('stays out of service while a replaced VM cannot be removed, and retries on its heartbeat', async () => {
    const lost = await lostHost();
    h = lost.h;
    const stuck = lost.vms[0] ?? '';
    await h.hv.faults.failNext('remove', 'HV_FAILED', stuck);
    member = new FleetMember({ orchestrator: h.orch, backend: 'fake', settings: { ...SETTINGS }, logger: silentLogger });
    const report = await member.start();
    expect(report.failed).toEqual([stuck]);
    // Registered under the new epoch and heartbeating, but not taking work.
    expect(member.record?.epoch).toBe(2);
    expect(member.acceptsWork()).toBe(false);
    expect((await h.store.getVm(stuck))?.state).toBe('unknown');

    await until('the host takes work again', () => member?.acceptsWork() === true);
    expect(await h.store.listVms({ host: 'a' })).toEqual([]);
    expect(await h.hv.listVms('')).toEqual([]);
    expect(member.record?.epoch).toBe(2);
  });

  it('a store failure in the middle of the clean-up does not let the heartbeat bring the host back early', async () => {
    const lost = await lostHost();
    h = lost.h;
    const store = h.store;
    // The registration goes through; the next read (the clean-up's) fails, as on a dropped connection.
    const listVms = vi.spyOn(store, 'listVms').mockRejectedValueOnce(new Error('read ECONNRESET'));
    member = new FleetMember({ orchestrator: h.orch, backend: 'fake', settings: { ...SETTINGS }, logger: silentLogger });
    const m = member;
    const tookWork: boolean[] = [];
    const report = await m.start();
    expect(report.removed).toEqual([]);
    expect(m.record?.epoch).toBe(2);
    expect(m.acceptsWork()).toBe(false);

    // Whenever the host says it takes work, nothing of what was replaced is left.
    await until('the host takes work again', async () => {
      const up = m.acceptsWork();
      if (up) tookWork.push((await store.listVms({ host: 'a', states: ['unknown', 'deleting'] })).length === 0);
      return up;
    });
    expect(tookWork.every(Boolean)).toBe(true);
    expect(listVms).toHaveBeenCalled();
    expect(await store.listVms({ host: 'a' })).toEqual([]);
    expect(await h.hv.listVms('')).toEqual([]);
  });
});
