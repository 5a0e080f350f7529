/**
 * Idle and lifetime policies of pools (docs/policies.md), run at the start of every pool
 * controller pass on this host's VMs:
 * - idle: a leased VM with no use through hvkube for `idleTimeoutS` is released by the pool's
 *   release policy, or saved with its lease kept ("parked") and resumed on the holder's next call;
 * - max lease duration: a lease ends `maxLeaseS` after its acquire (renewals cannot pass it);
 * - max VM age: an unleased VM older than `maxVmAgeS` since its clone is replaced by a fresh one,
 *   one VM of a pool at a time. A leased VM is never touched: every write is guarded on "no lease".
 * Everything they decide on is in the store (lease start, last use, park), so a restart goes on
 * where it stood.
 * @module
 */
import { HvkubeError, isHvkubeError } from '../../domain/errors.js';
import type { Pool, ReleasePolicy, Vm } from '../../domain/types.js';
import type { VmState } from '../../domain/vm-state.js';
import { errorMessage } from '../../_util/logger.js';
import type { OrchestratorContext } from '../context.js';
import type { PoolController } from '../pool-controller.js';
import { guestAddresses, waitReady } from '../readiness.js';
import { release, type ReleaseResult } from '../release.js';
import { beginRemove, finishRemove } from '../remove.js';
import { resetVm } from '../reset.js';
import type { TemplateCache } from '../templates-cache.js';
import { markError, powerOffFailed, transition } from '../vm-operation.js';
import { ActivityTracker } from './activity.js';
import { formatDuration } from './lifetime-input.js';

export const POLICY_ACTOR = 'lifetime-policy';

/** Why a policy ended a lease or replaced a VM (the `reason` of its event). */
export type PolicyReason = 'idle' | 'max-lease-duration' | 'lease-expired' | 'max-vm-age';

/** States during which a VM is being made or removed: a pool replaces one old VM at a time. */
const CHURN_STATES: readonly VmState[] = ['provisioning', 'booting', 'deleting'];
/** Unleased states from which an old VM may be replaced. */
const REPLACEABLE_STATES: readonly VmState[] = ['saved', 'paused', 'off'];

/** How long a call waits for a park (idle save) under way to finish before resuming the VM. */
const PARK_WAIT_MS = 120_000;

function hasPolicies(pool: Pool): boolean {
  const l = pool.lifetime;
  return l.idleTimeoutS !== null || l.maxLeaseS !== null || l.maxVmAgeS !== null;
}

export function isParked(vm: Vm): boolean {
  return vm.state === 'saved' && vm.lease !== null && Boolean(vm.parkedAt);
}

export interface LifetimeDeps {
  templates: TemplateCache;
  controller: PoolController;
}

export class LifetimePolicies {
  readonly #ctx: OrchestratorContext;
  readonly #deps: LifetimeDeps;
  readonly activity: ActivityTracker;
  /** Resumes of parked VMs under way here, by VM: concurrent calls share one. */
  readonly #waking = new Map<string, Promise<Vm>>();

  constructor(ctx: OrchestratorContext, deps: LifetimeDeps, options: { activityWriteMs?: number } = {}) {
    this.#ctx = ctx;
    this.#deps = deps;
    this.activity = new ActivityTracker(ctx, options.activityWriteMs);
  }

  /** When the lease of `vm` must end by its pool's max lease duration (epoch ms), or null. */
  leaseLimit(vm: Vm, pool: Pool): number | null {
    if (!vm.lease || pool.lifetime.maxLeaseS === null) return null;
    return this.#leaseStart(vm) + pool.lifetime.maxLeaseS * 1000;
  }

  #leaseStart(vm: Vm): number {
    // A lease written before migration 007 (or by hand) has no start: its VM's state start stands in.
    return Date.parse(vm.leaseStartedAt ?? vm.stateSince);
  }

  /**
   * Refuses a renew whose new expiry passes the pool's max lease duration, saying until when the
   * lease may still run.
   */
  checkRenew(vm: Vm, pool: Pool, expiresAtMs: number): void {
    const limit = this.leaseLimit(vm, pool);
    if (limit === null || expiresAtMs <= limit) return;
    const max = formatDuration(pool.lifetime.maxLeaseS ?? 0);
    const leftS = Math.floor((limit - this.#ctx.clock.now()) / 1000);
    const ends = new Date(limit).toISOString();
    throw new HvkubeError(
      'LEASE_LIMIT',
      leftS < 1
        ? `the lease on VM ${vm.name} has reached pool ${pool.name}'s max lease duration (${max}) and cannot be renewed; it is being released`
        : `renewing the lease on VM ${vm.name} would carry it past pool ${pool.name}'s max lease duration (${max}): it ends at ${ends}, ${leftS} s from now`,
      {
        hint: leftS < 1 ? 'acquire a VM again' : `renew with a TTL of at most ${leftS} s, or release the VM and acquire one again`,
        details: { vm: vm.name, pool: pool.name, maxLeaseS: pool.lifetime.maxLeaseS, leaseEndsAt: ends, remainingS: Math.max(0, leftS) },
      },
    );
  }

  /**
   * Called on every use of a VM through hvkube (this host's VMs): records the use, and resumes a
   * VM the idle policy parked so that the call finds it running. Answers the VM as it is now.
   */
  async use(vm: Vm): Promise<Vm> {
    const awake = vm.lease && vm.parkedAt ? await this.#wake(vm) : vm;
    await this.activity.touch(awake);
    return awake;
  }

  /** One pass over the pools that have policies; started work runs in the controller's background. */
  async pass(): Promise<void> {
    const ctx = this.#ctx;
    const leased = await ctx.store.listVms({ host: ctx.settings.host, leased: true });
    this.activity.retain(new Set(leased.map((v) => v.name)));
    const pools = (await ctx.store.listPools()).filter(hasPolicies);
    for (const pool of pools) {
      try {
        await this.#passPool(pool);
      } catch (e) {
        ctx.logger.error({ pool: pool.name, err: errorMessage(e) }, 'lifetime policies pass failed');
      }
    }
  }

  async #passPool(pool: Pool): Promise<void> {
    const ctx = this.#ctx;
    const now = ctx.clock.now();
    const vms = await ctx.store.listVms({ pool: pool.name, host: ctx.settings.host });
    for (const vm of vms) {
      if (!vm.lease || this.#busy(vm.name)) continue;
      try {
        if (vm.state === 'running') await this.#checkLeased(pool, vm, now);
        else if (isParked(vm)) await this.#checkParked(pool, vm, now);
      } catch (e) {
        // Someone moved the VM first (a release, a call that resumed it): the next pass sees it anew.
        if (!isHvkubeError(e, 'VM_INVALID_STATE') && !isHvkubeError(e, 'LEASE_MISMATCH')) throw e;
      }
    }
    if (pool.lifetime.maxVmAgeS !== null) await this.#replaceOld(pool, vms, now);
  }

  #busy(name: string): boolean {
    return this.#deps.controller.busy(name) || this.#waking.has(name);
  }

  async #checkLeased(pool: Pool, vm: Vm, now: number): Promise<void> {
    const { idleTimeoutS, idleAction, maxLeaseS } = pool.lifetime;
    const start = this.#leaseStart(vm);
    if (maxLeaseS !== null && now >= start + maxLeaseS * 1000) {
      await this.#endLease(pool, vm, 'max-lease-duration', { leaseS: Math.floor((now - start) / 1000), maxLeaseS });
      return;
    }
    if (idleTimeoutS === null) return;
    const idleMs = now - Math.max(start, this.activity.lastUse(vm));
    if (idleMs < idleTimeoutS * 1000) return;
    const facts = { idleS: Math.floor(idleMs / 1000), idleTimeoutS };
    if (idleAction === 'release') await this.#endLease(pool, vm, 'idle', facts);
    else await this.#park(pool, vm, facts);
  }

  async #checkParked(pool: Pool, vm: Vm, now: number): Promise<void> {
    const { maxLeaseS } = pool.lifetime;
    const start = this.#leaseStart(vm);
    if (maxLeaseS !== null && now >= start + maxLeaseS * 1000) {
      await this.endParkedLease(pool, vm, { details: { reason: 'max-lease-duration', leaseS: Math.floor((now - start) / 1000), maxLeaseS } });
      return;
    }
    const expires = vm.lease?.expiresAt;
    if (expires && Date.parse(expires) <= now) await this.endParkedLease(pool, vm, { details: { reason: 'lease-expired', expiredAt: expires } });
  }

  /** Ends the lease of a running VM by the pool's release policy, the reason on the event. */
  async #endLease(pool: Pool, vm: Vm, reason: PolicyReason, facts: Record<string, unknown>): Promise<void> {
    const r = await release(this.#ctx, this.#deps.templates, vm, {
      policy: pool.releasePolicy,
      leaseId: vm.lease?.id,
      actor: POLICY_ACTOR,
      details: { reason, ...facts },
    });
    this.#ctx.logger.info({ vm: vm.name, holder: vm.lease?.holder, reason, ...facts }, 'lease ended by the pool policy');
    this.#deps.controller.background(vm.name, () => r.done, pool.name);
  }

  /** Idle with `save-keep-lease`: save the VM, lease kept; the holder's next call resumes it. */
  async #park(pool: Pool, vm: Vm, facts: Record<string, unknown>): Promise<void> {
    const ctx = this.#ctx;
    const leaseId = vm.lease?.id ?? null;
    const saving = await transition(ctx, vm, {
      event: 'save',
      actor: POLICY_ACTOR,
      action: 'idle-save',
      leaseId,
      patch: { parkedAt: new Date(ctx.clock.now()).toISOString() },
      details: { reason: 'idle', leaseKept: true, ...facts },
    });
    ctx.logger.info({ vm: vm.name, holder: vm.lease?.holder, ...facts }, 'idle VM saved, lease kept');
    this.#deps.controller.background(
      vm.name,
      async () => {
        const t0 = ctx.clock.now();
        try {
          await ctx.hv.save(vm.name);
        } catch (e) {
          await markError(ctx, saving, POLICY_ACTOR, e);
          throw e;
        }
        await transition(ctx, saving, { event: 'saved', actor: POLICY_ACTOR, patch: { lastSaveMs: ctx.clock.now() - t0 } });
      },
      pool.name,
    );
  }

  /**
   * Ends the lease of a parked VM (saved, lease kept): by the holder's release, its expiry or the
   * max lease duration. The VM goes back by the release policy: `save` leaves it saved as it is,
   * `reset` puts it back to clean, `destroy` removes it.
   */
  async endParkedLease(pool: Pool, vm: Vm, options: { policy?: ReleasePolicy; details?: Record<string, unknown>; actor?: string }): Promise<ReleaseResult> {
    const ctx = this.#ctx;
    const policy = options.policy ?? pool.releasePolicy;
    const actor = options.actor ?? POLICY_ACTOR;
    const leaseId = vm.lease?.id ?? null;
    const details = { ...options.details, released: policy, parked: true };
    if (policy === 'destroy') {
      const { finished } = await beginRemove(ctx, vm, actor, leaseId, details);
      this.#deps.controller.background(vm.name, () => finished, pool.name);
      return { vm: { ...vm, state: 'deleting', lease: null }, policy, done: finished.then(() => null, () => null) };
    }
    if (policy === 'reset') {
      const resetting = await transition(ctx, vm, { event: 'reset', actor, leaseId, patch: { lease: null }, details });
      const template = await this.#deps.templates.get(ctx, vm.template);
      const done = resetVm(ctx, resetting, template, { actor, alreadyResetting: true }).catch(() => ctx.store.getVm(vm.name));
      this.#deps.controller.background(vm.name, () => done, pool.name);
      return { vm: resetting, policy, done };
    }
    const freed = await ctx.store.transitionVm(vm.name, {
      from: ['saved'],
      to: 'saved',
      leaseId,
      patch: { lease: null },
      actor,
      action: 'lease-ended',
      details,
    });
    if (!freed) throw new HvkubeError('VM_INVALID_STATE', `VM ${vm.name} changed while its lease was ending`, { hint: 'retry', details: { vm: vm.name } });
    ctx.bus.emit('vm-change', { vm: vm.name, pool: vm.pool, from: 'saved', to: 'saved' });
    ctx.bus.emit('appended');
    return { vm: freed, policy, done: Promise.resolve(freed) };
  }

  /** Resumes a parked VM (one resume per VM however many calls wait for it). */
  #wake(vm: Vm): Promise<Vm> {
    const under = this.#waking.get(vm.name);
    if (under) return under;
    const p = this.#doWake(vm).finally(() => this.#waking.delete(vm.name));
    this.#waking.set(vm.name, p);
    return p;
  }

  async #doWake(seen: Vm): Promise<Vm> {
    const ctx = this.#ctx;
    let vm = seen;
    // A park under way: let its save finish, then resume.
    for (let waited = 0; vm.state === 'saving' && waited < PARK_WAIT_MS; waited += 100) {
      await new Promise((r) => setTimeout(r, 100));
      vm = (await ctx.store.getVm(vm.name)) ?? vm;
    }
    const lease = vm.lease;
    if (!isParked(vm) || !lease) return vm;
    const template = await this.#deps.templates.get(ctx, vm.template);
    const resuming = await transition(ctx, vm, {
      event: 'resume',
      actor: lease.holder,
      action: 'idle-resume',
      leaseId: lease.id,
      details: { reason: 'a call on the VM after its idle save', leaseKept: true },
    });
    return this.#deps.controller.resuming(vm.name, lease.id, async () => {
      const t0 = ctx.clock.now();
      try {
        await ctx.hv.start(vm.name);
        await waitReady(ctx, resuming, template);
      } catch (e) {
        await powerOffFailed(ctx, resuming);
        await markError(ctx, resuming, lease.holder, e);
        throw new HvkubeError('VM_INVALID_STATE', `VM ${vm.name} was saved while idle and could not be resumed: ${errorMessage(e)}; its lease has ended`, {
          hint: 'acquire a VM again',
          details: { vm: vm.name },
          cause: e,
        });
      }
      const resumeMs = ctx.clock.now() - t0;
      const addresses = await guestAddresses(ctx, resuming, template);
      const running = await ctx.store.transitionVm(vm.name, {
        from: ['resuming'],
        to: 'running',
        leaseId: lease.id,
        patch: { ...addresses, parkedAt: null, lastResumeMs: resumeMs, lastError: null, lastActivityAt: new Date(ctx.clock.now()).toISOString() },
        actor: lease.holder,
        action: 'resumed',
        details: { resumeMs, afterIdle: true },
      });
      if (!running) throw new HvkubeError('VM_INVALID_STATE', `VM ${vm.name} was taken away while it resumed`, { hint: 'acquire a VM again' });
      ctx.bus.emit('vm-change', { vm: vm.name, pool: vm.pool, from: 'resuming', to: 'running' });
      ctx.bus.emit('appended');
      return running;
    });
  }

  /** Replaces the oldest unleased VM past the pool's max age, when no other VM of it is being made or removed. */
  async #replaceOld(pool: Pool, vms: readonly Vm[], now: number): Promise<void> {
    const maxMs = (pool.lifetime.maxVmAgeS ?? 0) * 1000;
    if (vms.some((v) => CHURN_STATES.includes(v.state))) return;
    const old = vms
      .filter((v) => v.lease === null && v.hasClean && REPLACEABLE_STATES.includes(v.state) && !this.#busy(v.name))
      .filter((v) => now - Date.parse(v.createdAt) >= maxMs)
      .sort((a, b) => a.createdAt.localeCompare(b.createdAt) || a.name.localeCompare(b.name))[0];
    if (!old) return;
    const ctx = this.#ctx;
    const facts = { ageS: Math.floor((now - Date.parse(old.createdAt)) / 1000), maxVmAgeS: pool.lifetime.maxVmAgeS };
    let deleting: Vm;
    try {
      // Guarded on "no lease": an acquire that claims it first keeps it, untouched.
      deleting = await transition(ctx, old, {
        event: 'delete',
        action: 'replaced',
        actor: POLICY_ACTOR,
        leaseId: null,
        patch: { lease: null },
        details: { pool: pool.name, reason: 'max-vm-age', ...facts },
      });
    } catch (e) {
      if (isHvkubeError(e, 'VM_INVALID_STATE') || isHvkubeError(e, 'VM_NOT_FOUND')) return;
      throw e;
    }
    ctx.logger.info({ vm: old.name, pool: pool.name, ...facts }, 'replacing a VM past its max age');
    this.#deps.controller.background(old.name, () => finishRemove(ctx, deleting, POLICY_ACTOR), pool.name);
  }
}
