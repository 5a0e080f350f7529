/**
 * Shared by the MCP tests: result accessors and a client on a handler without a socket.
 * @module
 */
import {
  Client,
  StreamableHTTPClientTransport,
  type CallToolResult,
} from '@modelcontextprotocol/client';
import { PNG } from 'pngjs';

export function textOf(r: CallToolResult): string {
  return r.content
    .filter((c): c is { type: 'text'; text: string } => c.type === 'text')
    .map((c) => c.text)
    .join('\n');
}

export function imageOf(r: CallToolResult): PNG {
  const image = r.content.find((c) => c.type === 'image');
  if (!image || image.type !== 'image')
    throw new Error(`no image in ${JSON.stringify(r.content).slice(0, 200)}`);
  if (image.mimeType !== 'image/png') throw new Error(`image is ${image.mimeType}`);
  return PNG.sync.read(Buffer.from(image.data, 'base64'));
}

export function structured<T>(r: CallToolResult): T {
  if (r.isError) throw new Error(`tool failed: ${textOf(r)}`);
  return r.structuredContent as T;
}

/** A connected client whose requests go straight to `handler` (no socket). */
export async function httpClient(
  handler: (req: Request) => Promise<Response>,
  name = 'test',
): Promise<Client> {
  const fetchToHandler = (url: string | URL, init?: RequestInit): Promise<Response> =>
    handler(new Request(url, init));
  const transport = new StreamableHTTPClientTransport(new URL('http://127.0.0.1/mcp'), {
    fetch: fetchToHandler,
  });
  const client = new Client({ name, version: '1.0.0' });
  await client.connect(transport);
  return client;
}
