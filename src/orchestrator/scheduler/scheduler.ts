/**
 * The Scheduler: agents queued per pool, dispatched onto VMs, run by executors, ended on time.
 *
 * The queue is the agents table: any process may submit, cancel or report (`submit`, `cancel`,
 * `complete`, `fail` work without `start`). One process per data directory runs the loop
 * (`start`): `hvkube serve`, or `agent submit --wait` when no server runs. It dispatches on
 * submit, when a VM becomes ready, when an agent ends, and on a timer (other processes change the
 * store without telling it); it also notices agents ended from elsewhere and stops their runs.
 * @module
 */
import { EventEmitter } from 'node:events';
import path from 'node:path';
import { HvkubeError } from '../../domain/errors.js';
import { AGENT_STATUSES, agentTransition, isFinalAgentStatus, type AgentStatus } from '../../domain/agent-state.js';
import type { Agent, Vm } from '../../domain/types.js';
import { READY_VM_STATES } from '../../domain/vm-state.js';
import { validateInt, validateName } from '../../domain/validation.js';
import type { Clock } from '../../_util/clock.js';
import { isoNow } from '../../_util/clock.js';
import { errorMessage, type Logger } from '../../_util/logger.js';
import type { VmChangeEvent } from '../context.js';
import type { Executor } from '../executors/executor.js';
import { executorRegistry } from '../executors/registry.js';
import type { Orchestrator } from '../orchestrator.js';
import { WorkflowCatalog } from '../workflows/workflow-catalog.js';
import type { ExecutorName } from '../workflows/workflow-schema.js';
import { validateAgentId } from './agent-ids.js';
import { runAgent } from './agent-runner.js';
import { AgentArtifacts, type AgentLogLine, type LogLevel } from './artifacts.js';
import { DeadlineTimers } from './deadlines.js';
import { dispatchPass } from './dispatch.js';
import { SchedulerLock } from './owner-lock.js';
import { recover, type RecoveryReport } from './recovery.js';
import { endingResult, isSettled } from './results.js';
import { stopRun, type ActiveRun, type RunnerDeps } from './run-context.js';
import { buildAgent, type SubmitRequest } from './submit.js';

export interface SchedulerOptions {
  orchestrator: Orchestrator;
  /** The data directory: workflows are read from `workflows/`, artifacts written to `artifacts/`. */
  dataDir: string;
  /** Default `<dataDir>/workflows`. */
  workflowsDir?: string;
  /** Replaces built-in executors (tests, embedders). */
  executors?: Partial<Record<ExecutorName, Executor>>;
  /** How often the loop looks at the store for changes made by other processes. Default 1000. */
  pollIntervalMs?: number;
  logger?: Logger;
}

export interface StartOptions {
  /** Dispatch only these agents (the CLI running its own agent when no server runs). */
  only?: readonly string[];
  /** Take over external agents left running by a previous scheduler. Default true. */
  adopt?: boolean;
}

export interface AgentListFilter {
  pool?: string;
  status?: AgentStatus | readonly AgentStatus[];
  limit?: number;
}

export interface WaitOptions {
  signal?: AbortSignal;
  /** How often to look at the store when the agent runs in another process. Default 250. */
  pollMs?: number;
  /**
   * After the agent ended, how long to wait for its VM to be given back and its result completed
   * (by the process that ran it) before answering anyway. Default 15000.
   */
  settleTimeoutMs?: number;
}

export interface AgentLogEvent {
  agent: string;
  line: AgentLogLine;
}

export interface SchedulerEventMap {
  /** An agent's row changed (status, VM, result). */
  agent: [Agent];
  /** A line was added to an agent's log. */
  log: [AgentLogEvent];
}

const MAX_OUTPUT_BYTES = 1024 * 1024;

export class Scheduler {
  readonly events = new EventEmitter<SchedulerEventMap>();
  readonly workflows: WorkflowCatalog;
  readonly artifacts: AgentArtifacts;
  readonly #orch: Orchestrator;
  readonly #clock: Clock;
  readonly #deps: RunnerDeps;
  readonly #pollMs: number;
  readonly #dataDir: string;
  readonly #active = new Map<string, ActiveRun>();
  readonly #starved = new Set<string>();
  readonly #deadlines: DeadlineTimers;
  /** VMs being given back, and status checks under way: a stop waits for them. */
  readonly #background = new Set<Promise<unknown>>();
  #only: ReadonlySet<string> | null = null;
  #lock: SchedulerLock | null = null;
  #timer: NodeJS.Timeout | null = null;
  #started = false;
  #stopping = false;
  #pass: Promise<void> | null = null;
  #dirty = false;

  constructor(options: SchedulerOptions) {
    this.events.setMaxListeners(0);
    this.#orch = options.orchestrator;
    this.#clock = options.orchestrator.ctx.clock;
    this.#dataDir = options.dataDir;
    this.#pollMs = options.pollIntervalMs ?? 1000;
    this.workflows = new WorkflowCatalog(options.workflowsDir ?? path.join(options.dataDir, 'workflows'));
    this.artifacts = new AgentArtifacts(options.dataDir);
    this.#deadlines = new DeadlineTimers((id) => void this.#expire(id), () => this.#clock.now());
    this.#deps = {
      orch: this.#orch,
      store: this.#orch.store,
      clock: this.#clock,
      logger: options.logger ?? this.#orch.ctx.logger,
      workflows: this.workflows,
      executors: executorRegistry(options.executors),
      artifacts: this.artifacts,
      log: (id, message, level, details) => this.#log(id, message, level, details),
      changed: (agent) => {
        this.events.emit('agent', agent);
        this.#kick();
      },
      starve: (pool) => this.#starved.add(pool),
      track: (work) => this.#track(work),
    };
  }

  /** Whether this instance runs the loop. */
  get started(): boolean {
    return this.#started;
  }

  // ---- the loop ----

  /**
   * Takes the data directory's scheduler lock, recovers what a previous run left, and starts
   * dispatching. Throws when another process already runs a scheduler on this data directory.
   */
  async start(options: StartOptions = {}): Promise<RecoveryReport> {
    if (this.#started) throw new HvkubeError('INTERNAL', 'the scheduler is already started');
    this.#lock = SchedulerLock.acquire(this.#dataDir);
    this.#started = true;
    this.#stopping = false;
    this.#only = options.only ? new Set(options.only) : null;
    let report: RecoveryReport;
    try {
      report = await recover(this.#deps, {
        adopt: options.adopt !== false,
        isActive: (id) => this.#active.has(id),
        startAdopted: (agent, vm) => this.#launch(agent, vm),
      });
    } catch (e) {
      this.#started = false;
      this.#lock.release();
      this.#lock = null;
      throw e;
    }
    this.#orch.events.on('vm-change', this.#onVmChange);
    this.#timer = setInterval(() => this.#tick(), this.#pollMs);
    this.#kick();
    return report;
  }

  /**
   * Stops dispatching. Runs under way are stopped and their agents queued again (their VMs
   * reset); external agents stay running for the next scheduler to take over.
   */
  async stop(): Promise<void> {
    if (!this.#started) return;
    this.#stopping = true;
    this.#orch.events.off('vm-change', this.#onVmChange);
    if (this.#timer) clearInterval(this.#timer);
    this.#timer = null;
    this.#deadlines.clearAll();
    for (const run of this.#active.values()) stopRun(run, run.executor === 'external' && run.phase === 'running' ? 'detached' : 'shutdown');
    await this.#pass;
    await Promise.all([...this.#active.values()].map((r) => r.done));
    await Promise.all([...this.#background]);
    this.#started = false;
    this.#lock?.release();
    this.#lock = null;
  }

  /**
   * Recovery without the loop: settles agents that ended while no scheduler ran (their VMs are
   * released) and fires expired deadlines. For one-shot commands when no server runs.
   */
  async sweep(): Promise<RecoveryReport> {
    if (this.#started) throw new HvkubeError('INTERNAL', 'sweep is for a scheduler that is not started');
    const lock = SchedulerLock.acquire(this.#dataDir);
    try {
      return await recover(this.#deps, { adopt: false, isActive: () => false, startAdopted: () => undefined });
    } finally {
      await Promise.all([...this.#background]);
      lock.release();
    }
  }

  /** Resolves when nothing runs, no pass is under way and every VM given back is ready again. */
  async idle(): Promise<void> {
    while (this.#pass || this.#active.size > 0 || this.#background.size > 0) {
      await this.#pass;
      await Promise.all([...this.#active.values()].map((r) => r.done));
      await Promise.all([...this.#background]);
    }
  }

  readonly #onVmChange = (e: VmChangeEvent): void => {
    if (e.to !== null && READY_VM_STATES.includes(e.to)) {
      this.#starved.delete(e.pool);
      this.#kick();
    }
  };

  #tick(): void {
    this.#starved.clear();
    this.#kick();
    this.#track(this.#watchEndedElsewhere());
  }

  #track(work: Promise<unknown>): void {
    const settled = work.then(
      () => undefined,
      () => undefined,
    );
    this.#background.add(settled);
    void settled.then(() => this.#background.delete(settled));
  }

  /** An agent cancelled or reported from another process: stop its run here. */
  async #watchEndedElsewhere(): Promise<void> {
    for (const run of [...this.#active.values()]) {
      if (run.phase !== 'running' || run.stopReason) continue;
      try {
        const agent = await this.#orch.store.getAgent(run.id);
        if (!agent || isFinalAgentStatus(agent.status)) stopRun(run, 'ended-elsewhere');
      } catch (e) {
        this.#deps.logger.warn({ agent: run.id, err: errorMessage(e) }, 'could not check agent status');
      }
    }
  }

  #kick(): void {
    if (!this.#started || this.#stopping) return;
    this.#dirty = true;
    if (this.#pass) return;
    this.#pass = (async () => {
      while (this.#dirty && !this.#stopping) {
        this.#dirty = false;
        try {
          await dispatchPass(this.#deps, {
            accepts: (a) => this.#only === null || this.#only.has(a.id),
            isActive: (id) => this.#active.has(id),
            isStarved: (pool) => this.#starved.has(pool),
            acquiring: (pool) => [...this.#active.values()].filter((r) => r.pool === pool && r.phase === 'acquiring').length,
            stopping: () => this.#stopping,
            launch: (agent) => this.#launch(agent, null),
          });
        } catch (e) {
          this.#deps.logger.error({ err: errorMessage(e) }, 'dispatch pass failed; the next tick retries');
        }
      }
    })().finally(() => {
      this.#pass = null;
    });
  }

  #launch(agent: Agent, adopted: Vm | null): void {
    const run: ActiveRun = {
      id: agent.id,
      pool: agent.pool,
      controller: new AbortController(),
      phase: adopted ? 'running' : 'acquiring',
      executor: null,
      stopReason: null,
      done: Promise.resolve(),
    };
    this.#active.set(agent.id, run);
    this.#deadlines.arm(agent.id, agent.deadlineAt);
    run.done = runAgent(this.#deps, agent, run, adopted)
      .catch((e: unknown) => this.#deps.logger.error({ agent: agent.id, err: errorMessage(e) }, 'agent run failed unexpectedly'))
      .finally(() => {
        if (this.#active.get(agent.id) !== run) return;
        this.#active.delete(agent.id);
        this.#deadlines.clear(agent.id);
        this.#kick();
      });
  }

  async #expire(id: string): Promise<void> {
    try {
      const agent = await this.#orch.store.getAgent(id);
      if (!agent || isFinalAgentStatus(agent.status) || agent.deadlineAt === null) return;
      if (Date.parse(agent.deadlineAt) > this.#clock.now()) {
        this.#deadlines.arm(id, agent.deadlineAt);
        return;
      }
      const error = `timed out after ${agent.task.timeoutS ?? '?'} s`;
      const ended = await this.#orch.store.updateAgent(
        id,
        ['scheduled', 'running'],
        { status: 'timed_out', endedAt: isoNow(this.#clock), result: endingResult(agent, this.#clock.now(), { success: false, error }) },
        'scheduler',
      );
      if (!ended) return;
      this.#log(id, `${error}; stopping it and resetting its VM`, 'error');
      this.events.emit('agent', ended);
      const run = this.#active.get(id);
      if (run) stopRun(run, 'timed-out');
    } catch (e) {
      this.#deps.logger.error({ agent: id, err: errorMessage(e) }, 'could not time out agent');
    }
  }

  #log(id: string, message: string, level: LogLevel = 'info', details?: Record<string, unknown>): void {
    const line: AgentLogLine = { at: isoNow(this.#clock), level, message, ...(details ? { details } : {}) };
    void this.artifacts.append(id, line);
    this.events.emit('log', { agent: id, line });
  }

  // ---- the public API: works with or without the loop ----

  /** Checks and queues a task; answers the pending agent. */
  async submit(request: SubmitRequest): Promise<Agent> {
    const agent = await buildAgent({ store: this.#orch.store, workflows: this.workflows, clock: this.#clock }, request);
    await this.#orch.store.insertAgent(agent);
    this.#log(agent.id, `submitted to pool ${agent.pool}: workflow ${agent.task.workflow}, priority ${agent.priority}`);
    this.events.emit('agent', agent);
    this.#kick();
    return agent;
  }

  async show(id: string): Promise<Agent> {
    validateAgentId(id);
    const agent = await this.#orch.store.getAgent(id);
    if (!agent) {
      throw new HvkubeError('AGENT_NOT_FOUND', `agent ${id} does not exist`, { hint: 'list agents with `hvkube agent list`', details: { agent: id } });
    }
    return agent;
  }

  /** In queue order: priority, then submission. */
  async list(filter: AgentListFilter = {}): Promise<Agent[]> {
    if (filter.pool !== undefined) validateName('pool', filter.pool);
    const statuses = filter.status === undefined ? undefined : typeof filter.status === 'string' ? [filter.status] : filter.status;
    for (const s of statuses ?? []) {
      if (!(AGENT_STATUSES as readonly string[]).includes(s)) {
        throw new HvkubeError('INVALID_INPUT', `agent status ${JSON.stringify(s)} is unknown`, { hint: `use one of ${AGENT_STATUSES.join(', ')}` });
      }
    }
    const limit = filter.limit === undefined ? undefined : validateInt('limit', filter.limit, 1, 100_000);
    return this.#orch.store.listAgents({ pool: filter.pool, statuses, limit });
  }

  async logs(id: string): Promise<AgentLogLine[]> {
    await this.show(id);
    return this.artifacts.readLog(id);
  }

  /**
   * Ends an agent from outside: cancels it (pending: it leaves the queue; running: its executor
   * stops and its VM is reset), or records an external worker's report.
   */
  #end(agent: Agent, event: 'cancel' | 'complete' | 'fail', fields: { success: boolean; output?: unknown; error: string | null }, actor: string): Promise<Agent | null> {
    const to = agentTransition(agent.status, event, agent.id);
    return this.#orch.store.updateAgent(
      agent.id,
      [agent.status],
      { status: to, endedAt: isoNow(this.#clock), result: endingResult(agent, this.#clock.now(), fields) },
      actor,
    );
  }

  async #endWithRetry(id: string, event: 'cancel' | 'complete' | 'fail', fields: { success: boolean; output?: unknown; error: string | null }, actor: string, check?: (agent: Agent) => Promise<void>): Promise<Agent> {
    // The status may move between the read and the compare-and-set (pending -> scheduled): read again.
    for (;;) {
      const agent = await this.show(id);
      await check?.(agent);
      const ended = await this.#end(agent, event, fields, actor);
      if (!ended) continue;
      this.#log(id, event === 'cancel' ? `cancelled by ${actor}` : `${event === 'complete' ? 'completed' : 'failed'} by ${actor}${fields.error ? `: ${fields.error}` : ''}`, event === 'complete' ? 'info' : 'warn');
      this.events.emit('agent', ended);
      const run = this.#active.get(id);
      if (run) stopRun(run, event === 'cancel' ? 'cancelled' : 'ended-elsewhere');
      this.#kick();
      return ended;
    }
  }

  cancel(id: string, actor = 'user'): Promise<Agent> {
    return this.#endWithRetry(id, 'cancel', { success: false, error: `cancelled by ${actor}` }, actor);
  }

  /** An external worker's success, with its output (any JSON value). */
  complete(id: string, output: unknown, actor = 'worker'): Promise<Agent> {
    return this.#endWithRetry(id, 'complete', { success: true, output: checkOutput(output), error: null }, actor, (a) => this.#requireExternal(a, 'complete'));
  }

  /** An external worker's failure; the VM is reset. */
  fail(id: string, error: string, output: unknown = null, actor = 'worker'): Promise<Agent> {
    if (typeof error !== 'string' || error.trim() === '' || error.length > 10_000) {
      throw new HvkubeError('INVALID_INPUT', 'the failure needs a message of 1 to 10000 characters', { hint: 'say what went wrong: --error "..."' });
    }
    return this.#endWithRetry(id, 'fail', { success: false, output: checkOutput(output), error }, actor, (a) => this.#requireExternal(a, 'fail'));
  }

  async #requireExternal(agent: Agent, verb: string): Promise<void> {
    if (agent.status !== 'running') {
      throw new HvkubeError('AGENT_INVALID_STATE', `agent ${agent.id} is ${agent.status}; only a running agent can be reported ${verb === 'complete' ? 'complete' : 'failed'}`, {
        hint: isFinalAgentStatus(agent.status) ? 'it has already ended' : 'wait until it runs (hvkube agent show)',
        details: { agent: agent.id, status: agent.status },
      });
    }
    const executor = this.#active.get(agent.id)?.executor ?? (await this.workflows.get(agent.task.workflow).catch(() => null))?.executor ?? null;
    if (executor !== null && executor !== 'external') {
      throw new HvkubeError('AGENT_INVALID_STATE', `agent ${agent.id} runs the ${executor} executor; only external agents are reported from outside`, {
        hint: `stop it with: hvkube agent cancel ${agent.id}`,
        details: { agent: agent.id, executor },
      });
    }
  }

  /** Resolves with the agent once it has ended and its result is complete. */
  async waitFor(id: string, options: WaitOptions = {}): Promise<Agent> {
    const pollMs = options.pollMs ?? 250;
    const settleTimeoutMs = options.settleTimeoutMs ?? 15_000;
    let endedSeen: number | null = null;
    for (;;) {
      const agent = await this.show(id);
      if (isSettled(agent)) return agent;
      if (isFinalAgentStatus(agent.status)) {
        endedSeen ??= Date.now();
        if (Date.now() - endedSeen >= settleTimeoutMs) return agent;
      }
      if (options.signal?.aborted) throw new HvkubeError('INVALID_INPUT', `stopped waiting for agent ${id}`, { details: { agent: id } });
      await new Promise<void>((resolve) => {
        const done = (): void => {
          clearTimeout(timer);
          this.events.off('agent', onAgent);
          options.signal?.removeEventListener('abort', done);
          resolve();
        };
        const onAgent = (a: Agent): void => {
          if (a.id === id) done();
        };
        const timer = setTimeout(done, pollMs);
        this.events.on('agent', onAgent);
        options.signal?.addEventListener('abort', done, { once: true });
      });
    }
  }
}

function checkOutput(output: unknown): unknown {
  let text: string | undefined;
  try {
    text = JSON.stringify(output);
  } catch (e) {
    throw new HvkubeError('INVALID_INPUT', `output is not JSON: ${errorMessage(e)}`);
  }
  if (text === undefined) return null;
  if (Buffer.byteLength(text) > MAX_OUTPUT_BYTES) {
    throw new HvkubeError('INVALID_INPUT', 'output is larger than 1 MiB', { hint: 'save large results as files and report their paths' });
  }
  return JSON.parse(text) as unknown;
}
