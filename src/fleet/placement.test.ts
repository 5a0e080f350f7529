import { describe, expect, it } from 'vitest';
import { planPlacement } from './placement.js';

const host = (name: string, maxVms: number) => ({ name, capacity: { memoryMb: 1, cpus: 1, maxVms } });

describe('placement', () => {
  it('fills the host with the most free room first, ties by name', () => {
    const plan = planPlacement({
      hosts: [host('h2', 10), host('h1', 10), host('h3', 4)],
      used: new Map([['h1', 3]]),
      inPool: new Map(),
      maxPerHost: null,
      missing: 6,
    });
    expect(plan).toEqual(['h2', 'h2', 'h2', 'h1', 'h2', 'h1']);
  });

  it('respects max_per_host and stops when the fleet is full', () => {
    const plan = planPlacement({
      hosts: [host('h1', 10), host('h2', 1)],
      used: new Map(),
      inPool: new Map([['h1', 1]]),
      maxPerHost: 2,
      missing: 5,
    });
    expect(plan).toEqual(['h1', 'h2']);
  });

  it('places nothing without live hosts', () => {
    expect(planPlacement({ hosts: [], used: new Map(), inPool: new Map(), maxPerHost: null, missing: 3 })).toEqual([]);
  });
});
