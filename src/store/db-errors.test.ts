import { describe, expect, it } from 'vitest';
import { HvkubeError } from '../domain/errors.js';
import { isTransientStoreError, typedStoreError } from './db-errors.js';

const withCode = (code: string, message = 'driver error'): Error => Object.assign(new Error(message), { code });

describe('transient database failures', () => {
  it.each([
    ['a full pool whose wait ran out', new Error('timeout exceeded when trying to connect')],
    ['a query without an answer', new Error('Query read timeout')],
    ['a dropped connection', new Error('Connection terminated unexpectedly')],
    ['a refused connection', withCode('ECONNREFUSED')],
    ['a deadlock', withCode('40P01')],
    ['a serialization failure', withCode('40001')],
    ['too many connections', withCode('53300')],
    ['a statement time-out', withCode('57014')],
    ['a server shutting down', withCode('57P01')],
    ['a connection failure', withCode('08006')],
    ['a busy SQLite file', withCode('SQLITE_BUSY')],
  ])('%s is STORE_UNAVAILABLE (503, retryable)', (_what, e) => {
    expect(isTransientStoreError(e)).toBe(true);
    const typed = typedStoreError(e);
    expect(typed).toBeInstanceOf(HvkubeError);
    expect(typed).toMatchObject({ code: 'STORE_UNAVAILABLE', status: 503, details: { retryable: true } });
    expect((typed as HvkubeError).message).toContain(e.message);
  });

  it.each([
    ['a unique violation', withCode('23505')],
    ['a syntax error', withCode('42601')],
    ['a plain bug', new TypeError('x is undefined')],
  ])('%s is left as it was', (_what, e) => {
    expect(isTransientStoreError(e)).toBe(false);
    expect(typedStoreError(e)).toBe(e);
  });
});
