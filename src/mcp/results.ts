/**
 * Tool results: JSON answers as both structured content and text (older clients only read the
 * text), and failures as MCP tool errors that say what was wrong and what to do.
 * @module
 */
import type { CallToolResult } from '@modelcontextprotocol/server';
import { HvkubeError, toHvkubeError } from '../domain/errors.js';
import type { Logger } from '../_util/logger.js';

export function jsonResult(value: Record<string, unknown>): CallToolResult {
  return {
    content: [{ type: 'text', text: JSON.stringify(value, null, 2) }],
    structuredContent: value,
  };
}

export function textResult(text: string): CallToolResult {
  return { content: [{ type: 'text', text }] };
}

/** An error result the calling model can act on: the code, the reason and the hint. */
export function errorResult(e: unknown, logger: Logger, tool: string): CallToolResult {
  const err = toHvkubeError(e);
  if (!(e instanceof HvkubeError))
    logger.error({ tool, err: err.message }, 'MCP tool failed unexpectedly');
  return { isError: true, content: [{ type: 'text', text: `${err.code}: ${err.describe()}` }] };
}

/** Runs a tool body, turning anything it throws into a tool error instead of a protocol failure. */
export async function guarded(
  tool: string,
  logger: Logger,
  body: () => Promise<CallToolResult>,
): Promise<CallToolResult> {
  try {
    return await body();
  } catch (e) {
    return errorResult(e, logger, tool);
  }
}
