/**
 * 50 concurrent acquires over real HTTP on a pool of 5 saved VMs: 5 succeed at once, the rest
 * wait and succeed as VMs come back — or get 503 at once when they asked not to wait. No VM is
 * ever held by two callers.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { startApiServer, type ApiServer } from '../../src/api/server.js';
import { HvkubeClient } from '../../src/client/client.js';
import { isHvkubeError } from '../../src/domain/errors.js';
import { harness, type Harness } from '../helpers/harness.js';

let h: Harness;
let server: ApiServer;
let client: HvkubeClient;

beforeEach(async () => {
  h = await harness();
  await h.pool('p', 5, { releasePolicy: 'save' });
  server = await startApiServer({ orchestrator: h.orch, listen: '127.0.0.1:0' });
  client = new HvkubeClient({ url: server.url });
});
afterEach(async () => {
  await server.close();
  await h.close();
});

describe('API: concurrent acquires', () => {
  it('50 waiting acquires on 5 VMs all succeed, one holder per VM at any time', async () => {
    const held = new Set<string>();
    let maxHeld = 0;
    let doubles = 0;
    const one = async (i: number): Promise<string> => {
      const got = await client.acquire({ pool: 'p', timeoutS: 120, holder: `c${i}` });
      if (held.has(got.vm_name)) doubles++;
      held.add(got.vm_name);
      maxHeld = Math.max(maxHeld, held.size);
      await new Promise((r) => setTimeout(r, 5));
      held.delete(got.vm_name);
      const rel = await client.release(got.vm_name, { leaseId: got.lease_id });
      expect(rel.vm_name).toBe(got.vm_name);
      return got.vm_name;
    };
    const names = await Promise.all(Array.from({ length: 50 }, (_, i) => one(i)));
    expect(names).toHaveLength(50);
    expect(new Set(names).size).toBeLessThanOrEqual(5);
    expect(doubles).toBe(0);
    expect(maxHeld).toBeLessThanOrEqual(5);
  });

  it('50 acquires that do not wait: exactly 5 succeed, 45 get 503 NO_VM_AVAILABLE', async () => {
    const results = await Promise.allSettled(Array.from({ length: 50 }, (_, i) => client.acquire({ pool: 'p', wait: false, holder: `c${i}` })));
    const ok = results.filter((r) => r.status === 'fulfilled').map((r) => (r as PromiseFulfilledResult<{ vm_name: string }>).value.vm_name);
    const failed = results.filter((r): r is PromiseRejectedResult => r.status === 'rejected').map((r) => r.reason as unknown);
    expect(ok).toHaveLength(5);
    expect(new Set(ok).size).toBe(5);
    expect(failed).toHaveLength(45);
    for (const e of failed) {
      expect(isHvkubeError(e, 'NO_VM_AVAILABLE')).toBe(true);
      expect((e as { details: { status: number } }).details.status).toBe(503);
    }
    const leased = (await client.listVms({ pool: 'p' })).filter((v) => v.lease !== null);
    expect(leased.map((v) => v.name).sort()).toEqual([...ok].sort());
  });

  it('shutdown turns queued acquires into 503 SHUTTING_DOWN and waits for releases under way', async () => {
    const holders = await Promise.all(Array.from({ length: 5 }, () => client.acquire({ pool: 'p' })));
    const queued = Array.from({ length: 3 }, () => client.acquire({ pool: 'p', timeoutS: 60 }).catch((e: unknown) => e));
    await new Promise((r) => setTimeout(r, 200));
    const rel = await client.release(holders[0]!.vm_name, { leaseId: holders[0]!.lease_id });
    expect(['saving', 'saved']).toContain(rel.state);
    await server.close();
    const outcomes = await Promise.all(queued);
    // One queued acquire may have got the released VM before shutdown began; the rest were turned away.
    const refused = outcomes.filter((e) => isHvkubeError(e, 'SHUTTING_DOWN'));
    expect(refused.length).toBeGreaterThanOrEqual(2);
    const vms = await h.orch.listVms({ pool: 'p' });
    expect(vms.every((v) => ['running', 'saved'].includes(v.state))).toBe(true);
  });
});
