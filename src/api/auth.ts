/**
 * Bearer-token authentication. Tokens are compared through fixed-length digests with
 * `timingSafeEqual`, trying every configured token, so neither the length of a token nor the
 * position of the first wrong character shows in the response time. The token is never logged:
 * nothing here writes the header anywhere.
 * @module
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import type { MiddlewareHandler } from 'hono';
import { HvkubeError } from '../domain/errors.js';

const digest = (s: string): Buffer => createHash('sha256').update(s, 'utf8').digest();

/** A matcher over the configured tokens; `null` when none is configured (auth is off). */
export function tokenMatcher(tokens: readonly string[]): ((candidate: string) => boolean) | null {
  if (tokens.length === 0) return null;
  const digests = tokens.map(digest);
  return (candidate) => {
    const d = digest(candidate);
    let ok = false;
    for (const t of digests) ok = timingSafeEqual(t, d) || ok;
    return ok;
  };
}

export interface BearerAuthOptions {
  tokens: readonly string[];
  /** Paths reachable without a token (health checks for load balancers and probes). */
  publicPaths?: readonly string[];
  /** Path prefixes reachable without a token (their routes answer for themselves, e.g. 404). */
  publicPrefixes?: readonly string[];
}

export function bearerAuth({ tokens, publicPaths = ['/healthz', '/readyz'], publicPrefixes = [] }: BearerAuthOptions): MiddlewareHandler {
  const matches = tokenMatcher(tokens);
  return async function bearerAuthMiddleware(c, next) {
    if (matches === null || publicPaths.includes(c.req.path) || publicPrefixes.some((p) => c.req.path.startsWith(p))) return next();
    const header = c.req.header('authorization') ?? '';
    const m = /^Bearer[ ]+([^\s]+)\s*$/i.exec(header);
    if (!m?.[1] || !matches(m[1])) {
      // RFC 6750: a request without credentials gets no error code, a wrong token gets invalid_token.
      c.header('WWW-Authenticate', m ? 'Bearer realm="hvkube", error="invalid_token", error_description="the bearer token is not valid"' : 'Bearer realm="hvkube", error_description="missing bearer token"');
      throw new HvkubeError('UNAUTHORIZED', m ? 'the bearer token is not valid' : 'missing bearer token', {
        hint: 'send Authorization: Bearer <token> (the CLI reads --token or HVKUBE_API_TOKEN)',
      });
    }
    return next();
  };
}
