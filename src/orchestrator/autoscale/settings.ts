/**
 * An autoscaled pool's bounds: what a user may ask for, the defaults, and the checks that refuse
 * a bad setting (min above max, negative numbers, a target the pool could never hold) before
 * anything is written.
 * @module
 */
import { HvkubeError } from '../../domain/errors.js';
import type { PoolAutoscale } from '../../domain/types.js';
import { validateInt } from '../../domain/validation.js';

/** What a user gives; missing fields keep the pool's current value, or the default. */
export interface AutoscaleInput {
  min?: number;
  max?: number;
  target?: number;
  scaleDownAfterMs?: number;
}

/** `min` 0 (an idle pool may scale to zero), one ready VM beyond demand, shrink after 5 idle minutes. */
export const AUTOSCALE_DEFAULTS = { min: 0, target: 1, scaleDownAfterMs: 300_000 } as const;

/** The longest scale-down period: a week. */
export const MAX_SCALE_DOWN_AFTER_MS = 7 * 24 * 3600 * 1000;

/**
 * Validates autoscale settings, filling what `input` leaves out from `current` (the pool's
 * settings now) or the defaults. `max` is required when the pool has none yet.
 */
export function buildAutoscale(input: AutoscaleInput, current: PoolAutoscale | null, maxPoolSize: number): PoolAutoscale {
  if (typeof input !== 'object' || input === null || Array.isArray(input)) {
    throw new HvkubeError('INVALID_INPUT', 'autoscale must be an object like {"min": 0, "max": 10, "target": 2}', { hint: 'see docs/autoscaling.md' });
  }
  const rawMax = input.max ?? current?.max;
  if (rawMax === undefined) {
    throw new HvkubeError('INVALID_INPUT', 'autoscale.max is required to turn autoscaling on: the most VMs the pool may have', {
      hint: 'e.g. --min 0 --max 10 (API: "autoscale": {"min": 0, "max": 10})',
      details: { field: 'autoscale.max' },
    });
  }
  const min = validateInt('autoscale.min', input.min ?? current?.min ?? AUTOSCALE_DEFAULTS.min, 0, maxPoolSize);
  const max = validateInt('autoscale.max', rawMax, 1, maxPoolSize);
  const target = validateInt('autoscale.target', input.target ?? current?.target ?? AUTOSCALE_DEFAULTS.target, 0, maxPoolSize);
  const scaleDownAfterMs = validateInt(
    'autoscale.scaleDownAfterMs',
    input.scaleDownAfterMs ?? current?.scaleDownAfterMs ?? AUTOSCALE_DEFAULTS.scaleDownAfterMs,
    0,
    MAX_SCALE_DOWN_AFTER_MS,
  );
  if (min > max) {
    throw new HvkubeError('INVALID_INPUT', `autoscale.min (${min}) is above autoscale.max (${max})`, {
      hint: 'the pool is kept between min and max VMs: give a min no larger than the max',
      details: { field: 'autoscale.min', min, max },
    });
  }
  if (target > max) {
    throw new HvkubeError('INVALID_INPUT', `autoscale.target (${target}) is above autoscale.max (${max}): the pool could never keep that many VMs ready`, {
      hint: 'lower the target or raise the max',
      details: { field: 'autoscale.target', target, max },
    });
  }
  return { min, max, target, scaleDownAfterMs };
}

/** `n` brought within the pool's bounds. */
export function clampSize(a: PoolAutoscale, n: number): number {
  return Math.min(a.max, Math.max(a.min, n));
}

/** The size an autoscaled pool starts at: its target of ready VMs, within its bounds. */
export function initialSize(a: PoolAutoscale): number {
  return clampSize(a, a.target);
}
