/**
 * How a failed command tells its user: the message (and hint) on stderr, the error as JSON on
 * stdout with `--json`, and the exit code (1 failure, 2 usage or invalid input).
 * @module
 */
import { HvkubeError, InternalError } from '../domain/errors.js';

const USAGE_CODES = new Set(['INVALID_NAME', 'INVALID_PATH', 'INVALID_INPUT', 'WORKFLOW_INVALID']);

/** Writes the error and answers the exit code it deserves. */
export function reportError(e: unknown, wantsJson: boolean): number {
  if (e instanceof HvkubeError) {
    if (wantsJson) process.stdout.write(JSON.stringify({ error: e.toJSON() }, null, 2) + '\n');
    process.stderr.write(`error: ${e.describe()}\n`);
    if (e instanceof InternalError) process.stderr.write(`${e.stack ?? ''}\nthis is a bug in hvkube; please report it with the output above\n`);
    return USAGE_CODES.has(e.code) ? 2 : 1;
  }
  process.stderr.write(`error: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`);
  return 1;
}
