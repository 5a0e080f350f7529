/**
 * Where new VMs go: each to the live host with the most free room, within the pool's
 * `max_per_host`. A pure function of what every host can read from the database, so every
 * controller computes the same plan and provisions only its own share.
 * @module
 */
import type { HostRecord } from '../store/store.js';

export interface PlacementInput {
  /** Hosts that take work (status `up`). */
  hosts: readonly Pick<HostRecord, 'name' | 'capacity'>[];
  /** VMs each host holds now, all pools (not unknown, not being deleted). */
  used: ReadonlyMap<string, number>;
  /** VMs of this pool each host holds now. */
  inPool: ReadonlyMap<string, number>;
  maxPerHost: number | null;
  missing: number;
}

/** The host of each new VM, in order; shorter than `missing` when the fleet is full. */
export function planPlacement(input: PlacementInput): string[] {
  const used = new Map(input.used);
  const inPool = new Map(input.inPool);
  const plan: string[] = [];
  for (let i = 0; i < input.missing; i++) {
    let best: { name: string; free: number } | null = null;
    for (const h of input.hosts) {
      const free = h.capacity.maxVms - (used.get(h.name) ?? 0);
      if (free <= 0) continue;
      if (input.maxPerHost !== null && (inPool.get(h.name) ?? 0) >= input.maxPerHost) continue;
      // Ties go to the name that sorts first, so every host reaches the same plan.
      if (!best || free > best.free || (free === best.free && h.name < best.name)) best = { name: h.name, free };
    }
    if (!best) break;
    plan.push(best.name);
    used.set(best.name, (used.get(best.name) ?? 0) + 1);
    inPool.set(best.name, (inPool.get(best.name) ?? 0) + 1);
  }
  return plan;
}
