/**
 * Pool lifetime policies over the HTTP API in-process: create and scale carry them, bad values
 * are refused with 400 before anything changes, a renew past the max lease is a 409 with the
 * time left, and a policy's release shows in the events with its reason.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { createApi, type Api } from '../../src/api/app.js';
import type { Pool, StateEvent } from '../../src/domain/types.js';
import { harness, type Harness } from '../helpers/harness.js';

let h: Harness;
let api: Api;
afterEach(async () => {
  await h.close();
});

const json = (method: string, body?: unknown): RequestInit => ({
  method,
  headers: { 'content-type': 'application/json' },
  body: body === undefined ? undefined : JSON.stringify(body),
});

describe('API: pool lifetime policies', () => {
  it('create, scale, refusals, renew limit and the reason on the release event', async () => {
    let now = Date.parse('2026-03-01T08:00:00.000Z');
    h = await harness({ clock: { now: () => now, sleep: () => new Promise((r) => setTimeout(r, 1)) } });
    api = createApi({ orchestrator: h.orch, tokens: [] });
    await h.orch.registerTemplate({ name: 't', diskPath: h.image, memoryMb: 512, cpus: 1 });

    for (const lifetime of [{ idleTimeoutS: 10 }, { idleAction: 'nap' }, { maxLeaseS: '1h' }, { forever: true }]) {
      const res = await api.app.request('/api/v1/pools', json('POST', { name: 'p', template: 't', desired: 1, lifetime }));
      expect(res.status, JSON.stringify(lifetime)).toBe(400);
    }
    expect((await api.app.request('/api/v1/pools/p')).status).toBe(404);

    const created = await api.app.request('/api/v1/pools', json('POST', { name: 'p', template: 't', desired: 1, releasePolicy: 'save', lifetime: { maxLeaseS: 3600 } }));
    expect(created.status).toBe(201);
    expect(((await created.json()) as Pool).lifetime).toEqual({ idleTimeoutS: null, idleAction: 'release', maxLeaseS: 3600, maxVmAgeS: null });
    const scaled = await api.app.request('/api/v1/pools/p/scale', json('POST', { desired: 1, lifetime: { idleTimeoutS: 600 } }));
    expect(scaled.status).toBe(200);
    expect(((await scaled.json()) as Pool).lifetime).toMatchObject({ idleTimeoutS: 600, maxLeaseS: 3600 });
    await h.orch.provisionPool('p');

    const a = await h.orch.acquire({ pool: 'p' });
    now += 1000 * 1000;
    const renew = await api.app.request(`/api/v1/vms/${a.vm.name}/renew`, json('POST', { lease_id: a.leaseId, ttl_s: 3000 }));
    expect(renew.status).toBe(409);
    const body = (await renew.json()) as { error: { code: string; details: { remainingS: number } } };
    expect(body.error.code).toBe('LEASE_LIMIT');
    expect(body.error.details.remainingS).toBe(2600);

    now += 601 * 1000;
    await h.orch.controller.tick();
    await h.orch.controller.idle();
    const events = (await (await api.app.request(`/api/v1/events?kind=vm&subject=${a.vm.name}`)).json()) as StateEvent[];
    const ended = events.find((e) => e.details?.released !== undefined);
    expect(ended?.details).toMatchObject({ released: 'save', reason: 'idle', idleTimeoutS: 600 });
  });
});
