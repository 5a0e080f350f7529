/**
 * The pool controller: compares what each pool has with what it should have and acts, with
 * bounded concurrency. Provisions what is missing, replaces `error` VMs, removes idle VMs beyond
 * the desired size, keeps `warm` VMs saved and `hot` ones paused, and expires leases.
 * Runs on a timer and whenever something changes.
 * @module
 */
import PQueue from 'p-queue';
import { isHvkubeError } from '../domain/errors.js';
import type { Pool, Template, Vm } from '../domain/types.js';
import type { VmState } from '../domain/vm-state.js';
import { errorMessage } from '../_util/logger.js';
import { operatorGone } from '../_util/operator.js';
import type { OrchestratorContext } from './context.js';
import { checkCapacity } from './capacity.js';
import { completeProvisioning, reserveVm, saveVm } from './provision.js';
import { beginRemove } from './remove.js';
import { resetVm } from './reset.js';
import type { TemplateCache } from './templates-cache.js';
import { markError, runVmOperation, transition } from './vm-operation.js';
import { readyTimeoutMs, waitReady } from './readiness.js';
import type { FleetHooks } from './fleet-hooks.js';

const ACTOR = 'controller';

/** Settled states: a lease found on a VM in one of them is stale. */
const STALE_LEASE_STATES: readonly VmState[] = ['saved', 'paused', 'off', 'error'];

export interface PoolHealth {
  degraded: string | null;
  lastError: string | null;
  /** Failures in a row; reset by a success. */
  failures: number;
  /** No new VM is provisioned for this pool before then (epoch ms): failures back off. */
  retryAt: number;
}

/**
 * A claim still `resuming` this long past the longest a resume may take is abandoned. The
 * margin covers a forwarded resume's own allowance over the ready time-out (10 s) and a slow hop.
 */
const ABANDONED_CLAIM_MARGIN_MS = 60_000;

/** Saved VMs per pool whose resume the backend is asked to prepare (it keeps at most its own limit). */
const PREPARED_PER_POOL = 2;
/** How long after the last resume here the next standbys start (the lease holder's first requests run alone). */
const PREPARE_AFTER_RESUME_MS = 300;
/** A prepare waits for resumes at most this long (under a stream of acquires it would never run). */
const PREPARE_DEFER_MAX_MS = 2000;

const BACKOFF_BASE_MS = 1000;
const BACKOFF_MAX_MS = 60_000;

export class PoolController {
  readonly #ctx: OrchestratorContext;
  readonly #templates: TemplateCache;
  readonly #fleet: () => FleetHooks | null;
  readonly #queue: PQueue;
  readonly #inflight = new Set<string>();
  readonly #work = new Set<Promise<unknown>>();
  readonly #health = new Map<string, PoolHealth>();
  #timer: NodeJS.Timeout | null = null;
  #ticking: Promise<number> | null = null;
  /** Per pool, the saved VMs of this host that acquires take next, first first (see `#prepareNext`). */
  readonly #nextUp = new Map<string, string[]>();
  /** What the backend was last asked to prepare (acquires claim these first). */
  #prepared = new Set<string>();
  #preparing: Promise<void> | null = null;
  #prepareAgain = false;
  /** A prepare waits while resumes run here (see `#prepareNext`); since when, or null. */
  #prepareDeferredSince: number | null = null;
  #prepareTimer: NodeJS.Timeout | null = null;
  #again = false;
  #stopped = false;
  #started = false;
  /** VMs whose resume runs in this process now (an acquire's here, or one its claimer forwarded). */
  readonly #resuming = new Set<string>();
  /** Claims whose resume ended here without a running VM: the lease id, by VM. */
  readonly #abandoned = new Map<string, string>();
  /** Work run first in every pass (the idle and lifetime policies). */
  readonly #passes: (() => Promise<void>)[] = [];
  /** Sets an autoscaled pool's size before each pass over it (see autoscale/); null: sizes are fixed. */
  #sizer: ((pool: Pool) => Promise<Pool>) | null = null;

  constructor(ctx: OrchestratorContext, templates: TemplateCache, fleet: () => FleetHooks | null = () => null) {
    this.#ctx = ctx;
    this.#templates = templates;
    this.#fleet = fleet;
    this.#queue = new PQueue({ concurrency: ctx.settings.provisionConcurrency });
  }

  /** True while this controller runs its loop or has work under way (it replaces and repairs VMs). */
  get active(): boolean {
    return (this.#started && !this.#stopped) || this.#work.size > 0;
  }

  /** Adds work to run at the start of every pass, before expired leases are handled. */
  addPass(pass: () => Promise<void>): void {
    this.#passes.push(pass);
  }

  /** Whether this controller works on (or resumes) the VM now. */
  busy(vmName: string): boolean {
    return this.#inflight.has(vmName) || this.#resuming.has(vmName);
  }

  /** Installs the autoscaler: each pass asks it for the pool's size first. */
  setSizer(sizer: ((pool: Pool) => Promise<Pool>) | null): void {
    this.#sizer = sizer;
  }

  health(pool: string): PoolHealth {
    return this.#health.get(pool) ?? { degraded: null, lastError: null, failures: 0, retryAt: 0 };
  }

  /** Starts the loop: a tick every `intervalMs`, and soon after any change. */
  start(intervalMs = 2000): void {
    this.#stopped = false;
    this.#started = true;
    const loop = (): void => {
      this.#timer = setTimeout(() => {
        void this.tick().finally(() => {
          if (!this.#stopped) loop();
        });
      }, intervalMs);
      this.#timer.unref();
    };
    loop();
  }

  /**
   * Asks for a tick soon (coalesced) — only once `start` ran: a one-shot CLI command must not
   * take on provisioning nobody asked it for.
   */
  poke(): void {
    if (this.#stopped || !this.#started) return;
    if (this.#ticking) {
      this.#again = true;
      return;
    }
    void this.tick();
  }

  /** Stops starting work, and waits for what is under way (every VM ends saved, off or error). */
  async stop(): Promise<void> {
    this.#stopped = true;
    if (this.#timer) clearTimeout(this.#timer);
    this.#clearPrepareTimer();
    this.#queue.clear();
    await this.#ticking;
    await this.#preparing;
    await this.idle();
  }

  /** Resolves when no controller work is under way. */
  async idle(): Promise<void> {
    while (this.#work.size > 0 || this.#ticking || this.#preparing) {
      await this.#ticking;
      await Promise.allSettled([...this.#work]);
      await this.#preparing;
    }
  }

  /** One pass over every pool (or one); answers how many operations it started. */
  async tick(only?: string): Promise<number> {
    if (this.#ticking) {
      this.#again = true;
      return this.#ticking;
    }
    const run = async (): Promise<number> => {
      let started = 0;
      do {
        this.#again = false;
        let pools: Pool[];
        for (const pass of this.#passes) {
          await pass().catch((e: unknown) => this.#ctx.logger.error({ err: errorMessage(e) }, 'pool controller pass failed'));
        }
        try {
          await this.#expireLeases();
          await this.#settleAbandonedClaims();
          pools = only ? [await this.#ctx.store.getPool(only)].filter((p): p is Pool => p !== null) : await this.#ctx.store.listPools();
        } catch (e) {
          // The store is unreachable (a database on the network): the next tick tries again.
          this.#ctx.logger.error({ err: errorMessage(e) }, 'pool controller pass failed');
          break;
        }
        for (const pool of pools) {
          try {
            const sized = this.#sizer && pool.autoscale ? await this.#sizer(pool) : pool;
            started += await this.#reconcilePool(sized);
          } catch (e) {
            this.#ctx.logger.error({ pool: pool.name, err: errorMessage(e) }, 'pool controller pass failed');
          }
        }
        if (!only) for (const name of [...this.#nextUp.keys()]) if (!pools.some((p) => p.name === name)) this.#nextUp.delete(name);
        this.#prepareNext();
      } while (this.#again && !this.#stopped);
      return started;
    };
    this.#ticking = run().finally(() => {
      this.#ticking = null;
    });
    return this.#ticking;
  }

  /**
   * The VMs whose resume the backend has been asked to prepare: an acquire claims these first, so
   * that the VM it takes is the one with the pre-started process.
   */
  prepared(): string[] {
    return [...this.#prepared];
  }

  /**
   * Tells a backend that can prepare resumes (QEMU pre-starts the process) which VMs come next:
   * each pool's next one first, then each pool's second (the backend keeps as many as its limit
   * allows, first ones first). Runs beside the pass, never more than one call at a time, latest
   * wish wins.
   *
   * It waits while a resume runs in this process (up to `PREPARE_DEFER_MAX_MS`), and a moment
   * after the last one ends: starting the next standby is a process start-up that would compete
   * for the CPU with the resume and with the new lease holder's first requests (its first
   * screenshot), which are what users wait for. The standby of the VM being resumed is never
   * touched by this: the wish sent before the claim still names it until the resume has taken it.
   */
  #prepareNext(): void {
    const hv = this.#ctx.hv;
    if (!hv.prepareResume || this.#stopped) return;
    if (this.#preparing) {
      this.#prepareAgain = true;
      return;
    }
    const now = this.#ctx.clock.now();
    if (this.#resuming.size > 0 || this.#prepareTimer !== null) {
      this.#prepareDeferredSince ??= now;
      if (now - this.#prepareDeferredSince < PREPARE_DEFER_MAX_MS) {
        this.#schedulePrepare(this.#resuming.size > 0 ? PREPARE_DEFER_MAX_MS - (now - this.#prepareDeferredSince) : null);
        return;
      }
    }
    this.#clearPrepareTimer();
    this.#prepareDeferredSince = null;
    const lists = [...this.#nextUp.values()];
    const names: string[] = [];
    for (let i = 0; i < Math.max(0, ...lists.map((l) => l.length)); i++) for (const l of lists) if (l[i] !== undefined) names.push(l[i] as string);
    this.#prepared = new Set(names);
    this.#preparing = hv
      .prepareResume(names)
      .catch((e: unknown) => this.#ctx.logger.warn({ err: errorMessage(e) }, 'preparing the next resumes failed'))
      .finally(() => {
        this.#preparing = null;
        if (this.#prepareAgain) {
          this.#prepareAgain = false;
          this.#prepareNext();
        }
      });
  }

  /**
   * Runs the resume of a claimed VM of this host. While it runs the VM is left alone; when it
   * fails the claim is abandoned, and if the VM is still `resuming` under that lease (even the
   * failure could not be written, or the claimer could not give the claim back) the next pass
   * sends it to repair.
   */
  async resuming<T>(name: string, leaseId: string, work: () => Promise<T>): Promise<T> {
    this.#resuming.add(name);
    let failed = false;
    try {
      return await work();
    } catch (e) {
      failed = true;
      this.#abandoned.set(name, leaseId);
      throw e;
    } finally {
      this.#resuming.delete(name);
      this.#prepared.delete(name);
      if (failed) this.poke();
      // A prepare that waited for this resume runs a moment later (see `#prepareNext`).
      if (this.#resuming.size === 0 && this.#prepareDeferredSince !== null) this.#schedulePrepare(PREPARE_AFTER_RESUME_MS);
    }
  }

  /** Runs `#prepareNext` after `ms` (null: keep a timer already set), replacing an earlier timer. */
  #schedulePrepare(ms: number | null): void {
    if (this.#stopped) return;
    if (ms === null && this.#prepareTimer !== null) return;
    this.#clearPrepareTimer();
    this.#prepareTimer = setTimeout(() => {
      this.#prepareTimer = null;
      this.#prepareNext();
    }, Math.max(0, ms ?? PREPARE_AFTER_RESUME_MS));
    this.#prepareTimer.unref();
  }

  #clearPrepareTimer(): void {
    if (this.#prepareTimer !== null) clearTimeout(this.#prepareTimer);
    this.#prepareTimer = null;
  }

  /**
   * `resuming` VMs of this host that nobody resumes: a claim whose resume failed or was refused
   * and that could not be given back, or one whose claimer vanished before asking (found by its
   * age: longer than any resume may take). They are reset to clean and return to the pool.
   */
  async #settleAbandonedClaims(): Promise<void> {
    const ctx = this.#ctx;
    const stuck = await ctx.store.listVms({ host: ctx.settings.host, states: ['resuming'] });
    for (const [name, leaseId] of this.#abandoned) {
      if (!stuck.some((v) => v.name === name && v.lease?.id === leaseId)) this.#abandoned.delete(name);
    }
    const operators = stuck.length > 0 ? await ctx.store.vmOperators(ctx.settings.host) : new Map<string, string | null>();
    for (const vm of stuck) {
      if (!vm.lease || this.#resuming.has(vm.name) || this.#inflight.has(vm.name)) continue;
      const template = await this.#templates.get(ctx, vm.template);
      const age = ctx.clock.now() - Date.parse(vm.stateSince);
      // The process that claimed it has died (kill -9 mid-acquire): nobody will finish the resume,
      // so there is no need to wait out the time-out that covers a slow one.
      const claimerGone = operatorGone(operators.get(vm.name) ?? null);
      const abandoned = claimerGone || this.#abandoned.get(vm.name) === vm.lease.id || age > readyTimeoutMs(ctx, template, true) + ABANDONED_CLAIM_MARGIN_MS;
      if (!abandoned) continue;
      const reason = claimerGone
        ? 'the process that claimed it ended before its resume was done'
        : 'its resume failed or was refused, and the claim was never given back';
      const moved = await ctx.store.transitionVm(vm.name, {
        from: ['resuming'],
        to: 'resetting',
        leaseId: vm.lease.id,
        patch: { lease: null, lastError: reason },
        actor: ACTOR,
        action: 'claim-abandoned',
        details: { leaseId: vm.lease.id, holder: vm.lease.holder, reason },
      });
      this.#abandoned.delete(vm.name);
      if (!moved) continue;
      ctx.logger.warn({ vm: vm.name, leaseId: vm.lease.id }, 'settling an abandoned claim: resetting the VM');
      ctx.bus.emit('vm-change', { vm: vm.name, pool: vm.pool, from: 'resuming', to: 'resetting' });
      ctx.bus.emit('appended');
      this.background(vm.name, () => resetVm(ctx, moved, template, { actor: ACTOR, alreadyResetting: true }), vm.pool);
    }
  }

  /** Runs work on a VM in the background; `idle()` waits for it, and a failure marks the pool. */
  background(vmName: string, work: () => Promise<unknown>, pool: string): void {
    this.#inflight.add(vmName);
    const p: Promise<unknown> = work()
      .then(() => this.#ok(pool))
      .catch((e: unknown) => this.#fail(pool, e))
      .finally(() => {
        this.#inflight.delete(vmName);
        this.#work.delete(p);
        this.poke();
      });
    this.#work.add(p);
  }

  #ok(pool: string): void {
    const h = this.health(pool);
    this.#health.set(pool, { ...h, degraded: null, failures: 0, retryAt: 0 });
    if (h.degraded !== null) this.#healthEvent(pool, 'recovered', null);
  }

  /** Records a change of health (the pool.degraded and pool.recovered webhooks). */
  #healthEvent(pool: string, action: 'degraded' | 'recovered', reason: string | null): void {
    this.#ctx.store
      .appendEvent({ actor: 'controller', kind: 'pool', subject: pool, action, from: null, to: null, durationMs: null, details: reason === null ? null : { reason } })
      .then(() => this.#ctx.bus.emit('appended'))
      .catch((e: unknown) => this.#ctx.logger.warn({ pool, err: errorMessage(e) }, 'could not record the pool health change'));
  }

  #fail(pool: string, e: unknown): void {
    const h = this.health(pool);
    const capacity = isHvkubeError(e, 'HOST_CAPACITY');
    const failures = h.failures + 1;
    this.#health.set(pool, {
      degraded: capacity ? errorMessage(e) : h.degraded,
      lastError: errorMessage(e),
      failures,
      retryAt: this.#ctx.clock.now() + Math.min(BACKOFF_MAX_MS, BACKOFF_BASE_MS * 2 ** (failures - 1)),
    });
    this.#ctx.logger.warn({ pool, err: errorMessage(e) }, 'pool operation failed');
    if (capacity && h.degraded === null) this.#healthEvent(pool, 'degraded', errorMessage(e));
  }

  async #reconcilePool(pool: Pool): Promise<number> {
    const ctx = this.#ctx;
    const template = await this.#templates.get(ctx, pool.template);
    // In a fleet the controller weighs the pool on every live host, decides as if it were the
    // only controller (the same view gives every host the same plan), and acts on its own VMs.
    const fleet = this.#fleet();
    const mine = (v: Vm): boolean => v.host === ctx.settings.host;
    const listed = fleet ? await fleet.poolVms(pool.name) : await ctx.store.listVms({ pool: pool.name, host: ctx.settings.host });
    const vms = listed.filter((v) => v.state !== 'deleting' && v.state !== 'unknown');
    const idle = (v: Vm): boolean => v.lease === null && !this.#inflight.has(v.name);
    let started = 0;
    // The claim order among saved VMs (oldest first): the first of ours are handed out next (and
    // whatever the order, a claim takes a prepared VM first: see `prepared`).
    const next = vms
      .filter((v) => mine(v) && v.state === 'saved' && idle(v))
      .sort((a, b) => (a.stateSince < b.stateSince ? -1 : a.stateSince > b.stateSince ? 1 : a.name < b.name ? -1 : a.name > b.name ? 1 : 0))
      .slice(0, PREPARED_PER_POOL)
      .map((v) => v.name);
    if (next.length > 0) this.#nextUp.set(pool.name, next);
    else this.#nextUp.delete(pool.name);

    // After failures, wait before removing and re-creating VMs: a host that is full or broken
    // would otherwise see the same VM created and destroyed in a tight loop.
    if (this.#ctx.clock.now() < this.health(pool.name).retryAt) return 0;

    // Replace VMs in error: remove them now, provision below.
    const broken = vms.filter((v) => v.state === 'error' && idle(v));
    for (const vm of broken.filter(mine)) {
      if (this.#stopped) return started;
      started += await this.#remove(vm, pool.name, 'replace');
    }
    const live = vms.filter((v) => !broken.includes(v));

    if (live.length < pool.desired) {
      const ready = live.filter((v) => ['saved', 'paused', 'pausing', 'resetting', 'provisioning', 'booting'].includes(v.state)).length;
      const wanted = fleet ? await fleet.placeNew(pool, pool.desired - live.length, live) : pool.desired - live.length;
      // The desired size is the intent; a row (and a disk) is made only when its provisioning can
      // start now. Scaling to 1000 queues nothing, scaling back has nothing to cancel, and a
      // shutdown leaves no `provisioning` rows that nobody works on.
      const missing = Math.min(wanted, Math.max(0, ctx.settings.provisionConcurrency - this.#queue.size - this.#queue.pending));
      if (missing > 0) {
        try {
          await checkCapacity(ctx, template, `(new, pool ${pool.name})`);
        } catch (e) {
          // A host that cannot boot one more VM gets no row and no disk for it: the pool is degraded.
          this.#fail(pool.name, e);
          return started;
        }
      }
      for (let i = 0; i < missing && !this.#stopped; i++) {
        const vm = await reserveVm(ctx, pool, template);
        const warm = ready + i < pool.warm;
        this.background(vm.name, () => this.#queue.add(() => completeProvisioning(ctx, vm, template, { warm })), pool.name);
        started++;
      }
      return started;
    }

    if (live.length > pool.desired) {
      const order: Record<string, number> = { off: 0, saved: 1, paused: 2 };
      const removable = live
        .filter((v) => idle(v) && v.state in order)
        .sort((a, b) => (order[a.state] ?? 9) - (order[b.state] ?? 9) || b.createdAt.localeCompare(a.createdAt) || a.name.localeCompare(b.name));
      for (const vm of removable.slice(0, live.length - pool.desired).filter(mine)) started += await this.#remove(vm, pool.name, 'scale-down');
      return started;
    }

    // Warm tier: wake VMs that are off (reset to clean leaves them saved).
    const readyCount = live.filter((v) => ['saved', 'paused', 'pausing', 'resetting'].includes(v.state)).length;
    if (readyCount < pool.warm) {
      const cold = live.filter((v) => v.state === 'off' && v.hasClean && idle(v)).slice(0, pool.warm - readyCount).filter(mine);
      for (const vm of cold) {
        this.background(vm.name, () => this.#queue.add(() => resetVm(ctx, vm, template, { actor: ACTOR })), pool.name);
        started++;
      }
    }

    // Hot tier: keep `hot` VMs paused in memory, from the saved ones.
    if (ctx.hv.capabilities.pause) {
      const hot = live.filter((v) => v.state === 'paused' || v.state === 'pausing').length;
      if (hot < pool.hot) {
        const saved = live.filter((v) => v.state === 'saved' && idle(v)).slice(0, pool.hot - hot).filter(mine);
        for (const vm of saved) {
          this.background(vm.name, () => this.#queue.add(() => this.#heat(vm, template)), pool.name);
          started++;
        }
      } else if (hot > pool.hot) {
        const extra = live.filter((v) => v.state === 'paused' && idle(v)).slice(0, hot - pool.hot).filter(mine);
        for (const vm of extra) {
          this.background(vm.name, () => this.#queue.add(() => this.#cool(vm)), pool.name);
          started++;
        }
      }
    }
    return started;
  }

  async #remove(vm: Vm, pool: string, why: string): Promise<number> {
    try {
      const { finished } = await beginRemove(this.#ctx, vm, ACTOR);
      this.background(vm.name, () => finished, pool);
      this.#ctx.logger.info({ vm: vm.name, why }, 'removing VM');
      return 1;
    } catch (e) {
      this.#ctx.logger.warn({ vm: vm.name, err: errorMessage(e) }, 'could not start removing VM');
      return 0;
    }
  }

  /** Saved → paused in memory: resume it, wait until ready, pause. */
  async #heat(vm: Vm, template: Template): Promise<void> {
    const ctx = this.#ctx;
    await checkCapacity(ctx, template, vm.name);
    await runVmOperation(ctx, vm, { start: 'pause', done: 'paused', actor: ACTOR }, async (v) => {
      await ctx.hv.start(v.name);
      await waitReady(ctx, v, template);
      await ctx.hv.pause(v.name);
    });
  }

  /** Paused → saved, when the pool has more hot VMs than it wants. */
  async #cool(vm: Vm): Promise<void> {
    await runVmOperation(this.#ctx, vm, { start: 'save', done: 'saved', actor: ACTOR }, (v) => this.#ctx.hv.save(v.name));
  }

  /**
   * Leases past their expiry: the holder is gone, so the VM is reset and goes back to the pool.
   * A lease on a VM that is not running (left by a crash or a lost race) holds nothing: it is
   * cleared, expired or not, or the VM could never be claimed again.
   */
  async #expireLeases(): Promise<void> {
    const ctx = this.#ctx;
    const now = new Date(ctx.clock.now()).toISOString();
    await this.#saveUnleased();
    const leased = await ctx.store.listVms({ host: ctx.settings.host, leased: true, states: ['running', ...STALE_LEASE_STATES] });
    for (const vm of leased) {
      if (!vm.lease || this.#inflight.has(vm.name)) continue;
      // Saved by the idle policy with its lease kept: the lifetime policies own that lease.
      if (vm.state === 'saved' && vm.parkedAt) continue;
      if (STALE_LEASE_STATES.includes(vm.state)) {
        const cleared = await ctx.store.transitionVm(vm.name, {
          from: [vm.state],
          to: vm.state,
          leaseId: vm.lease.id,
          patch: { lease: null },
          actor: 'lease-expiry',
          action: 'clear-stale-lease',
          details: { leaseId: vm.lease.id, holder: vm.lease.holder },
        });
        if (cleared) {
          ctx.bus.emit('vm-change', { vm: vm.name, pool: vm.pool, from: vm.state, to: vm.state });
          ctx.bus.emit('appended');
        }
        continue;
      }
      if (!vm.lease.expiresAt || vm.lease.expiresAt > now) continue;
      try {
        const resetting = await transition(ctx, vm, { event: 'reset', actor: 'lease-expiry', leaseId: vm.lease.id, patch: { lease: null } });
        const template = await this.#templates.get(ctx, vm.template);
        this.background(vm.name, () => resetVm(ctx, resetting, template, { actor: 'lease-expiry', alreadyResetting: true }), vm.pool);
      } catch (e) {
        if (!isHvkubeError(e, 'VM_INVALID_STATE')) await markError(ctx, vm, 'lease-expiry', e);
      }
    }
  }

  /**
   * A VM running with no lease (resumed by hand) that nobody gave back: after the grace period it
   * is saved, session kept, and counts as ready again. Provisioning VMs (no clean checkpoint yet)
   * and VMs this controller works on are left alone; the save is guarded on "still unleased".
   */
  async #saveUnleased(): Promise<void> {
    const ctx = this.#ctx;
    const cutoff = new Date(ctx.clock.now() - ctx.settings.unleasedGraceMs).toISOString();
    const idle = await ctx.store.listVms({ host: ctx.settings.host, leased: false, states: ['running'] });
    for (const vm of idle) {
      if (!vm.hasClean || vm.stateSince > cutoff || this.#inflight.has(vm.name)) continue;
      this.background(vm.name, () => saveVm(ctx, vm, 'unleased-grace', null), vm.pool);
    }
  }
}
