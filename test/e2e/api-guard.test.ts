/**
 * What a web page can make a visitor's browser send to a server on 127.0.0.1, over a real
 * socket: a re-pointed name (DNS rebinding) in Host and Origin, a cross-site Origin, a body-less
 * `no-cors` POST. None is served, none changes state. And an oversized body is answered with a
 * 413 that every client receives.
 */
import { request as httpRequest } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApi } from '../../src/api/app.js';
import { startApiServer, type ApiServer } from '../../src/api/server.js';
import { harness, type Harness } from '../helpers/harness.js';

interface Answer {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

/** One request with exactly these headers (fetch would not let a test choose Host). */
function send(url: string, method: string, path: string, headers: Record<string, string>, body?: string): Promise<Answer> {
  const u = new URL(url);
  return new Promise((resolve, reject) => {
    const req = httpRequest({ host: u.hostname, port: u.port, method, path, headers: { ...headers, ...(body !== undefined ? { 'content-length': String(Buffer.byteLength(body)) } : {}) } }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      // An event stream that was accepted would never end: the first bytes are enough.
      res.on('data', (chunk: string) => {
        text += chunk;
        if (res.headers['content-type']?.includes('text/event-stream')) res.destroy();
      });
      res.on('close', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: text }));
    });
    req.on('error', reject);
    req.end(body);
  });
}

const codeOf = (a: Answer): string | undefined => {
  try {
    return (JSON.parse(a.body) as { error?: { code?: string } }).error?.code;
  } catch {
    return undefined;
  }
};

let h: Harness;
let server: ApiServer;
let port: number;
let vm: string;

/** Every route a page could aim at, of every face. */
const ROUTES: [string, string][] = [
  ['GET', '/'],
  ['GET', '/vms'],
  ['GET', '/docs'],
  ['GET', '/docs/swagger-ui.css'],
  ['GET', '/api/v1/openapi.json'],
  ['GET', '/metrics'],
  ['GET', '/healthz'],
  ['GET', '/api/v1/vms'],
  ['GET', '/api/v1/events'],
  ['POST', '/api/v1/acquire'],
  ['POST', '/api/v1/reconcile'],
  ['POST', '/mcp'],
  ['GET', '/mcp'],
];

async function snapshot(): Promise<string> {
  const vms = await h.orch.listVms();
  const events = await h.store.listEvents({ limit: 1000 });
  return JSON.stringify({ vms: vms.map((v) => [v.name, v.state, v.lease?.id ?? null]), events: events.length });
}

beforeAll(async () => {
  h = await harness();
  await h.pool('p', 2);
  vm = (await h.orch.listVms())[0]!.name;
  server = await startApiServer({ orchestrator: h.orch, listen: '127.0.0.1:0', allowedHosts: ['desk.example'] });
  port = server.address.port;
});
afterAll(async () => {
  await server?.close();
  await h?.close();
});

describe('a server on loopback and the pages of other sites', () => {
  it('refuses a rebound name in Host on every route, and nothing changes', async () => {
    const before = await snapshot();
    for (const [method, path] of ROUTES) {
      for (const host of [`evil.example:${port}`, 'evil.example', `127.0.0.1.evil.example:${port}`, `localhost.:${port}`]) {
        const body = method === 'POST' ? JSON.stringify({ pool_name: 'p', wait: false }) : undefined;
        const a = await send(server.url, method, path, { host, origin: `http://${host}`, 'content-type': 'application/json' }, body);
        expect(a.status, `${method} ${path} Host ${host}`).toBe(403);
        expect(codeOf(a), `${method} ${path} Host ${host}`).toBe('FORBIDDEN_HOST');
      }
    }
    // Not a host at all: refused before any route (by the HTTP layer or the guard).
    const odd = await send(server.url, 'POST', '/api/v1/acquire', { host: `user@127.0.0.1:${port}`, 'content-type': 'application/json' }, '{"pool_name":"p"}');
    expect([400, 403]).toContain(odd.status);
    expect(await snapshot()).toBe(before);
  });

  it('refuses a foreign Origin on every route, also with a loopback Host', async () => {
    const before = await snapshot();
    for (const [method, path] of ROUTES) {
      for (const origin of ['http://evil.example', `http://evil.example:${port}`, 'null', `http://localhost:${port + 1}`, `https://127.0.0.1:${port}`]) {
        const a = await send(server.url, method, path, { host: `127.0.0.1:${port}`, origin, 'content-type': 'application/json' }, method === 'POST' ? '{}' : undefined);
        expect(a.status, `${method} ${path} Origin ${origin}`).toBe(403);
        expect(codeOf(a)).toBe('FORBIDDEN_ORIGIN');
      }
    }
    expect(await snapshot()).toBe(before);
  });

  it('serves loopback names and literals, its own origin and the allowed hosts', async () => {
    for (const host of [`127.0.0.1:${port}`, `localhost:${port}`, `LOCALHOST:${port}`, `[::1]:${port}`, `127.0.0.2:${port}`, `desk.example:${port}`, 'desk.example']) {
      const a = await send(server.url, 'GET', '/api/v1/pools', { host });
      expect(a.status, host).toBe(200);
    }
    for (const [host, origin] of [
      [`127.0.0.1:${port}`, `http://127.0.0.1:${port}`],
      [`localhost:${port}`, `http://localhost:${port}`],
      [`127.0.0.1:${port}`, 'https://desk.example'],
    ] as const) {
      const a = await send(server.url, 'POST', `/api/v1/pools/p/scale`, { host, origin, 'content-type': 'application/json' }, JSON.stringify({ desired: 2 }));
      expect(a.status, `${host} ${origin}`).toBe(200);
    }
  });

  it('a body-less POST without the JSON media type (a no-cors fetch, a form) changes nothing', async () => {
    const before = await snapshot();
    const paths = ['/api/v1/reconcile', '/api/v1/pools/p/provision', `/api/v1/vms/${vm}/release`, `/api/v1/vms/${vm}/stop`, `/api/v1/vms/${vm}/resume`, '/api/v1/acquire', '/mcp'];
    for (const path of paths) {
      for (const type of [undefined, 'text/plain', 'application/x-www-form-urlencoded', 'multipart/form-data; boundary=x', 'application/jsonx']) {
        const a = await send(server.url, 'POST', path, { host: `127.0.0.1:${port}`, ...(type ? { 'content-type': type } : {}) }, type ? '{"pool_name":"p"}' : undefined);
        expect(a.status, `${path} ${type}`).toBe(415);
        expect(codeOf(a)).toBe('UNSUPPORTED_MEDIA_TYPE');
        expect((JSON.parse(a.body) as { error: { message: string } }).error.message).toContain('Content-Type: application/json');
      }
    }
    expect(await snapshot()).toBe(before);
    // With the media type, an empty body is an empty object: the route answers for itself.
    const ok = await send(server.url, 'POST', '/api/v1/pools/p/provision', { host: `127.0.0.1:${port}`, 'content-type': 'application/json; charset=utf-8' });
    expect(ok.status).toBe(200);
  });

  it('answers a body over the limit with a 413 every fetch receives and closes the connection; refuses deep nesting on every face', async () => {
    const big = JSON.stringify({ pool_name: 'p', pad: 'x'.repeat(2 * 1024 * 1024) });
    for (let i = 0; i < 20; i++) {
      const res = await fetch(`${server.url}/api/v1/acquire`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: big });
      expect(res.status).toBe(413);
      expect(res.headers.get('connection')).toBe('close');
      expect(((await res.json()) as { error: { code: string } }).error.code).toBe('BODY_TOO_LARGE');
    }
    // Sent in chunks, without a length: the same answer.
    const chunked = new ReadableStream<Uint8Array>({
      start(controller) {
        for (let i = 0; i < 40; i++) controller.enqueue(new Uint8Array(64 * 1024).fill(0x20));
        controller.close();
      },
    });
    const res = await fetch(`${server.url}/api/v1/acquire`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: chunked, duplex: 'half' } as RequestInit);
    expect(res.status).toBe(413);
    // Deep nesting is refused on every face that takes JSON, MCP included.
    for (const path of ['/mcp', '/api/v1/acquire']) {
      const deep = await fetch(`${server.url}${path}`, { method: 'POST', headers: { 'content-type': 'application/json', accept: 'application/json, text/event-stream' }, body: `{"jsonrpc":"2.0","id":1,"method":"initialize","params":${'['.repeat(5000)}${']'.repeat(5000)}}` });
      expect(deep.status, path).toBe(400);
      expect(((await deep.json()) as { error: { message: string } }).error.message).toContain('nests JSON');
    }
    // The server is still fine afterwards.
    expect((await fetch(`${server.url}/healthz`)).status).toBe(200);
  });
});

describe('a server beyond loopback (token required)', () => {
  const TOKEN = 'a-token-of-sufficient-length-0123';
  it('accepts any Host with the token, and still refuses foreign Origins', async () => {
    const api = createApi({ orchestrator: h.orch, tokens: [TOKEN], hostPolicy: { loopbackOnly: false, allowedHosts: [] } });
    try {
      const auth = { authorization: `Bearer ${TOKEN}` };
      const url = 'http://10.1.2.3:8080';
      expect((await api.app.request(`${url}/api/v1/pools`, { headers: { ...auth, host: 'hv07.corp:8080' } })).status).toBe(200);
      // A rebinding page has no token.
      expect((await api.app.request(`${url}/api/v1/pools`, { headers: { host: 'evil.example:8080', origin: 'http://evil.example:8080' } })).status).toBe(401);
      const foreign = await api.app.request(`${url}/api/v1/pools/p/scale`, {
        method: 'POST',
        headers: { ...auth, host: 'hv07.corp:8080', origin: 'http://evil.example', 'content-type': 'application/json' },
        body: JSON.stringify({ desired: 2 }),
      });
      expect(foreign.status).toBe(403);
      expect(((await foreign.json()) as { error: { code: string } }).error.code).toBe('FORBIDDEN_ORIGIN');
      const own = await api.app.request(`${url}/api/v1/pools/p/scale`, {
        method: 'POST',
        headers: { ...auth, host: 'hv07.corp:8080', origin: 'http://hv07.corp:8080', 'content-type': 'application/json' },
        body: JSON.stringify({ desired: 2 }),
      });
      expect(own.status).toBe(200);
    } finally {
      await api.close();
    }
  });
});
