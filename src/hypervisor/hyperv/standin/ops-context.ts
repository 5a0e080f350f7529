/**
 * What every stand-in operation gets: the shared host state, the test hooks, and a clock.
 * @module
 */
import type { Faults, Latency } from './faults.js';
import type { Bound } from './params.js';
import type { StateStore } from './state.js';
import type { JobDice, LoadedScript } from './strict.js';

export interface OpContext {
  store: StateStore;
  faults: Faults;
  latency: Latency;
  now: () => number;
  /** Which WMI calls answer 4096 (job started). */
  dice: JobDice;
}

/** A context for one request: the script being run, as read from its file. */
export interface RunContext extends OpContext {
  script: LoadedScript;
}

export type Op = (ctx: RunContext, params: Bound) => unknown;
