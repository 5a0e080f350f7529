import { Command } from '@commander-js/extra-typings';
import { pino } from 'pino';
import { HvkubeError } from '../../domain/errors.js';
import { runMcpStdio } from '../../mcp/stdio.js';
import { globals, withRuntime } from '../runtime-scope.js';
import { untilSignal } from './serve.js';

/**
 * `hvkube mcp`: the MCP tools over stdio, for a client that starts hvkube as its tool server.
 * Works on the local store and hypervisor; a remote server offers the same tools at `/mcp`.
 */
export function mcpCommand(): Command {
  return new Command('mcp')
    .description(
      'serve the MCP tools (acquire a desktop, screenshot, type, click, release) over stdio',
    )
    .option('--allow-any-vm', 'let the client drive any VM without a lease id (desktops it did not acquire, for a trusted operator)')
    .option(
      '--lease-ttl <s>',
      'lease of an acquired desktop in seconds, renewed while it is used',
      '900',
    )
    .action(async (o, command) => {
      if (globals(command).server !== undefined) {
        throw new HvkubeError(
          'INVALID_INPUT',
          '`hvkube mcp` runs on the local host, not through --server',
          { hint: 'point the client at <server>/mcp instead' },
        );
      }
      const ttl = Number(o.leaseTtl);
      if (!Number.isInteger(ttl) || ttl < 30 || ttl > 7 * 24 * 3600)
        throw new HvkubeError('INVALID_INPUT', '--lease-ttl must be whole seconds, 30 to 604800');
      // stdout carries the protocol: logs go to stderr only.
      const logger = pino({ level: process.env.HVKUBE_LOG_LEVEL ?? 'warn' }, pino.destination(2));
      await withRuntime(
        command,
        ({ rt }) =>
          runMcpStdio({
            orchestrator: rt.orchestrator,
            logger,
            // A client that stops us with a signal still gets its desktops released.
            until: untilSignal(),
            allowAnyVm: o.allowAnyVm === true,
            leaseTtlMs: ttl * 1000,
          }),
        { logger },
      );
    });
}
