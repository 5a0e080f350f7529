/**
 * The one `Store` implementation, over a `Kysely<Database>` of either dialect. The query modules
 * it delegates to gate the few dialect-only clauses on `dialect`; nothing is written twice.
 * @module
 */
import type { Kysely } from 'kysely';
import type { Agent, NewStateEvent, Pool, StateEvent, Template, Vm } from '../domain/types.js';
import type { VmState } from '../domain/vm-state.js';
import type { AgentStatus } from '../domain/agent-state.js';
import type {
  AgentFilter,
  AgentPatch,
  ClaimRequest,
  EventQuery,
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
import * as catalog from './catalog.js';
import * as vms from './vms.js';
import * as agents from './agents.js';
import * as events from './events.js';

export interface KyselyStoreOptions {
  db: Kysely<Database>;
  dialect: StoreDialect;
  /** The clock for every timestamp the store writes. Default: the system clock. */
  now?: () => Date;
}

export class KyselyStore implements Store {
  readonly dialect: StoreDialect;
  readonly #ctx: StoreContext;
  #closed = false;

  constructor(options: KyselyStoreOptions) {
    this.dialect = options.dialect;
    this.#ctx = {
      db: options.db,
      dialect: options.dialect,
      now: options.now ?? (() => new Date()),
    };
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
    await this.#ctx.db.destroy();
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
  deleteVm(name: string, event: { actor: string; action: string }): Promise<boolean> {
    return vms.deleteVm(this.#ctx, name, event);
  }
  claimVm(request: ClaimRequest): Promise<Vm | null> {
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
}
