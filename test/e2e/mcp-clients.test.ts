/**
 * The MCP server against clients nobody here wrote: the official SDK's v1 clients (1.12, whose
 * draft-07 validator compiles every output schema, and the latest 1.x) and the v2 client, each
 * over streamable HTTP and over stdio; and the MCP Inspector's CLI, which opens a new session for
 * every invocation and never ends one, driving a desktop by its lease id.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { Client as ClientV2, StreamableHTTPClientTransport as HttpV2 } from '@modelcontextprotocol/client';
import { StdioClientTransport as StdioV2 } from '@modelcontextprotocol/client/stdio';
import { Client as Client112 } from 'mcp-sdk-1-12/client/index.js';
import { StdioClientTransport as Stdio112 } from 'mcp-sdk-1-12/client/stdio.js';
import { StreamableHTTPClientTransport as Http112 } from 'mcp-sdk-1-12/client/streamableHttp.js';
import { Client as Client1x } from 'mcp-sdk-1-latest/client/index.js';
import { StdioClientTransport as Stdio1x } from 'mcp-sdk-1-latest/client/stdio.js';
import { StreamableHTTPClientTransport as Http1x } from 'mcp-sdk-1-latest/client/streamableHttp.js';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { startApiServer, type ApiServer } from '../../src/api/index.js';
import { CLI_ENTRY, ROOT } from '../helpers/cli.js';
import { harness, type Harness } from '../helpers/harness.js';

const TOKEN = 'mcp-clients-token-7f3e91';

/** What the three client generations have in common, as this test uses them. */
interface AnyClient {
  connect(transport: never): Promise<void>;
  listTools(): Promise<{ tools: { name: string; inputSchema: object; outputSchema?: object }[] }>;
  callTool(params: { name: string; arguments: Record<string, unknown> }): Promise<unknown>;
  close(): Promise<void>;
}

interface ToolResult {
  isError?: boolean;
  structuredContent?: Record<string, unknown>;
  content: { type: string; text?: string; data?: string; mimeType?: string }[];
}

const LOADER = CLI_ENTRY.endsWith('.ts') ? ['--import', 'tsx'] : [];

let h: Harness;
let dir: string;
let server: ApiServer;

function stdioParams(): { command: string; args: string[]; cwd: string; stderr: 'pipe'; env: Record<string, string> } {
  // The harness's orchestrator is host `local`: the `hvkube mcp` process must be the same host.
  const env = { ...(process.env as Record<string, string>), HVKUBE_HOST: 'local' };
  return { command: process.execPath, args: [...LOADER, CLI_ENTRY, '--backend', 'fake', '--data-dir', dir, 'mcp'], cwd: ROOT, stderr: 'pipe', env };
}
const httpUrl = (): URL => new URL(`${server.url}/mcp`);
const auth = { requestInit: { headers: { Authorization: `Bearer ${TOKEN}` } } };

const generations = [
  {
    name: 'SDK 1.12',
    client: () => new Client112({ name: 'v1.12', version: '1.0.0' }) as unknown as AnyClient,
    http: () => new Http112(httpUrl(), auth),
    stdio: () => new Stdio112(stdioParams()),
  },
  {
    name: 'SDK 1.x latest',
    client: () => new Client1x({ name: 'v1.x', version: '1.0.0' }) as unknown as AnyClient,
    http: () => new Http1x(httpUrl(), auth),
    stdio: () => new Stdio1x(stdioParams()),
  },
  {
    name: 'SDK v2',
    client: () => new ClientV2({ name: 'v2', version: '1.0.0' }) as unknown as AnyClient,
    http: () => new HttpV2(httpUrl(), auth),
    stdio: () => new StdioV2(stdioParams()),
  },
] as const;

beforeAll(async () => {
  dir = mkdtempSync(path.join(os.tmpdir(), 'hvk-mcp-clients-'));
  // One data directory for the in-process server and the `hvkube mcp` processes.
  h = await harness({ dataDir: dir });
  await h.pool('p', 2);
  server = await startApiServer({ orchestrator: h.orch, listen: '127.0.0.1:0', tokens: [TOKEN] });
});

afterAll(async () => {
  await server?.close();
  await h?.close();
  rmSync(dir, { recursive: true, force: true });
});

describe.each(generations)('MCP with the $name client', (gen) => {
  it.each(['http', 'stdio'] as const)('over %s: lists tools whose schemas compile, acquires, screenshots, types, releases', async (transport) => {
    const warn = vi.spyOn(console, 'warn');
    const client = gen.client();
    try {
      await client.connect((transport === 'http' ? gen.http() : gen.stdio()) as never);
      const { tools } = await client.listTools();
      const acquire = tools.find((t) => t.name === 'acquire_desktop');
      expect(acquire?.outputSchema).toBeDefined();
      for (const t of tools) expect(JSON.stringify([t.inputSchema, t.outputSchema ?? {}]), t.name).not.toContain('$schema');
      // SDK 1.12 compiles every output schema with its draft-07 validator and only warns on failure.
      expect(warn.mock.calls.map((c) => String(c[0])).filter((m) => /compile/i.test(m))).toEqual([]);
      const validator = (client as unknown as { getToolOutputValidator?: (n: string) => unknown }).getToolOutputValidator?.('acquire_desktop');
      if (gen.name !== 'SDK v2') expect(validator).toBeDefined();

      const acquired = (await client.callTool({ name: 'acquire_desktop', arguments: { pool: 'p', timeout_s: 60 } })) as ToolResult;
      expect(acquired.isError ?? false).toBe(false);
      const { vm_name: vm, lease_id: lease } = acquired.structuredContent as { vm_name: string; lease_id: string };
      expect(lease).toMatch(/\S/);
      const shot = (await client.callTool({ name: 'screenshot', arguments: { vm, lease_id: lease, scale: 0.5 } })) as ToolResult;
      expect(shot.content.find((c) => c.type === 'image')?.mimeType).toBe('image/png');
      const typed = (await client.callTool({ name: 'type_text', arguments: { vm, text: `${gen.name} ${transport}` } })) as ToolResult;
      expect(typed.isError ?? false).toBe(false);
      const released = (await client.callTool({ name: 'release_desktop', arguments: { vm, lease_id: lease } })) as ToolResult;
      expect(released.isError ?? false).toBe(false);
      await expect.poll(async () => (await h.orch.getVm(vm)).state, { timeout: 20_000 }).toBe('saved');
    } finally {
      await client.close();
      warn.mockRestore();
    }
  });
});

describe('hvkube mcp (stdio) and desktops leased elsewhere', () => {
  it('drives a desktop acquired through the CLI or API by its lease id, without --allow-any-vm, and leaves it with its holder', async () => {
    const got = await h.orch.acquire({ pool: 'p', holder: 'cli:someone' });
    const client = new ClientV2({ name: 'v2', version: '1.0.0' });
    try {
      await client.connect(new StdioV2(stdioParams()));
      const refused = (await client.callTool({ name: 'type_text', arguments: { vm: got.vm.name, text: 'no lease' } })) as ToolResult;
      expect(refused.isError).toBe(true);
      const typed = (await client.callTool({ name: 'type_text', arguments: { vm: got.vm.name, text: 'by lease', lease_id: got.leaseId } })) as ToolResult;
      expect(typed.isError ?? false).toBe(false);
    } finally {
      await client.close();
    }
    expect((await h.hv.screenText(got.vm.name)).join('\n')).toContain('by lease');
    // The process has ended; the desktop is still the CLI holder's.
    expect((await h.orch.getVm(got.vm.name)).lease).toMatchObject({ id: got.leaseId, holder: 'cli:someone' });
    await (await h.orch.release(got.vm.name, { leaseId: got.leaseId })).done;
  });
});

describe('MCP Inspector CLI (one session per invocation, never ended)', () => {
  const inspector = path.join(ROOT, 'node_modules/@modelcontextprotocol/inspector-cli/build/cli.js');
  const run = promisify(execFile);

  async function call(tool: string, args: Record<string, string>): Promise<ToolResult> {
    const argv = [inspector, '--cli', httpUrl().href, '--transport', 'http', '--header', `Authorization: Bearer ${TOKEN}`, '--method', 'tools/call', '--tool-name', tool];
    for (const [k, v] of Object.entries(args)) argv.push('--tool-arg', `${k}=${v}`);
    // Its CLI looks for its own package.json relative to the working directory.
    const { stdout } = await run(process.execPath, argv, { cwd: path.dirname(inspector), timeout: 120_000 });
    return JSON.parse(stdout) as ToolResult;
  }

  it('acquire → screenshot → type → release as separate invocations, given the lease id', async () => {
    const acquired = await call('acquire_desktop', { pool: 'p' });
    expect(acquired.isError ?? false).toBe(false);
    const { vm_name: vm, lease_id: lease } = acquired.structuredContent as { vm_name: string; lease_id: string };

    const shot = await call('screenshot', { vm, lease_id: lease });
    expect(shot.isError ?? false).toBe(false);
    expect(shot.content.find((c) => c.type === 'image')?.mimeType).toBe('image/png');
    expect((await call('type_text', { vm, lease_id: lease, text: 'inspector' })).isError ?? false).toBe(false);
    expect((await h.hv.screenText(vm)).join('\n')).toContain('inspector');
    expect((await call('release_desktop', { vm, lease_id: lease })).isError ?? false).toBe(false);
    await expect.poll(async () => (await h.orch.getVm(vm)).lease, { timeout: 20_000 }).toBeNull();
  });
});
