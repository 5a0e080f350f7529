/**
 * The HTTP API in-process (no socket): routes, the error shape, auth, the OpenAPI document,
 * event streaming with Last-Event-ID, metrics and lease expiry.
 */
import SwaggerParser from '@apidevtools/swagger-parser';
import { Writable } from 'node:stream';
import { pino } from 'pino';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createApi, type Api } from '../../src/api/app.js';
import { HvkubeClient, type LiveEvent } from '../../src/client/client.js';
import { HvkubeError } from '../../src/domain/errors.js';
import { harness, type Harness } from '../helpers/harness.js';

const TOKEN = 'tok-' + 'x'.repeat(28);
let h: Harness;
let api: Api;
let logs: string;

function makeApi(tokens: string[] = []): Api {
  logs = '';
  const sink = new Writable({
    write(chunk: Buffer, _enc, cb) {
      logs += chunk.toString();
      cb();
    },
  });
  return createApi({ orchestrator: h.orch, tokens, logger: pino({ level: 'debug' }, sink) });
}

const json = (method: string, body?: unknown, headers: Record<string, string> = {}): RequestInit => ({
  method,
  headers: { 'content-type': 'application/json', ...headers },
  body: body === undefined ? undefined : JSON.stringify(body),
});

function clientFor(a: Api, token?: string): HvkubeClient {
  return new HvkubeClient({ url: 'http://127.0.0.1:8080', token, fetch: (input, init) => a.app.request(input, init) });
}

beforeEach(async () => {
  h = await harness();
});
afterEach(async () => {
  await api?.close();
  await h.close();
});

describe('API: resources through the typed client', () => {
  it('drives a VM\'s lifecycle: resume and save, and reset and stop refuse a VM in use unless forced', async () => {
    api = makeApi();
    const c = clientFor(api);
    await h.pool('p', 2);
    const [a, b] = (await c.listVms({ pool: 'p' })).map((v) => v.name);
    if (!a || !b) throw new Error('no VMs');
    expect((await c.resumeVm(a)).state).toBe('running');
    expect((await c.saveVm(a)).state).toBe('saved');
    const held = await c.acquire({ pool: 'p' });
    await expect(c.resetVm(held.vm_name)).rejects.toMatchObject({ code: 'VM_LEASED' });
    expect((await c.resetVm(held.vm_name, { force: true })).state).toBe('saved');
    const again = await c.acquire({ pool: 'p' });
    await expect(c.stopVm(again.vm_name)).rejects.toMatchObject({ code: 'VM_LEASED' });
    expect((await c.stopVm(again.vm_name, { force: true })).state).toBe('off');
    const bad = await api.app.request(`/api/v1/vms/${a}/save`, json('POST', { force: true }));
    expect(bad.status).toBe(400);
  });

  it('template → pool → provision → acquire → renew → release, answers in the plan shape', async () => {
    api = makeApi();
    const c = clientFor(api);
    await c.registerTemplate({ name: 'win', diskPath: h.image, memoryMb: 512, cpus: 1 });
    expect((await c.listTemplates()).map((t) => t.name)).toEqual(['win']);
    await c.createPool({ name: 'p', template: 'win', desired: 2 });
    const report = await c.provisionPool('p');
    expect(report.provisioned).toHaveLength(2);
    expect((await c.getPool('p')).ready).toBe(2);

    const got = await c.acquire({ pool: 'p' });
    expect(Object.keys(got).sort()).toEqual(
      ['display', 'hot', 'ip_address', 'lease_expires_at', 'lease_id', 'mcp_endpoint', 'rdp_port', 'resume_ms', 'vm_name', 'wait_ms'].sort(),
    );
    expect(got.vm_name).toMatch(/^hvk-p-/);
    // API leases always expire: 600 s by default.
    const ttl = Date.parse(got.lease_expires_at ?? '') - Date.now();
    expect(ttl).toBeGreaterThan(590_000);
    expect(ttl).toBeLessThanOrEqual(600_000);
    const renewed = await c.renewLease(got.vm_name, got.lease_id, 3600);
    expect(Date.parse(renewed.lease?.expiresAt ?? '') - Date.now()).toBeGreaterThan(3590_000);

    const png = await c.screenshot(got.vm_name);
    expect(Buffer.from(png.subarray(0, 8)).toString('hex')).toBe('89504e470d0a1a0a');
    await c.typeText(got.vm_name, 'hi');
    await c.pressKeys(got.vm_name, ['ctrl+l']);
    await c.click(got.vm_name, 10, 10, { button: 'left' });

    const rel = await c.release(got.vm_name, { leaseId: got.lease_id, wait: true });
    expect(rel).toEqual({ vm_name: got.vm_name, policy: 'reset', state: 'saved' });
    const vms = await c.listVms({ pool: 'p' });
    expect(vms.every((v) => v.state === 'saved' && v.lease === null)).toBe(true);
  });

  it('release answers at once without ?wait, and shutdown waits for the VM to be back', async () => {
    api = makeApi();
    await h.pool('p', 1);
    const c = clientFor(api);
    const got = await c.acquire({ pool: 'p' });
    const rel = await c.release(got.vm_name, { policy: 'save' });
    expect(['saving', 'saved']).toContain(rel.state);
    api.lifecycle.beginDrain();
    expect(await api.lifecycle.settled(5000)).toBe(true);
    expect((await h.orch.getVm(got.vm_name)).state).toBe('saved');
  });

  it('errors keep their codes across the wire (the client throws the same HvkubeError)', async () => {
    api = makeApi();
    const c = clientFor(api);
    await expect(c.getPool('nope')).rejects.toMatchObject({ code: 'POOL_NOT_FOUND' });
    await h.pool('p', 1);
    const got = await c.acquire({ pool: 'p' });
    const busy = await c.acquire({ pool: 'p', wait: false }).catch((e: unknown) => e);
    expect(busy).toBeInstanceOf(HvkubeError);
    expect(busy).toMatchObject({ code: 'NO_VM_AVAILABLE' });
    await expect(c.release(got.vm_name, { leaseId: 'someone-else' })).rejects.toMatchObject({ code: 'LEASE_MISMATCH' });
    await expect(c.removePool('p')).rejects.toMatchObject({ code: 'VM_LEASED' });
  });

  it('maps codes to statuses: 400, 404, 409, 503, always as {error: {code, message, details}}', async () => {
    api = makeApi();
    await h.pool('p', 1);
    const cases: [string, RequestInit, number, string][] = [
      ['/api/v1/acquire', json('POST', { pool_name: 5 }), 400, 'INVALID_INPUT'],
      ['/api/v1/pools/nope', { method: 'GET' }, 404, 'POOL_NOT_FOUND'],
      ['/api/v1/templates', json('POST', { name: 't', diskPath: h.image }), 409, 'TEMPLATE_EXISTS'],
      ['/api/v1/acquire', json('POST', { pool_name: 'p', wait: false }), 200, ''],
      ['/api/v1/acquire', json('POST', { pool_name: 'p', wait: false }), 503, 'NO_VM_AVAILABLE'],
      ['/api/v1/nowhere', { method: 'GET' }, 404, 'NOT_FOUND'],
    ];
    for (const [path, init, status, code] of cases) {
      const res = await api.app.request(path, init);
      expect(res.status, path).toBe(status);
      if (status === 200) continue;
      const body = (await res.json()) as { error: { code: string; message: string; details: unknown } };
      expect(body.error.code).toBe(code);
      expect(typeof body.error.message).toBe('string');
      expect(typeof body.error.details).toBe('object');
    }
  });
});

describe('API: hosts of a fleet', () => {
  it('lists, shows, drains and removes hosts through the typed client, with the API error shape', async () => {
    api = makeApi();
    const c = clientFor(api);
    await h.pool('p', 1);
    expect(await c.listHosts()).toEqual([]);
    await expect(c.getHost('hv01')).rejects.toMatchObject({ code: 'HOST_NOT_FOUND', details: { status: 404 } });
    const bad = await api.app.request('/api/v1/hosts/bad%20name');
    expect(bad.status).toBe(400);
    expect(((await bad.json()) as { error: { code: string } }).error.code).toBe('INVALID_NAME');

    const local = (await h.orch.listVms())[0]!.host;
    const capacity = { memoryMb: 8192, cpus: 4, maxVms: 5 };
    await h.orch.store.registerHost({ name: local, backend: 'fake', capacity, address: 'http://127.0.0.1:1', leaseMs: 10_000 }, null, 'test');
    await h.orch.store.registerHost({ name: 'hv02', backend: 'fake', capacity, address: null, leaseMs: 10_000 }, null, 'test');
    const hosts = await c.listHosts();
    expect(hosts.map((x) => [x.name, x.status, x.totalVms, x.stale]).sort()).toEqual([[local, 'up', 1, false], ['hv02', 'up', 0, false]].sort());
    expect(await c.getHost(local)).toMatchObject({ name: local, capacity, vms: { saved: 1 }, epoch: 1 });

    expect(await c.drainHost('hv02')).toMatchObject({ name: 'hv02', status: 'draining' });
    expect((await c.drainHost('hv02')).status).toBe('draining');
    expect(await c.undrainHost('hv02')).toMatchObject({ name: 'hv02', status: 'up' });
    expect((await c.undrainHost('hv02')).status).toBe('up');
    expect((await c.drainHost('hv02')).status).toBe('draining');
    await expect(c.undrainHost('nohost')).rejects.toMatchObject({ code: 'HOST_NOT_FOUND', details: { status: 404 } });
    // Still heartbeating: refused without force.
    await expect(c.removeHost('hv02')).rejects.toMatchObject({ code: 'VM_INVALID_STATE', details: { status: 409 } });
    expect(await c.removeHost('hv02', { force: true })).toEqual({ removed: 'hv02', vmsForgotten: [] });
    expect((await c.listHosts()).map((x) => x.name)).toEqual([local]);
    const force = await api.app.request(`/api/v1/hosts/${local}?force=maybe`, { method: 'DELETE', headers: { 'content-type': 'application/json' } });
    expect(force.status).toBe(400);
    expect(((await force.json()) as { error: { code: string } }).error.code).toBe('INVALID_INPUT');
  });

  it('a fenced host refuses acquires with 503 HOST_FENCED and details.fenced', async () => {
    api = makeApi();
    await h.pool('p', 1);
    const refuse = (): Promise<never> => Promise.reject(new Error('no remote VMs here'));
    h.orch.attachFleet({
      poolVms: (pool) => h.orch.store.listVms({ pool }),
      placeNew: async () => 0,
      acceptsWork: () => false,
      remote: { resume: refuse, release: refuse, screenshot: refuse, typeText: refuse, pressKeys: refuse, click: refuse, mouseMove: refuse, scroll: refuse, input: refuse, screenSize: refuse },
    });
    try {
      const res = await api.app.request('/api/v1/acquire', json('POST', { pool_name: 'p', wait: false }));
      expect(res.status).toBe(503);
      const body = (await res.json()) as { error: { code: string; details: Record<string, unknown> } };
      expect(body.error.code).toBe('HOST_FENCED');
      expect(body.error.details).toMatchObject({ fenced: true });
      await expect(clientFor(api).acquire({ pool: 'p', wait: false })).rejects.toMatchObject({ code: 'HOST_FENCED', details: { fenced: true } });
    } finally {
      h.orch.attachFleet(null);
    }
  });
});

describe('API: auth', () => {
  it('401 on every route but health without the token; the token never reaches the log', async () => {
    api = makeApi([TOKEN]);
    await h.pool('p', 1);
    const doc = (await (await api.app.request('/api/v1/openapi.json', { headers: { authorization: `Bearer ${TOKEN}` } })).json()) as {
      paths: Record<string, Record<string, unknown>>;
    };
    const routes: [string, string][] = [['GET', '/metrics'], ['GET', '/mcp'], ['POST', '/mcp']];
    for (const [p, methods] of Object.entries(doc.paths)) for (const m of Object.keys(methods)) routes.push([m.toUpperCase(), p.replace(/\{name\}/g, 'x')]);
    expect(routes.length).toBeGreaterThan(20);
    for (const [method, path] of routes) {
      for (const headers of [{} as Record<string, string>, { authorization: 'Bearer wrong-token-of-some-length' }, { authorization: `Basic ${TOKEN}` }, { authorization: `Bearer ${TOKEN}x` }]) {
        const res = await api.app.request(path, { method, headers });
        expect(res.status, `${method} ${path}`).toBe(401);
        expect(((await res.json()) as { error: { code: string } }).error.code).toBe('UNAUTHORIZED');
      }
    }
    for (const path of ['/healthz', '/readyz']) expect((await api.app.request(path)).status).toBe(200);
    // Without a token the challenge says what is missing; MCP clients probing for OAuth metadata get 404.
    const challenge = await api.app.request('/mcp', { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' });
    expect(challenge.headers.get('www-authenticate')).toContain('missing bearer token');
    expect(((await challenge.json()) as { error: { message: string } }).error.message).toContain('missing bearer token');
    for (const path of ['/.well-known/oauth-protected-resource', '/.well-known/oauth-protected-resource/mcp', '/.well-known/oauth-authorization-server']) {
      expect((await api.app.request(path)).status, path).toBe(404);
    }
    const ok = await api.app.request('/api/v1/acquire', json('POST', { pool_name: 'p' }, { authorization: `Bearer ${TOKEN}` }));
    expect(ok.status).toBe(200);
    expect(logs).toContain('"status":401');
    expect(logs).not.toContain(TOKEN);
    expect(logs).not.toContain('x'.repeat(28));
  });
});

describe('API: OpenAPI document', () => {
  it('is a valid OpenAPI 3.1 document that lists every route', async () => {
    api = makeApi();
    const doc = (await (await api.app.request('/api/v1/openapi.json')).json()) as { openapi: string; paths: Record<string, unknown> };
    expect(doc.openapi).toBe('3.1.0');
    await SwaggerParser.validate(structuredClone(doc) as never);
    for (const p of ['/api/v1/acquire', '/api/v1/vms/{name}/release', '/api/v1/vms/{name}/renew', '/api/v1/events', '/api/v1/pools/{name}/scale', '/api/v1/hosts', '/api/v1/hosts/{name}', '/api/v1/hosts/{name}/drain', '/api/v1/hosts/{name}/undrain']) {
      expect(doc.paths).toHaveProperty([p]);
    }
    expect(Object.keys(doc.paths).filter((p) => p.includes('/internal/'))).toEqual([]);
    const docs = await api.app.request('/docs');
    expect(docs.headers.get('content-type')).toMatch(/text\/html/);
    expect(await docs.text()).toContain('/api/v1/openapi.json');
  });

  it('with a token set, /docs, its assets and the document load in a browser without one; the page asks for it', async () => {
    api = makeApi([TOKEN]);
    for (const path of ['/docs', '/docs/swagger-ui.css', '/docs/swagger-ui-bundle.js', '/api/v1/openapi.json']) {
      expect((await api.app.request(path)).status, path).toBe(200);
    }
    const doc = (await (await api.app.request('/api/v1/openapi.json')).json()) as { security: unknown; components: { securitySchemes: Record<string, unknown> } };
    // The document declares the bearer scheme, which gives the page its "Authorize" button.
    expect(doc.security).toEqual([{ bearer: [] }]);
    expect(doc.components.securitySchemes.bearer).toMatchObject({ type: 'http', scheme: 'bearer' });
    // Requests tried from the page carry the JSON media type the server requires.
    expect(await (await api.app.request('/docs')).text()).toContain("req.headers['Content-Type'] = 'application/json'");
    expect((await api.app.request('/api/v1/pools')).status).toBe(401);
  });
});

describe('API: events', () => {
  it('streams new events live, and resumes after Last-Event-ID without gaps or repeats', async () => {
    api = makeApi();
    await h.pool('p', 2);
    const c = clientFor(api);
    const stop = new AbortController();
    const seen: number[] = [];
    const stream = c.events({ signal: stop.signal });
    expect((await stream.next()).value).toMatchObject({ type: 'connected' });
    const got = await c.acquire({ pool: 'p' });
    for (;;) {
      const next: IteratorResult<LiveEvent, unknown> = await stream.next();
      const value = next.done ? undefined : next.value;
      if (value?.type === 'event') seen.push(value.event.id);
      if (value?.type === 'event' && value.event.subject === got.vm_name && value.event.to === 'running') break;
    }
    stop.abort();
    await stream.return(undefined);
    const lastSeen = seen.at(-1) ?? 0;

    await c.release(got.vm_name, { wait: true });
    const all = await c.listEvents({ afterId: lastSeen });
    expect(all.length).toBeGreaterThan(0);
    const res = await api.app.request('/api/v1/events', { headers: { accept: 'text/event-stream', 'last-event-id': String(lastSeen) } });
    expect(res.headers.get('content-type')).toMatch(/text\/event-stream/);
    const reader = res.body!.getReader();
    let text = '';
    const want = all.at(-1)!.id;
    while (!text.includes(`id: ${want}\n`)) text += new TextDecoder().decode((await reader.read()).value);
    await reader.cancel();
    const ids = [...text.matchAll(/^id: (\d+)$/gm)].map((m) => Number(m[1]));
    expect(ids).toEqual(all.map((e) => e.id));
  });
});

describe('API: metrics and health', () => {
  it('exposes resume and acquire-wait histograms, VMs by state, queue depth', async () => {
    api = makeApi();
    await h.pool('p', 2);
    const c = clientFor(api);
    await new Promise((r) => setTimeout(r, 50));
    const got = await c.acquire({ pool: 'p' });
    await c.release(got.vm_name, { wait: true });
    await new Promise((r) => setTimeout(r, 100));
    api.metrics.backendCall('hyperv', 'start-vm', 420, true);
    const text = await (await api.app.request('/metrics')).text();
    expect(text).toMatch(/hvkube_resume_duration_seconds_count\{tier="saved"\} 1/);
    expect(text).toMatch(/hvkube_acquire_wait_seconds_count\{pool="p"\} 1/);
    expect(text).toMatch(/hvkube_vms\{pool="p",state="saved"\} 2/);
    expect(text).toMatch(/hvkube_queue_depth\{pool="p",queue="acquire"\} 0/);
    expect(text).toMatch(/hvkube_hypervisor_call_duration_seconds_count\{backend="hyperv",command="start-vm",outcome="ok"\} 1/);
    expect(text).toMatch(/hvkube_http_request_duration_seconds_count\{method="POST",route="\/api\/v1\/acquire",status="200"\} 1/);
    expect((await api.app.request('/readyz')).status).toBe(200);
    api.lifecycle.beginDrain();
    expect((await api.app.request('/readyz')).status).toBe(503);
    expect((await api.app.request('/healthz')).status).toBe(200);
    expect((await api.app.request('/api/v1/pools')).status).toBe(503);
  });
});

describe('API: leases', () => {
  it('an expired API lease resets the VM and returns it to the pool', async () => {
    api = makeApi();
    await h.pool('p', 1);
    const c = clientFor(api);
    const got = await c.acquire({ pool: 'p', leaseTtlS: 10 });
    // The client "crashed": move its lease into the past instead of waiting 10 s.
    const vm = await h.orch.getVm(got.vm_name);
    await h.store.patchVm(vm.name, { lease: { ...vm.lease!, expiresAt: new Date(Date.now() - 1000).toISOString() } });
    await h.orch.controller.tick();
    await h.orch.controller.idle();
    const after = await h.orch.getVm(got.vm_name);
    expect(after.state).toBe('saved');
    expect(after.lease).toBeNull();
    await expect(c.renewLease(got.vm_name, got.lease_id, 60)).rejects.toMatchObject({ code: 'LEASE_MISMATCH' });
    expect((await c.acquire({ pool: 'p', wait: false })).vm_name).toBe(got.vm_name);
  });

  it('console operations and release with a stale lease answer 409 and reach nothing', async () => {
    api = makeApi();
    await h.pool('p', 1);
    const c = clientFor(api);
    const old = await c.acquire({ pool: 'p' });
    await c.release(old.vm_name, { leaseId: old.lease_id, wait: true });
    const now = await c.acquire({ pool: 'p' });
    expect(now.vm_name).toBe(old.vm_name);
    const vm = old.vm_name;
    const stale = { leaseId: old.lease_id };
    await expect(c.typeText(vm, 'stale', stale)).rejects.toMatchObject({ code: 'LEASE_MISMATCH' });
    await expect(c.pressKeys(vm, ['enter'], stale)).rejects.toMatchObject({ code: 'LEASE_MISMATCH' });
    await expect(c.click(vm, 1, 1, stale)).rejects.toMatchObject({ code: 'LEASE_MISMATCH' });
    await expect(c.screenshot(vm, stale)).rejects.toMatchObject({ code: 'LEASE_MISMATCH' });
    await expect(c.release(vm, stale)).rejects.toMatchObject({ code: 'LEASE_MISMATCH' });
    const raw = await api.app.request(`/api/v1/vms/${vm}/type`, json('POST', { text: 'stale', lease_id: old.lease_id }));
    expect(raw.status).toBe(409);
    expect((await h.hv.screenText(vm)).join('\n')).not.toContain('stale');
    await c.typeText(vm, 'fresh', { leaseId: now.lease_id });
    expect((await h.hv.screenText(vm)).join('\n')).toContain('fresh');
    expect((await h.orch.getVm(vm)).lease?.id).toBe(now.lease_id);
  });
});

describe('API: agents and workflows (served with a scheduler)', () => {
  it('submit → running on a VM → an external worker completes it; workflows listed; errors mapped', async () => {
    const { mkdirSync, writeFileSync } = await import('node:fs');
    const path = await import('node:path');
    const { Scheduler } = await import('../../src/orchestrator/scheduler/index.js');
    mkdirSync(path.join(h.dir, 'workflows'), { recursive: true });
    writeFileSync(path.join(h.dir, 'workflows', 'ext.json'), JSON.stringify({ name: 'ext', executor: 'external', description: 'done by a worker' }));
    await h.pool('p', 1);
    const scheduler = new Scheduler({ orchestrator: h.orch, dataDir: h.dir, pollIntervalMs: 50 });
    await scheduler.start();
    try {
      api = createApi({ orchestrator: h.orch, scheduler });
      const c = clientFor(api);
      expect((await c.listWorkflows()).map((w) => [w.name, w.executor])).toEqual([['ext', 'external']]);
      await expect(c.submitAgent({ pool: 'p', workflow: 'missing' })).rejects.toMatchObject({ code: 'WORKFLOW_NOT_FOUND' });
      await expect(c.getAgent('agt-000000000000000000')).rejects.toMatchObject({ code: 'AGENT_NOT_FOUND' });
      expect((await api.app.request('/api/v1/agents/..%2Fetc')).status).toBe(400);

      const agent = await c.submitAgent({ pool: 'p', workflow: 'ext', input: {} });
      expect(agent.status).toBe('pending');
      let now = agent;
      for (let i = 0; i < 100 && now.status !== 'running'; i++) {
        await new Promise((r) => setTimeout(r, 50));
        now = await c.getAgent(agent.id);
      }
      expect(now.status).toBe('running');
      expect(now.vm).toMatch(/^hvk-p-/);
      const done = await c.completeAgent(agent.id, { answer: 42 });
      expect(done.status).toBe('completed');
      expect((await c.listAgents({ status: 'completed' })).map((a) => a.id)).toEqual([agent.id]);
      await expect(c.cancelAgent(agent.id)).rejects.toMatchObject({ code: 'AGENT_INVALID_STATE' });
      // An existing agent without that screenshot: the artifact is missing, not the agent.
      const shot = await api.app.request(`/api/v1/agents/${agent.id}/artifacts/7`);
      expect(shot.status).toBe(404);
      expect(((await shot.json()) as { error: { code: string } }).error.code).toBe('ARTIFACT_NOT_FOUND');
      // Agent input nested thousands of levels deep is refused before any parser recurses into it.
      const deep = `{"pool":"p","workflow":"ext","input":{"a":${'['.repeat(5000)}${']'.repeat(5000)}}}`;
      const nested = await api.app.request('/api/v1/agents', { method: 'POST', headers: { 'content-type': 'application/json' }, body: deep });
      expect(nested.status).toBe(400);
      const refusal = ((await nested.json()) as { error: { code: string; message: string } }).error;
      expect(refusal.code).toBe('INVALID_INPUT');
      expect(refusal.message).toContain('nests JSON');
      expect((await c.listAgents()).map((a) => a.id)).toEqual([agent.id]);
      const doc = (await (await api.app.request('/api/v1/openapi.json')).json()) as { paths: Record<string, unknown> };
      expect(doc.paths).toHaveProperty(['/api/v1/agents/{id}/complete']);
      await SwaggerParser.validate(structuredClone(doc) as never);
    } finally {
      await scheduler.stop();
    }
  });
});
