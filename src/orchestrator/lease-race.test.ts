import { afterEach, describe, expect, it } from 'vitest';
import { harness, type Harness } from '../../test/helpers/harness.js';
import type { Vm } from '../domain/types.js';

let h: Harness;
afterEach(async () => {
  await h.close();
});

describe('leases cannot be resurrected', () => {
  it('a renew that read the lease before a release committed does not bring the lease back', async () => {
    h = await harness();
    await h.pool('p', 1);
    const a = await h.orch.acquire({ pool: 'p', holder: 'alice', leaseTtlMs: 60_000 });
    // Interleave: the renew reads the VM, then the release commits, then the renew writes.
    const store = h.store;
    const getVm = store.getVm.bind(store);
    let armed = true;
    let released: Promise<Vm | null> | undefined;
    store.getVm = async (name: string) => {
      const vm = await getVm(name);
      if (armed && name === a.vm.name) {
        armed = false;
        released = (await h.orch.release(name, { leaseId: a.leaseId })).done;
      }
      return vm;
    };
    await expect(h.orch.renewLease(a.vm.name, a.leaseId, 600_000)).rejects.toMatchObject({ code: 'LEASE_MISMATCH' });
    store.getVm = getVm;
    await released;
    const vm = await h.orch.getVm(a.vm.name);
    expect(vm.state).toBe('saved');
    expect(vm.lease).toBeNull();
    // Claimable again, not "5/5 ready and NO_VM_AVAILABLE".
    const b = await h.orch.acquire({ pool: 'p', holder: 'bob' });
    expect(b.vm.name).toBe(a.vm.name);
  });

  it('a lease left on a VM that is not running is cleared by the controller, with an event', async () => {
    h = await harness();
    await h.pool('p', 1);
    const [vm] = await h.store.listVms({ pool: 'p' });
    const name = vm?.name ?? '';
    await h.store.patchVm(name, { lease: { id: 'ghost', holder: 'gone', expiresAt: '2100-01-01T00:00:00.000Z' } });
    await expect(h.orch.acquire({ pool: 'p' })).rejects.toMatchObject({ code: 'NO_VM_AVAILABLE' });
    // Release and reset no longer send the caller to each other for such a VM.
    const releaseErr = await h.orch.release(name).catch((e: unknown) => e);
    expect(releaseErr).toMatchObject({ code: 'VM_INVALID_STATE', hint: expect.stringContaining(`hvkube vm reset ${name}`) as unknown });

    await h.orch.controller.tick('p');
    await h.orch.controller.idle();
    expect((await h.orch.getVm(name)).lease).toBeNull();
    const events = await h.store.listEvents({ subject: name });
    expect(events.at(-1)).toMatchObject({ actor: 'lease-expiry', action: 'clear-stale-lease', from: 'saved', to: 'saved' });
    const b = await h.orch.acquire({ pool: 'p' });
    expect(b.vm.name).toBe(name);
  });

  it('reset is not refused for a stale lease on a saved VM', async () => {
    h = await harness();
    await h.pool('p', 1);
    const [vm] = await h.store.listVms({ pool: 'p' });
    const name = vm?.name ?? '';
    await h.store.patchVm(name, { lease: { id: 'ghost', holder: 'gone', expiresAt: null } });
    const reset = await h.orch.resetVm(name);
    expect(reset).toMatchObject({ state: 'saved', lease: null });
  });

  it('a VM resumed by hand and left running unleased is saved back into the pool after the grace period', async () => {
    h = await harness({ settings: { unleasedGraceMs: 50 } });
    await h.pool('p', 1);
    const [vm] = await h.store.listVms({ pool: 'p' });
    const name = vm?.name ?? '';
    const running = await h.orch.resumeVm(name);
    expect(running).toMatchObject({ state: 'running', lease: null });
    await expect(h.orch.acquire({ pool: 'p' })).rejects.toMatchObject({ code: 'NO_VM_AVAILABLE' });
    await new Promise((r) => setTimeout(r, 100));
    await h.orch.controller.tick('p');
    await h.orch.controller.idle();
    expect(await h.orch.getVm(name)).toMatchObject({ state: 'saved', lease: null });
    expect((await h.store.listEvents({ subject: name })).at(-1)).toMatchObject({ actor: 'unleased-grace', to: 'saved' });
    expect((await h.orch.acquire({ pool: 'p' })).vm.name).toBe(name);
  });
});
