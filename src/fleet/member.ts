/**
 * One host's membership in a fleet: it registers (or rejoins after being declared lost),
 * heartbeats under its epoch, fences itself when it cannot renew its lease, declares silent
 * hosts lost, drains when asked, and gives the orchestrator the hooks that make one pool span
 * hosts (claims on any live host, forwarding to owners, placement of new VMs).
 * @module
 */
import type { Pool, Vm } from '../domain/types.js';
import { HvkubeError } from '../domain/errors.js';
import type { FleetHooks } from '../orchestrator/fleet-hooks.js';
import type { Orchestrator } from '../orchestrator/orchestrator.js';
import type { HostRecord, HostRegistration, Store } from '../store/store.js';
import { errorMessage, type Logger } from '../_util/logger.js';
import { drainPass } from './drain.js';
import { detectLostHosts, isStale } from './lost-hosts.js';
import { OwnerClient } from './owner-client.js';
import { planPlacement } from './placement.js';
import { cleanUpReplaced, type RejoinReport } from './rejoin.js';
import { fenceAfterMs, type FleetSettings } from './settings.js';
import { EMULATED_READY_TIMEOUT_MS } from '../orchestrator/readiness.js';

export interface FleetMemberOptions {
  orchestrator: Orchestrator;
  /**
   * The store heartbeats and lost-host detection go through. Give one with its own connections:
   * a host busy with hundreds of requests must not miss its lease waiting for a pooled
   * connection. Default: the orchestrator's store.
   */
  heartbeatStore?: Store;
  backend: string;
  settings: FleetSettings;
  logger: Logger;
  /** Pool controller interval while the host takes work. Default 2000 ms. */
  controllerIntervalMs?: number;
}

export type MemberState = 'joining' | 'up' | 'fenced' | 'stopped';

const MB_PER_VM = 2048;

export class FleetMember implements FleetHooks {
  readonly remote: OwnerClient;
  readonly #o: FleetMemberOptions;
  readonly #name: string;
  #record: HostRecord | null = null;
  #state: MemberState = 'joining';
  #lastRenewOk = 0;
  #timer: NodeJS.Timeout | null = null;
  #renewing: Promise<void> | null = null;
  #joining: Promise<void> | null = null;
  /** Registered under a new epoch, but the VMs replaced meanwhile are not all removed yet. */
  #cleanUpPending = false;
  #controllerOn = false;

  constructor(options: FleetMemberOptions) {
    this.#o = options;
    this.#name = options.orchestrator.ctx.settings.host;
    this.remote = new OwnerClient({
      store: options.orchestrator.store,
      self: this.#name,
      token: options.settings.clusterToken,
      timeoutMs: options.settings.forwardTimeoutMs,
      resumeTimeoutMs: (options.orchestrator.ctx.settings.readyTimeoutMs ?? EMULATED_READY_TIMEOUT_MS) + 10_000,
      logger: options.logger,
    });
  }

  get name(): string {
    return this.#name;
  }

  get state(): MemberState {
    return this.#state;
  }

  get record(): HostRecord | null {
    return this.#record;
  }

  /**
   * Joins the fleet: registers (waiting out the lease of a previous process under the same
   * name), removes VMs replaced while this host was lost, then heartbeats. Until that clean-up
   * is complete the host takes no work. The orchestrator
   * gets the fleet hooks; the controller is started with `startController`.
   */
  async start(): Promise<RejoinReport> {
    this.attach();
    let report: RejoinReport;
    try {
      report = await this.#join();
    } catch (e) {
      // Registered, but the clean-up broke off: heartbeat anyway, and let it retry.
      if (!this.#cleanUpPending) throw e;
      this.#o.logger.error({ host: this.#name, err: errorMessage(e) }, 'cleaning up after joining failed; will retry');
      report = { removed: [], failed: [], orphansRemoved: [] };
    }
    this.#timer = setInterval(() => this.#tick(), this.#o.settings.heartbeatMs);
    this.#timer.unref();
    return report;
  }

  /**
   * Gives the orchestrator the fleet hooks before joining: until the host has joined it takes
   * no work (acquires are refused, nothing is placed on it).
   */
  attach(): void {
    this.#o.orchestrator.attachFleet(this);
  }

  /** Where other hosts reach this one; set once the API listens (port 0 is only known then). */
  setAddress(url: string): void {
    this.#o.settings.address ??= url;
  }

  /** Runs the pool controller whenever this host takes work (stopped while fenced). */
  startController(): void {
    this.#controllerOn = true;
    if (this.#state === 'up') this.#o.orchestrator.controller.start(this.#o.controllerIntervalMs ?? 2000);
    this.#o.orchestrator.controller.poke();
  }

  /** Stops heartbeating. The row stays: after its lease the others treat this host as lost. */
  async stop(): Promise<void> {
    this.#state = 'stopped';
    if (this.#timer) clearInterval(this.#timer);
    this.#timer = null;
    await this.#renewing;
    await this.#joining;
    this.#o.orchestrator.attachFleet(null);
  }

  // ---- FleetHooks ----

  acceptsWork(): boolean {
    return this.#state === 'up';
  }

  async poolVms(pool: string): Promise<Vm[]> {
    const store = this.#o.orchestrator.store;
    const up = new Set((await store.listHosts()).filter((h) => h.status === 'up').map((h) => h.name));
    return (await store.listVms({ pool })).filter((v) => up.has(v.host));
  }

  async placeNew(pool: Pool, missing: number): Promise<number> {
    if (!this.acceptsWork() || this.#record?.status !== 'up') return 0;
    const plan = await this.#plan(pool, missing);
    return plan.filter((h) => h === this.#name).length;
  }

  async placeable(pool: Pool, missing: number): Promise<number> {
    return (await this.#plan(pool, missing)).length;
  }

  /** The host of each of `missing` new VMs of `pool`, over the hosts that take work. */
  async #plan(pool: Pool, missing: number): Promise<string[]> {
    const store = this.#o.orchestrator.store;
    const hosts = (await store.listHosts()).filter((h) => h.status === 'up');
    const counted = (await store.listVms({})).filter((v) => v.state !== 'unknown' && v.state !== 'deleting');
    const used = new Map<string, number>();
    const inPool = new Map<string, number>();
    for (const v of counted) {
      used.set(v.host, (used.get(v.host) ?? 0) + 1);
      if (v.pool === pool.name) inPool.set(v.host, (inPool.get(v.host) ?? 0) + 1);
    }
    return planPlacement({ hosts, used, inPool, maxPerHost: pool.maxPerHost, missing });
  }

  // ---- membership ----

  async #registration(): Promise<HostRegistration> {
    const orch = this.#o.orchestrator;
    const info = await orch.hypervisor.hostInfo();
    const s = this.#o.settings;
    return {
      name: this.#name,
      backend: this.#o.backend,
      capacity: { memoryMb: info.totalMemoryMb, cpus: info.cpus, maxVms: s.maxVms ?? Math.max(1, Math.floor((info.totalMemoryMb * 0.8) / MB_PER_VM)) },
      address: s.address,
      leaseMs: s.leaseMs,
    };
  }

  /** Registers under a fresh epoch, cleans up what was replaced meanwhile, then takes work. */
  async #join(): Promise<RejoinReport> {
    const store = this.#o.heartbeatStore ?? this.#o.orchestrator.store;
    const s = this.#o.settings;
    const reg = await this.#registration();
    const giveUpAt = Date.now() + 2 * s.leaseMs + 2 * s.heartbeatMs;
    let record: HostRecord | null = null;
    while (record === null) {
      const row = await store.getHost(this.#name);
      if (row && row.status !== 'lost' && !isStale(row.heartbeatAt, row.leaseMs, Date.now())) {
        // Someone renewed this name's lease recently: a previous process that just died, or
        // one still running. Wait for the lease to run out rather than have two owners.
        if (Date.now() > giveUpAt) {
          throw new HvkubeError('INVALID_INPUT', `host ${this.#name} is registered and still heartbeating`, {
            hint: 'another `hvkube serve` runs under this host name; stop it, or pick another --host',
            details: { host: this.#name },
          });
        }
        await new Promise((r) => setTimeout(r, s.heartbeatMs));
        continue;
      }
      record = await store.registerHost(reg, row ? row.epoch : null, `host:${this.#name}`);
    }
    this.#record = record;
    this.#lastRenewOk = Date.now();
    this.#cleanUpPending = true;
    return this.#finishRejoin();
  }

  /**
   * Removes what was replaced while this host was lost, and only then takes work. When the
   * clean-up is incomplete (the store dropped mid-way, a VM would not go) the host stays out of
   * service and the next heartbeat tries again: renewing the new epoch alone must not bring it
   * back.
   */
  async #finishRejoin(): Promise<RejoinReport> {
    const report = await cleanUpReplaced(this.#o.orchestrator);
    if (report.removed.length > 0) this.#o.logger.warn({ host: this.#name, removed: report.removed }, 'removed VMs replaced while this host was lost');
    if (report.failed.length > 0) {
      this.#o.logger.error({ host: this.#name, vms: report.failed }, 'some VMs replaced while this host was lost could not be removed; it takes no work until they are');
      return report;
    }
    this.#cleanUpPending = false;
    if (this.#state !== 'stopped') this.#unfence();
    return report;
  }

  #tick(): void {
    if (this.#state === 'stopped') return;
    // Fencing is decided by time, not by the renewal's answer: a renewal stuck on a silent
    // network must not keep this host taking work past the moment the others may declare it lost.
    if (this.#state === 'up' && Date.now() - this.#lastRenewOk > fenceAfterMs(this.#o.settings)) {
      this.#fence('the lease could not be renewed in time');
    }
    this.#renewing ??= this.#renew().finally(() => {
      this.#renewing = null;
    });
  }

  async #renew(): Promise<void> {
    const store = this.#o.heartbeatStore ?? this.#o.orchestrator.store;
    const started = Date.now();
    let renewed: HostRecord | null;
    try {
      renewed = await store.renewHost(this.#name, this.#record?.epoch ?? -1);
    } catch (e) {
      this.#o.logger.warn({ host: this.#name, err: errorMessage(e) }, 'heartbeat failed');
      return;
    }
    if (this.#state === 'stopped') return;
    if (!renewed) {
      if (this.#joining) return;
      // Declared lost (or removed) while cut off: what this host held was replaced. The rejoin
      // runs beside the heartbeat, which renews the new epoch while the clean-up goes on.
      this.#fence('this host was declared lost');
      this.#joining = this.#join()
        .then(() => undefined)
        .catch((e: unknown) => this.#o.logger.error({ host: this.#name, err: errorMessage(e) }, 'rejoining the fleet failed; will retry'))
        .finally(() => {
          this.#joining = null;
        });
      return;
    }
    this.#record = renewed;
    this.#lastRenewOk = started;
    // While rejoining, the clean-up decides when work is taken again, not the heartbeat.
    if (this.#joining) return;
    if (this.#cleanUpPending) {
      this.#joining = this.#finishRejoin()
        .then(() => undefined)
        .catch((e: unknown) => this.#o.logger.error({ host: this.#name, err: errorMessage(e) }, 'cleaning up after rejoining failed; will retry'))
        .finally(() => {
          this.#joining = null;
        });
      return;
    }
    if (this.#state === 'fenced') this.#unfence();
    try {
      await detectLostHosts(store, this.#name, Date.now(), this.#o.logger);
      if (renewed.status === 'draining') await drainPass(this.#o.orchestrator);
    } catch (e) {
      this.#o.logger.warn({ host: this.#name, err: errorMessage(e) }, 'fleet pass failed');
    }
  }

  #fence(reason: string): void {
    if (this.#state === 'fenced') return;
    this.#state = 'fenced';
    this.#o.logger.error({ host: this.#name, reason }, 'fenced: this host takes no work until it renews its lease');
    if (this.#controllerOn) void this.#o.orchestrator.controller.stop().catch(() => undefined);
  }

  #unfence(): void {
    const was = this.#state;
    this.#state = 'up';
    if (was === 'fenced') this.#o.logger.warn({ host: this.#name }, 'lease renewed; taking work again');
    if (this.#controllerOn) {
      this.#o.orchestrator.controller.start(this.#o.controllerIntervalMs ?? 2000);
      this.#o.orchestrator.controller.poke();
    }
  }
}
