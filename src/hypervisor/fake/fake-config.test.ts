import { describe, expect, it } from 'vitest';
import { isHvkubeError } from '../../domain/errors.js';
import { fakeOptionsFromEnv } from './index.js';

function errorOf(fn: () => unknown): unknown {
  try {
    fn();
  } catch (e) {
    return e;
  }
  return undefined;
}

describe('fakeOptionsFromEnv', () => {
  it('reads latencies', () => {
    expect(
      fakeOptionsFromEnv({ HVKUBE_FAKE_LATENCY: '{"boot": 2000, "resume": 300, "save": 400}' }),
    ).toEqual({
      latencies: { boot: 2000, resume: 300, save: 400 },
    });
  });

  it('answers nothing when unset or blank', () => {
    expect(fakeOptionsFromEnv({})).toEqual({});
    expect(fakeOptionsFromEnv({ HVKUBE_FAKE_LATENCY: '  ' })).toEqual({});
  });

  it.each([
    ['not JSON', '{boot: 1}', /not JSON/],
    ['a negative number', '{"boot": -1}', /boot/],
    ['an unknown operation', '{"reboot": 5}', /reboot|unrecognized/i],
    ['a string value', '{"save": "fast"}', /save/],
    ['an array', '[1, 2]', /invalid/],
  ])('rejects %s with a clear INVALID_INPUT', (_what, value, message) => {
    const e = errorOf(() => fakeOptionsFromEnv({ HVKUBE_FAKE_LATENCY: value }));
    expect(isHvkubeError(e, 'INVALID_INPUT')).toBe(true);
    expect((e as Error).message).toMatch(message);
    expect((e as Error).message).toContain('HVKUBE_FAKE_LATENCY');
  });
});
