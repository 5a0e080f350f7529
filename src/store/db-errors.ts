/**
 * Recognises constraint violations and transient failures (busy, unreachable, racing database)
 * from either driver, so the store can turn them into typed errors. better-sqlite3 sets `code`
 * to `SQLITE_*`; pg sets the SQLSTATE, or a socket error's code.
 * @module
 */
import { HvkubeError } from '../domain/errors.js';

function codeOf(e: unknown): string | undefined {
  if (typeof e !== 'object' || e === null || !('code' in e)) return undefined;
  const code = e.code;
  return typeof code === 'string' ? code : undefined;
}

export function isUniqueViolation(e: unknown): boolean {
  const code = codeOf(e);
  return (
    code === '23505' ||
    code === 'SQLITE_CONSTRAINT_PRIMARYKEY' ||
    code === 'SQLITE_CONSTRAINT_UNIQUE'
  );
}

export function isForeignKeyViolation(e: unknown): boolean {
  const code = codeOf(e);
  return code === '23503' || code === 'SQLITE_CONSTRAINT_FOREIGNKEY';
}

/**
 * SQLSTATEs that say "not now" rather than "never": the server or the connection failed
 * (class 08), a transaction lost a race (serialization failure, deadlock), the server is short
 * of resources (class 53: too many connections, out of memory), a lock or statement timed out,
 * the server is shutting down or starting. The same request succeeds when retried.
 */
const TRANSIENT_SQLSTATES = new Set(['40001', '40P01', '55P03', '57014', '57P01', '57P02', '57P03']);
const TRANSIENT_SQLSTATE_CLASSES = ['08', '53'];
const TRANSIENT_SOCKET_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE', 'EHOSTUNREACH', 'ENETUNREACH', 'ENOTFOUND', 'EAI_AGAIN']);
/** pg and pg-pool report timeouts and dropped connections as plain Errors, by message only. */
const TRANSIENT_DRIVER_MESSAGES = /^(timeout exceeded when trying to connect|Query read timeout|Connection terminated|Client has encountered a connection error|Client was closed and is not queryable)/;

/** Whether a driver error is a busy, unreachable or racing database, so a retry can succeed. */
export function isTransientStoreError(e: unknown): boolean {
  const code = codeOf(e);
  if (code !== undefined) {
    if (TRANSIENT_SQLSTATES.has(code) || TRANSIENT_SOCKET_CODES.has(code)) return true;
    if (/^[0-9A-Z]{5}$/.test(code) && TRANSIENT_SQLSTATE_CLASSES.includes(code.slice(0, 2))) return true;
    if (code === 'SQLITE_BUSY' || code.startsWith('SQLITE_BUSY_') || code === 'SQLITE_LOCKED') return true;
  }
  return e instanceof Error && TRANSIENT_DRIVER_MESSAGES.test(e.message);
}

/**
 * A transient driver error as the typed, retryable STORE_UNAVAILABLE (503); any other error as it
 * was. The driver's message stays in the message (it names no secret: no URL, no parameters).
 */
export function typedStoreError(e: unknown): unknown {
  if (e instanceof HvkubeError || !isTransientStoreError(e)) return e;
  const code = codeOf(e) ?? null;
  return new HvkubeError('STORE_UNAVAILABLE', `the database is busy or unreachable: ${e instanceof Error ? e.message : String(e)}`, {
    hint: 'retry in a moment; if it persists, check the database server and its connection limit',
    details: { driverCode: code, retryable: true },
    cause: e,
  });
}
