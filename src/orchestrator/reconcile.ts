/**
 * Reconcile: make the store agree with the hypervisor. Runs on every start. VMs caught in a
 * transient state by a crash are settled on what the hypervisor reports (and repaired when an
 * acquire or reset was cut short); VMs the host lost become `error`; VMs on the host with our
 * prefix that the store does not know are reported, and removed on request.
 * @module
 */
import { rm } from 'node:fs/promises';
import type { HvState, HvVm } from '../hypervisor/hypervisor.js';
import type { Vm } from '../domain/types.js';
import { isTransientVmState, type ObservedState, type VmState } from '../domain/vm-state.js';
import { operatorLive } from '../_util/operator.js';
import { errorMessage } from '../_util/logger.js';
import type { OrchestratorContext } from './context.js';
import { finishRemove } from './remove.js';
import { markError } from './vm-operation.js';

export interface ReconcileReport {
  /** VMs whose recorded state was corrected or whose interrupted operation was finished. */
  fixed: string[];
  /** VMs on the host with hvkube's prefix that the store does not know. */
  orphans: string[];
  /** VMs the store knows that the host lacks. */
  missing: string[];
  /** Orphans removed (with `removeOrphans`). */
  removed: string[];
  /** VMs put back into service by a reset after an interrupted acquire or reset. */
  repaired: string[];
  /** VMs left alone: a live process (a server) is working on them right now. */
  busy: string[];
}

export interface ReconcileOptions {
  removeOrphans?: boolean;
  /** Settles a VM that needs a reset (interrupted acquire/reset) — the orchestrator repairs it. */
  repair: (vm: Vm) => Promise<unknown>;
}

const ACTOR = 'reconcile';

function observed(state: HvState): ObservedState | null {
  switch (state) {
    case 'off':
    case 'running':
    case 'saved':
    case 'paused':
      return state;
    case 'starting':
      return 'running';
    case 'saving':
      return 'saved';
    case 'stopping':
      return 'off';
    default:
      return null;
  }
}

async function settle(ctx: OrchestratorContext, vm: Vm, to: ObservedState, clearLease: boolean): Promise<Vm | null> {
  const updated = await ctx.store.transitionVm(vm.name, {
    from: [vm.state],
    to,
    patch: clearLease ? { lease: null } : undefined,
    actor: ACTOR,
    action: `observed:${to}`,
    details: { was: vm.state },
  });
  if (updated) {
    ctx.bus.emit('vm-change', { vm: vm.name, pool: vm.pool, from: vm.state, to });
    ctx.bus.emit('appended');
  }
  return updated;
}

export async function reconcile(ctx: OrchestratorContext, options: ReconcileOptions): Promise<ReconcileReport> {
  const report: ReconcileReport = { fixed: [], orphans: [], missing: [], removed: [], repaired: [], busy: [] };
  const onHost = new Map<string, HvVm>((await ctx.hv.listVms(ctx.settings.vmPrefix)).map((v) => [v.name, v]));
  const known = await ctx.store.listVms({ host: ctx.settings.host });
  const operators = await ctx.store.vmOperators(ctx.settings.host);

  for (const vm of known) {
    const hvVm = onHost.get(vm.name);
    onHost.delete(vm.name);
    // Declared lost with its host and replaced elsewhere: the fleet's rejoin removes it; settling
    // it here would put a second copy of the pool's capacity back into service.
    if (vm.state === 'unknown') continue;
    // Work in flight of a live process (a server's resume, save or provisioning) is not a crash
    // leftover: settling it would fail the acquire that waits for it and replace a sound VM.
    if (unfinished(vm) && operatorLive(operators.get(vm.name) ?? null, ctx.store.operator)) {
      report.busy.push(vm.name);
      continue;
    }
    try {
      if (!hvVm) {
        await settleMissing(ctx, vm, report);
        continue;
      }
      await settlePresent(ctx, vm, hvVm, report, options);
    } catch (e) {
      ctx.logger.error({ vm: vm.name, err: errorMessage(e) }, 'reconcile could not settle VM');
    }
  }

  for (const orphan of onHost.keys()) {
    report.orphans.push(orphan);
    if (options.removeOrphans) {
      await ctx.hv.remove(orphan);
      report.removed.push(orphan);
    }
  }
  if (report.fixed.length + report.orphans.length + report.missing.length > 0) {
    await ctx.store.appendEvent({ actor: ACTOR, kind: 'host', subject: ctx.settings.host, action: 'reconcile', from: null, to: null, durationMs: null, details: { ...report } });
    ctx.bus.emit('appended');
  }
  return report;
}

/** A transient state, or a VM that never got its clean checkpoint: some operation is not done. */
function unfinished(vm: Vm): boolean {
  return isTransientVmState(vm.state) || (!vm.hasClean && vm.state !== 'error');
}

async function settleMissing(ctx: OrchestratorContext, vm: Vm, report: ReconcileReport): Promise<void> {
  if (vm.state === 'provisioning' || vm.state === 'deleting') {
    // Never created, or already half gone: finish removing it, files included.
    if (vm.state === 'provisioning') {
      await ctx.store.transitionVm(vm.name, { from: ['provisioning'], to: 'deleting', actor: ACTOR, action: 'delete' });
    }
    await finishRemove(ctx, { ...vm, state: 'deleting' }, ACTOR);
    report.fixed.push(vm.name);
    return;
  }
  report.missing.push(vm.name);
  if (vm.state !== 'error') {
    await markError(ctx, vm, ACTOR, new Error('the hypervisor no longer has this VM'));
    report.fixed.push(vm.name);
  }
  if (vm.diskPath) await rm(vm.diskPath, { force: true });
}

async function settlePresent(ctx: OrchestratorContext, vm: Vm, hvVm: HvVm, report: ReconcileReport, options: ReconcileOptions): Promise<void> {
  const seen = observed(hvVm.state);
  const state: VmState = vm.state;
  switch (state) {
    case 'deleting':
      await finishRemove(ctx, vm, ACTOR);
      report.fixed.push(vm.name);
      return;
    case 'provisioning':
    case 'booting':
      // Provisioning never finished: no trustworthy clean checkpoint. The controller replaces it.
      await markError(ctx, vm, ACTOR, new Error(`provisioning was interrupted while ${state}`));
      report.fixed.push(vm.name);
      return;
    case 'resuming':
    case 'resetting': {
      // An acquire or reset was cut short: nobody got this VM. Put it back to clean.
      const settled = seen ? await settle(ctx, vm, seen, true) : await markError(ctx, vm, ACTOR, new Error(`hypervisor state ${hvVm.state}`));
      report.fixed.push(vm.name);
      if (settled && settled.state !== 'error') {
        await options.repair(settled);
        report.repaired.push(vm.name);
      }
      return;
    }
    case 'error':
      return;
    case 'running':
    case 'saved':
    case 'paused':
    case 'off':
      if (!vm.hasClean) {
        // Provisioning died between boot and checkpoint: no clean state to reset to, no lease,
        // nobody would ever claim, expire or scale it down. The controller replaces it.
        await markError(ctx, vm, ACTOR, new Error(`provisioning was interrupted before the clean checkpoint (VM left ${state})`));
        report.fixed.push(vm.name);
        return;
      }
      await settleSteady(ctx, vm, seen, hvVm, report, options);
      return;
    default:
      await settleSteady(ctx, vm, seen, hvVm, report, options);
  }
}

async function settleSteady(ctx: OrchestratorContext, vm: Vm, seen: ObservedState | null, hvVm: HvVm, report: ReconcileReport, options: ReconcileOptions): Promise<void> {
  const state: VmState = vm.state;
  if (!seen) {
    await markError(ctx, vm, ACTOR, new Error(`hypervisor reports state ${hvVm.state}`));
    report.fixed.push(vm.name);
    return;
  }
  if (seen !== state) {
    const settled = await settle(ctx, vm, seen, seen !== 'running' || state !== 'running');
    report.fixed.push(vm.name);
    // A save or pause cut short leaves an unheld running VM: nobody would ever give it back.
    if (settled && seen === 'running' && (state === 'saving' || state === 'pausing')) {
      await options.repair(settled);
      report.repaired.push(vm.name);
    }
  }
}
