import { afterEach, describe, expect, it } from 'vitest';
import { harness, type Harness } from '../../test/helpers/harness.js';
import { isHvkubeError } from '../domain/errors.js';

let h: Harness;
afterEach(async () => {
  await h.close();
});

describe('failures leave nothing running', () => {
  it('a VM that never gets ready is marked error and powered off', async () => {
    h = await harness({ fake: { latencies: { guestReady: 60_000 } }, settings: { readyTimeoutMs: 100 } });
    await h.pool('p', 1);
    const [vm] = await h.orch.listVms({ pool: 'p' });
    expect(vm?.state).toBe('error');
    expect(vm?.lastError).toMatch(/not ready/);
    expect((await h.hv.getVm(vm?.name ?? ''))?.state).toBe('off');
  });

  it('a VM whose save fails is marked error and powered off', async () => {
    h = await harness();
    await h.hv.faults.failNext('save', 'HV_FAILED');
    await h.pool('p', 1);
    const [vm] = await h.orch.listVms({ pool: 'p' });
    expect(vm?.state).toBe('error');
    expect((await h.hv.getVm(vm?.name ?? ''))?.state).toBe('off');
  });
});

describe('an acquire that cannot succeed', () => {
  it('fails at once when every VM of the pool is in error and nothing repairs them, with their last error', async () => {
    h = await harness();
    await h.hv.faults.failNext('boot', 'HV_UNAVAILABLE');
    await h.hv.faults.failNext('boot', 'HV_UNAVAILABLE');
    await h.pool('p', 2);
    expect((await h.orch.listVms({ pool: 'p' })).map((v) => v.state)).toEqual(['error', 'error']);
    // Far longer than the test may run: only failing at once passes.
    const err = await h.orch.acquire({ pool: 'p', timeoutMs: 3_600_000 }).catch((e: unknown) => e);
    expect(isHvkubeError(err, 'NO_VM_AVAILABLE')).toBe(true);
    expect((err as Error).message).toMatch(/all 2 of its VMs are in error and nothing is repairing them \(last error, hvk-p-\w+: .+\)/);
  });

  it('waits while the pool controller runs, since it replaces VMs in error', async () => {
    h = await harness();
    await h.hv.faults.failNext('boot', 'HV_UNAVAILABLE');
    await h.pool('p', 1);
    h.orch.controller.start(20);
    const acquired = await h.orch.acquire({ pool: 'p', timeoutMs: 3_600_000 });
    expect(acquired.vm.state).toBe('running');
  });
});
