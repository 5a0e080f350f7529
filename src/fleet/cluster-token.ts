/**
 * The token hosts present to each other. Compared through fixed-length digests with
 * `timingSafeEqual`, so the response time tells nothing about how much of a guess was right.
 * @module
 */
import { createHash, timingSafeEqual } from 'node:crypto';

const digest = (s: string): Buffer => createHash('sha256').update(s, 'utf8').digest();

/** True when `header` is `Bearer <token>` with the cluster's token; never with no token set. */
export function isClusterBearer(header: string | undefined, token: string | null): boolean {
  if (token === null || header === undefined) return false;
  const m = /^Bearer[ ]+(\S+)\s*$/i.exec(header);
  if (!m?.[1]) return false;
  return timingSafeEqual(digest(m[1]), digest(token));
}
