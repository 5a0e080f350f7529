import { afterEach, describe, expect, it } from 'vitest';
import { harness, type Harness } from '../../test/helpers/harness.js';
import { isHvkubeError } from '../domain/errors.js';
import type { AcquireResult } from './acquire.js';

let h: Harness;
afterEach(async () => {
  await h.close();
});

/** A's lease runs out, the controller takes the VM back, and B gets the same VM. */
async function handedOver(): Promise<{ a: AcquireResult; b: AcquireResult }> {
  h = await harness();
  await h.pool('p', 1);
  const a = await h.orch.acquire({ pool: 'p', holder: 'alice', leaseTtlMs: 1 });
  await new Promise((r) => setTimeout(r, 10));
  await h.orch.controller.tick('p');
  await h.orch.controller.idle();
  const b = await h.orch.acquire({ pool: 'p', holder: 'bob' });
  expect(b.vm.name).toBe(a.vm.name);
  return { a, b };
}

describe('console operations check the caller\'s lease', () => {
  it('a stale lease types nothing into the next holder\'s desktop, and every console operation is refused', async () => {
    const { a, b } = await handedOver();
    const vm = a.vm.name;
    const stale = { leaseId: a.leaseId };
    const refusals = [
      h.orch.typeText(vm, 'alice was here', stale),
      h.orch.pressKeys(vm, ['enter'], stale),
      h.orch.click(vm, 5, 5, stale),
      h.orch.mouseMove(vm, 5, 5, stale),
      h.orch.scroll(vm, 1, stale),
      h.orch.screenshot(vm, stale),
    ];
    for (const r of await Promise.allSettled(refusals)) {
      expect(r.status).toBe('rejected');
      if (r.status === 'rejected') expect(isHvkubeError(r.reason, 'LEASE_MISMATCH')).toBe(true);
    }
    expect((await h.hv.screenText(vm)).join('\n')).not.toContain('alice was here');

    // The current holder, and a caller without a lease id (an operator), still drive it.
    await h.orch.typeText(vm, 'bob', { leaseId: b.leaseId });
    await h.orch.typeText(vm, '+ops');
    expect((await h.hv.screenText(vm)).join('\n')).toContain('bob+ops');
    expect((await h.orch.screenshot(vm, { leaseId: b.leaseId })).subarray(1, 4).toString()).toBe('PNG');
  });

  it('a release with a stale lease leaves the next holder\'s VM running and leased to it', async () => {
    const { a, b } = await handedOver();
    const err = await h.orch.release(a.vm.name, { leaseId: a.leaseId }).catch((e: unknown) => e);
    expect(isHvkubeError(err, 'LEASE_MISMATCH')).toBe(true);
    const vm = await h.orch.getVm(a.vm.name);
    expect(vm.state).toBe('running');
    expect(vm.lease?.id).toBe(b.leaseId);
  });

  it('a lease that was released is refused before input reaches the VM', async () => {
    h = await harness();
    await h.pool('p', 1);
    const a = await h.orch.acquire({ pool: 'p' });
    await (await h.orch.release(a.vm.name, { leaseId: a.leaseId })).done;
    const err = await h.orch.typeText(a.vm.name, 'late', { leaseId: a.leaseId }).catch((e: unknown) => e);
    expect(isHvkubeError(err, 'LEASE_MISMATCH')).toBe(true);
    expect((err as Error).message).toMatch(/nothing was sent/);
  });
});
