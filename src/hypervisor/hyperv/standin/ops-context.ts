/**
 * What every stand-in operation gets: the shared host state, the test hooks, and a clock.
 * @module
 */
import type { Faults, Latency } from './faults.js';
import type { Bound } from './params.js';
import type { StateStore } from './state.js';

export interface OpContext {
  store: StateStore;
  faults: Faults;
  latency: Latency;
  now: () => number;
}

export type Op = (ctx: OpContext, params: Bound) => unknown;
