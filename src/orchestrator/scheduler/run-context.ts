/**
 * What the runner of one agent needs from the scheduler, and the handle the scheduler keeps on a
 * run in progress so it can stop it.
 * @module
 */
import type { Agent } from '../../domain/types.js';
import type { Store } from '../../store/store.js';
import type { Clock } from '../../_util/clock.js';
import type { Logger } from '../../_util/logger.js';
import type { ExecutorRegistry } from '../executors/registry.js';
import type { Orchestrator } from '../orchestrator.js';
import type { WorkflowCatalog } from '../workflows/workflow-catalog.js';
import type { AgentArtifacts, LogLevel } from './artifacts.js';

export interface RunnerDeps {
  orch: Orchestrator;
  store: Store;
  clock: Clock;
  logger: Logger;
  workflows: WorkflowCatalog;
  executors: ExecutorRegistry;
  artifacts: AgentArtifacts;
  /** Adds a line to the agent's log and tells listeners. */
  log(id: string, message: string, level?: LogLevel, details?: Record<string, unknown>): void;
  /** The agent's row changed: tell listeners and look at the queue again. */
  changed(agent: Agent): void;
  /** Background work the scheduler must let finish before it stops (a VM being saved or reset). */
  track(work: Promise<unknown>): void;
  /** An acquire found no VM after all: stop trying this pool until a VM becomes ready. */
  starve(pool: string): void;
}

/**
 * - `cancelled`, `timed-out`, `ended-elsewhere`: the agent's status was already set to its end
 *   by someone else; the run only cleans up.
 * - `shutdown`: the scheduler stops; the agent goes back to the queue.
 * - `detached`: the scheduler stops and leaves the agent running (an external worker still has it).
 */
export type StopReason = 'cancelled' | 'timed-out' | 'ended-elsewhere' | 'shutdown' | 'detached';

export class AgentStopped extends Error {
  override readonly name = 'AgentStopped';
  constructor(readonly reason: StopReason) {
    super(`agent stopped: ${reason}`);
  }
}

export interface ActiveRun {
  readonly id: string;
  readonly pool: string;
  readonly controller: AbortController;
  phase: 'acquiring' | 'running';
  executor: string | null;
  stopReason: StopReason | null;
  done: Promise<void>;
}

export function stopRun(run: ActiveRun, reason: StopReason): void {
  run.stopReason ??= reason;
  run.controller.abort(new AgentStopped(run.stopReason));
}
