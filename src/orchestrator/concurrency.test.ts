import { afterEach, describe, expect, it } from 'vitest';
import { harness, type Harness } from '../../test/helpers/harness.js';
import { isHvkubeError } from '../domain/errors.js';
import { VM_STATES } from '../domain/vm-state.js';

let h: Harness;
afterEach(async () => {
  await h.close();
});

describe('no VM is ever held twice', () => {
  it('200 concurrent acquires on a pool of 20 with random resume failures', async () => {
    h = await harness({ fake: { resumeFailureRate: 0.15, randomSeed: 7 }, settings: { acquireRetries: 5 } });
    await h.pool('p', 20, { releasePolicy: 'save' });

    const holding = new Map<string, string>();
    const leases = new Set<string>();
    let maxHeld = 0;
    const outcomes: ('ok' | 'error')[] = [];
    const violations: string[] = [];

    const client = async (i: number): Promise<void> => {
      try {
        const r = await h.orch.acquire({ pool: 'p', holder: `c${i}`, timeoutMs: 10_000 });
        if (holding.has(r.vm.name)) violations.push(`${r.vm.name} handed to c${i} while held by ${holding.get(r.vm.name)}`);
        if (leases.has(r.leaseId)) violations.push(`lease ${r.leaseId} reused`);
        if (r.vm.state !== 'running') violations.push(`${r.vm.name} handed out ${r.vm.state}`);
        holding.set(r.vm.name, `c${i}`);
        leases.add(r.leaseId);
        maxHeld = Math.max(maxHeld, holding.size);
        await new Promise((res) => setTimeout(res, Math.floor(Math.random() * 3)));
        holding.delete(r.vm.name);
        const rel = await h.orch.release(r.vm.name, { leaseId: r.leaseId, policy: i % 3 === 0 ? 'reset' : 'save' });
        await rel.done;
        outcomes.push('ok');
      } catch (e) {
        // Every failure must be a clear, typed error.
        if (!isHvkubeError(e)) violations.push(`untyped error: ${String(e)}`);
        outcomes.push('error');
      }
    };
    await Promise.all(Array.from({ length: 200 }, (_, i) => client(i)));
    await h.orch.controller.idle();

    expect(violations).toEqual([]);
    expect(outcomes).toHaveLength(200);
    expect(outcomes.filter((o) => o === 'ok').length).toBeGreaterThan(150);
    expect(maxHeld).toBeLessThanOrEqual(20);
    expect(leases.size).toBe(outcomes.filter((o) => o === 'ok').length);
    const vms = await h.orch.listVms({ pool: 'p' });
    for (const vm of vms) {
      expect(VM_STATES).toContain(vm.state);
      expect(vm.lease).toBeNull();
      expect(['saved', 'error']).toContain(vm.state);
      if (vm.state === 'saved') expect((await h.hv.getVm(vm.name))?.state).toBe('saved');
    }
    // The store's lease column never held one VM twice: every "resumed" event has its own lease.
    const events = await h.orch.listEvents({ kind: 'vm', limit: 100_000 });
    expect(events.filter((e) => e.action === 'resumed').length).toBe(leases.size);
    // The injected failures really happened, and were survived.
    expect(events.filter((e) => e.action === 'resume-failed').length).toBeGreaterThan(5);
  });

  it('fail-fast acquires racing for 5 VMs: exactly 5 win, the rest get NO_VM_AVAILABLE', async () => {
    h = await harness();
    await h.pool('p', 5);
    const results = await Promise.allSettled(Array.from({ length: 50 }, (_, i) => h.orch.acquire({ pool: 'p', holder: `c${i}`, timeoutMs: 0 })));
    const won = results.filter((r) => r.status === 'fulfilled');
    expect(won).toHaveLength(5);
    expect(new Set(won.map((r) => (r.status === 'fulfilled' ? r.value.vm.name : ''))).size).toBe(5);
    for (const r of results) if (r.status === 'rejected') expect(isHvkubeError(r.reason, 'NO_VM_AVAILABLE')).toBe(true);
  });
});
