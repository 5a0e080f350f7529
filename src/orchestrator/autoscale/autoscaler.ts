/**
 * The autoscaler: on every pass of the pool controller, before the pool is reconciled, it
 * weighs an autoscaled pool's demand and sets its size (`desired`, all of it kept warm). Each
 * change is a `scaled` pool event with its reason (the `pool.scaled` webhook); growth held back by
 * the host's capacity or the fleet's placement is a `scale-limited` event, written once per
 * situation. It also measures how long a VM of each pool takes from nothing to ready, the
 * cold-start cost of a pool scaled to zero.
 * @module
 */
import type { Pool, PoolAutoscale, PoolAutoscaleStatus, ScaleDecision, ScaleSignals, Template, Vm } from '../../domain/types.js';
import type { VmState } from '../../domain/vm-state.js';
import { isoNow } from '../../_util/clock.js';
import { errorMessage } from '../../_util/logger.js';
import type { OrchestratorContext, ProgressEvent } from '../context.js';
import type { FleetHooks } from '../fleet-hooks.js';
import type { TemplateCache } from '../templates-cache.js';
import { decide, type Room } from './decide.js';

const ACTOR = 'autoscaler';

/** Unleased VMs in these states become ready without anyone asking. */
const COMING: readonly VmState[] = ['provisioning', 'booting', 'resetting', 'saving', 'pausing', 'off'];
const READY: readonly VmState[] = ['saved', 'paused'];

export interface AutoscalerDeps {
  /** Acquires of the pool waiting in this process now. */
  waiting(pool: string): number;
  fleet(): FleetHooks | null;
}

/** What `pool show` and the API say about an autoscaled pool. */
export interface AutoscaleView extends PoolAutoscale, PoolAutoscaleStatus {}

const EMPTY_STATUS: PoolAutoscaleStatus = { last: null, coldStartMs: null, coldStartMeasuredAt: null };

export class Autoscaler {
  readonly #ctx: OrchestratorContext;
  readonly #templates: TemplateCache;
  readonly #deps: AutoscalerDeps;
  /** Provisioning start (epoch ms) by VM, for the cold-start measure. */
  readonly #started = new Map<string, number>();
  /** The latest status this process knows per pool (the store's, plus what it measured since). */
  readonly #status = new Map<string, PoolAutoscaleStatus>();
  readonly #onProgress: (e: ProgressEvent) => void;

  constructor(ctx: OrchestratorContext, templates: TemplateCache, deps: AutoscalerDeps) {
    this.#ctx = ctx;
    this.#templates = templates;
    this.#deps = deps;
    this.#onProgress = (e) => this.#progress(e);
    ctx.bus.on('progress', this.#onProgress);
  }

  /** Drops what this process remembers of a removed pool. */
  forget(pool: string): void {
    this.#status.delete(pool);
  }

  close(): void {
    this.#ctx.bus.off('progress', this.#onProgress);
  }

  /** The pool's autoscaling settings with the last decision and the cold-start cost; null when not autoscaled. */
  async view(pool: Pool): Promise<AutoscaleView | null> {
    if (!pool.autoscale) return null;
    return { ...pool.autoscale, ...(await this.#load(pool.name)) };
  }

  /**
   * Sizes an autoscaled pool for this pass and answers it as it is now (resized or not). A pool
   * without autoscaling is answered as is. Never throws: a failure leaves the size alone.
   */
  async adjust(pool: Pool): Promise<Pool> {
    if (!pool.autoscale) return pool;
    try {
      return await this.#adjust(pool, pool.autoscale);
    } catch (e) {
      this.#ctx.logger.warn({ pool: pool.name, err: errorMessage(e) }, 'autoscaling pass failed; the size stays');
      return pool;
    }
  }

  async #adjust(pool: Pool, settings: PoolAutoscale): Promise<Pool> {
    const ctx = this.#ctx;
    const fleet = this.#deps.fleet();
    const listed = fleet ? await fleet.poolVms(pool.name) : await ctx.store.listVms({ pool: pool.name, host: ctx.settings.host });
    const vms = listed.filter((v) => v.state !== 'deleting' && v.state !== 'unknown');
    const signals = await this.#signals(pool, settings, vms);
    const template = await this.#templates.get(ctx, pool.template);
    const room = await this.#room(pool, template, vms, signals, fleet);
    const d = decide({ settings, current: pool.desired, signals, room });
    const status = await this.#load(pool.name);
    const decision: ScaleDecision = { at: isoNow(ctx.clock), from: pool.desired, to: d.to, reason: d.reason, signals, limitedBy: d.limitedBy };

    if (d.to !== pool.desired) {
      const next = { ...status, last: decision };
      const resized = await ctx.store.resizePool(pool.name, { from: pool.desired, desired: d.to, warm: d.to, status: next });
      // Another controller resized it first: its decision stands, this pass reconciles what is stored.
      if (!resized) return (await ctx.store.getPool(pool.name)) ?? pool;
      this.#status.set(pool.name, next);
      await this.#record(pool.name, 'scaled', decision);
      ctx.logger.info({ pool: pool.name, from: decision.from, to: decision.to, reason: decision.reason }, 'pool scaled');
      return resized;
    }
    // Growth held back by the host or the fleet: said once per situation, not on every pass.
    const held = (d.limitedBy === 'capacity' || d.limitedBy === 'placement') && d.wanted > pool.desired;
    const last = status.last;
    if (held && !(last && last.from === pool.desired && last.to === pool.desired && last.limitedBy === d.limitedBy)) {
      const next = { ...status, last: decision };
      this.#status.set(pool.name, next);
      await ctx.store.setPoolAutoscaleStatus(pool.name, next);
      await this.#record(pool.name, 'scale-limited', decision);
      ctx.logger.warn({ pool: pool.name, size: pool.desired, reason: decision.reason }, 'pool growth limited');
    }
    return pool;
  }

  async #signals(pool: Pool, settings: PoolAutoscale, vms: readonly Vm[]): Promise<ScaleSignals> {
    const ctx = this.#ctx;
    const now = ctx.clock.now();
    const unleased = vms.filter((v) => v.lease === null);
    const ready = unleased.filter((v) => READY.includes(v.state));
    const idle = ready.filter((v) => now - Date.parse(v.stateSince) >= settings.scaleDownAfterMs).length;
    const pending = (await ctx.store.listAgents({ pool: pool.name, statuses: ['pending'] })).length;
    let queued = pending;
    if (pending > 0 && pool.maxRunning !== null) {
      const busy = (await ctx.store.listAgents({ pool: pool.name, statuses: ['scheduled', 'running'] })).length;
      queued = Math.min(pending, Math.max(0, pool.maxRunning - busy));
    }
    return {
      inUse: vms.length - unleased.length,
      ready: ready.length,
      coming: unleased.filter((v) => COMING.includes(v.state)).length,
      waiting: this.#deps.waiting(pool.name),
      queued,
      idle,
    };
  }

  /**
   * How many more VMs are worth adding. On one host: those the host could run beyond the saved
   * VMs it already holds (each takes its memory when resumed; `capacityFraction` of free memory
   * is the budget, as for every boot), and no more than `maxPerHost`. In a fleet: what the
   * placement finds room for on the hosts that take work.
   */
  async #room(pool: Pool, template: Template, vms: readonly Vm[], s: ScaleSignals, fleet: FleetHooks | null): Promise<Room | null> {
    const ctx = this.#ctx;
    if (fleet) {
      if (!fleet.placeable) return null;
      const want = Math.max(0, (pool.autoscale?.max ?? 0) - pool.desired);
      const placed = await fleet.placeable(pool, want);
      const count = Math.max(0, placed - Math.max(0, pool.desired - vms.length));
      return { count, limitedBy: 'placement', why: `the fleet's hosts that take work have room for ${count} more VM(s) of this pool` };
    }
    const host = await ctx.hv.hostInfo();
    const budget = Math.floor(host.freeMemoryMb * ctx.settings.capacityFraction);
    const fits = Math.floor(budget / template.memoryMb);
    const pct = Math.round(ctx.settings.capacityFraction * 100);
    let room: Room = {
      count: Math.max(0, fits - s.ready - s.coming - Math.max(0, pool.desired - vms.length)),
      limitedBy: 'capacity',
      why: `host ${host.hostname} has ${host.freeMemoryMb} MB free and uses at most ${pct}% of it: room to run ${fits} more VM(s) of ${template.memoryMb} MB, of which ${s.ready + s.coming} are already ready or on the way`,
    };
    if (pool.maxPerHost !== null) {
      const perHost = Math.max(0, pool.maxPerHost - pool.desired);
      if (perHost < room.count) room = { count: perHost, limitedBy: 'placement', why: `at most ${pool.maxPerHost} VMs of the pool per host (maxPerHost)` };
    }
    return room;
  }

  async #record(pool: string, action: 'scaled' | 'scale-limited', d: ScaleDecision): Promise<void> {
    const ctx = this.#ctx;
    await ctx.store.appendEvent({
      actor: ACTOR,
      kind: 'pool',
      subject: pool,
      action,
      from: String(d.from),
      to: String(d.to),
      durationMs: null,
      details: { reason: d.reason, limitedBy: d.limitedBy, signals: d.signals },
    });
    ctx.bus.emit('appended');
  }

  async #load(pool: string): Promise<PoolAutoscaleStatus> {
    const known = this.#status.get(pool);
    if (known) return known;
    const stored = (await this.#ctx.store.getPoolAutoscaleStatus(pool)) ?? EMPTY_STATUS;
    this.#status.set(pool, stored);
    return stored;
  }

  /** Times each provisioning of this process from its first step to saved. */
  #progress(e: ProgressEvent): void {
    if (e.step === 'disk') {
      this.#started.set(e.vm, this.#ctx.clock.now());
      return;
    }
    if (e.step !== 'done' && e.step !== 'failed') return;
    const t0 = this.#started.get(e.vm);
    this.#started.delete(e.vm);
    if (t0 === undefined || e.step === 'failed') return;
    const ms = this.#ctx.clock.now() - t0;
    void this.#load(e.pool)
      .then(async (status) => {
        const next = { ...status, coldStartMs: ms, coldStartMeasuredAt: isoNow(this.#ctx.clock) };
        this.#status.set(e.pool, next);
        await this.#ctx.store.setPoolAutoscaleStatus(e.pool, next);
      })
      .catch((err: unknown) => this.#ctx.logger.warn({ pool: e.pool, err: errorMessage(err) }, 'could not record the cold-start time'));
  }
}
