/**
 * Validation of a pool's idle and lifetime policies, and the duration text the CLI takes for
 * them (`90s`, `15m`, `8h`, `30d`). Pure: no I/O.
 * @module
 */
import { HvkubeError } from '../../domain/errors.js';
import { IDLE_ACTIONS, NO_LIFETIME_LIMITS, type IdleAction, type PoolLifetime } from '../../domain/types.js';
import { validateInt } from '../../domain/validation.js';

/** What a caller may give: any field left out keeps its current (or default) value; null turns a limit off. */
export interface PoolLifetimeInput {
  idleTimeoutS?: number | null;
  idleAction?: IdleAction;
  maxLeaseS?: number | null;
  maxVmAgeS?: number | null;
}

const DAY_S = 24 * 3600;
/** Bounds in seconds. An idle time-out under a minute would end leases between two agent steps. */
export const LIFETIME_BOUNDS = {
  idleTimeoutS: { min: 60, max: 30 * DAY_S },
  maxLeaseS: { min: 60, max: 365 * DAY_S },
  maxVmAgeS: { min: 600, max: 3650 * DAY_S },
} as const;

function limit(what: string, value: unknown, bounds: { min: number; max: number }): number | null {
  if (value === null) return null;
  return validateInt(what, value, bounds.min, bounds.max);
}

/** The policies after applying `input` over `base` (default: every limit off). */
export function buildLifetime(input: PoolLifetimeInput | undefined, base: PoolLifetime = NO_LIFETIME_LIMITS): PoolLifetime {
  if (input === undefined) return { ...base };
  if (input === null || typeof input !== 'object' || Array.isArray(input)) {
    throw new HvkubeError('INVALID_INPUT', 'lifetime must be an object like {"idleTimeoutS": 900}', { hint: 'see docs/policies.md' });
  }
  const known = new Set(['idleTimeoutS', 'idleAction', 'maxLeaseS', 'maxVmAgeS']);
  const unknown = Object.keys(input).filter((k) => !known.has(k));
  if (unknown.length > 0) {
    throw new HvkubeError('INVALID_INPUT', `lifetime has unknown field ${unknown.map((k) => JSON.stringify(k)).join(', ')}`, {
      hint: 'use idleTimeoutS, idleAction, maxLeaseS, maxVmAgeS',
    });
  }
  const action = input.idleAction ?? base.idleAction;
  if (!IDLE_ACTIONS.includes(action)) {
    throw new HvkubeError('INVALID_INPUT', `idle action ${JSON.stringify(action)} is unknown`, { hint: `use ${IDLE_ACTIONS.join(' or ')}` });
  }
  const b = LIFETIME_BOUNDS;
  const out: PoolLifetime = {
    idleTimeoutS: input.idleTimeoutS === undefined ? base.idleTimeoutS : limit('idle timeout (s)', input.idleTimeoutS, b.idleTimeoutS),
    idleAction: action,
    maxLeaseS: input.maxLeaseS === undefined ? base.maxLeaseS : limit('max lease duration (s)', input.maxLeaseS, b.maxLeaseS),
    maxVmAgeS: input.maxVmAgeS === undefined ? base.maxVmAgeS : limit('max VM age (s)', input.maxVmAgeS, b.maxVmAgeS),
  };
  if (out.idleTimeoutS !== null && out.maxLeaseS !== null && out.idleTimeoutS >= out.maxLeaseS) {
    throw new HvkubeError('INVALID_INPUT', `idle timeout (${out.idleTimeoutS} s) must be shorter than the max lease duration (${out.maxLeaseS} s)`, {
      hint: 'an idle time-out that long would never act before the lease ends',
    });
  }
  return out;
}

const UNITS: Record<string, number> = { s: 1, m: 60, h: 3600, d: DAY_S };

/**
 * Seconds from a duration written as a whole number with an optional unit (`s`, `m`, `h`, `d`;
 * none means seconds). `off` and `none` answer null (the limit is turned off).
 */
export function parseDuration(what: string, text: string): number | null {
  const t = text.trim().toLowerCase();
  if (t === 'off' || t === 'none') return null;
  const m = /^(\d{1,9})([smhd]?)$/.exec(t);
  if (!m) {
    throw new HvkubeError('INVALID_INPUT', `${what} must be a duration like 90s, 15m, 8h or 30d (or off), got ${JSON.stringify(text)}`);
  }
  return Number(m[1]) * (UNITS[m[2] || 's'] ?? 1);
}

/** A duration in seconds as people read it: `15m`, `8h`, `1d 2h`. */
export function formatDuration(s: number): string {
  const parts: string[] = [];
  let rest = s;
  for (const [unit, size] of [['d', DAY_S], ['h', 3600], ['m', 60]] as const) {
    if (rest >= size) {
      parts.push(`${Math.floor(rest / size)}${unit}`);
      rest %= size;
    }
  }
  if (rest > 0 || parts.length === 0) parts.push(`${rest}s`);
  return parts.join(' ');
}
