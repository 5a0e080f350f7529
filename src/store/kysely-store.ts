/**
 * The one `Store` implementation, over a `Kysely<Database>` of either dialect. The query modules
 * it delegates to gate the few dialect-only clauses on `dialect`; nothing is written twice.
 * @module
 */
import type { Kysely } from 'kysely';
import type { Agent, NewStateEvent, Pool, PoolAutoscaleStatus, StateEvent, Template, Vm } from '../domain/types.js';
import type { VmState } from '../domain/vm-state.js';
import type { AgentStatus } from '../domain/agent-state.js';
import type {
  AgentFilter,
  AgentPatch,
  ClaimRequest,
  ClaimedVm,
  EventQuery,
  HostRecord,
  HostRegistration,
  HostStatus,
  Store,
  StoreDialect,
  VmFilter,
  VmPatch,
  VmTransition,
} from './store.js';
import type { Database } from './schema.js';
import type { StoreContext } from './context.js';
import type { PoolPatch } from './rows.js';
import { migrate } from './migrations/index.js';
import { newOperator } from '../_util/operator.js';
import * as catalog from './catalog.js';
import * as vms from './vms.js';
import * as agents from './agents.js';
import * as events from './events.js';
import * as hosts from './hosts.js';
import { webhookQueries, type WebhookStore } from './webhooks.js';

/** Where notifications of ready VMs come from (PostgreSQL LISTEN); SQLite has none. */
export interface VmReadySource {
  subscribe(listener: (pool: string) => void): () => void;
  close(): Promise<void>;
}

export interface KyselyStoreOptions {
  db: Kysely<Database>;
  dialect: StoreDialect;
  /** The clock for every timestamp the store writes. Default: the system clock. */
  now?: () => Date;
  /** Cross-process notifications of ready VMs. Default: none (waiters poll). */
  vmReady?: VmReadySource;
  /** Written with every VM state change. Default: this process and a fresh instance id. */
  operator?: string;
}

export class KyselyStore implements Store {
  readonly dialect: StoreDialect;
  readonly crossProcessNotifications: boolean;
  readonly webhooks: WebhookStore;
  readonly operator: string;
  readonly #ctx: StoreContext;
  readonly #vmReady: VmReadySource | undefined;
  #closed = false;

  constructor(options: KyselyStoreOptions) {
    this.dialect = options.dialect;
    this.#vmReady = options.vmReady;
    this.crossProcessNotifications = options.vmReady !== undefined;
    this.operator = options.operator ?? newOperator();
    this.#ctx = {
      db: options.db,
      dialect: options.dialect,
      now: options.now ?? (() => new Date()),
      operator: this.operator,
    };
    this.webhooks = webhookQueries(this.#ctx);
  }

  /** The query builder, for tests and tools that need a query the port does not offer. */
  get db(): Kysely<Database> {
    return this.#ctx.db;
  }

  async migrate(): Promise<void> {
    await migrate(this.#ctx.db, this.dialect, this.#ctx.now);
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    await this.#vmReady?.close();
    await this.#ctx.db.destroy();
  }

  onVmReady(listener: (pool: string) => void): () => void {
    return this.#vmReady ? this.#vmReady.subscribe(listener) : () => undefined;
  }

  createTemplate(template: Template): Promise<void> {
    return catalog.createTemplate(this.#ctx, template);
  }
  getTemplate(name: string): Promise<Template | null> {
    return catalog.getTemplate(this.#ctx, name);
  }
  listTemplates(): Promise<Template[]> {
    return catalog.listTemplates(this.#ctx);
  }
  deleteTemplate(name: string): Promise<boolean> {
    return catalog.deleteTemplate(this.#ctx, name);
  }

  createPool(pool: Pool): Promise<void> {
    return catalog.createPool(this.#ctx, pool);
  }
  getPool(name: string): Promise<Pool | null> {
    return catalog.getPool(this.#ctx, name);
  }
  listPools(): Promise<Pool[]> {
    return catalog.listPools(this.#ctx);
  }
  updatePool(name: string, patch: PoolPatch): Promise<Pool | null> {
    return catalog.updatePool(this.#ctx, name, patch);
  }
  deletePool(name: string): Promise<boolean> {
    return catalog.deletePool(this.#ctx, name);
  }
  resizePool(name: string, change: { from: number; desired: number; warm: number; status: PoolAutoscaleStatus }): Promise<Pool | null> {
    return catalog.resizePool(this.#ctx, name, change);
  }
  getPoolAutoscaleStatus(name: string): Promise<PoolAutoscaleStatus | null> {
    return catalog.getPoolAutoscaleStatus(this.#ctx, name);
  }
  setPoolAutoscaleStatus(name: string, status: PoolAutoscaleStatus | null): Promise<void> {
    return catalog.setPoolAutoscaleStatus(this.#ctx, name, status);
  }

  insertVm(vm: Vm, event: { actor: string; action: string }): Promise<void> {
    return vms.insertVm(this.#ctx, vm, event);
  }
  getVm(name: string): Promise<Vm | null> {
    return vms.getVm(this.#ctx, name);
  }
  listVms(filter?: VmFilter): Promise<Vm[]> {
    return vms.listVms(this.#ctx, filter);
  }
  countVms(filter?: VmFilter): Promise<number> {
    return vms.countVms(this.#ctx, filter);
  }
  countVmsByState(pool: string): Promise<Partial<Record<VmState, number>>> {
    return vms.countVmsByState(this.#ctx, pool);
  }
  transitionVm(name: string, change: VmTransition): Promise<Vm | null> {
    return vms.transitionVm(this.#ctx, name, change);
  }
  patchVm(name: string, patch: VmPatch): Promise<Vm | null> {
    return vms.patchVm(this.#ctx, name, patch);
  }

  vmOperators(host: string): Promise<Map<string, string | null>> {
    return vms.vmOperators(this.#ctx, host);
  }

  renewLease(name: string, renewal: { leaseId: string; states: readonly VmState[]; expiresAt: string | null }): Promise<Vm | null> {
    return vms.renewLease(this.#ctx, name, renewal);
  }
  deleteVm(name: string, event: { actor: string; action: string }): Promise<boolean> {
    return vms.deleteVm(this.#ctx, name, event);
  }
  claimVm(request: ClaimRequest): Promise<ClaimedVm | null> {
    return vms.claimVm(this.#ctx, request);
  }

  insertAgent(agent: Agent): Promise<void> {
    return agents.insertAgent(this.#ctx, agent);
  }
  getAgent(id: string): Promise<Agent | null> {
    return agents.getAgent(this.#ctx, id);
  }
  listAgents(filter?: AgentFilter): Promise<Agent[]> {
    return agents.listAgents(this.#ctx, filter);
  }
  updateAgent(
    id: string,
    from: readonly AgentStatus[],
    patch: AgentPatch,
    actor: string,
  ): Promise<Agent | null> {
    return agents.updateAgent(this.#ctx, id, from, patch, actor);
  }

  appendEvent(event: NewStateEvent): Promise<StateEvent> {
    return events.appendEvent(this.#ctx, event);
  }
  listEvents(query?: EventQuery): Promise<StateEvent[]> {
    return events.listEvents(this.#ctx, query);
  }

  registerHost(host: HostRegistration, expectEpoch: number | null, actor: string): Promise<HostRecord | null> {
    return hosts.registerHost(this.#ctx, host, expectEpoch, actor);
  }
  getHost(name: string): Promise<HostRecord | null> {
    return hosts.getHost(this.#ctx, name);
  }
  listHosts(): Promise<HostRecord[]> {
    return hosts.listHosts(this.#ctx);
  }
  renewHost(name: string, epoch: number): Promise<HostRecord | null> {
    return hosts.renewHost(this.#ctx, name, epoch);
  }
  setHostStatus(
    name: string,
    change: { from: readonly HostStatus[]; to: HostStatus; epoch?: number; heartbeatAt?: string | null; actor: string; reason?: string },
  ): Promise<HostRecord | null> {
    return hosts.setHostStatus(this.#ctx, name, change);
  }
  deleteHost(name: string, actor: string): Promise<boolean> {
    return hosts.deleteHost(this.#ctx, name, actor);
  }
  markHostLost(name: string, guard: { epoch: number; heartbeatAt: string | null; actor: string; reason: string }): Promise<{ host: HostRecord; vms: string[] } | null> {
    return hosts.markHostLost(this.#ctx, name, guard);
  }
}
