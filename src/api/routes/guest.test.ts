/**
 * Work inside the guest on the fake backend, through the API (client and raw requests), the MCP
 * tools and the orchestrator: exec with exit codes and streams, file copies with size limits
 * refused whole, hostile names as data, the lease check, and text off the keyboard.
 */
import type { Client } from '@modelcontextprotocol/client';
import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { harness, type Harness } from '../../../test/helpers/harness.js';
import { HvkubeClient } from '../../client/client.js';
import { isHvkubeError } from '../../domain/errors.js';
import { createMcpHttpHandler, type McpHttpHandler } from '../../mcp/http.js';
import { httpClient, textOf } from '../../mcp/mcp-client.case.js';
import { createApi, type Api } from '../app.js';

const BASE = 'http://127.0.0.1:1';
const HOSTILE = ["it's", 'say "hi"', '‘left’ ‚low‛', '$(touch /tmp/pwned)', '`whoami`', 'line1\nline2', '..', '../../etc/passwd', '; rm -rf /', '%USERPROFILE%', '*', 'naïve 🙂'];

let h: Harness;
let api: Api;
let client: HvkubeClient;
let vm: string;
let lease: string;

async function caught(p: Promise<unknown>): Promise<unknown> {
  return p.then(
    () => undefined,
    (e: unknown) => e,
  );
}

beforeEach(async () => {
  h = await harness();
  await h.pool('p', 1);
  api = createApi({ orchestrator: h.orch });
  client = new HvkubeClient({ url: BASE, fetch: (input, init) => api.app.request(input, init) });
  const a = await client.acquire({ pool: 'p' });
  vm = a.vm_name;
  lease = a.lease_id;
});

afterEach(async () => {
  await api.close();
  await h.close();
});

describe('exec through the API', () => {
  it('runs argv as data and answers exit code, stdout and stderr', async () => {
    const r = await client.exec(vm, { argv: ['echo', ...HOSTILE] }, { leaseId: lease });
    expect(r.exitCode).toBe(0);
    expect(r.stdout.toString()).toBe(`${HOSTILE.join(' ')}\n`);
    expect((await client.exec(vm, { argv: ['exit', '42'] })).exitCode).toBe(42);
    const missing = await client.exec(vm, { argv: ['no-such-program'] });
    expect(missing.exitCode).toBe(127);
    expect(missing.stderr.toString()).toMatch(/command not found/);
    expect((await client.exec(vm, { argv: ['cat'], stdin: Buffer.from("stdin 'as' $(data)\n") })).stdout.toString()).toBe("stdin 'as' $(data)\n");
    expect((await client.exec(vm, { argv: ['env'], env: { GREETING: "it's" } })).stdout.toString()).toContain("GREETING=it's\n");
    expect((await client.exec(vm, { argv: ['pwd'], cwd: '/tmp' })).stdout.toString()).toBe('/tmp\n');
  });

  it('answers a command past its time-out as timed out', async () => {
    const r = await client.exec(vm, { argv: ['sleep', '10'], timeoutMs: 50 });
    expect(r).toMatchObject({ timedOut: true, exitCode: null });
  });

  it('streams over SSE and ends with the exit event', async () => {
    const events: string[] = [];
    let code: number | null = -1;
    for await (const e of client.execStream(vm, { argv: ['echo', 'streamed'] })) {
      events.push(e.type);
      if (e.type === 'stdout') expect(e.data.toString()).toBe('streamed\n');
      if (e.type === 'exit') code = e.result.exitCode;
    }
    expect(events).toEqual(['stdout', 'exit']);
    expect(code).toBe(0);
    const refused = await caught((async () => {
      for await (const _ of client.execStream(vm, { argv: ['echo'] }, { leaseId: 'stale' })) void _;
    })());
    expect(isHvkubeError(refused, 'LEASE_MISMATCH')).toBe(true);
  });

  it('refuses bad input with 400 and a stale lease with 409 before anything runs', async () => {
    const post = async (body: unknown): Promise<Response> =>
      api.app.request(`${BASE}/api/v1/vms/${vm}/exec`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
    for (const bad of [{}, { argv: [] }, { argv: 'ls' }, { argv: ['ls'], timeout_ms: 0 }, { argv: ['ls'], stdin: 'not base64!' }, { argv: ['ls'], env: { 'A=B': 'x' } }, { argv: ['a\u0000b'] }, { argv: ['ls'], extra: 1 }]) {
      expect((await post(bad)).status, JSON.stringify(bad)).toBe(400);
    }
    const stale = await post({ argv: ['tee', '/tmp/stale'], stdin: Buffer.from('x').toString('base64'), lease_id: 'not-the-lease' });
    expect(stale.status).toBe(409);
    expect(isHvkubeError(await caught(client.readGuestFile(vm, '/tmp/stale')), 'GUEST_PATH_NOT_FOUND')).toBe(true);
  });
});

describe('files through the API', () => {
  it('copies files in and out under hostile names, byte for byte, and lists them', async () => {
    const plain = HOSTILE.filter((n) => n !== '..' && !n.includes('/'));
    for (const name of plain) {
      const data = Buffer.from(`bytes of ${name}\u0000\u00ff`, 'latin1');
      await client.writeGuestFile(vm, `/tmp/${name}`, data, { leaseId: lease });
      expect(Buffer.from(await client.readGuestFile(vm, `/tmp/${name}`, { leaseId: lease }))).toEqual(data);
    }
    const names = (await client.listGuestFiles(vm, '/tmp')).map((e) => e.name);
    expect([...names].sort()).toEqual([...plain].sort());
    // `..` resolves inside the guest, never above its root.
    await client.writeGuestFile(vm, '/tmp/../../../escape.txt', Buffer.from('in the guest'));
    expect((await client.listGuestFiles(vm, '/')).map((e) => e.name)).toContain('escape.txt');
  });

  it('refuses a file over the limit whole, in both directions', async () => {
    const big = Buffer.alloc(5000, 7);
    const up = await caught(client.writeGuestFile(vm, '/tmp/big', big, { maxBytes: 4999 }));
    expect(isHvkubeError(up, 'GUEST_FILE_TOO_LARGE')).toBe(true);
    // Nothing of the refused upload reached the guest.
    expect(isHvkubeError(await caught(client.readGuestFile(vm, '/tmp/big')), 'GUEST_PATH_NOT_FOUND')).toBe(true);
    await client.writeGuestFile(vm, '/tmp/big', big);
    const down = await caught(client.readGuestFile(vm, '/tmp/big', { maxBytes: 100 }));
    expect(isHvkubeError(down, 'GUEST_FILE_TOO_LARGE')).toBe(true);
    const raw = await api.app.request(`${BASE}/api/v1/vms/${vm}/files?path=/tmp/big&max_bytes=100`);
    expect(raw.status).toBe(413);
  });

  it('takes the upload only as application/octet-stream, and answers 404 for a missing file', async () => {
    const json = await api.app.request(`${BASE}/api/v1/vms/${vm}/files?path=/tmp/x`, { method: 'PUT', headers: { 'content-type': 'application/json' }, body: '{}' });
    expect(json.status).toBe(415);
    const form = await api.app.request(`${BASE}/api/v1/vms/${vm}/files?path=/tmp/x`, { method: 'PUT', headers: { 'content-type': 'text/plain' }, body: 'x' });
    expect(form.status).toBe(415);
    expect((await api.app.request(`${BASE}/api/v1/vms/${vm}/files?path=/nope`)).status).toBe(404);
    expect((await api.app.request(`${BASE}/api/v1/vms/${vm}/files/list?path=/nope`)).status).toBe(404);
    expect((await api.app.request(`${BASE}/api/v1/vms/${vm}/files?path=`)).status).toBe(400);
  });

  it('never touches host files: a guest path naming a host file reads the guest', async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'hvk-host-'));
    try {
      const hostFile = path.join(dir, 'secret.txt');
      writeFileSync(hostFile, 'host secret');
      expect(isHvkubeError(await caught(client.readGuestFile(vm, hostFile)), 'GUEST_PATH_NOT_FOUND')).toBe(true);
      expect((await client.exec(vm, { argv: ['cat', hostFile] })).stdout.toString()).not.toContain('host secret');
      await client.exec(vm, { argv: ['tee', path.join(dir, 'written.txt')], stdin: Buffer.from('from the guest') });
      expect(readdirSync(dir)).toEqual(['secret.txt']);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('clipboard and typing', () => {
  it('sets and reads the clipboard', async () => {
    await client.setClipboard(vm, 'naïve ✓\nline 2', { leaseId: lease });
    expect(await client.getClipboard(vm, { leaseId: lease })).toBe('naïve ✓\nline 2');
    expect(isHvkubeError(await caught(client.getClipboard(vm, { leaseId: 'stale' })), 'LEASE_MISMATCH')).toBe(true);
  });

  it('types text off the keyboard by pasting it through the guest clipboard', async () => {
    await client.typeText(vm, 'echo Grüße ✓ ok\n', { leaseId: lease });
    const screen = (await h.hv.screenText(vm)).join('\n');
    expect(screen).toContain('Grüße ✓ ok');
  });
});

describe('a backend without a guest channel', () => {
  it('refuses guest work with GUEST_UNAVAILABLE and text off the keyboard with TEXT_NOT_TYPEABLE, typing nothing', async () => {
    const bare = await harness({ fake: { guestChannel: false } });
    try {
      await bare.pool('q', 1);
      const a = await bare.orch.acquire({ pool: 'q' });
      const name = a.vm.name;
      expect(isHvkubeError(await caught(bare.orch.exec(name, { argv: ['echo'] })), 'GUEST_UNAVAILABLE')).toBe(true);
      const before = (await bare.hv.screenText(name)).join('\n');
      const e = await caught(bare.orch.typeText(name, 'ok é and ✓'));
      expect(isHvkubeError(e, 'TEXT_NOT_TYPEABLE')).toBe(true);
      expect(String((e as Error).message)).toMatch(/"é" \(U\+00E9\), "✓" \(U\+2713\)/);
      expect((await bare.hv.screenText(name)).join('\n')).toBe(before);
      await bare.orch.typeText(name, 'plain ascii\n');
    } finally {
      await bare.close();
    }
  });
});

describe('MCP guest tools', () => {
  let handler: McpHttpHandler;
  let mcp: Client;

  beforeEach(async () => {
    handler = createMcpHttpHandler({ orchestrator: h.orch });
    mcp = await httpClient(handler);
  });
  afterEach(async () => {
    await mcp.close().catch(() => undefined);
    await handler.close();
  });

  it('runs a command, writes, reads and lists files and uses the clipboard under the lease', async () => {
    const run = await mcp.callTool({ name: 'run_command', arguments: { vm, lease_id: lease, argv: ['echo', '$(id)'] } });
    expect(run.isError).toBeFalsy();
    expect(textOf(run)).toContain('exit code 0');
    expect(textOf(run)).toContain('$(id)');
    const failing = await mcp.callTool({ name: 'run_command', arguments: { vm, lease_id: lease, argv: ['exit', '3'] } });
    expect(failing.isError).toBe(true);
    expect((await mcp.callTool({ name: 'write_file', arguments: { vm, lease_id: lease, path: "/tmp/it's.txt", text: 'hello' } })).isError).toBeFalsy();
    expect(textOf(await mcp.callTool({ name: 'read_file', arguments: { vm, lease_id: lease, path: "/tmp/it's.txt" } }))).toBe('hello');
    expect(textOf(await mcp.callTool({ name: 'list_files', arguments: { vm, lease_id: lease, path: '/tmp' } }))).toContain("it's.txt");
    await mcp.callTool({ name: 'set_clipboard', arguments: { vm, lease_id: lease, text: 'clip ✓' } });
    expect(textOf(await mcp.callTool({ name: 'get_clipboard', arguments: { vm, lease_id: lease } }))).toBe('clip ✓');
    const stale = await mcp.callTool({ name: 'read_file', arguments: { vm, lease_id: 'stale', path: "/tmp/it's.txt" } });
    expect(stale.isError).toBe(true);
    expect(textOf(stale)).toMatch(/LEASE_MISMATCH/);
    const both = await mcp.callTool({ name: 'write_file', arguments: { vm, lease_id: lease, path: '/tmp/x', text: 'a', base64: 'YQ==' } });
    expect(both.isError).toBe(true);
  });
});
