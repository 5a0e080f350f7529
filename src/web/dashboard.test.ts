import { Script } from 'node:vm';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Agent } from '../domain/types.js';
import { harness, type Harness } from '../../test/helpers/harness.js';
import type { AgentsPort } from '../mcp/agents.js';
import { APP_JS } from './assets/index.js';
import { createDashboard, type Dashboard } from './dashboard.js';

const HOSTILE = '<script>alert("x")</script>&<img src=x onerror=alert(1)>';

let h: Harness;
let dash: Dashboard;

beforeEach(async () => {
  h = await harness();
  await h.pool('p', 2);
});
afterEach(async () => {
  dash?.close();
  await h.close();
});

const get = async (path: string): Promise<{ status: number; text: string; headers: Headers }> => {
  const r = await dash.app.request(path);
  return { status: r.status, text: await r.text(), headers: r.headers };
};

function agent(id: string, status: Agent['status']): Agent {
  return {
    id,
    pool: 'p',
    task: { workflow: HOSTILE, input: {}, needsGpu: false, timeoutS: null, retries: 0 },
    priority: 0,
    status,
    vm: null,
    attempts: 0,
    submittedAt: new Date().toISOString(),
    startedAt: null,
    endedAt: status === 'failed' ? new Date().toISOString() : null,
    deadlineAt: null,
    result:
      status === 'failed'
        ? {
            success: false,
            output: null,
            error: HOSTILE,
            screenshots: ['artifacts/a/0.png'],
            durationMs: 1200,
            vm: null,
            timings: { queuedMs: 5, resumeMs: 3, runMs: 1100, releaseMs: 9 },
          }
        : null,
  };
}

const stubAgents: AgentsPort = {
  submit: () => Promise.reject(new Error('not here')),
  get: () => Promise.reject(new Error('not here')),
  queued: async () => [agent('agt-queued00000001', 'pending')],
  ended: async () => [agent('agt-failed00000002', 'failed')],
  cancel: () => Promise.reject(new Error('not here')),
  workflows: async () => [{ name: 'greet', description: HOSTILE }],
};

describe('dashboard', () => {
  it('serves page shells without data, with a strict content security policy', async () => {
    dash = createDashboard({ orchestrator: h.orch });
    const home = await get('/');
    expect(home.status).toBe(200);
    expect(home.text.startsWith('<!DOCTYPE html>')).toBe(true);
    expect(home.text).not.toContain('hvk-p-');
    expect(home.headers.get('content-security-policy')).toContain("script-src 'self'");
    expect(dash.publicPaths).toEqual(['/', '/vm', '/ui/app.css', '/ui/app.js']);
    const vmPage = await get(`/vm?name=${encodeURIComponent(HOSTILE)}`);
    expect(vmPage.text).not.toContain('<script>alert');
    expect(vmPage.text).toContain('&lt;script&gt;');
    expect((await get('/ui/app.js')).headers.get('content-type')).toMatch(/^text\/javascript/);
  });

  it('marks a pool whose resets are cold boots (GPU on a backend without GPU checkpoints), and only that one', async () => {
    await h.close();
    h = await harness({ fake: { gpuCheckpoints: false } });
    await h.orch.registerTemplate({ name: 'gpu', diskPath: h.image, memoryMb: 512, cpus: 1, gpu: true });
    await h.orch.createPool({ name: 'g', template: 'gpu', desired: 0 });
    await h.pool('p', 1);
    dash = createDashboard({ orchestrator: h.orch });
    const pools = (await get('/ui/f/pools')).text;
    const row = (name: string): string => pools.slice(pools.indexOf(`<tr data-pool="${name}"`)).split('</tr>')[0]!;
    expect(row('g')).toContain('cold-boot resets');
    expect(row('p')).not.toContain('cold-boot');
  });

  it('renders pools and VMs, escaping whatever users put in (holder, errors)', async () => {
    dash = createDashboard({ orchestrator: h.orch });
    const { vm } = await h.orch.acquire({ pool: 'p', holder: HOSTILE });
    const vms = await get('/ui/f/vms');
    expect(vms.text).toContain(`data-vm="${vm.name}"`);
    expect(vms.text).toContain(`data-thumb="${vm.name}"`);
    expect(vms.text).not.toContain('<script>alert');
    expect(vms.text).not.toContain('<img src=x');
    expect(vms.text).toContain('&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;&amp;');
    const pools = await get('/ui/f/pools');
    expect(pools.text).toContain('data-pool="p"');
    expect(pools.text).toMatch(/<progress value="2" max="2">/);
    const detail = await get(`/ui/f/vm?name=${vm.name}`);
    expect(detail.text).toContain('data-screen="1"');
    // One host: no host on the cards. A fleet: each card says where its VM lives.
    expect(vms.text).not.toContain('<dt>host</dt>');
    await h.orch.store.insertVm({ ...vm, name: 'remote-1', host: 'hv02', state: 'saved', lease: null }, { actor: 'test', action: 'create' });
    const fleet = (await get('/ui/f/vms')).text;
    const card = (name: string): string => fleet.slice(fleet.indexOf(`data-vm="${name}"`)).split('</article>')[0]!;
    expect(card('remote-1')).toContain('<dt>host</dt><dd>hv02</dd>');
    expect(card(vm.name)).toContain(`<dt>host</dt><dd>${vm.host}</dd>`);
  });

  it('answers a fragment error with the reason, escaped, and the status', async () => {
    dash = createDashboard({ orchestrator: h.orch });
    const missing = await get('/ui/f/vm?name=hvk-nope');
    expect(missing.status).toBe(404);
    expect(missing.text).toMatch(/<p class="bad">VM .*hvk-nope.* does not exist/);
    const bad = await get(`/ui/f/vm?name=${encodeURIComponent(HOSTILE)}`);
    expect(bad.status).toBe(400);
    expect(bad.text).not.toContain('<script>alert');
  });

  it('shows the agent queue from the scheduler, or says agents are off', async () => {
    dash = createDashboard({ orchestrator: h.orch });
    expect((await get('/ui/f/agents')).text).toContain('not enabled');
    dash.close();
    dash = createDashboard({ orchestrator: h.orch, agents: stubAgents });
    const text = (await get('/ui/f/agents')).text;
    expect(text).toContain('data-agent="agt-queued00000001"');
    expect(text).toContain('data-action="cancel-agent"');
    expect(text).toContain('data-action="artifact"');
    expect(text).toContain('<option value="greet"');
    expect(text).not.toContain('<script>alert');
    // Only the agent still queued can be cancelled.
    expect(text.match(/data-action="cancel-agent"/g)).toHaveLength(1);
  });

  it('charts resume times read from the events table', async () => {
    dash = createDashboard({ orchestrator: h.orch });
    for (let i = 0; i < 3; i++) {
      const r = await h.orch.acquire({ pool: 'p' });
      await (
        await h.orch.release(r.vm.name)
      ).done;
    }
    const charts = (await get('/ui/f/charts')).text;
    expect(charts).toContain('Resume time, last 3 per pool');
    expect(charts.match(/<circle /g)?.length).toBeGreaterThanOrEqual(4);
  });

  it('shows the hosts of a fleet, escaped, and nothing for a single host without host rows', async () => {
    dash = createDashboard({ orchestrator: h.orch });
    const home = await get('/');
    expect(home.text).toMatch(/<section class="panel" id="hosts-panel" hidden="">/);
    const none = await get('/ui/f/hosts');
    expect(none.status).toBe(200);
    expect(none.text).toBe('');

    const local = (await h.orch.listVms())[0]!.host;
    const capacity = { memoryMb: 16_384, cpus: 8, maxVms: 6 };
    await h.orch.store.registerHost(
      {
        name: local,
        backend: HOSTILE,
        capacity,
        address: `http://${HOSTILE}:8080`,
        leaseMs: 10_000,
      },
      null,
      'test',
    );
    await h.orch.store.registerHost(
      {
        name: 'hv02',
        backend: 'qemu',
        capacity: { ...capacity, maxVms: 3 },
        address: null,
        leaseMs: 10_000,
      },
      null,
      'test',
    );
    await h.orch.store.setHostStatus('hv02', { from: ['up'], to: 'draining', actor: 'test' });

    const text = (await get('/ui/f/hosts')).text;
    expect(text).toContain(`data-host="${local}"`);
    expect(text).toContain('data-host="hv02"');
    expect(text).not.toContain('<script>alert');
    expect(text).not.toContain('<img src=x');
    expect(text).toContain('&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;&amp;');
    const row = (name: string): string =>
      text.slice(text.indexOf(`data-host="${name}"`)).split('</tr>')[0]!;
    // Status, heartbeat age, VMs on the host (the pool's two), capacity.
    expect(row(local)).toMatch(/>up</);
    expect(row(local)).toMatch(/\d+ ms ago|\d+\.\d+ s ago/);
    expect(row(local)).toMatch(/<td class="num">2<\/td>/);
    expect(row(local)).toContain('8 CPUs, 16 GB');
    expect(row('hv02')).toMatch(/>draining</);
    expect(row('hv02')).toMatch(/<td class="num">0<\/td>/);
    expect(row('hv02')).toMatch(/<td class="num">3<div/);
  });

  it('ships a client script that parses and renders only server HTML into the page', () => {
    expect(() => new Script(APP_JS)).not.toThrow();
    // innerHTML is used once, for fragments the server rendered and escaped; the rest is textContent.
    expect(APP_JS.match(/innerHTML/g)).toHaveLength(1);
    expect(APP_JS).not.toMatch(/localStorage|document\.cookie|eval\(/);
  });
});
