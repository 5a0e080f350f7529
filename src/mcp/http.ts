/**
 * MCP over streamable HTTP, as a web-standard handler the API mounts at `/mcp` behind its
 * bearer auth. Each client gets a session (the `Mcp-Session-Id` header) with its own server
 * instance. Desktops belong to leases, not sessions: a session drives the desktops it acquired and
 * those whose lease id it presents, so clients that open a session per call (stateless tool
 * runners, the Inspector CLI) work. A session ends on DELETE, after `sessionIdleMs` without a
 * request, or when the server closes; a desktop acquired over MCP is released when the last
 * session driving it ends, so a client that vanishes leaks nothing. When `maxSessions` are open, a
 * new one is refused with 503 and a `Retry-After` of when the longest-idle session expires.
 * @module
 */
import { randomUUID } from 'node:crypto';
import { WebStandardStreamableHTTPServerTransport } from '@modelcontextprotocol/server';
import type { Orchestrator } from '../orchestrator/orchestrator.js';
import { foreignRequest, LOOPBACK_POLICY, type HostPolicy } from '../api/request-guard.js';
import { errorMessage, silentLogger, type Logger } from '../_util/logger.js';
import type { AgentsPort } from './agents.js';
import { createHvkubeMcpServer } from './server.js';
import { McpLeases } from './leases.js';
import { McpSession } from './session.js';

export interface McpHttpOptions {
  orchestrator: Orchestrator;
  agents?: AgentsPort | null;
  logger?: Logger;
  /** Let every client drive every VM, not only those it acquired. Default false. */
  allowAnyVm?: boolean;
  /** Lease of a desktop acquired over MCP, renewed on use. Default 15 min. */
  leaseTtlMs?: number;
  /** A session without requests for this long is closed. Default 10 min. */
  sessionIdleMs?: number;
  /** Sessions open at once; more are refused with 503. Default 200. */
  maxSessions?: number;
  /** Accepted `Host` and `Origin` headers, as the API's (src/api/request-guard.ts). Default: loopback only. */
  hostPolicy?: HostPolicy;
}

export type McpHttpHandler = ((req: Request) => Promise<Response>) & {
  /** Closes every session, releasing the desktops they hold. */
  close(): Promise<void>;
  readonly sessionCount: number;
};

interface Entry {
  transport: WebStandardStreamableHTTPServerTransport;
  session: McpSession;
  lastUsed: number;
  closing: Promise<void> | null;
}

function rpcError(
  status: number,
  code: number,
  message: string,
  headers: Record<string, string> = {},
): Response {
  return new Response(JSON.stringify({ jsonrpc: '2.0', error: { code, message }, id: null }), {
    status,
    headers: { 'Content-Type': 'application/json', ...headers },
  });
}

export const DEFAULT_SESSION_IDLE_MS = 10 * 60_000;

export function createMcpHttpHandler(options: McpHttpOptions): McpHttpHandler {
  const logger = options.logger ?? silentLogger;
  const idleMs = options.sessionIdleMs ?? DEFAULT_SESSION_IDLE_MS;
  const maxSessions = options.maxSessions ?? 200;
  const sessions = new Map<string, Entry>();
  const leases = new McpLeases();

  const closeEntry = (id: string, entry: Entry, why: string): Promise<void> => {
    entry.closing ??= (async () => {
      sessions.delete(id);
      logger.info(
        { session: entry.session.holder, why, desktops: entry.session.owned.length },
        'MCP session closed',
      );
      await entry.session.releaseAll();
      await entry.transport
        .close()
        .catch((e: unknown) =>
          logger.debug({ err: errorMessage(e) }, 'closing an MCP transport failed'),
        );
    })();
    return entry.closing;
  };

  const sweep = setInterval(
    () => {
      const now = Date.now();
      for (const [id, entry] of sessions)
        if (now - entry.lastUsed > idleMs) void closeEntry(id, entry, 'idle');
    },
    Math.min(60_000, Math.max(1000, idleMs / 4)),
  );
  sweep.unref();

  /** Seconds until the longest-idle session expires and frees a place. */
  const retryAfterS = (): number => {
    const oldest = Math.min(...[...sessions.values()].map((e) => e.lastUsed));
    return Math.max(1, Math.ceil((oldest + idleMs - Date.now()) / 1000));
  };

  async function open(req: Request): Promise<Response> {
    if (sessions.size >= maxSessions) {
      const wait = retryAfterS();
      return rpcError(
        503,
        -32000,
        `too many MCP sessions open (${maxSessions}); end yours with DELETE /mcp, or retry in ${wait} s`,
        { 'Retry-After': String(wait) },
      );
    }
    const id = randomUUID();
    // The session id works like a credential: listings and logs show an unrelated tag instead.
    const tag = randomUUID().slice(0, 8);
    const session = new McpSession(options.orchestrator, {
      holder: `mcp:${tag}`,
      allowAnyVm: options.allowAnyVm,
      leaseTtlMs: options.leaseTtlMs,
      leases,
      logger,
    });
    const transport = new WebStandardStreamableHTTPServerTransport({
      sessionIdGenerator: () => id,
      onsessioninitialized: (sid) => {
        sessions.set(sid, entry);
        logger.info({ session: tag }, 'MCP session opened');
      },
      onsessionclosed: (sid) => closeEntry(sid, entry, 'client ended it'),
    });
    const entry: Entry = { transport, session, lastUsed: Date.now(), closing: null };
    const server = createHvkubeMcpServer({
      orchestrator: options.orchestrator,
      session,
      agents: options.agents,
      logger,
    });
    await server.connect(transport);
    const response = await transport.handleRequest(req);
    // Anything but an initialize request was answered with an error by the transport: drop it.
    if (!sessions.has(id)) await transport.close();
    return response;
  }

  const handler = async (req: Request): Promise<Response> => {
    // The API app checked this already; the handler checks again for any other mount. Host and
    // Origin must be judged against a fixed list: a rebinding page controls both.
    const refusal = foreignRequest(req, options.hostPolicy ?? LOOPBACK_POLICY);
    if (refusal) return rpcError(403, -32000, refusal.describe());
    const sid = req.headers.get('mcp-session-id');
    if (sid === null) {
      if (req.method !== 'POST')
        return rpcError(
          400,
          -32000,
          'no Mcp-Session-Id: start a session with an initialize request',
        );
      return open(req);
    }
    const entry = sessions.get(sid);
    if (!entry || entry.closing) return rpcError(404, -32001, 'Session not found');
    entry.lastUsed = Date.now();
    return entry.transport.handleRequest(req);
  };

  const close = async (): Promise<void> => {
    clearInterval(sweep);
    await Promise.all([...sessions].map(([id, entry]) => closeEntry(id, entry, 'server closing')));
  };
  // defineProperty, not Object.assign: assign would copy the count once instead of the getter.
  return Object.defineProperties(handler, {
    close: { value: close },
    sessionCount: { get: () => sessions.size },
  }) as McpHttpHandler;
}
