/**
 * Hostile input against every route: malformed JSON, wrong types, unknown fields, huge and
 * deeply nested bodies, hostile names in paths and bodies. Every answer is a 4xx in the error
 * shape — never a 500 — and the hypervisor is never called.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApi, type Api } from '../../src/api/app.js';
import type { Hypervisor } from '../../src/hypervisor/hypervisor.js';
import { Orchestrator } from '../../src/orchestrator/orchestrator.js';
import { harness, type Harness } from '../helpers/harness.js';
import { HOSTILE_NAMES } from '../helpers/hostile.js';

/** The same backend, with every method call counted (those of its guest channel too, as `guest.NAME`). */
function counting(hv: Hypervisor): { hv: Hypervisor; calls: string[] } {
  const calls: string[] = [];
  const proxy = new Proxy(hv, {
    get(target, prop, receiver) {
      const value: unknown = Reflect.get(target, prop, receiver);
      if (prop === 'guest' && typeof value === 'object' && value !== null) {
        return new Proxy(value, {
          get(g, name, r) {
            const fn: unknown = Reflect.get(g, name, r);
            if (typeof fn !== 'function') return fn;
            return (...args: unknown[]): unknown => {
              calls.push(`guest.${String(name)}`);
              return (fn as (...a: unknown[]) => unknown).apply(g, args);
            };
          },
        });
      }
      if (typeof value !== 'function') return value;
      return (...args: unknown[]): unknown => {
        calls.push(String(prop));
        return (value as (...a: unknown[]) => unknown).apply(target, args);
      };
    },
  });
  return { hv: proxy, calls };
}

/** A small seeded generator, so a failure can be replayed. */
function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s * 1664525 + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}

const WRONG_VALUES: unknown[] = [null, true, -1, 1.5, 1e308, -0, '', 'x'.repeat(5000), [], [1, 'a'], {}, { $gt: '' }, '../../etc/passwd', '$(reboot)', "'; DROP TABLE vms; --", '\u0000', '💥'];
const MALFORMED = ['{', '{"pool_name":', '[1,2', 'nul', '{"a":1}}', '\u0000', '{"__proto__": {"polluted": 1}', "{'single': 1}", '{"a": NaN}', ' '];

let h: Harness;
let api: Api;
let calls: string[];
let vm: string;

beforeAll(async () => {
  h = await harness();
  await h.pool('p', 1);
  vm = (await h.orch.listVms())[0]!.name;
  const counted = counting(h.hv);
  calls = counted.calls;
  // An orchestrator over the same store, whose every hypervisor call is counted.
  const orch = new Orchestrator({ store: h.store, hypervisor: counted.hv });
  api = createApi({ orchestrator: orch, maxBodyBytes: 64 * 1024 });
});
afterAll(async () => {
  await api.close();
  await h.close();
});

type Route = { method: string; path: string; fields: string[] };

/** Each route with a valid-looking target and the body fields it accepts. */
function routes(name: string): Route[] {
  const n = encodeURIComponent(name);
  return [
    { method: 'POST', path: '/api/v1/templates', fields: ['name', 'diskPath', 'memoryMb', 'cpus', 'probes', 'mcp', 'boot', 'software'] },
    { method: 'GET', path: `/api/v1/templates/${n}`, fields: [] },
    { method: 'DELETE', path: `/api/v1/templates/${n}`, fields: [] },
    { method: 'POST', path: '/api/v1/pools', fields: ['name', 'template', 'desired', 'warm', 'hot', 'releasePolicy'] },
    { method: 'GET', path: `/api/v1/pools/${n}`, fields: [] },
    { method: 'POST', path: `/api/v1/pools/${n}/scale`, fields: ['desired', 'warm', 'hot'] },
    { method: 'POST', path: `/api/v1/pools/${n}/provision`, fields: [] },
    { method: 'DELETE', path: `/api/v1/pools/${n}`, fields: [] },
    { method: 'GET', path: `/api/v1/vms/${n}`, fields: [] },
    { method: 'POST', path: `/api/v1/vms/${n}/resume`, fields: [] },
    { method: 'POST', path: `/api/v1/vms/${n}/save`, fields: [] },
    { method: 'POST', path: `/api/v1/vms/${n}/reset`, fields: ['force'] },
    { method: 'POST', path: `/api/v1/vms/${n}/stop`, fields: ['force'] },
    { method: 'DELETE', path: `/api/v1/vms/${n}`, fields: [] },
    { method: 'GET', path: `/api/v1/vms/${n}/screenshot`, fields: [] },
    { method: 'POST', path: `/api/v1/vms/${n}/type`, fields: ['text'] },
    { method: 'POST', path: `/api/v1/vms/${n}/keys`, fields: ['chords'] },
    { method: 'POST', path: `/api/v1/vms/${n}/click`, fields: ['x', 'y', 'button', 'double'] },
    { method: 'GET', path: `/api/v1/vms/${n}/console`, fields: [] },
    { method: 'POST', path: `/api/v1/vms/${n}/actions`, fields: ['format', 'actions', 'screenshot', 'display', 'call_id', 'lease_id'] },
    { method: 'POST', path: `/api/v1/vms/${n}/mouse-button`, fields: ['button', 'down', 'x', 'y', 'lease_id'] },
    { method: 'POST', path: `/api/v1/vms/${n}/key-state`, fields: ['keys', 'down', 'lease_id'] },
    { method: 'GET', path: `/api/v1/vms/${n}/screen`, fields: [] },
    { method: 'POST', path: `/api/v1/vms/${n}/release`, fields: ['policy', 'lease_id'] },
    { method: 'POST', path: `/api/v1/vms/${n}/renew`, fields: ['lease_id', 'ttl_s'] },
    { method: 'POST', path: '/api/v1/acquire', fields: ['pool_name', 'timeout_s', 'wait', 'lease_ttl_s'] },
    { method: 'POST', path: '/api/v1/reconcile', fields: ['removeOrphans'] },
  ];
}

async function expectRefused(method: string, path: string, init: { body?: string; headers?: Record<string, string> }): Promise<void> {
  const res = await api.app.request(path, { method, headers: { 'content-type': 'application/json', ...init.headers }, body: init.body });
  const label = `${method} ${path} ${(init.body ?? '').slice(0, 80)}`;
  expect(res.status, label).toBeGreaterThanOrEqual(400);
  expect(res.status, label).toBeLessThan(500);
  const body = (await res.json()) as { error: { code: unknown; message: unknown; details: unknown } };
  expect(typeof body.error.code, label).toBe('string');
  expect(typeof body.error.message, label).toBe('string');
  expect(typeof body.error.details, label).toBe('object');
}

/** Every operation of the OpenAPI document, with its path parameters filled in. */
async function documentedRoutes(): Promise<{ method: string; path: string }[]> {
  const doc = (await (await api.app.request('/api/v1/openapi.json')).json()) as { paths: Record<string, Record<string, unknown>> };
  const out: { method: string; path: string }[] = [];
  for (const [p, ops] of Object.entries(doc.paths)) {
    const path = p.replace('{name}', p.startsWith('/api/v1/pools') ? 'p' : p.startsWith('/api/v1/hosts') ? 'local' : vm).replace(/\{[^}]+\}/g, '0');
    for (const method of Object.keys(ops)) out.push({ method: method.toUpperCase(), path });
  }
  return out;
}

/** What a request could have changed: the VMs, their leases, the pools, the events table. */
async function stateOf(): Promise<string> {
  const vms = (await h.store.listVms()).map((v) => [v.name, v.state, v.lease?.id ?? null]);
  const pools = (await h.store.listPools()).map((p) => [p.name, p.desired, p.warm, p.hot]);
  return JSON.stringify({ vms, pools, events: (await h.store.listEvents({ limit: 10_000 })).length, templates: (await h.store.listTemplates()).length });
}

describe('API fuzz: what a web page can send', () => {
  it('foreign Host and Origin headers on every documented route: refused, nothing changes', async () => {
    const before = await stateOf();
    const routes = await documentedRoutes();
    expect(routes.length).toBeGreaterThan(20);
    const variants: { headers: Record<string, string>; code: string }[] = [
      { headers: { host: 'evil.example:8080', origin: 'http://evil.example:8080' }, code: 'FORBIDDEN_HOST' },
      { headers: { host: 'attacker.test' }, code: 'FORBIDDEN_HOST' },
      { headers: { host: '127.0.0.1:8080', origin: 'http://evil.example' }, code: 'FORBIDDEN_ORIGIN' },
      { headers: { host: 'localhost:8080', origin: 'null' }, code: 'FORBIDDEN_ORIGIN' },
    ];
    for (const r of routes) {
      for (const v of variants) {
        const body = r.method === 'GET' ? undefined : JSON.stringify({ pool_name: 'p', desired: 0, force: true, policy: 'destroy' });
        const res = await api.app.request(`http://127.0.0.1:8080${r.path}`, { method: r.method, headers: { 'content-type': 'application/json', ...v.headers }, body });
        expect(res.status, `${r.method} ${r.path} ${JSON.stringify(v.headers)}`).toBe(403);
        expect(((await res.json()) as { error: { code: string } }).error.code).toBe(v.code);
      }
    }
    expect(await stateOf()).toBe(before);
    expect(calls).toEqual([]);
  });

  it('body-less state-changing requests without the JSON media type on every documented route: 415, nothing changes', async () => {
    const before = await stateOf();
    const routes = (await documentedRoutes()).filter((r) => r.method !== 'GET');
    expect(routes.map((r) => r.path)).toEqual(expect.arrayContaining(['/api/v1/reconcile', '/api/v1/pools/p/provision', `/api/v1/vms/${vm}/release`, `/api/v1/vms/${vm}/stop`]));
    for (const r of routes) {
      for (const headers of [{}, { 'content-type': 'text/plain' }, { 'content-type': 'application/x-www-form-urlencoded' }] as Record<string, string>[]) {
        const res = await api.app.request(r.path, { method: r.method, headers });
        expect(res.status, `${r.method} ${r.path} ${JSON.stringify(headers)}`).toBe(415);
        expect(((await res.json()) as { error: { code: string } }).error.code).toBe('UNSUPPORTED_MEDIA_TYPE');
      }
    }
    expect(await stateOf()).toBe(before);
    expect(calls).toEqual([]);
  });
});

describe('API fuzz: never a 500, never a hypervisor call', () => {
  it('hostile names in every path', async () => {
    for (const bad of HOSTILE_NAMES.filter((n) => n !== '')) {
      for (const r of routes(bad)) {
        if (!r.path.includes(encodeURIComponent(bad))) continue;
        await expectRefused(r.method, r.path, { body: r.method === 'POST' ? '{}' : undefined });
      }
    }
    expect(calls).toEqual([]);
  });

  it('malformed JSON, wrong media types and oversized bodies on every route that takes a body', async () => {
    const huge = JSON.stringify({ text: 'x'.repeat(200 * 1024) });
    const deep = '['.repeat(5000) + ']'.repeat(5000);
    for (const r of routes(vm).filter((x) => x.method === 'POST')) {
      for (const body of MALFORMED) await expectRefused(r.method, r.path, { body });
      await expectRefused(r.method, r.path, { body: huge });
      await expectRefused(r.method, r.path, { body: deep });
      await expectRefused(r.method, r.path, { body: '<xml/>', headers: { 'content-type': 'application/xml' } });
    }
    expect(calls).toEqual([]);
  });

  it('wrong types and unknown fields, randomly combined (seeded), against an existing VM and pool', async () => {
    const rand = rng(20261129);
    const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rand() * xs.length)]!;
    let sent = 0;
    for (let round = 0; round < 40; round++) {
      for (const r of routes(round % 2 ? vm : 'p')) {
        if (r.method !== 'POST' || r.fields.length === 0) continue;
        const body: Record<string, unknown> = {};
        for (const f of r.fields) if (rand() < 0.5) body[f] = pick(WRONG_VALUES);
        // At least one thing is always wrong: a field of a wrong type, or one the route does not know.
        // (These two values fit no field: not a string, number, boolean, list of either, or a probe.)
        body[pick(r.fields)] = pick([{ $gt: '' }, [[1]]]);
        if (rand() < 0.3) body[pick(['constructor', '__proto__', 'prototype', 'admin', 'policy ', 'PoolName'])] = pick(WRONG_VALUES);
        if (r.path.endsWith('/reconcile')) body.removeOrphans = 'yes';
        await expectRefused(r.method, r.path, { body: JSON.stringify(body) });
        sent++;
      }
      for (const q of ['?width=abc', '?width=-5', '?width=99999999', '?width=1e3']) await expectRefused('GET', `/api/v1/vms/${vm}/screenshot${q}`, {});
      for (const q of ['?force=maybe', '?force=1&force=2x']) await expectRefused('DELETE', `/api/v1/vms/${vm}${q}`, {});
      await expectRefused('GET', `/api/v1/events?after=${pick(['-1', 'x', '1e9', ''])}&limit=${pick(['0', '5000', 'all'])}`, {});
    }
    expect(sent).toBeGreaterThan(300);
    expect(calls).toEqual([]);
  });

  it('input that is well-formed but refused by the rules (bad key chords, unknown paths) stops before the hypervisor', async () => {
    for (const chords of [['ctrl+bogus'], ['ctrl+nokey'], ['a'.repeat(64)], Array.from({ length: 101 }, () => 'a')]) {
      await expectRefused('POST', `/api/v1/vms/${vm}/keys`, { body: JSON.stringify({ chords }) });
    }
    await expectRefused('POST', '/api/v1/templates', { body: JSON.stringify({ name: 'ok', diskPath: '/etc/passwd' }) });
    await expectRefused('POST', '/api/v1/templates', { body: JSON.stringify({ name: 'ok', diskPath: '../../x.vhdx' }) });
    await expectRefused('POST', '/api/v1/pools', { body: JSON.stringify({ name: 'q', template: 'missing', desired: 1 }) });
    await expectRefused('POST', '/api/v1/pools', { body: JSON.stringify({ name: 'q', template: 't', desired: 2, warm: 3 }) });
    await expectRefused('POST', `/api/v1/vms/${vm}/release`, { body: JSON.stringify({ policy: 'save' }) });
    await expectRefused('POST', `/api/v1/vms/${vm}/renew`, { body: JSON.stringify({ lease_id: 'nope' }) });
    await expectRefused('GET', '/api/v1/../../etc/passwd', {});
    await expectRefused('PUT', '/api/v1/pools', { body: '{}' });
    expect(calls).toEqual([]);
  });

  it('hostile action lists in every dialect are refused whole, naming the index and field, before the hypervisor', async () => {
    const send = async (format: string, actions: unknown, field: string | null): Promise<void> => {
      const res = await api.app.request(`/api/v1/vms/${vm}/actions`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ format, actions }) });
      const label = `${format} ${JSON.stringify(actions).slice(0, 120)}`;
      expect(res.status, label).toBe(400);
      const body = (await res.json()) as { error: { code: string; message: string; details: { field?: string } } };
      expect(body.error.code, label).toBe('INVALID_INPUT');
      // The field named is that one or a part of it (`keys` or `keys[1]`).
      if (field !== null) expect(body.error.details.field?.startsWith(field), `${label}: ${body.error.details.field}`).toBe(true);
    };
    const ok = { action: 'type', text: 'fine' };
    for (const bad of HOSTILE_NAMES) {
      await send('anthropic', [ok, { action: bad }], 'actions[1].action');
      await send('openai', [{ type: 'type', text: 'fine' }, { type: bad }], 'actions[1].type');
      await send('hvkube', [ok, { action: bad }], 'actions[1].action');
      if (bad.trim() !== '' && !/^[a-z0-9]$/i.test(bad)) {
        // xdotool's key takes chords separated by white space: "a b" is two good chords.
        if (!/^a\sb$/.test(bad)) await send('anthropic', [ok, { action: 'key', text: `ctrl+${bad}` }], 'actions[1].text');
        await send('openai', [{ type: 'keypress', keys: ['CTRL', bad] }], 'actions[0].keys');
        await send('hvkube', [{ action: 'key_down', keys: [bad] }], null);
      }
    }
    const shapes: [string, unknown, string | null][] = [
      ['anthropic', [], null],
      ['anthropic', Array.from({ length: 101 }, () => ok), null],
      ['anthropic', [ok, 'left_click'], 'actions[1]'],
      ['anthropic', [ok, null], 'actions[1]'],
      ['anthropic', [ok, [1, 2]], 'actions[1]'],
      ['anthropic', [{ action: 'left_click', coordinate: [-1, 5] }], 'actions[0].coordinate[0]'],
      ['anthropic', [{ action: 'left_click', coordinate: [1.5, 5] }], 'actions[0].coordinate[0]'],
      ['anthropic', [{ action: 'left_click', coordinate: [1e308, 5] }], 'actions[0].coordinate[0]'],
      ['anthropic', [{ action: 'left_click', coordinate: ['1', 5] }], 'actions[0].coordinate[0]'],
      ['anthropic', [{ action: 'left_click', coordinate: { x: 1, y: 2 } }], 'actions[0].coordinate'],
      ['anthropic', [{ action: 'type', text: 'x'.repeat(10_001) }], 'actions[0].text'],
      ['anthropic', [{ action: 'type', text: { $gt: '' } }], 'actions[0].text'],
      ['anthropic', [{ action: 'wait', duration: 1e9 }], 'actions[0].duration'],
      ['anthropic', [{ action: 'hold_key', text: 'shift', duration: -1 }], 'actions[0].duration'],
      ['anthropic', [{ action: 'scroll', scroll_direction: 'sideways', coordinate: [1, 1] }], 'actions[0].scroll_direction'],
      ['anthropic', [{ action: 'zoom', region: [0, 0, 10] }], 'actions[0].region'],
      ['openai', [{ type: 'drag', path: [{ x: 1, y: 1 }] }], 'actions[0].path'],
      ['openai', [{ type: 'drag', path: Array.from({ length: 101 }, () => ({ x: 1, y: 1 })) }], 'actions[0].path'],
      ['openai', [{ type: 'scroll', x: 1, y: 1, scroll_x: 0, scroll_y: 1e9 }], 'actions[0].scroll_y'],
      ['openai', [{ type: 'click', button: '$(reboot)', x: 1, y: 1 }], 'actions[0].button'],
      ['openai', [{ type: 'keypress', keys: [] }], 'actions[0].keys'],
      ['openai', [{ type: 'keypress', keys: 'CTRL' }], 'actions[0].keys'],
      ['hvkube', [{ action: 'click', x: 1, y: 1, __proto__: { polluted: 1 }, constructor: 1 }], 'actions[0]'],
      ['hvkube', [{ action: 'keys', chords: ["'; DROP TABLE vms; --"] }], 'actions[0].chords[0]'],
      ['hvkube', [{ action: 'hold', chord: 'ctrl', duration_ms: 60_001 }], 'actions[0].duration_ms'],
      ['hvkube', [{ action: 'drag', path: [{ x: 0, y: 0 }, { x: 1, y: 1 }], steps: 1000 }], 'actions[0].steps'],
    ];
    for (const [format, actions, field] of shapes) await send(format, actions, field);
    for (const format of ['', 'Anthropic', 'xdotool', '$(reboot)', null, 1]) {
      const res = await api.app.request(`/api/v1/vms/${vm}/actions`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ format, actions: [ok] }) });
      expect(res.status).toBe(400);
    }
    for (const keys of [['ctrl+bogus'], ['$(whoami)'], ['ctrl+a'], []]) await expectRefused('POST', `/api/v1/vms/${vm}/key-state`, { body: JSON.stringify({ keys, down: true }) });
    await expectRefused('POST', `/api/v1/vms/${vm}/mouse-button`, { body: JSON.stringify({ down: true, button: 'back' }) });
    await expectRefused('POST', `/api/v1/vms/${vm}/mouse-button`, { body: JSON.stringify({ down: 'yes' }) });
    expect(calls).toEqual([]);
  });
});
