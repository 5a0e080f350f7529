/**
 * The one way a VM changes state: write the transient state first (compare-and-set), call the
 * hypervisor, then write the final state — or `error` with the reason. A crash in between leaves
 * the transient state behind as evidence for reconcile.
 * @module
 */
import { HvkubeError, isHvkubeError } from '../domain/errors.js';
import type { Vm } from '../domain/types.js';
import { tryVmTransition, vmEventName, vmTransition, type VmEvent, type VmState } from '../domain/vm-state.js';
import type { VmPatch } from '../store/store.js';
import { errorMessage } from '../_util/logger.js';
import type { OrchestratorContext } from './context.js';

export interface TransitionRequest {
  event: VmEvent;
  actor: string;
  action?: string;
  patch?: VmPatch;
  /** Guard on the lease; omitted: any. */
  leaseId?: string | null;
  details?: Record<string, unknown>;
}

/** Moves `vm` by `event` from the state it is known to be in; throws when someone moved it first. */
export async function transition(ctx: OrchestratorContext, vm: Vm, req: TransitionRequest): Promise<Vm> {
  const to = vmTransition(vm.state, req.event, vm.name);
  const updated = await ctx.store.transitionVm(vm.name, {
    from: [vm.state],
    to,
    patch: req.patch,
    actor: req.actor,
    action: req.action ?? vmEventName(req.event),
    details: req.details,
    leaseId: req.leaseId,
  });
  if (!updated) {
    const now = await ctx.store.getVm(vm.name);
    if (!now) {
      throw new HvkubeError('VM_NOT_FOUND', `VM ${vm.name} no longer exists`, { details: { vm: vm.name } });
    }
    throw new HvkubeError('VM_INVALID_STATE', `VM ${vm.name} changed to ${now.state} while ${vmEventName(req.event)} was starting`, {
      hint: 'another operation got there first; check `hvkube vm info` and retry',
      details: { vm: vm.name, state: now.state },
    });
  }
  ctx.bus.emit('vm-change', { vm: vm.name, pool: vm.pool, from: vm.state, to });
  ctx.bus.emit('appended');
  return updated;
}

/** Like `transition` but answers null instead of throwing when the VM moved on. */
export async function tryTransition(ctx: OrchestratorContext, vm: Vm, req: TransitionRequest): Promise<Vm | null> {
  if (tryVmTransition(vm.state, req.event) === undefined) return null;
  try {
    return await transition(ctx, vm, req);
  } catch (e) {
    if (e instanceof HvkubeError && (e.code === 'VM_INVALID_STATE' || e.code === 'VM_NOT_FOUND')) return null;
    throw e;
  }
}

/**
 * Marks a VM `error` with the reason, whatever state it reached, and powers it off: the row stays
 * for inspection, but nothing of a failed VM keeps running (a guest that never got ready, a save
 * cut short, a standby). Never throws for a vanished row.
 */
export async function markError(ctx: OrchestratorContext, vm: Vm, actor: string, cause: unknown): Promise<Vm | null> {
  const reason = errorMessage(cause);
  ctx.logger.warn({ vm: vm.name, err: reason }, 'VM failed');
  await powerOffFailed(ctx, vm);
  const current = (await ctx.store.getVm(vm.name)) ?? vm;
  if (current.state === 'deleting' || current.state === 'error') {
    return current.state === 'error' ? await ctx.store.patchVm(vm.name, { lastError: reason }) : current;
  }
  const updated = await ctx.store.transitionVm(vm.name, {
    from: [current.state],
    to: 'error',
    patch: { lastError: reason, lease: null },
    actor,
    action: 'fail',
    details: { reason, code: cause instanceof HvkubeError ? cause.code : undefined },
  });
  if (updated) {
    ctx.bus.emit('vm-change', { vm: vm.name, pool: vm.pool, from: current.state, to: 'error' });
    ctx.bus.emit('appended');
  }
  return updated;
}

/** Turns off a failed VM of this host; a VM the hypervisor no longer has is fine. */
export async function powerOffFailed(ctx: OrchestratorContext, vm: Vm): Promise<void> {
  if (vm.host !== ctx.settings.host) return;
  try {
    await ctx.hv.stop(vm.name, { force: true });
  } catch (e) {
    if (!isHvkubeError(e, 'HV_NOT_FOUND')) ctx.logger.warn({ vm: vm.name, err: errorMessage(e) }, 'could not power off a failed VM');
  }
}

export interface OperationSpec<T> {
  start: VmEvent;
  /** The event after success; may depend on what the hypervisor answered. */
  done: VmEvent | ((result: T) => VmEvent);
  actor: string;
  action?: string;
  startPatch?: VmPatch;
  donePatch?: VmPatch | ((result: T, ms: number) => VmPatch);
  leaseId?: string | null;
  /** On failure: mark the VM `error` (default) or leave the transient state for the caller. */
  onFailure?: 'error' | 'leave';
}

/** Runs one hypervisor operation between a transient and a final state. */
export async function runVmOperation<T>(
  ctx: OrchestratorContext,
  vm: Vm,
  spec: OperationSpec<T>,
  op: (vm: Vm) => Promise<T>,
): Promise<{ vm: Vm; result: T; ms: number }> {
  const started = await transition(ctx, vm, {
    event: spec.start,
    actor: spec.actor,
    action: spec.action,
    patch: spec.startPatch,
    leaseId: spec.leaseId,
  });
  const t0 = ctx.clock.now();
  let result: T;
  try {
    result = await op(started);
  } catch (e) {
    if (spec.onFailure !== 'leave') await markError(ctx, started, spec.actor, e);
    throw e;
  }
  const ms = ctx.clock.now() - t0;
  const doneEvent = typeof spec.done === 'function' ? spec.done(result) : spec.done;
  const patch = typeof spec.donePatch === 'function' ? spec.donePatch(result, ms) : spec.donePatch;
  const finished = await transition(ctx, started, { event: doneEvent, actor: spec.actor, patch });
  return { vm: finished, result, ms };
}

export function isState(vm: Vm, ...states: VmState[]): boolean {
  return states.includes(vm.state);
}
