/**
 * `/metrics` as Prometheus's own linter reads it: `promtool check metrics` (Debian's `prometheus`
 * package) over a scrape taken after acquires, releases and API calls, so every series has data.
 */
import { spawnSync } from 'node:child_process';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createApi, type Api } from '../../src/api/app.js';
import { HvkubeClient } from '../../src/client/client.js';
import { harness, type Harness } from '../helpers/harness.js';

const PROMTOOL = spawnSync('promtool', ['--version']).status === 0;
/** Skipped on a developer's machine without promtool, with the reason in the title; never in CI. */
const SKIP = !PROMTOOL && process.env.CI !== 'true';
const NOTE = SKIP ? ' (skipped: no promtool; apt-get install -y --no-install-recommends prometheus)' : '';

let h: Harness;
let api: Api;
beforeEach(async () => {
  h = await harness();
});
afterEach(async () => {
  await api?.close();
  await h.close();
});

describe.skipIf(SKIP)(`metrics${NOTE}`, () => {
  it('pass promtool check metrics (no gauge named like a counter, every name and help valid)', async () => {
    api = createApi({ orchestrator: h.orch });
    await h.pool('p', 1);
    const c = new HvkubeClient({ url: 'http://127.0.0.1', fetch: (input, init) => api.app.request(input, init) });
    const got = await c.acquire({ pool: 'p' });
    await c.release(got.vm_name, { leaseId: got.lease_id, wait: true });
    await expect(c.acquire({ pool: 'nope', wait: false })).rejects.toMatchObject({ code: 'POOL_NOT_FOUND' });
    api.metrics.backendCall('qemu', 'stop', 3, true);
    const text = await (await api.app.request('/metrics')).text();
    expect(text).toContain('hvkube_acquires_total');
    const check = spawnSync('promtool', ['check', 'metrics'], { input: text, encoding: 'utf8' });
    expect(`${check.stdout}${check.stderr}`.trim()).toBe('');
    expect(check.status).toBe(0);
  });
});
