import type { Client } from '@modelcontextprotocol/client';
import { Ajv } from 'ajv';
import { Ajv2020 } from 'ajv/dist/2020.js';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { harness, type Harness } from '../../test/helpers/harness.js';
import { createMcpHttpHandler, type McpHttpHandler } from './http.js';
import { httpClient, imageOf, structured, textOf } from './mcp-client.case.js';

interface Acquired {
  vm_name: string;
  lease_id: string;
  lease_expires_at: string | null;
  ip_address: string | null;
  mcp_endpoint: string | null;
  resume_ms: number;
}

let h: Harness;
let handler: McpHttpHandler;
const clients: Client[] = [];

async function connect(): Promise<Client> {
  const c = await httpClient(handler);
  clients.push(c);
  return c;
}

beforeEach(async () => {
  h = await harness();
  await h.pool('p', 2);
  handler = createMcpHttpHandler({ orchestrator: h.orch });
});

afterEach(async () => {
  for (const c of clients.splice(0)) await c.close().catch(() => undefined);
  await handler.close();
  await h.close();
});

describe('MCP over streamable HTTP', () => {
  it('lists the tools with descriptions and input schemas', async () => {
    const client = await connect();
    const { tools } = await client.listTools();
    const names = tools.map((t) => t.name).sort();
    expect(names).toEqual([
      'acquire_desktop',
      'click',
      'computer_actions',
      'drag',
      'get_clipboard',
      'hold_keys',
      'key_state',
      'list_files',
      'list_pools',
      'list_vms',
      'mouse_button',
      'move_mouse',
      'press_keys',
      'read_file',
      'release_desktop',
      'run_command',
      'screen_info',
      'screenshot',
      'scroll',
      'set_clipboard',
      'type_text',
      'write_file',
    ]);
    for (const t of tools) {
      expect(t.description?.length, t.name).toBeGreaterThan(20);
      expect(t.inputSchema.type).toBe('object');
    }
    // Older SDK v1 clients compile tool schemas with a draft-07 validator, newer ones with 2020-12.
    const draft07 = new Ajv({ strict: true });
    const draft2020 = new Ajv2020({ strict: true });
    for (const t of tools) {
      for (const schema of [t.inputSchema, t.outputSchema].filter((x) => x !== undefined)) {
        expect(schema, t.name).not.toHaveProperty('$schema');
        expect(() => draft07.compile(schema), t.name).not.toThrow();
        expect(() => draft2020.compile(schema), t.name).not.toThrow();
      }
    }
    const click = tools.find((t) => t.name === 'click');
    expect(click?.inputSchema.required).toEqual(expect.arrayContaining(['vm', 'x', 'y']));
  });

  it('acquire, screenshot (a real PNG), type, press keys, click, release', async () => {
    const client = await connect();
    const pools = structured<{ pools: { name: string; ready: number }[] }>(
      await client.callTool({ name: 'list_pools', arguments: {} }),
    );
    expect(pools.pools).toEqual([expect.objectContaining({ name: 'p', ready: 2 })]);

    const acquired = await client.callTool({ name: 'acquire_desktop', arguments: { pool: 'p' } });
    const desk = structured<Acquired>(acquired);
    expect(desk.vm_name).toMatch(/^hvk-/);
    expect(Object.keys(desk).sort()).toEqual([
      'ip_address',
      'lease_expires_at',
      'lease_id',
      'mcp_endpoint',
      'resume_ms',
      'vm_name',
    ]);
    expect(JSON.parse(textOf(acquired))).toEqual(desk);
    expect((await h.orch.getVm(desk.vm_name)).lease).toMatchObject({
      holder: expect.stringMatching(/^mcp:/) as unknown,
      id: desk.lease_id,
    });

    const shot = await client.callTool({ name: 'screenshot', arguments: { vm: desk.vm_name } });
    const png = imageOf(shot);
    expect(png.width).toBeGreaterThan(100);
    const half = imageOf(
      await client.callTool({ name: 'screenshot', arguments: { vm: desk.vm_name, scale: 0.5 } }),
    );
    expect(half.width).toBe(Math.round(png.width / 2));

    expect(
      (
        await client.callTool({
          name: 'type_text',
          arguments: { vm: desk.vm_name, text: 'hello mcp' },
        })
      ).isError,
    ).toBeFalsy();
    expect(
      (
        await client.callTool({
          name: 'press_keys',
          arguments: { vm: desk.vm_name, keys: ['ctrl+l', 'enter'] },
        })
      ).isError,
    ).toBeFalsy();
    expect(
      (
        await client.callTool({
          name: 'press_keys',
          arguments: { vm: desk.vm_name, keys: 'tab enter' },
        })
      ).isError,
    ).toBeFalsy();
    expect(
      (
        await client.callTool({
          name: 'click',
          arguments: { vm: desk.vm_name, x: 10, y: 20, double: true },
        })
      ).isError,
    ).toBeFalsy();
    expect(
      (await client.callTool({ name: 'move_mouse', arguments: { vm: desk.vm_name, x: 30, y: 40 } }))
        .isError,
    ).toBeFalsy();
    expect(
      (await client.callTool({ name: 'scroll', arguments: { vm: desk.vm_name, delta: -3 } }))
        .isError,
    ).toBeFalsy();
    for (const [name, args] of [
      ['click', { x: 5, y: 6, count: 3 }],
      ['mouse_button', { down: true, x: 7, y: 8 }],
      ['mouse_button', { down: false }],
      ['key_state', { keys: ['shift'], down: true }],
      ['key_state', { keys: ['shift'], down: false }],
      ['hold_keys', { chord: 'ctrl', duration_ms: 1 }],
      ['drag', { path: [{ x: 1, y: 1 }, { x: 20, y: 20 }], steps: 2 }],
    ] as const) {
      const r = await client.callTool({ name, arguments: { vm: desk.vm_name, ...args } });
      expect(r.isError, `${name}: ${textOf(r)}`).toBeFalsy();
    }
    expect(textOf(await client.callTool({ name: 'screen_info', arguments: { vm: desk.vm_name } }))).toMatch(/640x400 pixels; pointer at 20,20/);
    const computer = await client.callTool({
      name: 'computer_actions',
      arguments: { vm: desk.vm_name, format: 'anthropic', actions: [{ action: 'triple_click', coordinate: [9, 9] }, { action: 'screenshot' }] },
    });
    expect(computer.isError, textOf(computer)).toBeFalsy();
    expect(imageOf(computer).data.length).toBeGreaterThan(0);
    const bad = await client.callTool({ name: 'computer_actions', arguments: { vm: desk.vm_name, format: 'openai', actions: [{ type: 'fly' }] } });
    expect(bad.isError).toBe(true);
    expect(textOf(bad)).toMatch(/actions\[0\]\.type/);
    // The fake console renders what was typed: the screen changed.
    expect(
      imageOf(
        await client.callTool({ name: 'screenshot', arguments: { vm: desk.vm_name } }),
      ).data.equals(png.data),
    ).toBe(false);

    const released = structured<{ vm_name: string; policy: string }>(
      await client.callTool({
        name: 'release_desktop',
        arguments: { vm: desk.vm_name, policy: 'reset' },
      }),
    );
    expect(released).toMatchObject({ vm_name: desk.vm_name, policy: 'reset' });
    const after = await client.callTool({ name: 'screenshot', arguments: { vm: desk.vm_name } });
    expect(after.isError).toBe(true);
    expect(textOf(after)).toMatch(/FORBIDDEN: VM .* was not acquired in this session/);
  });

  it('a client cannot drive a desktop another session acquired', async () => {
    const alice = await connect();
    const bob = await connect();
    const desk = structured<Acquired>(
      await alice.callTool({ name: 'acquire_desktop', arguments: { pool: 'p' } }),
    );
    for (const [name, args] of [
      ['screenshot', {}],
      ['type_text', { text: 'x' }],
      ['click', { x: 1, y: 1 }],
      ['release_desktop', {}],
    ] as const) {
      const r = await bob.callTool({ name, arguments: { vm: desk.vm_name, ...args } });
      expect(r.isError, name).toBe(true);
      expect(textOf(r)).toMatch(/FORBIDDEN/);
    }
    const listed = structured<{ vms: { name: string; yours: boolean }[] }>(
      await bob.callTool({ name: 'list_vms', arguments: { pool: 'p' } }),
    );
    expect(listed.vms.find((v) => v.name === desk.vm_name)?.yours).toBe(false);
    expect((await h.orch.getVm(desk.vm_name)).state).toBe('running');
  });

  it('allowAnyVm lets a client drive any VM', async () => {
    await handler.close();
    handler = createMcpHttpHandler({ orchestrator: h.orch, allowAnyVm: true });
    const { vm } = await h.orch.acquire({ pool: 'p', holder: 'someone' });
    const client = await connect();
    expect(
      imageOf(await client.callTool({ name: 'screenshot', arguments: { vm: vm.name } })).width,
    ).toBeGreaterThan(0);
  });

  it('errors are tool errors with the reason, never a crash', async () => {
    const client = await connect();
    const noPool = await client.callTool({
      name: 'acquire_desktop',
      arguments: { pool: 'nope', timeout_s: 0 },
    });
    expect(noPool.isError).toBe(true);
    expect(textOf(noPool)).toMatch(/POOL_NOT_FOUND/);
    const badArgs = await client.callTool({ name: 'click', arguments: { vm: 'x', x: -5, y: 'a' } });
    expect(badArgs.isError).toBe(true);
    expect(textOf(badArgs)).toMatch(/Invalid arguments/);
    await client.callTool({ name: 'acquire_desktop', arguments: { pool: 'p' } });
    await client.callTool({ name: 'acquire_desktop', arguments: { pool: 'p' } });
    const empty = await client.callTool({
      name: 'acquire_desktop',
      arguments: { pool: 'p', timeout_s: 0 },
    });
    expect(textOf(empty)).toMatch(/NO_VM_AVAILABLE/);
    const desk = structured<{ vms: { name: string; yours: boolean }[] }>(
      await client.callTool({ name: 'list_vms', arguments: {} }),
    ).vms[0];
    const badKey = await client.callTool({
      name: 'press_keys',
      arguments: { vm: desk?.name ?? '', keys: ['ctrl+nokey'] },
    });
    expect(textOf(badKey)).toMatch(/INVALID_INPUT: unknown key/);
  });

  it('ending a session (DELETE) releases its desktops; unknown sessions get 404', async () => {
    const client = await connect();
    const desk = structured<Acquired>(
      await client.callTool({ name: 'acquire_desktop', arguments: { pool: 'p' } }),
    );
    expect(handler.sessionCount).toBe(1);
    const transport = client.transport as { terminateSession?: () => Promise<void> } | undefined;
    await transport?.terminateSession?.();
    await expect
      .poll(async () => (await h.orch.getVm(desk.vm_name)).lease, { timeout: 5000 })
      .toBeNull();
    expect(handler.sessionCount).toBe(0);
    const stale = await handler(
      new Request('http://127.0.0.1/mcp', {
        method: 'POST',
        headers: {
          'mcp-session-id': 'nope',
          'content-type': 'application/json',
          accept: 'application/json, text/event-stream',
        },
        body: '{}',
      }),
    );
    expect(stale.status).toBe(404);
  });

  it('refuses cross-site browser requests', async () => {
    const r = await handler(
      new Request('http://127.0.0.1:8080/mcp', {
        method: 'POST',
        headers: { origin: 'http://evil.example', 'content-type': 'application/json' },
        body: '{}',
      }),
    );
    expect(r.status).toBe(403);
  });

  it('refuses a rebinding page, whose Host and Origin agree with each other, and accepts allowed hosts', async () => {
    const initialize = (url: string, headers: Record<string, string>): Request =>
      new Request(url, {
        method: 'POST',
        headers: { 'content-type': 'application/json', accept: 'application/json, text/event-stream', ...headers },
        body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'initialize', params: { protocolVersion: '2025-06-18', capabilities: {}, clientInfo: { name: 't', version: '1' } } }),
      });
    const rebound = await handler(initialize('http://evil.example:8080/mcp', { host: 'evil.example:8080', origin: 'http://evil.example:8080' }));
    expect(rebound.status).toBe(403);
    expect(((await rebound.json()) as { error: { message: string } }).error.message).toContain('localhost');
    expect(handler.sessionCount).toBe(0);
    const behindProxy = createMcpHttpHandler({ orchestrator: h.orch, hostPolicy: { loopbackOnly: true, allowedHosts: ['desk.example'] } });
    try {
      const ok = await behindProxy(initialize('http://desk.example/mcp', { host: 'desk.example', origin: 'https://desk.example' }));
      expect(ok.status).toBe(200);
      expect(behindProxy.sessionCount).toBe(1);
    } finally {
      await behindProxy.close();
    }
  });

  it('ownership follows the lease: each call in a new session that never ends, given the lease id', async () => {
    // What a stateless tool runner does: one session per call, no DELETE.
    const call = async (name: string, args: Record<string, unknown>) =>
      (await connect()).callTool({ name, arguments: args });
    const desk = structured<Acquired>(await call('acquire_desktop', { pool: 'p' }));
    const vm = desk.vm_name;
    const lease = desk.lease_id;

    const without = await call('type_text', { vm, text: 'x' });
    expect(textOf(without)).toMatch(/FORBIDDEN: .*pass the lease_id/);
    expect(textOf(await call('type_text', { vm, text: 'x', lease_id: 'not-the-lease' }))).toMatch(
      /LEASE_MISMATCH/,
    );
    expect(imageOf(await call('screenshot', { vm, lease_id: lease })).width).toBeGreaterThan(0);
    expect(
      (await call('type_text', { vm, text: 'by lease', lease_id: lease })).isError,
    ).toBeFalsy();
    expect((await call('press_keys', { vm, keys: 'enter', lease_id: lease })).isError).toBeFalsy();
    expect((await call('click', { vm, x: 1, y: 1, lease_id: lease })).isError).toBeFalsy();
    expect((await h.hv.screenText(vm)).join('\n')).toContain('by lease');

    const released = await call('release_desktop', { vm, lease_id: lease });
    expect(released.isError).toBeFalsy();
    await expect.poll(async () => (await h.orch.getVm(vm)).state).toBe('saved');
    expect((await h.orch.getVm(vm)).lease).toBeNull();
    // The lease is spent: no session can drive the desktop with it any more.
    expect(textOf(await call('type_text', { vm, text: 'late', lease_id: lease }))).toMatch(
      /LEASE_MISMATCH/,
    );
  });

  it('a session that presents an MCP lease renews it; a lease from the API is left to its holder', async () => {
    const alice = await connect();
    const desk = structured<Acquired>(
      await alice.callTool({ name: 'acquire_desktop', arguments: { pool: 'p' } }),
    );
    // Most of the lease has gone by.
    const soon = new Date(Date.now() + 5_000).toISOString();
    const vm = await h.orch.getVm(desk.vm_name);
    await h.store.patchVm(vm.name, { lease: { ...vm.lease!, expiresAt: soon } });
    const bob = await connect();
    await bob.callTool({
      name: 'move_mouse',
      arguments: { vm: desk.vm_name, x: 1, y: 1, lease_id: desk.lease_id },
    });
    expect((await h.orch.getVm(desk.vm_name)).lease?.expiresAt ?? '').not.toBe(soon);
    expect(Date.parse((await h.orch.getVm(desk.vm_name)).lease?.expiresAt ?? '')).toBeGreaterThan(
      Date.parse(soon),
    );

    const api = await h.orch.acquire({ pool: 'p', holder: 'api', leaseTtlMs: 60_000 });
    await bob.callTool({
      name: 'move_mouse',
      arguments: { vm: api.vm.name, x: 1, y: 1, lease_id: api.leaseId },
    });
    expect((await h.orch.getVm(api.vm.name)).lease?.expiresAt).toBe(api.vm.lease?.expiresAt);
  });

  it('a desktop is released when the last session driving it ends, not before', async () => {
    const alice = await connect();
    const bob = await connect();
    const desk = structured<Acquired>(
      await alice.callTool({ name: 'acquire_desktop', arguments: { pool: 'p' } }),
    );
    await bob.callTool({
      name: 'type_text',
      arguments: { vm: desk.vm_name, text: 'b', lease_id: desk.lease_id },
    });
    const end = (c: Client) =>
      (c.transport as { terminateSession?: () => Promise<void> }).terminateSession?.();
    await end(alice);
    expect(handler.sessionCount).toBe(1);
    expect((await h.orch.getVm(desk.vm_name)).lease?.id).toBe(desk.lease_id);
    // Bob holds it now without passing the lease id again.
    expect(
      (await bob.callTool({ name: 'type_text', arguments: { vm: desk.vm_name, text: 'c' } }))
        .isError,
    ).toBeFalsy();
    await end(bob);
    await expect.poll(async () => (await h.orch.getVm(desk.vm_name)).lease).toBeNull();
  });

  it('a desktop leased through the API or CLI is driven by its lease id and stays with its holder', async () => {
    const got = await h.orch.acquire({ pool: 'p', holder: 'cli:me' });
    const client = await connect();
    const r = await client.callTool({
      name: 'type_text',
      arguments: { vm: got.vm.name, text: 'from mcp', lease_id: got.leaseId },
    });
    expect(r.isError).toBeFalsy();
    await (client.transport as { terminateSession?: () => Promise<void> }).terminateSession?.();
    expect(handler.sessionCount).toBe(0);
    const vm = await h.orch.getVm(got.vm.name);
    expect(vm.state).toBe('running');
    expect(vm.lease).toMatchObject({ id: got.leaseId, holder: 'cli:me' });
  });

  it('idle sessions end, and a full server answers 503 with Retry-After', async () => {
    await handler.close();
    handler = createMcpHttpHandler({ orchestrator: h.orch, maxSessions: 2, sessionIdleMs: 60_000 });
    await connect();
    await connect();
    const refused = await handler(
      new Request('http://127.0.0.1/mcp', {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          accept: 'application/json, text/event-stream',
        },
        body: JSON.stringify({
          jsonrpc: '2.0',
          id: 1,
          method: 'initialize',
          params: {
            protocolVersion: '2025-06-18',
            capabilities: {},
            clientInfo: { name: 'x', version: '1' },
          },
        }),
      }),
    );
    expect(refused.status).toBe(503);
    const retry = Number(refused.headers.get('retry-after'));
    expect(retry).toBeGreaterThanOrEqual(1);
    expect(retry).toBeLessThanOrEqual(60);

    await handler.close();
    handler = createMcpHttpHandler({ orchestrator: h.orch, sessionIdleMs: 1 });
    const idle = await connect();
    const desk = structured<Acquired>(
      await idle.callTool({ name: 'acquire_desktop', arguments: { pool: 'p' } }),
    );
    await expect.poll(() => handler.sessionCount, { timeout: 30_000 }).toBe(0);
    await expect.poll(async () => (await h.orch.getVm(desk.vm_name)).lease).toBeNull();
  });
});
