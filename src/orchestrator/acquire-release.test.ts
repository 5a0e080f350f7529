import { afterEach, describe, expect, it } from 'vitest';
import { harness, type Harness } from '../../test/helpers/harness.js';
import { isHvkubeError } from '../domain/errors.js';
import type { Hypervisor } from '../hypervisor/hypervisor.js';

let h: Harness;
afterEach(async () => {
  await h.close();
});

describe('provision, acquire, release', () => {
  it('provisions a pool: every VM saved with a clean checkpoint and a disk of its own', async () => {
    h = await harness();
    await h.pool('p', 3);
    const vms = await h.orch.listVms({ pool: 'p' });
    expect(vms).toHaveLength(3);
    for (const vm of vms) {
      expect(vm.state).toBe('saved');
      expect(vm.hasClean).toBe(true);
      expect(vm.bootMs).not.toBeNull();
      const hv = await h.hv.getVm(vm.name);
      expect(hv?.state).toBe('saved');
      expect(hv?.checkpoints).toContain('clean');
    }
    expect(new Set(vms.map((v) => v.diskPath)).size).toBe(3);
  });

  it('keeps VMs beyond the warm count off, and warms one when the warm tier drops', async () => {
    h = await harness();
    await h.pool('p', 3, { warm: 1 });
    const states = (await h.orch.listVms({ pool: 'p' })).map((v) => v.state).sort();
    expect(states).toEqual(['off', 'off', 'saved']);
    const a = await h.orch.acquire({ pool: 'p' });
    expect(a.vm.state).toBe('running');
    await h.orch.controller.tick('p');
    await h.orch.controller.idle();
    const after = (await h.orch.listVms({ pool: 'p' })).map((v) => v.state).sort();
    expect(after).toEqual(['off', 'running', 'saved']);
  });

  it('acquire resumes a saved VM, leases it, refreshes its address and records the resume time', async () => {
    h = await harness();
    await h.pool('p', 2);
    const r = await h.orch.acquire({ pool: 'p', holder: 'alice' });
    expect(r.vm.state).toBe('running');
    expect(r.vm.lease?.holder).toBe('alice');
    expect(r.vm.lease?.id).toBe(r.leaseId);
    expect(r.vm.ip).toMatch(/^\d+\.\d+\.\d+\.\d+$/);
    expect(r.vm.lastResumeMs).toBe(r.resumeMs);
    expect((await h.hv.getVm(r.vm.name))?.state).toBe('running');
  });

  it('the controller tells the backend which saved VM each pool hands out next', async () => {
    h = await harness();
    await h.pool('p', 3);
    await h.pool('q', 2);
    const calls: string[][] = [];
    const hv: Hypervisor = h.hv;
    hv.prepareResume = async (names) => {
      calls.push([...names]);
    };
    await h.orch.controller.tick();
    const first = calls.at(-1) ?? [];
    // Each pool's next VM first, then each pool's second one.
    expect(first).toHaveLength(4);
    const a = await h.orch.acquire({ pool: 'p' });
    const b = await h.orch.acquire({ pool: 'q' });
    // What was prepared first is exactly what the acquires took.
    expect(first.slice(0, 2).sort()).toEqual([a.vm.name, b.vm.name].sort());
    await h.orch.controller.tick();
    await h.orch.controller.idle();
    const second = calls.at(-1) ?? [];
    expect(second).toHaveLength(3);
    expect(second).not.toContain(a.vm.name);
    expect(second).not.toContain(b.vm.name);
    const c = await h.orch.acquire({ pool: 'p' });
    expect(second).toContain(c.vm.name);
  });

  it('an acquire claims the VM whose resume was prepared, even where the claim order says another', async () => {
    h = await harness();
    await h.pool('p', 3);
    let prepared: string[] = [];
    const hv: Hypervisor = h.hv;
    hv.prepareResume = async (names) => {
      prepared = [...names];
    };
    await h.orch.controller.tick();
    await h.orch.controller.idle();
    expect(prepared).toHaveLength(2);
    // The prepared VMs become the newest saved ones (as a clock step or another collation would
    // reorder them): by age alone the unprepared one comes first now.
    for (const name of prepared) {
      await h.store.transitionVm(name, { from: ['saved'], to: 'saved', actor: 'test', action: 'reorder' });
    }
    const [unprepared] = (await h.orch.listVms({ pool: 'p' })).filter((v) => !prepared.includes(v.name));
    const a = await h.orch.acquire({ pool: 'p' });
    expect(prepared).toContain(a.vm.name);
    expect(a.vm.name).not.toBe(unprepared?.name);
    // Once taken, a VM is no longer offered as prepared; the other prepared one goes next.
    const b = await h.orch.acquire({ pool: 'p' });
    expect(prepared).toContain(b.vm.name);
    expect(b.vm.name).not.toBe(a.vm.name);
  });

  it('takes a hot (paused) VM before a saved one', async () => {
    h = await harness();
    await h.pool('p', 3, { hot: 1 });
    const states = (await h.orch.listVms({ pool: 'p' })).map((v) => v.state).sort();
    expect(states).toEqual(['paused', 'saved', 'saved']);
    const r = await h.orch.acquire({ pool: 'p' });
    expect(r.fromHot).toBe(true);
  });

  it('fails at once with a helpful error when no VM is free and it may not wait', async () => {
    h = await harness();
    await h.pool('p', 1);
    await h.orch.acquire({ pool: 'p' });
    const err = await h.orch.acquire({ pool: 'p', timeoutMs: 0 }).catch((e: unknown) => e);
    expect(isHvkubeError(err, 'NO_VM_AVAILABLE')).toBe(true);
    expect(String((err as Error).message)).toMatch(/pool 'p' has no saved VM; 1 in use/);
  });

  it('an unknown pool is POOL_NOT_FOUND, not a wait', async () => {
    h = await harness();
    const err = await h.orch.acquire({ pool: 'nope', timeoutMs: 5000 }).catch((e: unknown) => e);
    expect(isHvkubeError(err, 'POOL_NOT_FOUND')).toBe(true);
  });

  it('a waiting acquire gets the VM that is released, in arrival order', async () => {
    h = await harness();
    await h.pool('p', 1, { releasePolicy: 'save' });
    const first = await h.orch.acquire({ pool: 'p', holder: 'first' });
    const order: string[] = [];
    const w1 = h.orch.acquire({ pool: 'p', holder: 'w1', timeoutMs: 5000 }).then((r) => (order.push('w1'), r));
    await new Promise((r) => setTimeout(r, 20));
    const w2 = h.orch.acquire({ pool: 'p', holder: 'w2', timeoutMs: 5000 }).then((r) => (order.push('w2'), r));
    await new Promise((r) => setTimeout(r, 20));
    await (await h.orch.release(first.vm.name)).done;
    const r1 = await w1;
    await (await h.orch.release(r1.vm.name)).done;
    await w2;
    expect(order).toEqual(['w1', 'w2']);
  });

  it('release with save keeps the session; reset returns to clean; destroy removes VM and disk', async () => {
    h = await harness();
    await h.pool('p', 3, { releasePolicy: 'save' });
    const a = await h.orch.acquire({ pool: 'p' });
    await h.orch.typeText(a.vm.name, 'session text');
    const saved = await (await h.orch.release(a.vm.name)).done;
    expect(saved?.state).toBe('saved');
    expect(saved?.lease).toBeNull();
    expect((await h.hv.screenText(a.vm.name)).join('\n')).toContain('session text');

    const b = await h.orch.acquire({ pool: 'p' });
    await h.orch.typeText(b.vm.name, 'scratch');
    const reset = await (await h.orch.release(b.vm.name, { policy: 'reset' })).done;
    expect(reset?.state).toBe('saved');
    expect((await h.hv.screenText(b.vm.name)).join('\n')).not.toContain('scratch');

    const c = await h.orch.acquire({ pool: 'p' });
    const disk = c.vm.diskPath;
    expect(disk).not.toBeNull();
    const { existsSync } = await import('node:fs');
    expect(existsSync(disk ?? '')).toBe(true);
    const r = await h.orch.release(c.vm.name, { policy: 'destroy' });
    expect(r.vm.state).toBe('deleting');
    expect(await r.done).toBeNull();
    expect(await h.store.getVm(c.vm.name)).toBeNull();
    expect(await h.hv.getVm(c.vm.name)).toBeNull();
    expect(existsSync(disk ?? '')).toBe(false);
  });

  it('release refuses a VM that is not in use, and a wrong lease', async () => {
    h = await harness();
    await h.pool('p', 2);
    const [idle] = await h.orch.listVms({ pool: 'p' });
    const e1 = await h.orch.release(idle?.name ?? '').catch((e: unknown) => e);
    expect(isHvkubeError(e1, 'VM_INVALID_STATE')).toBe(true);
    const a = await h.orch.acquire({ pool: 'p' });
    const e2 = await h.orch.release(a.vm.name, { leaseId: 'not-the-lease' }).catch((e: unknown) => e);
    expect(isHvkubeError(e2, 'LEASE_MISMATCH')).toBe(true);
    expect((await h.orch.getVm(a.vm.name)).state).toBe('running');
  });

  it('a VM whose resume fails goes to repair and the acquire gets another VM', async () => {
    h = await harness();
    await h.pool('p', 2);
    await h.hv.faults.failNextResume();
    const r = await h.orch.acquire({ pool: 'p' });
    expect(r.vm.state).toBe('running');
    await h.orch.controller.idle();
    const others = (await h.orch.listVms({ pool: 'p' })).filter((v) => v.name !== r.vm.name);
    expect(others.map((v) => v.state)).toEqual(['saved']);
    const events = await h.orch.listEvents({ kind: 'vm' });
    expect(events.some((e) => e.action === 'resume-failed')).toBe(true);
  });

  it('a corrupt saved state is repaired back to clean, and the acquire still gets a ready VM', async () => {
    h = await harness();
    await h.pool('p', 1);
    const [vm] = await h.orch.listVms({ pool: 'p' });
    await h.hv.faults.corruptSavedState(vm?.name ?? '');
    const r = await h.orch.acquire({ pool: 'p', timeoutMs: 2000 });
    expect(r.vm.name).toBe(vm?.name);
    expect(r.vm.state).toBe('running');
    const actions = (await h.orch.listEvents({ kind: 'vm', subject: vm?.name })).map((e) => e.action);
    expect(actions).toContain('resume-failed');
    expect(actions.indexOf('resume-failed')).toBeLessThan(actions.lastIndexOf('resumed'));
  });

  it('gives up with a clear error when every VM fails to resume', async () => {
    h = await harness({ settings: { acquireRetries: 2 } });
    await h.pool('p', 1);
    const [vm] = await h.orch.listVms({ pool: 'p' });
    for (let i = 0; i < 5; i++) await h.hv.faults.failNextResume(vm?.name);
    const err = await h.orch.acquire({ pool: 'p', timeoutMs: 2000 }).catch((e: unknown) => e);
    expect(isHvkubeError(err, 'NO_VM_AVAILABLE')).toBe(true);
    expect((err as Error).message).toMatch(/failed to resume/);
    await h.orch.controller.idle();
    expect((await h.orch.getVm(vm?.name ?? '')).lease).toBeNull();
  });

  it('an expired lease resets the VM and returns it to the pool', async () => {
    h = await harness();
    await h.pool('p', 1);
    const a = await h.orch.acquire({ pool: 'p', leaseTtlMs: 1 });
    await new Promise((r) => setTimeout(r, 10));
    await h.orch.controller.tick('p');
    await h.orch.controller.idle();
    const vm = await h.orch.getVm(a.vm.name);
    expect(vm.state).toBe('saved');
    expect(vm.lease).toBeNull();
    const renewErr = await h.orch.renewLease(a.vm.name, a.leaseId, 60_000).catch((e: unknown) => e);
    expect(isHvkubeError(renewErr, 'LEASE_MISMATCH')).toBe(true);
  });

  it('refuses to boot past the host capacity and reports the pool degraded', async () => {
    // 512 MB per VM, but only 80% of 600 MB free may be used: nothing can boot.
    h = await harness({ fake: { hostMemoryMb: 600 } });
    await h.pool('p', 2);
    const status = await h.orch.getPool('p');
    expect(status.ready).toBe(0);
    expect(status.health.degraded ?? '').toMatch(/needs 512 MB/);
    // Checked before anything is created: no row, no disk for a VM that could not boot.
    expect(await h.orch.listVms({ pool: 'p' })).toEqual([]);
    expect(await h.hv.listVms('')).toEqual([]);
  });

  it('scaling to 1000 creates only the VMs that can start now; scaling back and shutting down leave nothing provisioning', async () => {
    h = await harness({ settings: { provisionConcurrency: 2 } });
    await h.pool('p', 1);
    await h.orch.scalePool('p', { desired: 1000 });
    await h.orch.controller.tick('p');
    const rows = await h.orch.listVms({ pool: 'p' });
    // One ready VM plus at most two being provisioned: the rest is intent, not rows.
    expect(rows.length).toBeLessThanOrEqual(3);
    await h.orch.scalePool('p', { desired: 1 });
    await h.orch.close();
    const after = await h.store.listVms({ pool: 'p' });
    expect(after.filter((v) => v.state === 'provisioning' || v.state === 'booting')).toEqual([]);
    expect(after.length).toBeLessThanOrEqual(3);
  });
});
