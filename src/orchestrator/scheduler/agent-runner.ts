/**
 * The life of one agent on one VM: acquire (or take over the VM of an adopted agent), run the
 * executor, then end the agent and give the VM back. The VM of an agent that did not succeed is
 * always reset, never saved; a VM that broke goes to repair, and the agent is retried on another
 * VM if its task allows.
 * @module
 */
import { isHvkubeError, type ErrorCode } from '../../domain/errors.js';
import { isFinalAgentStatus } from '../../domain/agent-state.js';
import type { Agent, AgentTimings, ReleasePolicy, Vm } from '../../domain/types.js';
import { isoNow } from '../../_util/clock.js';
import { errorMessage } from '../../_util/logger.js';
import { TaskError, type ExecutionContext } from '../executors/executor.js';
import type { Workflow } from '../workflows/workflow-schema.js';
import { holderOf } from './agent-ids.js';
import { EMPTY_TIMINGS, msSince } from './results.js';
import { AgentStopped, type ActiveRun, type RunnerDeps } from './run-context.js';

const ACTOR = 'scheduler';

/** Acquire failures that say "not now" rather than "never": the agent waits in the queue again. */
const TRY_LATER: ReadonlySet<ErrorCode> = new Set(['NO_VM_AVAILABLE', 'ACQUIRE_TIMEOUT', 'HOST_CAPACITY', 'HOST_FENCED', 'SHUTTING_DOWN', 'HV_TIMEOUT', 'HV_UNAVAILABLE', 'HV_FAILED']);

/** How long a failed agent's last screenshot may take; it is a courtesy, not a step. */
const FINAL_SCREENSHOT_MS = 3000;

type Outcome = { ok: true; output: unknown } | { ok: false; error: unknown };

interface RunState {
  vm: Vm | null;
  workflow: Workflow | null;
  outcome: Outcome;
  timings: AgentTimings;
  dispatchedAt: number;
}

/** Settles with the executor's answer, or rejects as soon as the run is stopped. */
function untilStopped<T>(work: Promise<T>, signal: AbortSignal): Promise<T> {
  // The executor may go on briefly after a stop; its late failure must not be unhandled.
  work.catch(() => undefined);
  return new Promise<T>((resolve, reject) => {
    const onAbort = (): void => reject(signal.reason instanceof Error ? signal.reason : new AgentStopped('cancelled'));
    if (signal.aborted) return onAbort();
    signal.addEventListener('abort', onAbort, { once: true });
    work.then(
      (v) => {
        signal.removeEventListener('abort', onAbort);
        resolve(v);
      },
      (e: unknown) => {
        signal.removeEventListener('abort', onAbort);
        reject(e instanceof Error ? e : new Error(String(e)));
      },
    );
  });
}

async function requeue(d: RunnerDeps, agent: Agent, from: Agent['status'], patch: { attempts?: number }, why: string): Promise<void> {
  const back = await d.store.updateAgent(agent.id, [from], { status: 'pending', vm: null, startedAt: null, deadlineAt: null, ...patch }, ACTOR);
  if (back) {
    d.log(agent.id, `back in the queue: ${why}`, 'warn');
    d.changed(back);
  }
}

/** Asks the hypervisor whether the VM still runs: an error from a VM that vanished or stopped is the VM's fault, not the task's. */
async function vmIsBroken(d: RunnerDeps, name: string): Promise<boolean> {
  try {
    const hv = await d.orch.hypervisor.getVm(name);
    return hv === null || hv.state !== 'running';
  } catch {
    return true;
  }
}

async function acquireVm(d: RunnerDeps, agent: Agent, run: ActiveRun, state: RunState): Promise<Vm | null> {
  try {
    const acquired = await d.orch.acquire({ pool: agent.pool, holder: holderOf(agent.id), timeoutMs: 0, signal: run.controller.signal });
    state.timings.resumeMs = acquired.resumeMs;
    return acquired.vm;
  } catch (e) {
    if (run.stopReason !== null && run.stopReason !== 'shutdown') return null;
    if (run.stopReason === 'shutdown' || (isHvkubeError(e) && TRY_LATER.has(e.code))) {
      d.starve(agent.pool);
      await requeue(d, agent, 'scheduled', { attempts: Math.max(0, agent.attempts - 1) }, `no VM after all (${errorMessage(e)})`);
      return null;
    }
    throw e;
  }
}

function executionContext(d: RunnerDeps, agent: Agent, run: ActiveRun, vm: Vm, workflow: Workflow, credentialsRef: string | null): ExecutionContext {
  return {
    agentId: agent.id,
    workflow,
    input: agent.task.input,
    vm,
    credentialsRef,
    console: d.orch,
    signal: run.controller.signal,
    clock: d.clock,
    workflowDir: d.workflows.dir,
    log: (message, details) => d.log(agent.id, message, 'info', details),
    saveScreenshot: async (png, label) => {
      const file = await d.artifacts.saveScreenshot(agent.id, png);
      if (label) d.log(agent.id, `screenshot ${file}: ${label}`);
      return file;
    },
  };
}

/**
 * Runs a scheduled agent (`adopted`: a running one whose VM it already holds, after a restart).
 * Never rejects: every failure ends up in the agent's status and result.
 */
export async function runAgent(d: RunnerDeps, agent: Agent, run: ActiveRun, adopted: Vm | null): Promise<void> {
  const now = d.clock.now();
  const state: RunState = {
    vm: adopted,
    workflow: null,
    outcome: { ok: false, error: new Error('the agent did not start') },
    timings: { ...EMPTY_TIMINGS, ...agent.result?.timings, queuedMs: adopted ? (agent.result?.timings.queuedMs ?? null) : msSince(agent.submittedAt, now), releaseMs: null },
    dispatchedAt: adopted && agent.startedAt ? Date.parse(agent.startedAt) : now,
  };
  let current = agent;
  try {
    state.workflow = await d.workflows.get(agent.task.workflow);
    run.executor = state.workflow.executor;
    if (!state.vm) {
      d.log(agent.id, `dispatched (attempt ${agent.attempts}); acquiring a VM from pool ${agent.pool}`);
      const vm = await acquireVm(d, agent, run, state);
      if (!vm) {
        if (run.stopReason !== null) await finish(d, current, run, state);
        return;
      }
      state.vm = vm;
      const running = await d.store.updateAgent(agent.id, ['scheduled'], { status: 'running', vm: vm.name, startedAt: isoNow(d.clock) }, ACTOR);
      if (!running) throw new AgentStopped(run.stopReason ?? 'ended-elsewhere');
      current = running;
      d.changed(running);
      d.log(agent.id, `running on ${vm.name} (resumed in ${state.timings.resumeMs ?? '?'} ms)`, 'info', { vm: vm.name, ip: vm.ip });
    } else {
      d.log(agent.id, `taken over on ${state.vm.name} after a restart`);
    }
    run.phase = 'running';
    if (run.stopReason) throw new AgentStopped(run.stopReason);
    const template = await d.store.getTemplate(state.vm.template);
    const ctx = executionContext(d, current, run, state.vm, state.workflow, template?.credentialsRef ?? null);
    const started = d.clock.now();
    try {
      const output = await untilStopped(d.executors[state.workflow.executor].run(ctx), run.controller.signal);
      state.outcome = { ok: true, output };
    } finally {
      state.timings.runMs = d.clock.now() - started;
    }
  } catch (e) {
    state.outcome = { ok: false, error: e };
  }
  await finish(d, current, run, state);
}

async function finish(d: RunnerDeps, agent: Agent, run: ActiveRun, state: RunState): Promise<void> {
  if (run.stopReason === 'detached') return;
  const { vm, outcome } = state;
  let current = await d.store.getAgent(agent.id);
  if (!current) {
    // Its pool was removed with it; the VM still has to go back.
    if (vm) await giveBack(d, agent.id, vm, 'reset');
    return;
  }
  let vmBroken = false;
  let errorText: string | null = outcome.ok ? null : errorMessage(outcome.error);
  if (!isFinalAgentStatus(current.status)) {
    if (run.stopReason === 'shutdown') {
      await requeue(d, current, current.status, {}, 'the scheduler stopped while it ran');
      if (vm) await giveBack(d, agent.id, vm, 'reset');
      return;
    }
    if (!outcome.ok && vm) vmBroken = await vmIsBroken(d, vm.name);
    if (vmBroken && vm && current.attempts <= current.task.retries) {
      d.log(agent.id, `VM ${vm.name} failed (${errorText ?? 'unknown'}); it goes to repair and the agent is retried on another VM`, 'warn');
      await reportBroken(d, agent.id, vm, errorText);
      await requeue(d, current, current.status, {}, `retry ${current.attempts} of ${current.task.retries}`);
      return;
    }
    if (vmBroken && vm) errorText = `VM ${vm.name} failed: ${errorText ?? 'unknown'}`;
    const ended = await d.store.updateAgent(
      agent.id,
      [current.status],
      { status: outcome.ok ? 'completed' : 'failed', endedAt: isoNow(d.clock) },
      ACTOR,
    );
    current = ended ?? (await d.store.getAgent(agent.id)) ?? current;
  }
  const success = current.status === 'completed';
  if (!success && vm && !vmBroken && (current.status === 'failed' || current.status === 'timed_out')) await lastScreenshot(d, agent.id, vm);
  if (vm) {
    const started = d.clock.now();
    if (vmBroken) await reportBroken(d, agent.id, vm, errorText);
    else await giveBack(d, agent.id, vm, success ? (state.workflow?.release ?? 'reset') : 'reset');
    state.timings.releaseMs = d.clock.now() - started;
  } else {
    state.timings.releaseMs = 0;
  }
  const stored = current.result;
  const failureOutput = !outcome.ok && outcome.error instanceof TaskError ? outcome.error.output : null;
  const result = {
    success,
    output: stored?.output ?? (outcome.ok ? outcome.output : failureOutput),
    error: success ? null : (stored?.error ?? errorText ?? current.status),
    screenshots: await d.artifacts.listScreenshots(agent.id),
    durationMs: d.clock.now() - state.dispatchedAt,
    vm: vm?.name ?? null,
    timings: state.timings,
  };
  const settled = await d.store.updateAgent(agent.id, [current.status], { result }, ACTOR);
  d.log(
    agent.id,
    success ? `completed in ${result.durationMs} ms` : `${current.status.replace('_', ' ')}: ${result.error ?? ''}`,
    success ? 'info' : current.status === 'cancelled' ? 'warn' : 'error',
  );
  if (settled) d.changed(settled);
}

async function lastScreenshot(d: RunnerDeps, id: string, vm: Vm): Promise<void> {
  try {
    const png = await untilStopped(d.orch.screenshot(vm.name), AbortSignal.timeout(FINAL_SCREENSHOT_MS));
    const file = await d.artifacts.saveScreenshot(id, png);
    d.log(id, `screenshot ${file}: the screen when the agent ended`);
  } catch {
    // The VM may be unable to answer; the agent's end matters more than its picture.
  }
}

/** Gives the VM back under the agent's lease; a VM that cannot be released goes to repair. */
export async function giveBack(d: RunnerDeps, id: string, vm: Vm, policy: ReleasePolicy): Promise<void> {
  try {
    const released = await d.orch.release(vm.name, { policy, leaseId: vm.lease?.id, actor: holderOf(id) });
    // The agent's result does not wait for the VM to be saved or reset; the scheduler's stop does.
    d.track(released.done);
    d.log(id, `VM ${vm.name} released (${policy})`);
  } catch (e) {
    // Someone else already took it back (a repair, a forced release): nothing left to do.
    if (isHvkubeError(e) && ['LEASE_MISMATCH', 'VM_NOT_FOUND', 'VM_INVALID_STATE'].includes(e.code)) {
      d.log(id, `VM ${vm.name} was already taken back (${e.code})`, 'warn');
      return;
    }
    d.log(id, `VM ${vm.name} could not be released (${errorMessage(e)}); sending it to repair`, 'warn');
    await reportBroken(d, id, vm, errorMessage(e));
  }
}

async function reportBroken(d: RunnerDeps, id: string, vm: Vm, reason: string | null): Promise<void> {
  try {
    await d.orch.failVm(vm.name, `agent ${id}: ${reason ?? 'VM failed'}`);
  } catch (e) {
    d.logger.warn({ vm: vm.name, agent: id, err: errorMessage(e) }, 'could not send VM to repair; reconcile will');
  }
}

