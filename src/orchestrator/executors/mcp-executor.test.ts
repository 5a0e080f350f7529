import type { AddressInfo } from 'node:net';
import { serve, type ServerType } from '@hono/node-server';
import { McpServer, WebStandardStreamableHTTPServerTransport } from '@modelcontextprotocol/server';
import { Hono } from 'hono';
import { PNG } from 'pngjs';
import { afterEach, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { kit, type Kit } from '../scheduler/scheduler-kit.case.js';

let k: Kit;
let server: ServerType | null = null;
const calls: unknown[] = [];

afterEach(async () => {
  await k.close();
  // Keep-alive connections would hold close() for seconds.
  if (server && 'closeAllConnections' in server) server.closeAllConnections();
  await new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve()));
  server = null;
  calls.length = 0;
});

function tinyPng(): string {
  const png = new PNG({ width: 2, height: 2 });
  png.data.fill(200);
  return PNG.sync.write(png).toString('base64');
}

/** An in-guest automation server, as the SDK builds one: stateless Streamable HTTP on loopback. */
function guestMcpServer(): McpServer {
  const mcp = new McpServer({ name: 'guest-automation', version: '1.0.0' });
  mcp.registerTool('open_page', { inputSchema: z.object({ url: z.string(), zoom: z.number() }) }, async (args) => {
    calls.push(args);
    return { content: [{ type: 'text', text: JSON.stringify({ opened: args.url }) }], structuredContent: { opened: args.url, zoom: args.zoom } };
  });
  mcp.registerTool('snap', { inputSchema: z.object({}) }, async () => ({
    content: [
      { type: 'text', text: 'here it is' },
      { type: 'image', data: tinyPng(), mimeType: 'image/png' },
    ],
  }));
  mcp.registerTool('broken', { inputSchema: z.object({}) }, async () => ({ content: [{ type: 'text', text: 'no browser' }], isError: true }));
  return mcp;
}

async function startGuestServer(): Promise<number> {
  const app = new Hono();
  app.all('/mcp', async (c) => {
    const transport = new WebStandardStreamableHTTPServerTransport({ sessionIdGenerator: undefined });
    await guestMcpServer().connect(transport);
    return transport.handleRequest(c.req.raw);
  });
  return new Promise((resolve) => {
    server = serve({ fetch: app.fetch, hostname: '127.0.0.1', port: 0 }, (info: AddressInfo) => resolve(info.port));
  });
}

async function mcpKit(workflow: string): Promise<Kit> {
  const port = await startGuestServer();
  const k2 = await kit({ pool: { size: 1, mcp: { port, path: '/mcp' } }, workflows: { task: workflow }, start: false });
  // The fake guest's address is not routable; its MCP port is reached on loopback, as a port forward would.
  k2.h.hv.guestEndpoint = async (_name: string, guestPort: number) => ({ host: '127.0.0.1', port: guestPort });
  await k2.scheduler.start();
  return k2;
}

describe('mcp executor against a real MCP server', () => {
  it('calls the tool at the VM endpoint with the input as arguments and keeps its structured result', async () => {
    k = await mcpKit('name: task\nexecutor: mcp\ninputs:\n  url: string\n  zoom: { type: number, default: 1.5 }\nmcp:\n  tool: open_page\n');
    const a = await k.scheduler.submit({ pool: 'p', workflow: 'task', input: { url: 'https://example.test' } });
    const done = await k.scheduler.waitFor(a.id);
    expect(done.status).toBe('completed');
    expect(calls).toEqual([{ url: 'https://example.test', zoom: 1.5 }]);
    expect(done.result?.output).toEqual({ opened: 'https://example.test', zoom: 1.5 });
  });

  it('substitutes declared arguments, keeping types of whole placeholders', async () => {
    k = await mcpKit('name: task\nexecutor: mcp\ninputs:\n  site: string\n  z: integer\nmcp:\n  tool: open_page\n  arguments:\n    url: "https://{{input.site}}/home"\n    zoom: "{{input.z}}"\n');
    const done = await k.scheduler.waitFor((await k.scheduler.submit({ pool: 'p', workflow: 'task', input: { site: 'a.test', z: 2 } })).id);
    expect(calls).toEqual([{ url: 'https://a.test/home', zoom: 2 }]);
    expect(done.status).toBe('completed');
  });

  it('saves images of the result as screenshots', async () => {
    k = await mcpKit('name: task\nexecutor: mcp\nmcp:\n  tool: snap\n');
    const done = await k.scheduler.waitFor((await k.scheduler.submit({ pool: 'p', workflow: 'task' })).id);
    expect(done.status).toBe('completed');
    expect(done.result?.screenshots).toHaveLength(1);
    expect(done.result?.output).toEqual({ text: ['here it is'], images: done.result?.screenshots });
  });

  it('fails the agent when the tool reports an error', async () => {
    k = await mcpKit('name: task\nexecutor: mcp\nmcp:\n  tool: broken\n');
    const done = await k.scheduler.waitFor((await k.scheduler.submit({ pool: 'p', workflow: 'task' })).id);
    expect(done.status).toBe('failed');
    expect(done.result?.error).toBe('MCP tool broken failed: no browser');
  });
});
