/**
 * The line discipline in front of the stdio transport: every line that is not a JSON-RPC
 * message gets a JSON-RPC error on stdout (the SDK's transport only reports it to the server's
 * log, and the client would wait for an answer forever). Unparseable lines answer -32700 (parse
 * error), nesting deeper than the API accepts and non-messages answer -32600 (invalid request).
 * @module
 */
import { Transform, type TransformCallback, type Writable } from 'node:stream';
import { jsonDepth, MAX_JSON_DEPTH } from '../api/request-guard.js';

/** Longest line kept; the SDK's own read buffer stops at 10 MB. */
const MAX_LINE_BYTES = 10 * 1024 * 1024;

const PARSE_ERROR = -32700;
const INVALID_REQUEST = -32600;

function errorLine(code: number, message: string, id: string | number | null = null): string {
  return `${JSON.stringify({ jsonrpc: '2.0', id, error: { code, message } })}\n`;
}

/** Why a line is refused (with the line to write back), or null when it goes to the transport. */
export function refuseLine(line: string): string | null {
  if (jsonDepth(line) > MAX_JSON_DEPTH) return errorLine(INVALID_REQUEST, `Invalid Request: JSON nested deeper than ${MAX_JSON_DEPTH} levels`);
  let value: unknown;
  try {
    value = JSON.parse(line);
  } catch (e) {
    return errorLine(PARSE_ERROR, `Parse error: ${e instanceof Error ? e.message : String(e)}`);
  }
  const message = typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Record<string, unknown>) : null;
  if (message?.jsonrpc === '2.0' && (typeof message.method === 'string' || 'result' in message || 'error' in message)) return null;
  const id = message && (typeof message.id === 'string' || typeof message.id === 'number') ? message.id : null;
  return errorLine(INVALID_REQUEST, 'Invalid Request: not a JSON-RPC 2.0 message', id);
}

/** Passes JSON-RPC lines on, and answers every other line on `out`. */
export function jsonRpcLineFilter(out: Writable): Transform {
  let pending = '';
  let discarding = false;
  const handle = (raw: string, push: (line: string) => void): void => {
    const line = raw.endsWith('\r') ? raw.slice(0, -1) : raw;
    if (line.trim() === '') return;
    const refusal = refuseLine(line);
    if (refusal === null) push(`${line}\n`);
    else out.write(refusal);
  };
  return new Transform({
    decodeStrings: false,
    transform(chunk: Buffer | string, _encoding, done: TransformCallback) {
      const lines = (pending + chunk.toString()).split('\n');
      pending = lines.pop() ?? '';
      for (const line of lines) {
        if (discarding) discarding = false;
        else handle(line, (l) => this.push(l));
      }
      if (Buffer.byteLength(pending) > MAX_LINE_BYTES) {
        if (!discarding) out.write(errorLine(INVALID_REQUEST, `Invalid Request: a message longer than ${MAX_LINE_BYTES} bytes`));
        discarding = true;
        pending = '';
      }
      done();
    },
    flush(done: TransformCallback) {
      if (!discarding) handle(pending, (l) => this.push(l));
      done();
    },
  });
}
