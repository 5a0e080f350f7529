/**
 * The Orchestrator facade: the one object every face (CLI, API, MCP, scheduler) talks to.
 * It sees only the Store and Hypervisor ports; which adapters are used is decided by the caller.
 * @module
 */
import { EventEmitter } from 'node:events';
import { HvkubeError } from '../domain/errors.js';
import { describeCharacter, parseKeyChord, splitForPaste, untypeableCharacters } from '../domain/keys.js';
import type { GuestExecResult, GuestFileEntry, GuestOps } from '../hypervisor/guest.js';
import { refuseTooLarge, toExecRequest, validateClipboardText, validateGuestPath, validateMaxBytes, type GuestExecInput } from './guest-input.js';
import type { Pool, StateEvent, Template, Vm } from '../domain/types.js';
import { LEASED_VM_STATES, READY_VM_STATES, VM_STATES, vmTransition, type VmState } from '../domain/vm-state.js';
import { validateInt } from '../domain/validation.js';
import type { ClickCount, ConsoleAccess, HostInfo, Hypervisor, MouseButton, ScreenshotOptions, ScreenSize } from '../hypervisor/hypervisor.js';
import { checkScreenshotOptions } from '../hypervisor/console/screenshot-options.js';
import { runActions, type ActionsRequest, type ActionsResponse, type Point } from './input/run-actions.js';
import { runInputSteps, type InputStep } from './input/steps.js';
import { resizePng } from './input/screen-image.js';
import { encodeScreenshot } from '../hypervisor/console/encode.js';
import type { EventQuery, Store, VmFilter } from '../store/store.js';
import { systemClock, type Clock } from '../_util/clock.js';
import { errorMessage, silentLogger, type Logger } from '../_util/logger.js';
import { acquire, resume, type AcquireOptions, type AcquireResult } from './acquire.js';
import type { FleetHooks } from './fleet-hooks.js';
import * as catalog from './catalog.js';
import { DEFAULT_SETTINGS, type OrchestratorContext, type OrchestratorEventMap, type OrchestratorSettings } from './context.js';
import { PoolController, type PoolHealth } from './pool-controller.js';
import { bootVm, saveVm } from './provision.js';
import { reconcile, type ReconcileReport } from './reconcile.js';
import { release, requireVm, type ReleaseOptions, type ReleaseResult } from './release.js';
import { beginRemove } from './remove.js';
import { resetMethod, resetVm, type ResetMethod } from './reset.js';
import { TemplateCache } from './templates-cache.js';
import { runVmOperation, transition } from './vm-operation.js';
import { Waiters } from './waiters.js';
import { Autoscaler, type AutoscaleView } from './autoscale/autoscaler.js';
import { guestAddresses, waitReady } from './readiness.js';
import { isParked, LifetimePolicies } from './policies/lifetime.js';

/** A waiting acquire asks the controller for a pass at most this often per pool. */
const WAIT_POKE_MS = 250;

export interface OrchestratorOptions {
  store: Store;
  hypervisor: Hypervisor;
  clock?: Clock;
  logger?: Logger;
  settings?: Partial<OrchestratorSettings>;
  /**
   * True while another live process provisions and repairs this host's pools (`hvkube serve`),
   * so an acquire waits for a pool whose VMs are all in error instead of failing at once.
   * Default: never.
   */
  repairedElsewhere?: () => boolean;
}

export interface PoolStatus {
  pool: Pool;
  counts: Partial<Record<VmState, number>>;
  total: number;
  /** Saved or paused, unleased: can be handed out now. */
  ready: number;
  inUse: number;
  health: PoolHealth;
  /** How a reset (release policy `reset`, `vm reset`, repair) brings a VM of this pool back. */
  resetMethod: ResetMethod;
  /** The autoscaling bounds, the last decision and the cold-start cost; null when the size is set by hand. */
  autoscale: AutoscaleView | null;
}

/** What a console operation takes besides its input. */
function validButton(button: unknown): MouseButton {
  if (button === undefined) return 'left';
  if (button === 'left' || button === 'right' || button === 'middle') return button;
  throw new HvkubeError('INVALID_INPUT', `mouse button must be left, right or middle, got ${JSON.stringify(button)}`);
}

function validKeys(keys: unknown): string[] {
  if (!Array.isArray(keys) || keys.length === 0 || keys.length > 8) throw new HvkubeError('INVALID_INPUT', 'give 1 to 8 keys', { hint: 'e.g. ctrl shift' });
  return keys.map((k) => {
    if (typeof k !== 'string') throw new HvkubeError('INVALID_INPUT', 'keys must be strings');
    const chord = parseKeyChord(k);
    if (chord.modifiers.length > 0) throw new HvkubeError('INVALID_INPUT', `${JSON.stringify(k)} is a chord; name one key per entry`, { hint: 'e.g. ["ctrl", "shift"]' });
    return chord.key;
  });
}

export interface ConsoleOptions {
  /** The caller's lease: the operation is refused (LEASE_MISMATCH) unless the VM still holds it. */
  leaseId?: string;
}

export interface ProvisionReport {
  pool: string;
  provisioned: string[];
  failed: { vm: string; error: string }[];
  status: PoolStatus;
}

export class Orchestrator {
  readonly ctx: OrchestratorContext;
  readonly events: EventEmitter<OrchestratorEventMap>;
  readonly controller: PoolController;
  /** Idle and lifetime policies of the pools (docs/policies.md); the controller runs them. */
  readonly lifetime: LifetimePolicies;
  readonly #templates = new TemplateCache();
  readonly #waiters = new Waiters((pool) => this.#waitStarted(pool));
  /** When a waiting acquire last asked the controller for a pass, by pool (epoch ms). */
  readonly #pokedAt = new Map<string, number>();
  readonly #pokeLater = new Map<string, NodeJS.Timeout>();
  readonly autoscaler: Autoscaler;
  /** Where hvkube last put each VM's pointer (screen pixels): the hypervisors cannot say. */
  readonly #cursors = new Map<string, Point>();
  #closing = false;
  #fleet: FleetHooks | null = null;
  readonly #unsubscribe: () => void;
  readonly #repairedElsewhere: () => boolean;

  constructor(options: OrchestratorOptions) {
    this.#repairedElsewhere = options.repairedElsewhere ?? (() => false);
    this.events = new EventEmitter<OrchestratorEventMap>();
    this.events.setMaxListeners(0);
    this.ctx = {
      store: options.store,
      hv: options.hypervisor,
      clock: options.clock ?? systemClock,
      logger: options.logger ?? silentLogger,
      settings: { ...DEFAULT_SETTINGS, ...options.settings },
      bus: this.events,
    };
    this.controller = new PoolController(this.ctx, this.#templates, () => this.#fleet);
    this.lifetime = new LifetimePolicies(this.ctx, { templates: this.#templates, controller: this.controller });
    this.controller.addPass(() => this.lifetime.pass());
    this.autoscaler = new Autoscaler(this.ctx, this.#templates, { waiting: (pool) => this.#waiters.size(pool), fleet: () => this.#fleet });
    this.controller.setSizer((pool) => this.autoscaler.adjust(pool));
    this.events.on('vm-change', (e) => {
      if (e.to !== null && READY_VM_STATES.includes(e.to)) this.#waiters.notify(e.pool);
      if (e.to === 'error' || e.to === null) this.controller.poke();
    });
    // VMs made ready by other processes (other hosts on PostgreSQL) wake waiters too.
    this.#unsubscribe = this.ctx.store.onVmReady?.((pool) => this.#waiters.notify(pool)) ?? (() => undefined);
  }

  /**
   * Joins a fleet: claims may take VMs of any live host, operations on another host's VMs go to
   * that host, and the controller places new VMs across hosts. Null leaves the fleet.
   */
  attachFleet(hooks: FleetHooks | null): void {
    this.#fleet = hooks;
    this.controller.poke();
  }

  get fleet(): FleetHooks | null {
    return this.#fleet;
  }

  /** The host that owns `vm` when it is not this one and a fleet can reach it; else null. */
  #remote(vm: Vm): FleetHooks | null {
    return this.#fleet !== null && vm.host !== this.ctx.settings.host ? this.#fleet : null;
  }

  /** Refuses an operation that only the owner of the VM can carry out. */
  #ownedHere(vm: Vm, what: string): void {
    if (this.#remote(vm)) {
      throw new HvkubeError('INVALID_INPUT', `VM ${vm.name} belongs to host ${vm.host}; this host cannot ${what} it`, {
        hint: `run the command on ${vm.host} (e.g. --server with its address from \`hvkube host show ${vm.host}\`)`,
        details: { vm: vm.name, host: vm.host },
      });
    }
  }

  #refuseWhileFenced(): void {
    const e = this.#fencedError();
    if (e) throw e;
  }

  #fencedError(): HvkubeError | null {
    if (!this.#fleet || this.#fleet.acceptsWork()) return null;
    return new HvkubeError('HOST_FENCED', `host ${this.ctx.settings.host} takes no work now: it has not joined the fleet, or cannot renew its lease in the database`, {
      hint: 'retry on another host; this one takes work again once it holds its lease',
      details: { host: this.ctx.settings.host, fenced: true },
    });
  }

  get hypervisor(): Hypervisor {
    return this.ctx.hv;
  }

  get store(): Store {
    return this.ctx.store;
  }

  // ---- templates ----
  registerTemplate(input: catalog.TemplateInput): Promise<Template> {
    return catalog.registerTemplate(this.ctx, input);
  }
  listTemplates(): Promise<Template[]> {
    return this.ctx.store.listTemplates();
  }
  getTemplate(name: string): Promise<Template> {
    return catalog.requireTemplate(this.ctx, name);
  }
  async removeTemplate(name: string): Promise<void> {
    await catalog.removeTemplate(this.ctx, name);
    this.#templates.forget(name);
  }

  // ---- pools ----
  createPool(input: catalog.PoolInput): Promise<Pool> {
    return catalog.createPool(this.ctx, input);
  }
  async listPools(): Promise<PoolStatus[]> {
    const pools = await this.ctx.store.listPools();
    return Promise.all(pools.map((p) => this.#status(p)));
  }
  async getPool(name: string): Promise<PoolStatus> {
    return this.#status(await catalog.requirePool(this.ctx, name));
  }
  async scalePool(name: string, input: catalog.ScaleInput): Promise<Pool> {
    const pool = await catalog.scalePool(this.ctx, name, input);
    this.controller.poke();
    return pool;
  }
  /** Removes a pool and all its VMs; refuses while a VM is leased unless `force`. */
  async removePool(name: string, options: { force?: boolean } = {}): Promise<void> {
    await catalog.requirePool(this.ctx, name);
    const vms = await this.ctx.store.listVms({ pool: name });
    const held = vms.filter((v) => v.lease !== null);
    if (held.length > 0 && !options.force) {
      throw new HvkubeError('VM_LEASED', `pool '${name}' has ${held.length} VM(s) in use: ${held.map((v) => v.name).join(', ')}`, {
        hint: 'release them first, or pass --force',
        details: { pool: name, vms: held.map((v) => v.name) },
      });
    }
    // Autoscaling off first, or the controller would grow the pool again while it is emptied.
    await this.ctx.store.updatePool(name, { desired: 0, warm: 0, hot: 0, autoscale: null });
    for (const vm of vms) {
      const current = await this.ctx.store.getVm(vm.name);
      if (!current) continue;
      if (current.state === 'deleting') continue;
      await (await beginRemove(this.ctx, current, 'user')).finished;
    }
    await this.controller.idle();
    await this.ctx.store.deletePool(name);
    this.autoscaler.forget(name);
    await this.ctx.store.appendEvent({ actor: 'user', kind: 'pool', subject: name, action: 'remove', from: null, to: null, durationMs: null, details: null });
  }

  /**
   * Brings a pool to its desired size now and waits until done. Failed VMs are replaced at most
   * `maxFailures` times (default: the pool size) before it gives up.
   */
  async provisionPool(name: string, options: { maxFailures?: number } = {}): Promise<ProvisionReport> {
    const pool = await catalog.requirePool(this.ctx, name);
    const provisioned: string[] = [];
    const failed: { vm: string; error: string }[] = [];
    const onProgress = (e: { pool: string; vm: string; step: string; message?: string }): void => {
      if (e.pool !== name) return;
      if (e.step === 'done') provisioned.push(e.vm);
      if (e.step === 'failed') failed.push({ vm: e.vm, error: e.message ?? 'failed' });
    };
    this.events.on('progress', onProgress);
    const maxFailures = options.maxFailures ?? Math.max(1, pool.desired);
    try {
      for (;;) {
        const started = await this.controller.tick(name);
        await this.controller.idle();
        if (started === 0 || failed.length >= maxFailures) break;
      }
    } finally {
      this.events.off('progress', onProgress);
    }
    return { pool: name, provisioned, failed, status: await this.getPool(name) };
  }

  async #status(pool: Pool): Promise<PoolStatus> {
    // VMs of a lost host are nobody's to count: they are being replaced elsewhere.
    const { unknown: _unknown, ...counts } = await this.ctx.store.countVmsByState(pool.name);
    const inUse = await this.ctx.store.countVms({ pool: pool.name, leased: true, states: VM_STATES.filter((s) => s !== 'unknown') });
    const total = Object.values(counts).reduce((a, b) => a + (b ?? 0), 0);
    // Unleased only: a VM the idle policy saved with its lease kept is saved but not free.
    const ready = await this.ctx.store.countVms({ pool: pool.name, leased: false, states: READY_VM_STATES });
    const template = await this.#templates.get(this.ctx, pool.template);
    return {
      pool,
      counts,
      total,
      ready,
      inUse,
      health: this.controller.health(pool.name),
      resetMethod: resetMethod(template, this.ctx.hv.capabilities),
      autoscale: await this.autoscaler.view(pool),
    };
  }

  // ---- acquire / release ----
  acquire(options: AcquireOptions): Promise<AcquireResult> {
    if (this.#closing) return Promise.reject(new HvkubeError('SHUTTING_DOWN', 'hvkube is shutting down', { hint: 'retry against the restarted server' }));
    const fenced = this.#fencedError();
    if (fenced) return Promise.reject(fenced);
    return acquire(
      this.ctx,
      {
        templates: this.#templates,
        waiters: this.#waiters,
        repair: (vm) => this.#repairInBackground(vm),
        resuming: (vm, work) => this.controller.resuming(vm.name, vm.lease?.id ?? '', work),
        claimed: () => this.controller.poke(),
        prepared: () => this.controller.prepared(),
        repairing: () => this.controller.active || this.#repairedElsewhere(),
        fleet: this.#fleet,
        // With LISTEN/NOTIFY the poll is only a safety net for a lost notification connection.
        pollMs: this.ctx.store.crossProcessNotifications ? 5000 : 1000,
      },
      options,
    );
  }

  /**
   * The owner's half of an acquire that another host claimed: resume the VM, still `resuming`
   * under `leaseId`, and answer it running. A failure sends it to repair here, as a local one would.
   */
  resumeClaimed(name: string, leaseId: string, fromHot: boolean): Promise<{ vm: Vm; resumeMs: number }> {
    // However it ends, a claim that does not end running is this host's to settle (see the controller).
    return this.controller.resuming(name, leaseId, () => this.#resumeClaimed(name, leaseId, fromHot));
  }

  async #resumeClaimed(name: string, leaseId: string, fromHot: boolean): Promise<{ vm: Vm; resumeMs: number }> {
    this.#refuseWhileFenced();
    const vm = await requireVm(this.ctx, name);
    this.#ownedHere(vm, 'resume');
    if (vm.state !== 'resuming' || vm.lease?.id !== leaseId) {
      throw new HvkubeError('LEASE_MISMATCH', `VM ${name} is ${vm.state} and not being resumed under lease ${leaseId}`, {
        hint: 'the claim was given up; retry the acquire',
        details: { vm: name, state: vm.state },
      });
    }
    const r = await resume(this.ctx, { templates: this.#templates, repair: (v) => this.#repairInBackground(v) }, vm, fromHot);
    return { vm: r.vm, resumeMs: r.resumeMs };
  }

  async release(name: string, options: ReleaseOptions = {}): Promise<ReleaseResult> {
    const vm = await requireVm(this.ctx, name);
    const fleet = this.#remote(vm);
    if (fleet) {
      const r = await fleet.remote.release(vm, options);
      return { vm: r.vm, policy: r.policy, done: this.#settled(name) };
    }
    if (isParked(vm)) return this.#releaseParked(vm, options);
    return release(this.ctx, this.#templates, vm, options);
  }

  /** The holder gives back a VM the idle policy saved with its lease kept: no resume needed. */
  async #releaseParked(vm: Vm, options: ReleaseOptions): Promise<ReleaseResult> {
    if (options.leaseId !== undefined && vm.lease?.id !== options.leaseId) {
      throw new HvkubeError('LEASE_MISMATCH', `VM ${vm.name} is not held under lease ${options.leaseId}`, {
        hint: 'it was released or re-acquired by someone else',
        details: { vm: vm.name },
      });
    }
    if (options.policy !== undefined && !['save', 'reset', 'destroy'].includes(options.policy)) {
      throw new HvkubeError('INVALID_INPUT', `release policy ${JSON.stringify(options.policy)} is unknown`, { hint: 'use save, reset or destroy' });
    }
    const pool = await catalog.requirePool(this.ctx, vm.pool);
    return this.lifetime.endParkedLease(pool, vm, { policy: options.policy, details: options.details, actor: options.actor ?? vm.lease?.holder ?? 'user' });
  }

  /** Settles when a VM released on its owner is back in the pool (or gone). Never rejects. */
  async #settled(name: string): Promise<Vm | null> {
    const busy: readonly VmState[] = ['saving', 'resetting', 'deleting', 'pausing', 'stopping'];
    const deadline = this.ctx.clock.now() + 10 * 60_000;
    for (;;) {
      const vm = await this.ctx.store.getVm(name).catch(() => undefined);
      if (vm === null || (vm !== undefined && !busy.includes(vm.state)) || this.ctx.clock.now() > deadline) return vm ?? null;
      await new Promise((r) => setTimeout(r, 100));
    }
  }

  /**
   * An acquire started waiting: a pass soon lets the autoscaler grow the pool. At most one
   * request per pool every 250 ms, so a crowd of waiters polling does not keep the controller busy.
   */
  #waitStarted(pool: string): void {
    const now = Date.now();
    const last = this.#pokedAt.get(pool) ?? 0;
    if (now - last >= WAIT_POKE_MS) {
      this.#pokedAt.set(pool, now);
      this.controller.poke();
    } else if (!this.#pokeLater.has(pool)) {
      // Waiters that came within the window are seen by one more pass at its end.
      const timer = setTimeout(() => {
        this.#pokeLater.delete(pool);
        this.#pokedAt.set(pool, Date.now());
        this.controller.poke();
      }, WAIT_POKE_MS - (now - last));
      timer.unref();
      this.#pokeLater.set(pool, timer);
    }
  }

  /** Acquires of the pool waiting in its queue right now (for metrics). */
  waitingAcquires(pool: string): number {
    return this.#waiters.size(pool);
  }

  /**
   * Extends a lease by `ttlMs` from now: a compare-and-set on the lease id and a state in which
   * the lease is in use, so a renew racing a release never brings the lease back.
   */
  async renewLease(name: string, leaseId: string, ttlMs: number): Promise<Vm> {
    const vm = await requireVm(this.ctx, name);
    validateInt('lease TTL (ms)', ttlMs, 1000, 7 * 24 * 3600 * 1000);
    const expiresAtMs = this.ctx.clock.now() + ttlMs;
    const expiresAt = new Date(expiresAtMs).toISOString();
    let updated: Vm | null = null;
    if (vm.lease?.id === leaseId) {
      const pool = await this.ctx.store.getPool(vm.pool);
      if (pool) this.lifetime.checkRenew(vm, pool, expiresAtMs);
      // A VM the idle policy saved keeps its lease, and may renew it.
      const states = isParked(vm) ? [...LEASED_VM_STATES, 'saved' as const] : LEASED_VM_STATES;
      updated = await this.ctx.store.renewLease(name, { leaseId, states, expiresAt });
      if (updated && !this.#remote(updated)) await this.lifetime.activity.touch(updated);
    }
    if (updated) return updated;
    const now = await this.ctx.store.getVm(name);
    if (!now) throw new HvkubeError('VM_NOT_FOUND', `VM '${name}' does not exist`, { details: { vm: name } });
    throw new HvkubeError('LEASE_MISMATCH', `VM ${name} is not held under lease ${leaseId}`, {
      hint: 'it was released, expired or re-acquired; acquire a VM again',
      details: { vm: name, state: now.state },
    });
  }

  #repairInBackground(vm: Vm): void {
    this.controller.background(
      vm.name,
      async () => {
        const template = await this.#templates.get(this.ctx, vm.template);
        await resetVm(this.ctx, vm, template, { actor: 'repair', alreadyResetting: vm.state === 'resetting' });
      },
      vm.pool,
    );
  }

  // ---- single VMs ----
  listVms(filter: VmFilter = {}): Promise<Vm[]> {
    return this.ctx.store.listVms(filter);
  }
  /** A VM by name; a call on a leased VM counts as its use (idle policy). */
  async getVm(name: string): Promise<Vm> {
    const vm = await requireVm(this.ctx, name);
    if (!this.#remote(vm)) await this.lifetime.activity.touch(vm);
    return vm;
  }

  /**
   * Resumes (or boots) a VM outside any lease, e.g. to look at it. Save it when done; the pool
   * controller saves it by itself once it has run unleased for `unleasedGraceMs`.
   */
  async resumeVm(name: string): Promise<Vm> {
    const vm = await requireVm(this.ctx, name);
    this.#ownedHere(vm, 'resume');
    const template = await this.#templates.get(this.ctx, vm.template);
    if (vm.state === 'off') return bootVm(this.ctx, vm, template, 'user');
    const { vm: running } = await runVmOperation(
      this.ctx,
      vm,
      { start: 'resume', done: 'resumed', actor: 'user', donePatch: (_r, ms) => ({ lastResumeMs: ms }) },
      async (v) => {
        if (v.state === 'resuming' && vm.state === 'paused') await this.ctx.hv.unpause(v.name);
        else await this.ctx.hv.start(v.name);
        await waitReady(this.ctx, v, template);
      },
    );
    const addresses = await guestAddresses(this.ctx, running, template);
    return (await this.ctx.store.patchVm(name, addresses)) ?? running;
  }

  async saveVm(name: string): Promise<Vm> {
    const vm = await requireVm(this.ctx, name);
    this.#ownedHere(vm, 'save');
    this.#refuseLeased(vm, 'save');
    return saveVm(this.ctx, vm, 'user');
  }

  /** Back to the clean checkpoint (saved). Refuses a leased VM unless `force`. */
  async resetVm(name: string, options: { force?: boolean } = {}): Promise<Vm> {
    const vm = await requireVm(this.ctx, name);
    this.#ownedHere(vm, 'reset');
    if (!options.force) this.#refuseLeased(vm, 'reset');
    vmTransition(vm.state, 'reset', vm.name);
    if (!vm.hasClean) {
      // Refused before anything is written: a VM without a clean checkpoint is replaced, not reset.
      throw new HvkubeError('VM_INVALID_STATE', `VM ${vm.name} has no clean checkpoint to reset to`, {
        hint: `remove it (hvkube vm remove ${vm.name}); the pool controller provisions a replacement`,
        details: { vm: vm.name, state: vm.state },
      });
    }
    const template = await this.#templates.get(this.ctx, vm.template);
    return resetVm(this.ctx, vm, template, { actor: 'user' });
  }

  async stopVm(name: string, options: { force?: boolean } = {}): Promise<Vm> {
    const vm = await requireVm(this.ctx, name);
    this.#ownedHere(vm, 'stop');
    if (!options.force) this.#refuseLeased(vm, 'stop');
    vmTransition(vm.state, 'stop', vm.name);
    if (!options.force && vm.state !== 'running') {
      // A graceful shutdown needs a running guest; refusing here, before the state is written,
      // leaves a saved or paused VM exactly as it was.
      throw new HvkubeError('VM_INVALID_STATE', `VM ${vm.name} is ${vm.state}; no guest is running to shut down`, {
        hint: `pass --force to power it off, or resume it first (hvkube vm resume ${vm.name})`,
        details: { vm: vm.name, state: vm.state },
      });
    }
    const { vm: off } = await runVmOperation(this.ctx, vm, { start: 'stop', done: 'stopped', actor: 'user', startPatch: { lease: null } }, (v) =>
      this.ctx.hv.stop(v.name, { force: options.force ?? false }),
    );
    return off;
  }

  /** Removes a VM and its files. The pool controller replaces it unless the pool is scaled down. */
  async removeVm(name: string, options: { force?: boolean } = {}): Promise<void> {
    const vm = await requireVm(this.ctx, name);
    this.#ownedHere(vm, 'remove');
    if (!options.force) this.#refuseLeased(vm, 'remove');
    await (await beginRemove(this.ctx, vm, 'user')).finished;
  }

  #refuseLeased(vm: Vm, what: string): void {
    // A lease on a VM that is not running holds nothing (the controller clears it): no refusal.
    if (vm.lease && LEASED_VM_STATES.includes(vm.state)) {
      throw new HvkubeError('VM_LEASED', `VM ${vm.name} is in use by ${vm.lease.holder}; refusing to ${what} it`, {
        hint: `release it first (hvkube vm release ${vm.name}), or pass --force`,
        details: { vm: vm.name, holder: vm.lease.holder },
      });
    }
  }

  // ---- console ----
  /**
   * The one place agent input checks the lease: a caller that holds a lease passes its id, and a
   * stale one (expired, released, the VM handed to someone else) is refused before anything
   * reaches the screen. Callers without a lease id (an operator, the dashboard) are not checked.
   */
  async #consoleVm(name: string, leaseId: string | undefined): Promise<Vm> {
    const vm = await requireVm(this.ctx, name);
    if (leaseId !== undefined && vm.lease?.id !== leaseId) {
      throw new HvkubeError('LEASE_MISMATCH', `VM ${name} is not held under lease ${leaseId}; nothing was sent to it`, {
        hint: vm.lease ? 'your lease ended and the VM was handed to someone else: acquire a VM again' : 'your lease ended (expired or released): acquire a VM again',
        details: { vm: name },
      });
    }
    // A use of the VM: counts against idleness, and resumes it if the idle policy saved it.
    return this.#remote(vm) ? vm : this.lifetime.use(vm);
  }

  /**
   * An image of the VM's screen: PNG unless `format` says otherwise, scaled, cropped or zoomed as
   * the options ask (see `ScreenshotOptions`). Bad options are refused before anything is taken.
   * Under a lease that declared its display, and with no size asked for, the agent sees the
   * screen at exactly that size (its coordinates are mapped back the same way).
   */
  async screenshot(name: string, options: ScreenshotOptions & ConsoleOptions = {}): Promise<Buffer> {
    const { leaseId, ...shape } = options;
    checkScreenshotOptions(shape);
    const vm = await this.#consoleVm(name, leaseId);
    const display = this.#leaseDisplay(vm, leaseId);
    const sized = shape.width !== undefined || shape.height !== undefined || shape.longestSide !== undefined || shape.region !== undefined || shape.zoom !== undefined;
    if (display && !sized) {
      const { format, quality, ...rest } = shape;
      const native = { ...rest, width: display.width };
      const remote = this.#remote(vm);
      const png = await resizePng(remote ? await remote.remote.screenshot(vm, native) : await this.ctx.hv.screenshot(name, native), display);
      return format === undefined || format === 'png' ? png : encodeScreenshot({ encoded: png }, { format, ...(quality === undefined ? {} : { quality }) });
    }
    const fleet = this.#remote(vm);
    if (fleet) return fleet.remote.screenshot(vm, shape);
    return this.ctx.hv.screenshot(name, shape);
  }
  /**
   * Types text. Characters a keyboard cannot type faithfully (anything off a US layout: Hyper-V's
   * TypeText is ASCII-bound, QEMU sends US key codes) go through the guest: the run that holds
   * them is put on the guest clipboard and pasted with ctrl+v. Without a guest channel, such text
   * is refused whole (TEXT_NOT_TYPEABLE, naming the characters): wrong text is never typed.
   */
  async typeText(name: string, text: string, options: ConsoleOptions = {}): Promise<void> {
    const vm = await this.#consoleVm(name, options.leaseId);
    if (typeof text !== 'string' || text.length > 10_000) throw new HvkubeError('INVALID_INPUT', 'text must be at most 10000 characters');
    const fleet = this.#remote(vm);
    // The owner host makes the same check with its own backend.
    if (fleet) return fleet.remote.typeText(vm, text);
    const untypeable = untypeableCharacters(text);
    if (untypeable.length === 0) return this.ctx.hv.typeText(name, text);
    const guest = this.ctx.hv.guest;
    const reachable = guest ? await guest.ping(name, { timeoutMs: 2000 }).catch(() => false) : false;
    if (!guest || !reachable) {
      const shown = untypeable.slice(0, 10).map(describeCharacter).join(', ');
      throw new HvkubeError('TEXT_NOT_TYPEABLE', `cannot type ${shown}${untypeable.length > 10 ? ` and ${untypeable.length - 10} more` : ''} into VM ${name}: the keyboard types US-layout characters only and ${guest ? 'the guest does not answer on its channel' : `the ${this.ctx.hv.backend} backend has no guest channel`} to paste them; nothing was typed`, {
        hint: guest ? 'wait until the guest is up (its agent answers), or type ASCII text' : 'type ASCII text, or use a backend with a guest channel',
        details: { vm: name, characters: untypeable },
      });
    }
    for (const run of splitForPaste(text)) {
      if (run.kind === 'type') {
        await this.ctx.hv.typeText(name, run.text);
      } else {
        await guest.setClipboard(name, run.text);
        await this.ctx.hv.pressKeys(name, ['ctrl+v']);
      }
    }
  }
  async pressKeys(name: string, chords: string[], options: ConsoleOptions = {}): Promise<void> {
    const vm = await this.#consoleVm(name, options.leaseId);
    if (chords.length === 0 || chords.length > 100) throw new HvkubeError('INVALID_INPUT', 'give 1 to 100 key chords', { hint: 'e.g. ctrl+l enter' });
    for (const c of chords) parseKeyChord(c);
    const fleet = this.#remote(vm);
    if (fleet) return fleet.remote.pressKeys(vm, chords);
    await this.ctx.hv.pressKeys(name, chords);
  }
  async click(name: string, x: number, y: number, options: { button?: MouseButton; double?: boolean; count?: ClickCount } & ConsoleOptions = {}): Promise<void> {
    const vm = await this.#consoleVm(name, options.leaseId);
    validateInt('x', x, 0, 16384);
    validateInt('y', y, 0, 16384);
    if (options.count !== undefined) validateInt('click count', options.count, 1, 3);
    const count = options.count ?? (options.double ? 2 : 1);
    const p = await this.#toScreen(vm, options.leaseId, x, y);
    await this.#input(vm, [{ kind: 'click', ...p, button: validButton(options.button), count }]);
  }
  async mouseMove(name: string, x: number, y: number, options: ConsoleOptions = {}): Promise<void> {
    const vm = await this.#consoleVm(name, options.leaseId);
    validateInt('x', x, 0, 16384);
    validateInt('y', y, 0, 16384);
    await this.#input(vm, [{ kind: 'move', ...(await this.#toScreen(vm, options.leaseId, x, y)) }]);
  }
  /** The display size of the caller's lease, when the caller names the lease and it declared one. */
  #leaseDisplay(vm: Vm, leaseId: string | undefined): ScreenSize | null {
    return leaseId !== undefined && vm.lease?.id === leaseId ? (vm.lease.display ?? null) : null;
  }
  /** A point the caller sent, in screen pixels (mapped from its lease's display when it declared one). */
  async #toScreen(vm: Vm, leaseId: string | undefined, x: number, y: number): Promise<Point> {
    const display = this.#leaseDisplay(vm, leaseId);
    if (!display) return { x, y };
    if (x >= display.width || y >= display.height) {
      throw new HvkubeError('INVALID_INPUT', `(${x}, ${y}) is outside the lease's ${display.width}x${display.height} display`, { details: { vm: vm.name, display } });
    }
    const fleet = this.#remote(vm);
    const screen = fleet ? await fleet.remote.screenSize(vm) : await this.ctx.hv.screenSize(vm.name);
    return {
      x: Math.min(screen.width - 1, Math.round((x * screen.width) / display.width)),
      y: Math.min(screen.height - 1, Math.round((y * screen.height) / display.height)),
    };
  }
  /** Presses a mouse button (default left) where the pointer is, or at (x, y) after moving there; it stays down. */
  async mouseDown(name: string, options: { button?: MouseButton; x?: number; y?: number } & ConsoleOptions = {}): Promise<void> {
    await this.#mouseButton(name, true, options);
  }
  async mouseUp(name: string, options: { button?: MouseButton; x?: number; y?: number } & ConsoleOptions = {}): Promise<void> {
    await this.#mouseButton(name, false, options);
  }
  async #mouseButton(name: string, down: boolean, options: { button?: MouseButton; x?: number; y?: number } & ConsoleOptions): Promise<void> {
    const vm = await this.#consoleVm(name, options.leaseId);
    const steps: InputStep[] = [];
    if (options.x !== undefined || options.y !== undefined) {
      const x = validateInt('x', options.x, 0, 16384);
      const y = validateInt('y', options.y, 0, 16384);
      steps.push({ kind: 'move', ...(await this.#toScreen(vm, options.leaseId, x, y)) });
    }
    steps.push({ kind: 'button', button: validButton(options.button), down });
    await this.#input(vm, steps);
  }
  /** Presses keys (`ctrl`, `shift`, `a`) in order and leaves them down until `keyUp`. */
  async keyDown(name: string, keys: string[], options: ConsoleOptions = {}): Promise<void> {
    const vm = await this.#consoleVm(name, options.leaseId);
    await this.#input(vm, [{ kind: 'key', keys: validKeys(keys), down: true }]);
  }
  /** Releases keys in the order given. */
  async keyUp(name: string, keys: string[], options: ConsoleOptions = {}): Promise<void> {
    const vm = await this.#consoleVm(name, options.leaseId);
    await this.#input(vm, [{ kind: 'key', keys: validKeys(keys), down: false }]);
  }
  /** Holds a chord (`shift`, `ctrl+a`) down for `durationMs`, then releases it. */
  async holdKeys(name: string, chord: string, durationMs: number, options: ConsoleOptions = {}): Promise<void> {
    await this.actions(name, { format: 'hvkube', actions: [{ action: 'hold', chord, duration_ms: durationMs }] }, options);
  }
  /** Drags along `path` (two points or more) with a button held, in `steps` moves per segment. */
  async drag(
    name: string,
    path: { x: number; y: number }[],
    options: { button?: MouseButton; steps?: number; stepDelayMs?: number } & ConsoleOptions = {},
  ): Promise<void> {
    const action = {
      action: 'drag',
      path,
      ...(options.button === undefined ? {} : { button: options.button }),
      ...(options.steps === undefined ? {} : { steps: options.steps }),
      ...(options.stepDelayMs === undefined ? {} : { step_delay_ms: options.stepDelayMs }),
    };
    await this.actions(name, { format: 'hvkube', actions: [action] }, options);
  }
  /** Where the pointer is (screen pixels): the backend's answer when it has one, else where hvkube last put it; null when unknown. */
  async cursorPosition(name: string, options: ConsoleOptions = {}): Promise<Point | null> {
    const vm = await this.#consoleVm(name, options.leaseId);
    const at = await this.#cursorOf(vm);
    const display = this.#leaseDisplay(vm, options.leaseId);
    if (!at || !display) return at;
    // In the lease's display space, like every coordinate the lease's agent sends.
    const screen = await this.screenSize(name);
    return {
      x: Math.min(display.width - 1, Math.round((at.x * display.width) / screen.width)),
      y: Math.min(display.height - 1, Math.round((at.y * display.height) / screen.height)),
    };
  }
  async #cursorOf(vm: Vm): Promise<Point | null> {
    const tracked = this.#cursors.get(vm.name);
    if (tracked) return { ...tracked };
    if (this.#remote(vm) || !this.ctx.hv.cursorPosition) return null;
    return this.ctx.hv.cursorPosition(vm.name);
  }
  /** The VM's screen size in pixels. */
  async screenSize(name: string, options: ConsoleOptions = {}): Promise<ScreenSize> {
    const vm = await this.#consoleVm(name, options.leaseId);
    const fleet = this.#remote(vm);
    return fleet ? fleet.remote.screenSize(vm) : this.ctx.hv.screenSize(name);
  }
  /**
   * Runs a list of actions in hvkube's, Anthropic's or OpenAI's form (see `input/run-actions.ts`):
   * all are checked first, then run in order; answers one result per action, the pointer, and the
   * screenshot after the last action when it takes one or `screenshot` asks.
   */
  async actions(name: string, request: ActionsRequest, options: ConsoleOptions & { display?: ScreenSize | null } = {}): Promise<ActionsResponse> {
    const vm = await this.#consoleVm(name, options.leaseId);
    const fleet = this.#remote(vm);
    const display = request.display ?? options.display ?? this.#leaseDisplay(vm, options.leaseId);
    if (display) {
      validateInt('display width', display.width, 16, 7680);
      validateInt('display height', display.height, 16, 4320);
    }
    return runActions({ ...request, display }, {
      screenSize: () => (fleet ? fleet.remote.screenSize(vm) : this.ctx.hv.screenSize(name)),
      cursor: () => this.#cursorOf(vm),
      setCursor: (p) => this.#cursors.set(name, { ...p }),
      input: (steps) => this.#input(vm, steps),
      screenshot: (width) => (fleet ? fleet.remote.screenshot(vm, width === undefined ? {} : { width }) : this.ctx.hv.screenshot(name, width === undefined ? {} : { width })),
      canScroll: fleet !== null || this.ctx.hv.capabilities.scroll,
    });
  }
  /**
   * Runs input steps on a VM of this host (no lease check: the fleet forwards steps it has
   * checked). Keys named in them are checked before any step runs.
   */
  async runInputSteps(name: string, steps: InputStep[]): Promise<void> {
    const vm = await requireVm(this.ctx, name);
    this.#ownedHere(vm, 'send input to');
    for (const s of steps) {
      if (s.kind === 'keys') s.chords.forEach((c) => parseKeyChord(c));
      if (s.kind === 'key') s.keys.forEach((k) => parseKeyChord(k));
    }
    await this.#input(vm, steps);
  }
  async #input(vm: Vm, steps: InputStep[]): Promise<void> {
    const fleet = this.#remote(vm);
    const last = [...steps].reverse().find((s) => s.kind === 'move' || s.kind === 'click');
    try {
      if (fleet) await fleet.remote.input(vm, steps);
      else await runInputSteps(this.ctx.hv, vm.name, steps, this.ctx.clock);
    } finally {
      if (last && (last.kind === 'move' || last.kind === 'click')) this.#cursors.set(vm.name, { x: last.x, y: last.y });
    }
  }
  async scroll(name: string, delta: number, options: ConsoleOptions = {}): Promise<void> {
    const vm = await this.#consoleVm(name, options.leaseId);
    const fleet = this.#remote(vm);
    if (!fleet && !this.ctx.hv.capabilities.scroll) throw new HvkubeError('INVALID_INPUT', `the ${this.ctx.hv.backend} backend cannot scroll`);
    validateInt('scroll delta', delta, -100, 100);
    if (fleet) return fleet.remote.scroll(vm, delta);
    await this.ctx.hv.scroll(name, delta);
  }
  // ---- inside the guest ----
  /** The guest channel for a VM this host owns, after the lease check; refuses where there is none. */
  async #guestVm(name: string, leaseId: string | undefined): Promise<GuestOps> {
    const vm = await this.#consoleVm(name, leaseId);
    if (this.#remote(vm)) {
      throw new HvkubeError('GUEST_UNAVAILABLE', `VM ${name} belongs to host ${vm.host}; work inside its guest goes through that host`, {
        hint: `run the command on ${vm.host} (e.g. --server with its address from \`hvkube host show ${vm.host}\`)`,
        details: { vm: name, host: vm.host },
      });
    }
    const guest = this.ctx.hv.guest;
    if (!guest) {
      throw new HvkubeError('GUEST_UNAVAILABLE', `the ${this.ctx.hv.backend} backend has no channel into its guests`, {
        hint: 'exec, file copies and the clipboard need a backend with a guest channel (fake, QEMU with the guest agent, Hyper-V with PowerShell Direct)',
        details: { vm: name, backend: this.ctx.hv.backend },
      });
    }
    return guest;
  }

  /** Runs a program in the guest (argv as data, never a shell line unless `shell`). */
  async exec(name: string, input: GuestExecInput, options: ConsoleOptions & { signal?: AbortSignal } = {}): Promise<GuestExecResult> {
    const request = toExecRequest(input, options.signal);
    const guest = await this.#guestVm(name, options.leaseId);
    return guest.exec(name, request);
  }

  /** A guest file's bytes; refused whole (GUEST_FILE_TOO_LARGE) beyond `maxBytes` (default 100 MiB). */
  async readGuestFile(name: string, guestPath: string, options: ConsoleOptions & { maxBytes?: number; onProgress?: (bytes: number) => void } = {}): Promise<Buffer> {
    const p = validateGuestPath(guestPath);
    const maxBytes = validateMaxBytes(options.maxBytes);
    const guest = await this.#guestVm(name, options.leaseId);
    const data = await guest.readFile(name, p, { maxBytes, ...(options.onProgress ? { onProgress: options.onProgress } : {}) });
    // A backend that could not tell the size first still never hands out more than asked.
    refuseTooLarge(data.length, maxBytes, p, name);
    return data;
  }

  /** Writes a guest file (replacing it); refused whole beyond `maxBytes` (default 100 MiB). */
  async writeGuestFile(name: string, guestPath: string, data: Uint8Array, options: ConsoleOptions & { maxBytes?: number; onProgress?: (bytes: number) => void } = {}): Promise<void> {
    const p = validateGuestPath(guestPath);
    refuseTooLarge(data.byteLength, validateMaxBytes(options.maxBytes), p, name);
    const guest = await this.#guestVm(name, options.leaseId);
    const bytes = Buffer.from(data.buffer, data.byteOffset, data.byteLength);
    await guest.writeFile(name, p, bytes, options.onProgress ? { onProgress: options.onProgress } : {});
  }

  async listGuestFiles(name: string, guestPath: string, options: ConsoleOptions = {}): Promise<GuestFileEntry[]> {
    const p = validateGuestPath(guestPath);
    const guest = await this.#guestVm(name, options.leaseId);
    return guest.listFiles(name, p);
  }

  async getClipboard(name: string, options: ConsoleOptions = {}): Promise<string> {
    const guest = await this.#guestVm(name, options.leaseId);
    return guest.getClipboard(name);
  }

  async setClipboard(name: string, text: string, options: ConsoleOptions = {}): Promise<void> {
    const value = validateClipboardText(text);
    const guest = await this.#guestVm(name, options.leaseId);
    await guest.setClipboard(name, value);
  }

  async console(name: string): Promise<ConsoleAccess> {
    const vm = await requireVm(this.ctx, name);
    this.#ownedHere(vm, 'open a console for');
    await this.lifetime.use(vm);
    return this.ctx.hv.console(name);
  }

  // ---- host, reconcile, events ----
  hostInfo(): Promise<HostInfo> {
    return this.ctx.hv.hostInfo();
  }

  /** Makes the store agree with the hypervisor; repairs interrupted acquires and resets. */
  async reconcile(options: { removeOrphans?: boolean; waitForRepairs?: boolean } = {}): Promise<ReconcileReport> {
    const report = await reconcile(this.ctx, {
      removeOrphans: options.removeOrphans,
      repair: async (vm) => {
        const template = await this.#templates.get(this.ctx, vm.template);
        this.controller.background(vm.name, () => resetVm(this.ctx, vm, template, { actor: 'reconcile' }), vm.pool);
      },
    });
    if (options.waitForRepairs !== false) await this.controller.idle();
    return report;
  }

  listEvents(query: EventQuery = {}): Promise<StateEvent[]> {
    return this.ctx.store.listEvents(query);
  }

  /** Marks a VM as failed by its user (e.g. an agent saw it break): it is repaired, not reused as is. */
  async failVm(name: string, reason: string): Promise<void> {
    const vm = await requireVm(this.ctx, name);
    if (this.#remote(vm)) {
      // Only its owner can reset it; `error` hands it to the owner's controller, which replaces it.
      await transition(this.ctx, vm, { event: 'fail', actor: 'user', action: 'reported-broken', patch: { lease: null, lastError: reason } });
      return;
    }
    try {
      const resetting = await transition(this.ctx, vm, { event: 'reset', actor: 'user', action: 'reported-broken', patch: { lease: null, lastError: reason } });
      this.#repairInBackground(resetting);
    } catch (e) {
      this.ctx.logger.warn({ vm: name, err: errorMessage(e) }, 'could not mark VM for repair');
      throw e;
    }
  }

  /** Stops background work and lets every in-flight operation finish; VMs end resumable. */
  async close(): Promise<void> {
    this.#closing = true;
    for (const timer of this.#pokeLater.values()) clearTimeout(timer);
    this.#pokeLater.clear();
    this.#unsubscribe();
    this.#waiters.wakeAll();
    await this.controller.stop();
    this.autoscaler.close();
  }
}

export function createOrchestrator(options: OrchestratorOptions): Orchestrator {
  return new Orchestrator(options);
}
