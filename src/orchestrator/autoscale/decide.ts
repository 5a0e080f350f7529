/**
 * The autoscaler's rule, as a pure function of what it sees: the demand (VMs in use, acquires
 * waiting, agents queued) plus the target of ready VMs, within `[min, max]`; growth at once but
 * never past what the host or the fleet can take; shrinking only by VMs that have been ready and
 * unused for the whole scale-down period.
 * @module
 */
import type { PoolAutoscale, ScaleLimit, ScaleSignals } from '../../domain/types.js';

/** How many more VMs can be added now, and why no more; null when nothing limits it. */
export interface Room {
  count: number;
  limitedBy: 'capacity' | 'placement';
  /** In words, e.g. the host's free memory and what one VM needs. */
  why: string;
}

export interface DecideInput {
  settings: PoolAutoscale;
  /** The pool's size now (`desired`). */
  current: number;
  signals: ScaleSignals;
  room: Room | null;
}

export interface Decision {
  /** The size to set; equal to `current` when it stays. */
  to: number;
  /** What the demand asks for, within `[min, max]` (before capacity and the idle period). */
  wanted: number;
  limitedBy: ScaleLimit | null;
  reason: string;
}

const plural = (n: number, one: string, many = `${one}s`): string => `${n} ${n === 1 ? one : many}`;

function demandText(s: ScaleSignals, target: number): string {
  const parts = [
    s.waiting > 0 ? `${plural(s.waiting, 'acquire')} waiting` : null,
    s.queued > 0 ? `${plural(s.queued, 'agent')} queued` : null,
    `${s.inUse} in use`,
    `${s.ready} ready`,
    s.coming > 0 ? `${s.coming} on the way` : null,
  ].filter((p): p is string => p !== null);
  return `${parts.join(', ')}; target ${target} ready beyond demand`;
}

export function decide(input: DecideInput): Decision {
  const { settings: a, current, signals: s } = input;
  const demand = s.inUse + s.waiting + s.queued;
  const raw = demand + a.target;
  const wanted = Math.min(a.max, Math.max(a.min, raw));
  const bound: ScaleLimit | null = raw > a.max ? 'max' : raw < a.min ? 'min' : null;
  const seen = demandText(s, a.target);
  const boundText = bound === 'max' ? ` (${raw} wanted, max ${a.max})` : bound === 'min' ? ` (min ${a.min})` : '';

  if (current > a.max) return { to: a.max, wanted, limitedBy: 'max', reason: `above its max of ${a.max}: down to the max` };
  if (wanted > current) {
    const step = wanted - current;
    if (input.room && input.room.count < step) {
      const to = current + Math.max(0, input.room.count);
      return { to, wanted, limitedBy: input.room.limitedBy, reason: `${seen}: wants ${wanted}, ${input.room.why}` };
    }
    const below = current < a.min ? `below its min of ${a.min}; ` : '';
    return { to: wanted, wanted, limitedBy: bound, reason: `${below}${seen}: grow to ${wanted}${boundText}` };
  }
  if (wanted < current) {
    const to = Math.max(wanted, current - s.idle);
    if (to === current) return { to, wanted, limitedBy: 'idle-period', reason: `${seen}: wants ${wanted}, but no ready VM has been unused for the whole scale-down period` };
    return {
      to,
      wanted,
      limitedBy: to > wanted ? 'idle-period' : bound,
      reason: `${seen}; ${plural(s.idle, 'VM')} unused for over ${Math.round(a.scaleDownAfterMs / 1000)} s: shrink to ${to}${boundText}`,
    };
  }
  return { to: current, wanted, limitedBy: bound, reason: `${seen}: stays at ${current}${boundText}` };
}
