/**
 * The API's one error edge: every failure leaves as `{error: {code, message, details}}` with the
 * status its code maps to. Validation failures are 400 before any handler runs; anything
 * unexpected is a logged 500 that says nothing about its cause to the caller.
 * @module
 */
import type { Context, ErrorHandler, NotFoundHandler } from 'hono';
import { HTTPException } from 'hono/http-exception';
import type { ContentfulStatusCode } from 'hono/utils/http-status';
import type { ZodError } from 'zod';
import { ERROR_CODES, HvkubeError, type ErrorCode } from '../domain/errors.js';
import type { Logger } from '../_util/logger.js';

export interface ErrorBody {
  error: { code: string; message: string; details: Record<string, unknown> };
}

function body(code: ErrorCode, message: string, details: Record<string, unknown> = {}): ErrorBody {
  return { error: { code, message, details } };
}

const STATUS_CODES: Partial<Record<number, ErrorCode>> = { 401: 'UNAUTHORIZED', 403: 'FORBIDDEN', 404: 'NOT_FOUND', 503: 'SHUTTING_DOWN' };

export function errorHandler(logger: Logger): ErrorHandler {
  return (err, c) => {
    if (err instanceof HvkubeError && err.code !== 'INTERNAL') {
      return c.json(body(err.code, err.describe(), err.details), ERROR_CODES[err.code] as ContentfulStatusCode);
    }
    if (err instanceof HTTPException && err.status < 500) {
      // Hono's own refusals: malformed JSON (400), wrong media type (415), body too large (413).
      return c.json(body(STATUS_CODES[err.status] ?? 'INVALID_INPUT', err.message || 'invalid request'), err.status);
    }
    logger.error({ method: c.req.method, path: c.req.path, err: err instanceof Error ? (err.stack ?? err.message) : String(err) }, 'request failed');
    return c.json(body('INTERNAL', 'internal error; the server log has the details'), 500);
  };
}

export const notFound: NotFoundHandler = (c) =>
  c.json(body('NOT_FOUND', `no route ${c.req.method} ${c.req.path}`, {}), 404);

type ValidationResult = { target: string } & ({ success: true } | { success: false; error: ZodError });

/** Turns a failed schema check into the error shape: which field, what was expected. */
export function validationHook(result: ValidationResult, c: Context): Response | undefined {
  if (result.success) return undefined;
  const issues = result.error.issues.slice(0, 20).map((i) => ({ path: i.path.map(String).join('.'), message: i.message }));
  const where = (i: { path: string }): string => (i.path ? `${result.target}.${i.path}` : result.target);
  const message = issues.map((i) => `${where(i)}: ${i.message}`).join('; ');
  const code: ErrorCode = result.target === 'param' ? 'INVALID_NAME' : 'INVALID_INPUT';
  return c.json(body(code, message || 'invalid input', { target: result.target, issues }), 400);
}
