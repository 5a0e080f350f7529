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
  413: 'request body too large',
  415: 'not a JSON body',
  502: 'the hypervisor failed',
  503: 'no VM available, or the server is shutting down',
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
