/**
 * MCP over stdio (`hvkube mcp`): one client per process, so one session. When the client
 * closes the pipe, the desktops it acquired are released before the process ends; a desktop
 * acquired elsewhere (CLI, API) and driven here by its lease id stays with its holder.
 * @module
 */
import type { Readable, Writable } from 'node:stream';
import { serveStdio, StdioServerTransport } from '@modelcontextprotocol/server/stdio';
import type { Orchestrator } from '../orchestrator/orchestrator.js';
import { errorMessage, silentLogger, type Logger } from '../_util/logger.js';
import type { AgentsPort } from './agents.js';
import { createHvkubeMcpServer } from './server.js';
import { McpSession } from './session.js';
import { jsonRpcLineFilter } from './stdio-lines.js';

export interface McpStdioOptions {
  orchestrator: Orchestrator;
  agents?: AgentsPort | null;
  /** Must not write to stdout: stdout carries the protocol. */
  logger?: Logger;
  allowAnyVm?: boolean;
  leaseTtlMs?: number;
  /** Default: the process's stdin and stdout. */
  stdin?: Readable;
  stdout?: Writable;
  /** Also stop when this settles (e.g. on SIGTERM), not only when stdin ends. */
  until?: Promise<unknown>;
}

/** Serves until stdin ends (or `until` settles); resolves once the session's desktops are released. */
export async function runMcpStdio(options: McpStdioOptions): Promise<void> {
  const logger = options.logger ?? silentLogger;
  const session = new McpSession(options.orchestrator, {
    holder: `mcp:stdio-${process.pid}`,
    allowAnyVm: options.allowAnyVm,
    leaseTtlMs: options.leaseTtlMs,
    logger,
  });
  // The SDK may build a throw-away instance to answer a version probe; all share the one session.
  const stdin = options.stdin ?? process.stdin;
  const stdout = options.stdout ?? process.stdout;
  const handle = serveStdio(
    () =>
      createHvkubeMcpServer({
        orchestrator: options.orchestrator,
        session,
        agents: options.agents,
        logger,
      }),
    {
      transport: new StdioServerTransport(stdin.pipe(jsonRpcLineFilter(stdout)), stdout),
      onerror: (e) => logger.warn({ err: errorMessage(e) }, 'MCP stdio error'),
    },
  );
  await Promise.race([
    new Promise<void>((resolve) => {
      stdin.once('end', resolve);
      stdin.once('close', resolve);
    }),
    ...(options.until ? [options.until] : []),
  ]);
  await handle.close();
  await session.releaseAll();
}
