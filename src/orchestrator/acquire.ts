/**
 * The hot path. One store transaction claims a hot or saved VM and leases it; the VM is resumed
 * and probed; the caller gets a ready VM or a clear error, never a half-resumed one. A VM that
 * fails to resume goes to repair in the background and the acquire tries another.
 * @module
 */
import { HvkubeError, isHvkubeError } from '../domain/errors.js';
import type { LeaseDisplay, Pool, Template, Vm } from '../domain/types.js';
import { validateInt } from '../domain/validation.js';
import type { VmState } from '../domain/vm-state.js';
import { newId } from '../_util/ids.js';
import { errorMessage } from '../_util/logger.js';
import type { OrchestratorContext } from './context.js';
import { requirePool } from './catalog.js';
import { guestAddresses, waitReady } from './readiness.js';
import type { TemplateCache } from './templates-cache.js';
import type { Waiters } from './waiters.js';
import type { FleetHooks } from './fleet-hooks.js';
import { powerOffFailed } from './vm-operation.js';

export interface AcquireOptions {
  pool: string;
  /** Who holds the lease (shown in listings). Default `anonymous`. */
  holder?: string;
  /** How long to wait for a VM when none is ready; 0 fails at once. Default 0. */
  timeoutMs?: number;
  /** The lease expires unless renewed; null for no expiry. Default null. */
  leaseTtlMs?: number | null;
  /**
   * The display size the holder's agent sees (e.g. 1024x768): screenshots under the lease are
   * scaled to it and coordinates sent under it mapped back to the real screen. Default: the real screen.
   */
  display?: LeaseDisplay | null;
  signal?: AbortSignal;
}

export interface AcquireResult {
  vm: Vm;
  leaseId: string;
  /** Time from claim to ready. */
  resumeMs: number;
  /** Time spent waiting for a VM to be free. */
  waitMs: number;
  /** The VM was paused in memory (hot tier) rather than saved. */
  fromHot: boolean;
}

export interface AcquireDeps {
  templates: TemplateCache;
  waiters: Waiters;
  /** Called with a VM whose resume failed; it repairs it in the background. */
  repair: (vm: Vm) => void;
  /** Runs the resume of a VM claimed on this host, so that a claim it abandons is settled. Default: runs it. */
  resuming?: <T>(vm: Vm, work: () => Promise<T>) => Promise<T>;
  /** Called after each claim so the controller can refill the pool's warm tiers. */
  claimed: (pool: string) => void;
  /** VMs whose resume the backend has prepared: a claim takes these first. Default: none. */
  prepared?: () => readonly string[];
  /**
   * True while something (this process's pool controller, or another live process such as
   * `hvkube serve`) will replace or repair VMs in error. When it is false, an acquire from a pool
   * whose VMs are all in error fails at once. Default: always true.
   */
  repairing?: () => boolean;
  /** Several hosts: claim a VM of any live host, and have its owner resume it. */
  fleet?: FleetHooks | null;
  /**
   * How often a waiting acquire looks again without being woken (another process may free a VM
   * without telling). Default 1000 ms; longer when the store notifies across processes.
   */
  pollMs?: number;
}

const CLAIM_ORDER: readonly VmState[] = ['paused', 'saved'];

export async function acquire(ctx: OrchestratorContext, deps: AcquireDeps, options: AcquireOptions): Promise<AcquireResult> {
  const t0 = ctx.clock.now();
  const timeoutMs = Math.max(0, options.timeoutMs ?? 0);
  const deadline = t0 + timeoutMs;
  const holder = options.holder ?? 'anonymous';
  if (options.display) {
    validateInt('display width', options.display.width, 16, 7680);
    validateInt('display height', options.display.height, 16, 4320);
  }
  let failures = 0;
  let lastFailure: unknown;
  let poolChecked: Pool | null = null;
  let wokenBefore = false;

  for (;;) {
    if (options.signal?.aborted) throw new HvkubeError('ACQUIRE_TIMEOUT', `acquire from pool '${options.pool}' was cancelled`);
    // Newcomers queue behind earlier waiters, so a waiting acquire is never overtaken.
    const mustQueue = !wokenBefore && deps.waiters.size(options.pool) > 0;
    const claimed = mustQueue ? null : await claim(ctx, options, holder, deps.fleet ?? null, deps.prepared?.() ?? []);
    if (claimed) {
      const { vm, fromHot } = claimed;
      deps.claimed(vm.pool);
      try {
        const local = (): ReturnType<typeof resume> => resume(ctx, deps, vm, fromHot);
        const ready = deps.fleet && vm.host !== ctx.settings.host ? await resumeOnOwner(ctx, deps.fleet, vm, fromHot) : await (deps.resuming ? deps.resuming(vm, local) : local());
        return { ...ready, waitMs: ready.claimedAt - t0, fromHot };
      } catch (e) {
        failures++;
        lastFailure = e;
        ctx.logger.warn({ vm: vm.name, err: errorMessage(e) }, 'resume failed; repairing and trying another VM');
        if (failures > ctx.settings.acquireRetries) {
          throw new HvkubeError('NO_VM_AVAILABLE', `pool '${options.pool}': ${failures} VMs failed to resume (last: ${errorMessage(e)})`, {
            hint: 'the failed VMs are being repaired; check `hvkube vm list --pool` and the host, then retry',
            details: { pool: options.pool, failures },
            cause: e,
          });
        }
        continue;
      }
    }
    poolChecked ??= await requirePool(ctx, options.pool);
    // In a fleet another host's controller may replace them, so only a lone host gives up early.
    if (!deps.fleet && deps.repairing && !deps.repairing()) {
      const hopeless = await allInError(ctx, poolChecked);
      if (hopeless) throw hopeless;
    }
    const remaining = deadline - ctx.clock.now();
    if (remaining <= 0) throw await noVmError(ctx, poolChecked, timeoutMs, lastFailure);
    // Poll now and then as well: another process (CLI, other host) may free a VM without telling us.
    wokenBefore = await deps.waiters.wait(options.pool, Math.min(remaining, deps.pollMs ?? 1000), { signal: options.signal, front: wokenBefore });
  }
}

async function claim(ctx: OrchestratorContext, options: AcquireOptions, holder: string, fleet: FleetHooks | null, prepared: readonly string[]): Promise<{ vm: Vm; fromHot: boolean } | null> {
  const leaseId = newId();
  const expiresAt = options.leaseTtlMs ? new Date(ctx.clock.now() + options.leaseTtlMs).toISOString() : null;
  // One transaction tries the hot tier first, then saved VMs.
  const states = CLAIM_ORDER.filter((s) => s !== 'paused' || ctx.hv.capabilities.pause);
  const vm = await ctx.store.claimVm({
    pool: options.pool,
    states,
    // In a fleet any live host's VM will do (hot anywhere before saved anywhere); ours first.
    ...(fleet ? { liveHostsOnly: true, preferHost: ctx.settings.host } : { host: ctx.settings.host }),
    // The VM whose resume the backend prepared (QEMU: a pre-started process) resumes fastest.
    ...(prepared.length > 0 ? { prefer: prepared } : {}),
    holder,
    leaseId,
    leaseExpiresAt: expiresAt,
    leaseDisplay: options.display ?? null,
    actor: holder,
  });
  if (vm) {
    ctx.bus.emit('vm-change', { vm: vm.name, pool: vm.pool, from: vm.claimedFrom, to: 'resuming' });
    ctx.bus.emit('appended');
    return { vm, fromHot: vm.claimedFrom === 'paused' };
  }
  return null;
}

/** The owner resumes a VM this process claimed; the answer has the same shape as a local resume. */
async function resumeOnOwner(ctx: OrchestratorContext, fleet: FleetHooks, vm: Vm, fromHot: boolean): Promise<Omit<AcquireResult, 'waitMs' | 'fromHot'> & { claimedAt: number }> {
  const claimedAt = ctx.clock.now();
  const leaseId = vm.lease?.id;
  if (!leaseId) throw new HvkubeError('INTERNAL', `claimed VM ${vm.name} has no lease`);
  const { vm: ready, resumeMs } = await fleet.remote.resume(vm, fromHot);
  return { vm: ready, leaseId, resumeMs, claimedAt };
}

export async function resume(ctx: OrchestratorContext, deps: Pick<AcquireDeps, 'templates' | 'repair'>, vm: Vm, fromHot: boolean): Promise<Omit<AcquireResult, 'waitMs' | 'fromHot'> & { claimedAt: number }> {
  const claimedAt = ctx.clock.now();
  const lease = vm.lease;
  if (!lease) throw new HvkubeError('INTERNAL', `claimed VM ${vm.name} has no lease`);
  let template: Template;
  try {
    template = await deps.templates.get(ctx, vm.template);
    if (fromHot) await ctx.hv.unpause(vm.name);
    else await ctx.hv.start(vm.name);
    await waitReady(ctx, vm, template);
  } catch (e) {
    // Nothing of a VM that failed to resume keeps running while it waits for its repair.
    await powerOffFailed(ctx, vm);
    // Out of the pool until repaired: reset to clean in the background.
    const moved = await ctx.store.transitionVm(vm.name, {
      from: ['resuming'],
      to: 'resetting',
      patch: { lease: null, lastError: errorMessage(e) },
      actor: lease.holder,
      action: 'resume-failed',
      details: { reason: errorMessage(e), code: isHvkubeError(e) ? e.code : undefined },
    });
    if (moved) {
      ctx.bus.emit('vm-change', { vm: vm.name, pool: vm.pool, from: 'resuming', to: 'resetting' });
      ctx.bus.emit('appended');
      deps.repair(moved);
    }
    throw e;
  }
  const resumeMs = ctx.clock.now() - claimedAt;
  const addresses = await guestAddresses(ctx, vm, template);
  const ready = await ctx.store.transitionVm(vm.name, {
    from: ['resuming'],
    to: 'running',
    patch: { ...addresses, lastResumeMs: resumeMs, lastError: null },
    actor: lease.holder,
    action: 'resumed',
    details: { resumeMs, hot: fromHot },
    leaseId: lease.id,
  });
  if (!ready) throw new HvkubeError('VM_INVALID_STATE', `VM ${vm.name} was taken away while it resumed`, { hint: 'retry the acquire' });
  ctx.bus.emit('vm-change', { vm: vm.name, pool: vm.pool, from: 'resuming', to: 'running' });
  ctx.bus.emit('appended');
  return { vm: ready, leaseId: lease.id, resumeMs, claimedAt };
}

/** NO_VM_AVAILABLE when every VM of the pool is in error (nothing will come free), with their last error. */
async function allInError(ctx: OrchestratorContext, pool: Pool): Promise<HvkubeError | null> {
  const counts = await ctx.store.countVmsByState(pool.name);
  const total = Object.values(counts).reduce((a, b) => a + (b ?? 0), 0);
  const failed = counts.error ?? 0;
  if (total === 0 || failed < total) return null;
  const vms = await ctx.store.listVms({ pool: pool.name });
  const last = vms.filter((v) => v.lastError).sort((a, b) => b.stateSince.localeCompare(a.stateSince))[0];
  return new HvkubeError('NO_VM_AVAILABLE', `pool '${pool.name}' cannot hand out a VM: all ${failed} of its VMs are in error and nothing is repairing them${last ? ` (last error, ${last.name}: ${last.lastError})` : ''}`, {
    hint: `fix the cause (\`hvkube doctor\`), then \`hvkube pool remove ${pool.name}\` and create it again, or run \`hvkube serve\`, which replaces VMs in error`,
    details: { pool: pool.name, counts, errors: vms.map((v) => ({ vm: v.name, error: v.lastError })) },
  });
}

async function noVmError(ctx: OrchestratorContext, pool: Pool, timeoutMs: number, lastFailure: unknown): Promise<HvkubeError> {
  const counts = await ctx.store.countVmsByState(pool.name);
  const leased = await ctx.store.countVms({ pool: pool.name, leased: true });
  const busy = (['provisioning', 'booting', 'saving', 'resetting', 'resuming', 'pausing'] as const)
    .filter((s) => (counts[s] ?? 0) > 0)
    .map((s) => `${counts[s]} ${s}`);
  const parts = [
    leased > 0 ? `${leased} in use` : null,
    ...busy,
    (counts.error ?? 0) > 0 ? `${counts.error} in error` : null,
  ].filter((p): p is string => p !== null);
  const situation = parts.length > 0 ? `; ${parts.join(', ')}` : pool.desired === 0 ? (pool.autoscale ? '; it is scaled to zero' : '; its size is 0') : '';
  const waited = timeoutMs > 0 ? ` after waiting ${Math.round(timeoutMs / 1000)} s` : '';
  const coldStartMs = pool.autoscale ? (await ctx.store.getPoolAutoscaleStatus(pool.name))?.coldStartMs ?? null : null;
  const hint = pool.autoscale
    ? `the pool is autoscaled (${pool.autoscale.min}..${pool.autoscale.max} VMs): an acquire that waits makes it grow; pass a timeout longer than a cold start (${coldStartMs === null ? 'not measured yet' : `about ${Math.ceil(coldStartMs / 1000)} s`}), e.g. --timeout 120, with \`hvkube serve\` running`
    : pool.desired === 0
      ? `scale it up: hvkube pool scale ${pool.name} --count 2`
      : timeoutMs > 0
        ? 'retry later, or scale the pool up'
        : 'retry, or pass --timeout 60 to wait';
  return new HvkubeError('NO_VM_AVAILABLE', `pool '${pool.name}' has no saved VM${situation}${waited}`, {
    hint,
    details: { pool: pool.name, counts, leased, lastFailure: lastFailure === undefined ? undefined : errorMessage(lastFailure) },
  });
}
