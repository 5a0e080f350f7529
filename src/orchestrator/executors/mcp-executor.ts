/**
 * `mcp`: calls one tool of the MCP automation server inside the guest, at the VM's
 * `mcp_endpoint` (Streamable HTTP), with the task input as arguments, and keeps its result.
 * Images in the result are saved as the agent's screenshots.
 * @module
 */
import { substituteValue } from '../workflows/substitute.js';
import { TaskError, type ExecutionContext, type Executor } from './executor.js';

/** The agent's own deadline and cancel bound the call; this only keeps the SDK's 60 s default away. */
const CALL_TIMEOUT_MS = 24 * 3600 * 1000;
const CLIENT_INFO = { name: 'hvkube-agent', version: '0.1.0' };

type ContentItem = { type: string; text?: unknown; data?: unknown; mimeType?: unknown } & Record<string, unknown>;

function textOf(items: ContentItem[]): string[] {
  return items.filter((c) => c.type === 'text' && typeof c.text === 'string').map((c) => c.text as string);
}

function jsonOrText(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return text;
  }
}

/** Structured content when the tool gives it; else its text (parsed when it is JSON). */
function outputOf(structured: unknown, items: ContentItem[], images: string[]): unknown {
  if (structured !== undefined && structured !== null) return structured;
  const texts = textOf(items);
  if (texts.length === 1 && images.length === 0) return jsonOrText(texts[0] ?? '');
  if (texts.length === 0 && images.length === 0) return null;
  return { text: texts, images };
}

async function loadClient(): Promise<typeof import('@modelcontextprotocol/client')> {
  try {
    return await import('@modelcontextprotocol/client');
  } catch (e) {
    throw new TaskError(`the mcp executor needs the package @modelcontextprotocol/client: ${e instanceof Error ? e.message : String(e)}`);
  }
}

export const mcpExecutor: Executor = {
  name: 'mcp',
  async run(ctx: ExecutionContext): Promise<unknown> {
    if (ctx.workflow.executor !== 'mcp') throw new TaskError(`workflow ${ctx.workflow.name} is not an mcp workflow`);
    const endpoint = ctx.vm.mcpEndpoint;
    if (!endpoint) {
      throw new TaskError(`VM ${ctx.vm.name} has no MCP endpoint: its template declares no in-guest MCP server (template option mcp: {port, path})`);
    }
    const { tool, arguments: template } = ctx.workflow.mcp;
    const args = (template === null ? { ...ctx.input } : substituteValue(template, ctx.input)) as Record<string, unknown>;
    const { Client, StreamableHTTPClientTransport } = await loadClient();
    const client = new Client(CLIENT_INFO);
    ctx.log(`calling MCP tool ${tool} at ${endpoint}`);
    try {
      await client.connect(new StreamableHTTPClientTransport(new URL(endpoint)), { signal: ctx.signal });
      const result = await client.callTool({ name: tool, arguments: args }, { signal: ctx.signal, timeout: CALL_TIMEOUT_MS });
      const items = (Array.isArray(result.content) ? result.content : []) as ContentItem[];
      const images: string[] = [];
      for (const item of items) {
        if (item.type === 'image' && typeof item.data === 'string' && item.mimeType === 'image/png') {
          images.push(await ctx.saveScreenshot(Buffer.from(item.data, 'base64'), `${tool} result`));
        }
      }
      const output = outputOf(result.structuredContent, items, images);
      if (result.isError === true) {
        throw new TaskError(`MCP tool ${tool} failed: ${textOf(items).join(' ') || 'no message'}`, output);
      }
      ctx.log(`MCP tool ${tool} answered`);
      return output;
    } finally {
      await client.close().catch(() => undefined);
    }
  },
};
