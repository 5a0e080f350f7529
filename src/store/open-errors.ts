/**
 * Why a store could not be opened, said in words instead of a driver's stack trace: a damaged
 * or unreadable SQLite file, a PostgreSQL database that does not exist, a server that refuses
 * the connection or the credentials. Connection strings are shown without their password.
 * @module
 */
import { HvkubeError } from '../domain/errors.js';

function codeOf(e: unknown): string | undefined {
  if (typeof e !== 'object' || e === null) return undefined;
  const code = (e as { code?: unknown }).code;
  if (typeof code === 'string') return code;
  // Node's connect to `localhost` tries every address and reports them together.
  const inner = (e as { errors?: unknown }).errors;
  return Array.isArray(inner) ? codeOf(inner[0]) : undefined;
}

function messageOf(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}

/** `postgres://user@host:port/db`, never the password. */
export function redactedUrl(url: string): string {
  try {
    const u = new URL(url);
    if (u.password) u.password = '***';
    return u.toString();
  } catch {
    return 'the database URL';
  }
}

export function sqliteOpenError(e: unknown, file: string): HvkubeError | null {
  const code = codeOf(e);
  if (code === 'SQLITE_NOTADB' || code === 'SQLITE_CORRUPT') {
    return new HvkubeError('STORE_UNAVAILABLE', `the SQLite store ${file} is damaged or not a database (${code})`, {
      hint: 'restore it from a backup; or move it aside to start empty (templates and pools must then be created again, and `hvkube reconcile` reports the VMs it left behind)',
      details: { file, driverCode: code },
      cause: e,
    });
  }
  if (code !== undefined && /^(SQLITE_(CANTOPEN|READONLY|PERM|AUTH|IOERR)|EACCES|EPERM|EROFS|ENOENT)/.test(code)) {
    return new HvkubeError('STORE_UNAVAILABLE', `cannot open the SQLite store ${file}: ${messageOf(e)}`, {
      hint: 'check that the data directory exists and this user may write to it (--data-dir or HVKUBE_DATA_DIR)',
      details: { file, driverCode: code },
      cause: e,
    });
  }
  return null;
}

export function postgresOpenError(raised: unknown, url: string): HvkubeError | null {
  // The pool already types transient failures (a refused connection among them); at open time
  // the driver's own error says more, so read that one.
  const e = raised instanceof HvkubeError && raised.cause !== undefined ? raised.cause : raised;
  const code = codeOf(e);
  const where = redactedUrl(url);
  const error = (message: string, hint: string): HvkubeError =>
    new HvkubeError('STORE_UNAVAILABLE', message, { hint, details: { url: where, driverCode: code ?? null }, cause: e });
  if (code === '3D000') return error(`the PostgreSQL database of ${where} does not exist (${messageOf(e)})`, 'create it (e.g. `createdb NAME`), or fix the database name in the URL');
  if (code === '28P01' || code === '28000') return error(`PostgreSQL refused the credentials of ${where}: ${messageOf(e)}`, 'check the user name and password in the URL');
  if (code === '3F000') return error(`the schema in the search_path of ${where} does not exist`, 'create the schema, or fix options=-c search_path=… in the URL');
  if (code !== undefined && ['ECONNREFUSED', 'ENOTFOUND', 'EAI_AGAIN', 'EHOSTUNREACH', 'ENETUNREACH', 'ETIMEDOUT', 'ECONNRESET'].includes(code)) {
    return error(`cannot connect to PostgreSQL at ${where} (${code})`, 'is the server running and reachable from this host? check the host and port in the URL');
  }
  if (/timeout|terminated/i.test(messageOf(e))) return error(`PostgreSQL at ${where} did not answer: ${messageOf(e)}`, 'is the server running and reachable from this host?');
  return null;
}
