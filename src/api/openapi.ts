/**
 * Small helpers that keep the route declarations short: JSON bodies, JSON answers and the error
 * answers every route shares.
 * @module
 */
import type { ZodType } from 'zod';
import { ErrorSchema } from './schemas.js';

export function jsonBody<T extends ZodType>(schema: T, required = true) {
  return { required, content: { 'application/json': { schema } } } as const;
}

export function jsonAnswer<T extends ZodType>(schema: T, description: string) {
  return { description, content: { 'application/json': { schema } } } as const;
}

const ERROR_DESCRIPTIONS = {
  400: 'invalid input (malformed JSON, wrong types, bad names)',
  401: 'missing or wrong bearer token',
  404: 'no such template, pool, VM or route',
  409: 'the resource is in a state that does not allow this',
  413: 'request body too large, or a guest file over the size limit (refused whole)',
  415: 'not a JSON body',
  502: 'the hypervisor failed',
  503: 'no VM available, no channel into the guest, or the server is shutting down',
  504: 'the guest did not answer in time',
} as const;

type ErrorStatus = keyof typeof ERROR_DESCRIPTIONS;

/** The error answers of a route: always 400 and 401, plus the ones given. */
export function errors(...statuses: ErrorStatus[]) {
  const all: ErrorStatus[] = [400, 401, ...statuses];
  return Object.fromEntries(all.map((s) => [s, { description: ERROR_DESCRIPTIONS[s], content: { 'application/json': { schema: ErrorSchema } } }])) as Record<
    ErrorStatus,
    { description: string; content: { 'application/json': { schema: typeof ErrorSchema } } }
  >;
}

type OpenApiDocument = { paths?: Record<string, Record<string, { responses?: Record<string, unknown> } | undefined> | undefined> };

/**
 * Adds the answers every state-changing route can give before its handler runs — 413 (a body over
 * the limit) and 415 (a body that is not JSON) — so generated clients know them too.
 */
export function withBodyErrors<T extends object>(doc: T): T {
  for (const item of Object.values((doc as OpenApiDocument).paths ?? {})) {
    for (const [method, op] of Object.entries(item ?? {})) {
      if (!op?.responses || !['post', 'put', 'patch', 'delete'].includes(method)) continue;
      for (const status of [413, 415] as const) {
        op.responses[status] ??= { description: ERROR_DESCRIPTIONS[status], content: { 'application/json': { schema: { $ref: '#/components/schemas/Error' } } } };
      }
    }
  }
  return doc;
}
