/**
 * Recognises constraint violations from either driver, so the store can turn them into typed
 * errors. better-sqlite3 sets `code` to `SQLITE_CONSTRAINT_*`; pg sets the SQLSTATE.
 * @module
 */

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
