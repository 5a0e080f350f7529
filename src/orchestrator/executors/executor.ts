/**
 * The executor port: how one agent's task runs on the VM it was given. The scheduler owns the
 * VM (acquire, release, repair) and the agent's status; an executor only does the work and
 * answers the output, or throws.
 * @module
 */
import type { Vm } from '../../domain/types.js';
import type { MouseButton } from '../../hypervisor/hypervisor.js';
import type { Clock } from '../../_util/clock.js';
import type { ExecutorName, Workflow } from '../workflows/workflow-schema.js';

/** The console operations a task may use; the Orchestrator facade provides them. */
export interface AgentConsole {
  screenshot(vm: string): Promise<Buffer>;
  typeText(vm: string, text: string): Promise<void>;
  pressKeys(vm: string, chords: string[]): Promise<void>;
  click(vm: string, x: number, y: number, options?: { button?: MouseButton; double?: boolean }): Promise<void>;
  mouseMove(vm: string, x: number, y: number): Promise<void>;
}

export interface ExecutionContext {
  agentId: string;
  workflow: Workflow;
  /** The submitted input, checked against the workflow and with defaults filled in. */
  input: Readonly<Record<string, unknown>>;
  /** The VM, as acquired: running, leased to this agent, with its current addresses. */
  vm: Vm;
  /** Where the template says guest credentials come from (never the secret itself). */
  credentialsRef: string | null;
  console: AgentConsole;
  /** Aborted when the agent is cancelled, times out or the scheduler stops: stop promptly. */
  signal: AbortSignal;
  clock: Clock;
  /** The workflows folder: the working directory of host commands. */
  workflowDir: string;
  /** Adds a line to the agent's log (`hvkube agent logs`). */
  log(message: string, details?: Record<string, unknown>): void;
  /** Keeps a PNG among the agent's artifacts; answers its path relative to the data directory. */
  saveScreenshot(png: Buffer, label?: string | null): Promise<string>;
}

export interface Executor {
  readonly name: ExecutorName;
  /** Runs the task; the answer is the agent's output (anything JSON can hold). */
  run(ctx: ExecutionContext): Promise<unknown>;
}

/** An error a task raised about itself (not the VM): the agent fails with this message. */
export class TaskError extends Error {
  override readonly name = 'TaskError';
  constructor(
    message: string,
    readonly output: unknown = null,
  ) {
    super(message);
  }
}

/** Rejects as soon as `signal` aborts, so a step that waits never outlives its agent. */
export function throwIfAborted(signal: AbortSignal): void {
  if (signal.aborted) throw signal.reason instanceof Error ? signal.reason : new Error('aborted');
}
