/**
 * The MCP tools through the SDK's own client over both real transports: streamable HTTP at
 * `/mcp` of the API server (behind its bearer auth, with the agent scheduler), and stdio of a
 * spawned `hvkube mcp`.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Client, StreamableHTTPClientTransport } from '@modelcontextprotocol/client';
import { StdioClientTransport } from '@modelcontextprotocol/client/stdio';
import { afterEach, describe, expect, it } from 'vitest';
import { startApiServer, type ApiServer } from '../api/index.js';
import { Scheduler } from '../orchestrator/scheduler/index.js';
import { harness, type Harness } from '../../test/helpers/harness.js';
import { CLI_ENTRY, parseJson, ROOT, runCli } from '../../test/helpers/cli.js';
import { imageOf, structured, textOf } from './mcp-client.case.js';

const TOKEN = 'mcp-test-token-52c1';

describe('MCP over HTTP at /mcp of hvkube serve', () => {
  let h: Harness;
  let scheduler: Scheduler;
  let server: ApiServer;
  let client: Client | null = null;

  afterEach(async () => {
    await client?.close();
    await server?.close();
    await scheduler?.stop();
    await h?.close();
  });

  async function start(): Promise<void> {
    h = await harness();
    mkdirSync(path.join(h.dir, 'workflows'));
    const workflow = {
      name: 'greet',
      executor: 'steps',
      description: 'types a greeting',
      inputs: { who: 'string' },
      steps: [{ type_text: 'hello {{who}}' }, { screenshot: true }],
    };
    writeFileSync(path.join(h.dir, 'workflows', 'greet.json'), JSON.stringify(workflow));
    await h.pool('p', 2);
    scheduler = new Scheduler({ orchestrator: h.orch, dataDir: h.dir, pollIntervalMs: 50 });
    await scheduler.start();
    server = await startApiServer({
      orchestrator: h.orch,
      scheduler,
      listen: '127.0.0.1:0',
      tokens: [TOKEN],
    });
  }

  it('needs the bearer token like the rest of the API', async () => {
    await start();
    const r = await fetch(`${server.url}/mcp`, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        accept: 'application/json, text/event-stream',
      },
      body: '{}',
    });
    expect(r.status).toBe(401);
  });

  it('lists tools, acquires, screenshots, types, releases, and runs an agent', async () => {
    await start();
    const transport = new StreamableHTTPClientTransport(new URL(`${server.url}/mcp`), {
      requestInit: { headers: { Authorization: `Bearer ${TOKEN}` } },
    });
    client = new Client({ name: 'http-test', version: '1.0.0' });
    await client.connect(transport);

    const names = (await client.listTools()).tools.map((t) => t.name);
    expect(names).toEqual(
      expect.arrayContaining([
        'list_pools',
        'acquire_desktop',
        'screenshot',
        'type_text',
        'press_keys',
        'click',
        'release_desktop',
        'submit_agent',
        'agent_status',
      ]),
    );

    const desk = structured<{ vm_name: string; ip_address: string }>(
      await client.callTool({ name: 'acquire_desktop', arguments: { pool: 'p', timeout_s: 5 } }),
    );
    expect(desk.ip_address).toMatch(/^\d+\.\d+\.\d+\.\d+$/);
    const png = imageOf(
      await client.callTool({ name: 'screenshot', arguments: { vm: desk.vm_name } }),
    );
    expect(png.width).toBeGreaterThan(100);
    expect(
      (
        await client.callTool({
          name: 'type_text',
          arguments: { vm: desk.vm_name, text: 'over http' },
        })
      ).isError,
    ).toBeFalsy();
    expect(
      (await client.callTool({ name: 'release_desktop', arguments: { vm: desk.vm_name } })).isError,
    ).toBeFalsy();

    const agent = structured<{ id: string; status: string }>(
      await client.callTool({
        name: 'submit_agent',
        arguments: { pool: 'p', workflow: 'greet', input: { who: 'mcp' } },
      }),
    );
    expect(agent.status).toBe('pending');
    await expect
      .poll(
        async () =>
          structured<{ status: string }>(
            await client!.callTool({ name: 'agent_status', arguments: { id: agent.id } }),
          ).status,
        { timeout: 15_000 },
      )
      .toBe('completed');
    const done = structured<{ result: { success: boolean; screenshots: string[] } }>(
      await client.callTool({ name: 'agent_status', arguments: { id: agent.id } }),
    );
    expect(done.result).toMatchObject({ success: true });
    expect(done.result.screenshots).toHaveLength(1);

    const unknown = await client.callTool({
      name: 'submit_agent',
      arguments: { pool: 'p', workflow: 'nope', input: {} },
    });
    expect(unknown.isError).toBe(true);
    expect(textOf(unknown)).toMatch(/WORKFLOW_NOT_FOUND/);
  });

  it('the dashboard shell is public, its data is not', async () => {
    await start();
    const page = await fetch(`${server.url}/`);
    expect(page.status).toBe(200);
    expect(await page.text()).not.toContain(TOKEN);
    expect((await fetch(`${server.url}/ui/f/vms`)).status).toBe(401);
    const vms = await fetch(`${server.url}/ui/f/vms`, {
      headers: { Authorization: `Bearer ${TOKEN}` },
    });
    expect(vms.status).toBe(200);
    expect(await vms.text()).toContain('hvk-p-');
  });
});

describe('MCP over stdio: hvkube mcp', () => {
  let dir: string;
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('lists tools, acquires, screenshots, types, releases; desktops still held are released when the client leaves', async () => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'hvk-mcp-'));
    const globalArgs = ['--backend', 'fake', '--data-dir', dir];
    const cli = (args: string[]): ReturnType<typeof runCli> => runCli(args, { globalArgs });
    writeFileSync(path.join(dir, 'g.vhdx'), 'g');
    expect(
      (await cli(['template', 'create', '--name', 't', '--vhdx', path.join(dir, 'g.vhdx')])).code,
    ).toBe(0);
    expect(
      (await cli(['pool', 'create', '--name', 'p', '--template', 't', '--count', '2'])).code,
    ).toBe(0);
    expect((await cli(['pool', 'provision', 'p'])).code).toBe(0);

    const loader = CLI_ENTRY.endsWith('.ts') ? ['--import', 'tsx'] : [];
    const transport = new StdioClientTransport({
      command: process.execPath,
      args: [...loader, CLI_ENTRY, ...globalArgs, 'mcp'],
      cwd: ROOT,
      stderr: 'pipe',
    });
    const client = new Client({ name: 'stdio-test', version: '1.0.0' });
    await client.connect(transport);
    expect((await client.listTools()).tools.map((t) => t.name)).toContain('acquire_desktop');

    const first = structured<{ vm_name: string }>(
      await client.callTool({ name: 'acquire_desktop', arguments: { pool: 'p' } }),
    );
    const png = imageOf(
      await client.callTool({ name: 'screenshot', arguments: { vm: first.vm_name, scale: 0.5 } }),
    );
    expect(png.width).toBeGreaterThan(50);
    expect(
      (
        await client.callTool({
          name: 'type_text',
          arguments: { vm: first.vm_name, text: 'over stdio' },
        })
      ).isError,
    ).toBeFalsy();
    expect(
      (
        await client.callTool({
          name: 'press_keys',
          arguments: { vm: first.vm_name, keys: 'enter' },
        })
      ).isError,
    ).toBeFalsy();
    expect(
      (
        await client.callTool({
          name: 'release_desktop',
          arguments: { vm: first.vm_name, policy: 'save' },
        })
      ).isError,
    ).toBeFalsy();

    const kept = structured<{ vm_name: string }>(
      await client.callTool({ name: 'acquire_desktop', arguments: { pool: 'p' } }),
    );
    await client.close();
    // The server process releases what the client still held, then exits.
    await expect
      .poll(
        async () =>
          parseJson<{ name: string; lease: unknown; state: string }[]>(
            await cli(['vm', 'list', '--json']),
          ).find((v) => v.name === kept.vm_name),
        { timeout: 20_000, interval: 500 },
      )
      .toMatchObject({ lease: null, state: 'saved' });
  });
});
