/**
 * What a request must look like before any route sees it, so that no web page can drive the
 * server through a visitor's browser:
 * - `Host`: on a loopback-only server, a loopback name or literal (`localhost`, `127.0.0.0/8`,
 *   `[::1]`) or a configured allowed host. A page whose name was re-pointed at 127.0.0.1 (DNS
 *   rebinding) sends its own name and is refused. A server beyond loopback requires a token,
 *   which no foreign page holds, and accepts any `Host` (peers of a fleet call it by address).
 * - `Origin`, when a browser sends one: the server's own origin or an allowed host.
 * - State-changing methods carry `Content-Type: application/json`, even with an empty body: a
 *   cross-site form or `no-cors` fetch cannot set it without a CORS preflight, which this server
 *   never grants.
 * - Bodies are read in full up to a limit, and JSON nesting is bounded.
 * @module
 */
import type { MiddlewareHandler } from 'hono';
import { HvkubeError } from '../domain/errors.js';

export interface HostPolicy {
  /** The server listens on loopback only (the default): `Host` is checked on every request. */
  loopbackOnly: boolean;
  /** Host names accepted in `Host` besides loopback, and as the host of a cross-origin `Origin`. */
  allowedHosts: readonly string[];
}

export const LOOPBACK_POLICY: HostPolicy = { loopbackOnly: true, allowedHosts: [] };

/** Deepest JSON accepted in a request: arrays and objects nested more than this are refused. */
export const MAX_JSON_DEPTH = 64;

const STATE_CHANGING = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);

/** A name only this machine resolves, or a loopback literal (after URL normalisation). */
export function isLoopbackHostname(hostname: string): boolean {
  const h = hostname.toLowerCase();
  if (h === 'localhost' || h === '[::1]') return true;
  return /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(h);
}

const allowed = (policy: HostPolicy, hostname: string): boolean =>
  policy.allowedHosts.some((a) => a.toLowerCase() === hostname.toLowerCase());

function defaultPort(protocol: string): string {
  return protocol === 'https:' ? '443' : protocol === 'http:' ? '80' : '';
}

const HOST_HEADER = /^(?:\[[0-9A-Fa-f:.]+\]|[^\s/?#@[\]:\\]+)(?::\d{1,5})?$/;

/** The host a request was sent to (its `Host` header; the URL's when a test builds it without one). */
function requestHost(req: Request): URL | null {
  const url = new URL(req.url);
  const header = req.headers.get('host');
  if (header === null) return url;
  if (!HOST_HEADER.test(header)) return null;
  try {
    return new URL(`${url.protocol}//${header}`);
  } catch {
    return null;
  }
}

/** Why `Host` or `Origin` is refused under this policy, or null when both are acceptable. */
export function foreignRequest(req: Request, policy: HostPolicy): HvkubeError | null {
  const host = requestHost(req);
  if (policy.loopbackOnly && (host === null || !(isLoopbackHostname(host.hostname) || allowed(policy, host.hostname)))) {
    return new HvkubeError('FORBIDDEN_HOST', 'this server answers only requests addressed to localhost, 127.0.0.1 or [::1]', {
      hint: 'use http://127.0.0.1:PORT, or add the name to api.allowedHosts in config.json',
      details: { host: req.headers.get('host') ?? null },
    });
  }
  const origin = req.headers.get('origin');
  if (origin === null) return null;
  // `null` is what sandboxed frames, file: pages and some redirects send: never this server.
  const o = origin === 'null' || !URL.canParse(origin) ? null : new URL(origin);
  const sameOrigin =
    o !== null &&
    host !== null &&
    o.protocol === host.protocol &&
    o.hostname === host.hostname &&
    (o.port || defaultPort(o.protocol)) === (host.port || defaultPort(host.protocol));
  if (sameOrigin || (o !== null && allowed(policy, o.hostname))) return null;
  return new HvkubeError('FORBIDDEN_ORIGIN', `requests from web pages of other sites are refused (Origin ${origin.slice(0, 200)})`, {
    hint: 'use the dashboard this server serves, or add the page\'s host name to api.allowedHosts in config.json',
    details: { origin: origin.slice(0, 200) },
  });
}

/** Refuses a foreign `Host` or `Origin` on every route (API, dashboard, MCP, docs, metrics, events). */
export function hostGuard(policy: HostPolicy): MiddlewareHandler {
  return async function hostGuardMiddleware(c, next) {
    const refusal = foreignRequest(c.req.raw, policy);
    if (refusal) throw refusal;
    return next();
  };
}

/** True when the request's media type is `application/json` (parameters such as charset allowed). */
export function isJsonRequest(req: Request): boolean {
  return (req.headers.get('content-type') ?? '').split(';')[0]?.trim().toLowerCase() === 'application/json';
}

/**
 * Nesting depth of a JSON text, without parsing it (parsers and schema checks recurse, and
 * thousands of levels overflow the stack). Brackets inside strings do not count.
 */
export function jsonDepth(text: string): number {
  let depth = 0;
  let max = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const ch = text.charCodeAt(i);
    if (inString) {
      if (ch === 0x5c) i++;
      else if (ch === 0x22) inString = false;
    } else if (ch === 0x22) inString = true;
    else if (ch === 0x5b || ch === 0x7b) max = Math.max(max, ++depth);
    else if (ch === 0x5d || ch === 0x7d) depth--;
  }
  return max;
}

export function checkJsonDepth(text: string, what = 'request body'): void {
  const depth = jsonDepth(text);
  if (depth > MAX_JSON_DEPTH) {
    throw new HvkubeError('INVALID_INPUT', `the ${what} nests JSON ${depth} levels deep; at most ${MAX_JSON_DEPTH} are accepted`, {
      details: { maxDepth: MAX_JSON_DEPTH },
    });
  }
}

export interface BodyGuardOptions {
  maxBodyBytes: number;
  /** Requests exempt from the Content-Type rule (MCP's session-ending DELETE, defined without a body). */
  exempt?: (method: string, path: string) => boolean;
  /**
   * Requests whose body is raw bytes (`application/octet-stream`, e.g. a file for a guest): they
   * skip the JSON rule and the body limit and reach the route unread; the route enforces its own
   * limit. Like `application/json`, that media type cannot be sent cross-site without a preflight.
   */
  rawBody?: (method: string, path: string) => boolean;
}

/** Reads and discards what is left of a body, up to `limit` bytes; true when it ended. */
async function drain(reader: ReadableStreamDefaultReader<Uint8Array>, limit: number): Promise<boolean> {
  let read = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) return true;
    read += value.length;
    if (read > limit) {
      await reader.cancel().catch(() => undefined);
      return false;
    }
  }
}

/**
 * Content-Type on state-changing requests, the body size limit and the JSON nesting bound.
 * An oversized body is read to its end (up to 16 times the limit) before the 413 leaves, with
 * `Connection: close`: a client still sending when the server answered and closed would see a
 * reset instead of the answer.
 */
export function bodyGuard(options: BodyGuardOptions): MiddlewareHandler {
  const max = options.maxBodyBytes;
  const tooLarge = (): HvkubeError =>
    new HvkubeError('BODY_TOO_LARGE', `request body too large (at most ${max} bytes)`, { details: { maxBytes: max } });
  return async function bodyGuardMiddleware(c, next) {
    const req = c.req.raw;
    if (options.rawBody?.(req.method, c.req.path)) {
      const type = (req.headers.get('content-type') ?? '').split(';')[0]?.trim().toLowerCase();
      if (type !== 'application/octet-stream') {
        throw new HvkubeError('UNSUPPORTED_MEDIA_TYPE', `${req.method} ${c.req.path} takes the file's bytes with Content-Type: application/octet-stream`, {
          hint: 'send the raw file as the body with that header',
          details: { contentType: req.headers.get('content-type') ?? null },
        });
      }
      return next();
    }
    if (STATE_CHANGING.has(req.method) && !isJsonRequest(req) && !options.exempt?.(req.method, c.req.path)) {
      throw new HvkubeError('UNSUPPORTED_MEDIA_TYPE', `${req.method} requests must send Content-Type: application/json, also when the body is empty`, {
        hint: 'add the header Content-Type: application/json',
        details: { contentType: req.headers.get('content-type') ?? null },
      });
    }
    if (!req.body) {
      if (STATE_CHANGING.has(req.method) && isJsonRequest(req)) c.req.raw = new Request(req, { body: '{}' });
      return next();
    }
    const declared = Number(req.headers.get('content-length') ?? NaN);
    const reader = req.body.getReader();
    const refuse = async (): Promise<never> => {
      c.header('Connection', 'close');
      const ended = Number.isFinite(declared) && declared > 16 * max ? false : await drain(reader, 16 * max);
      if (!ended) await reader.cancel().catch(() => undefined);
      throw tooLarge();
    };
    if (Number.isFinite(declared) && declared > max) return refuse();
    const chunks: Uint8Array[] = [];
    let size = 0;
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      size += value.length;
      if (size > max) return refuse();
      chunks.push(value);
    }
    const json = isJsonRequest(req);
    // Body-less POSTs must carry the JSON media type; to the routes their empty body is `{}`.
    const bytes = json && size === 0 ? Buffer.from('{}') : Buffer.concat(chunks, size);
    if (json) checkJsonDepth(bytes.toString('utf8'));
    c.req.raw = new Request(req, { body: bytes });
    return next();
  };
}
