/**
 * The state store port. SQLite (default, one file) and PostgreSQL (several hosts) implement it
 * on one query layer. Every VM state change goes through `transitionVm`, a compare-and-set that
 * also appends to the events table in the same transaction.
 * @module
 */
import type {
  Agent,
  AgentResult,
  LeaseDisplay,
  NewStateEvent,
  Pool,
  PoolAutoscaleStatus,
  StateEvent,
  Template,
  Vm,
} from '../domain/types.js';
import type { VmState } from '../domain/vm-state.js';
import type { AgentStatus } from '../domain/agent-state.js';
import type { WebhookStore } from './webhooks.js';

export type StoreDialect = 'sqlite' | 'pg';

export interface VmFilter {
  pool?: string;
  states?: readonly VmState[];
  host?: string;
  leased?: boolean;
}

/** Fields of a VM that a transition may change along with its state. */
export type VmPatch = Partial<Omit<Vm, 'name' | 'pool' | 'template' | 'createdAt' | 'state' | 'stateSince'>>;

export interface VmTransition {
  /** The change only happens while the VM is in one of these states. */
  from: readonly VmState[];
  to: VmState;
  patch?: VmPatch;
  /** Who asked (user, controller, reconcile, agent id) and why, for the events table. */
  actor: string;
  action: string;
  details?: Record<string, unknown>;
  /** Only while the VM holds this lease (or none, when null). Omitted: any. */
  leaseId?: string | null;
}

export interface ClaimRequest {
  pool: string;
  /** Claimable states, tried in this order (hot before saved). */
  states: readonly VmState[];
  host?: string;
  /**
   * Several hosts: only VMs whose host is registered and `up` (not draining, not lost). Used
   * instead of `host` when a claim may take a VM of any live host.
   */
  liveHostsOnly?: boolean;
  /** Among equal candidates, take this host's VMs first (no hop to another host). */
  preferHost?: string;
  /**
   * Within a state, take these VMs first (the ones whose resume the backend has prepared), then
   * the usual order. Without it the claim order and the order the controller prepared in would
   * have to agree exactly (timestamps, collations), and a miss costs a full resume.
   */
  prefer?: readonly string[];
  holder: string;
  leaseId: string;
  leaseExpiresAt: string | null;
  /** The display size the lease's agent sees; absent or null: the real screen. */
  leaseDisplay?: LeaseDisplay | null;
  actor: string;
}

/** A claimed VM, with the state it was claimed from (hot `paused` or `saved`). */
export type ClaimedVm = Vm & { claimedFrom: VmState };

export interface AgentFilter {
  pool?: string;
  statuses?: readonly AgentStatus[];
  limit?: number;
}

export interface AgentPatch {
  status?: AgentStatus;
  vm?: string | null;
  attempts?: number;
  startedAt?: string | null;
  endedAt?: string | null;
  deadlineAt?: string | null;
  result?: AgentResult | null;
}

export interface EventQuery {
  afterId?: number;
  kind?: StateEvent['kind'];
  subject?: string;
  limit?: number;
}

/** A host's state in a fleet: taking work, finishing work but taking none, or silent too long. */
export type HostStatus = 'up' | 'draining' | 'lost';
export const HOST_STATUSES: readonly HostStatus[] = ['up', 'draining', 'lost'];

/** What a host offers new VMs. */
export interface HostCapacity {
  memoryMb: number;
  cpus: number;
  /** VMs it may hold at once; placement counts against it. */
  maxVms: number;
}

export interface HostRecord {
  name: string;
  backend: string;
  capacity: HostCapacity;
  /** Base URL of its API, where other hosts forward operations on its VMs. */
  address: string | null;
  heartbeatAt: string | null;
  status: HostStatus;
  /** The heartbeat is valid this long; after that the host may be declared lost. */
  leaseMs: number;
  /** Grows with every registration; a heartbeat is only renewed under the current epoch. */
  epoch: number;
  registeredAt: string | null;
}

export interface HostRegistration {
  name: string;
  backend: string;
  capacity: HostCapacity;
  address: string | null;
  leaseMs: number;
}

export interface Store {
  readonly dialect: StoreDialect;
  /** Lifecycle webhooks: subscriptions, outbox fan-out, delivery log (src/webhooks dispatches). */
  readonly webhooks: WebhookStore;
  /**
   * Whether `onVmReady` hears about VMs made ready by other processes (PostgreSQL LISTEN/NOTIFY).
   * False on SQLite, where waiters fall back to polling.
   */
  readonly crossProcessNotifications?: boolean;
  /**
   * Who this store writes as (`machine/pid/instance`): every VM state change records it, so
   * reconcile can tell another live process's work in flight from a crash leftover.
   */
  readonly operator: string;
  /**
   * Calls `listener(pool)` when a VM of `pool` becomes ready (saved or paused) in any process
   * sharing the database. Answers the unsubscribe function.
   */
  onVmReady?(listener: (pool: string) => void): () => void;

  /** Applies numbered migrations not yet applied. Safe to call on every start. */
  migrate(): Promise<void>;
  close(): Promise<void>;

  createTemplate(template: Template): Promise<void>;
  getTemplate(name: string): Promise<Template | null>;
  listTemplates(): Promise<Template[]>;
  deleteTemplate(name: string): Promise<boolean>;

  createPool(pool: Pool): Promise<void>;
  getPool(name: string): Promise<Pool | null>;
  listPools(): Promise<Pool[]>;
  updatePool(name: string, patch: Partial<Omit<Pool, 'name' | 'template' | 'createdAt'>>): Promise<Pool | null>;
  deletePool(name: string): Promise<boolean>;
  /**
   * The autoscaler's resize: sets `desired` and `warm` only if `desired` is still `from`
   * (compare-and-set, so two controllers never apply the same step twice), and stores `status`
   * with it. Answers the pool, or null when it changed meanwhile or is gone.
   */
  resizePool(name: string, change: { from: number; desired: number; warm: number; status: PoolAutoscaleStatus }): Promise<Pool | null>;
  /** The autoscaler's memory of a pool (last decision, cold-start time); null when it has none. */
  getPoolAutoscaleStatus(name: string): Promise<PoolAutoscaleStatus | null>;
  setPoolAutoscaleStatus(name: string, status: PoolAutoscaleStatus | null): Promise<void>;

  insertVm(vm: Vm, event: { actor: string; action: string }): Promise<void>;
  getVm(name: string): Promise<Vm | null>;
  listVms(filter?: VmFilter): Promise<Vm[]>;
  countVms(filter?: VmFilter): Promise<number>;
  /** Counts per state of one pool's VMs. */
  countVmsByState(pool: string): Promise<Partial<Record<VmState, number>>>;
  /**
   * Moves a VM to `to` only if it is in one of `from` (and holds `leaseId` when given), records
   * the event with the time spent in the previous state, and answers the updated VM — or null when
   * the VM was not in an allowed state (someone else moved it first).
   */
  transitionVm(name: string, change: VmTransition): Promise<Vm | null>;
  /** Updates fields without changing state (e.g. IP refreshed). */
  patchVm(name: string, patch: VmPatch): Promise<Vm | null>;
  /**
   * Compare-and-set on a lease: sets its expiry only while the VM still holds `leaseId` in one
   * of `states`, in one statement, so a release committing meanwhile is never undone. Answers
   * the VM, or null when the lease is gone (released, expired, re-acquired) or the VM is.
   */
  renewLease(name: string, renewal: { leaseId: string; states: readonly VmState[]; expiresAt: string | null }): Promise<Vm | null>;
  /** The operator of every VM of `host`: the process that last changed its state. */
  vmOperators(host: string): Promise<Map<string, string | null>>;
  deleteVm(name: string, event: { actor: string; action: string }): Promise<boolean>;
  /**
   * Atomically takes one unleased VM of the pool in the first of `states` that has one, sets its
   * state to `resuming` and its lease. Never hands one VM to two callers.
   */
  claimVm(request: ClaimRequest): Promise<ClaimedVm | null>;

  insertAgent(agent: Agent): Promise<void>;
  getAgent(id: string): Promise<Agent | null>;
  listAgents(filter?: AgentFilter): Promise<Agent[]>;
  /** Compare-and-set on the agent's status, like `transitionVm`. */
  updateAgent(id: string, from: readonly AgentStatus[], patch: AgentPatch, actor: string): Promise<Agent | null>;

  appendEvent(event: NewStateEvent): Promise<StateEvent>;
  listEvents(query?: EventQuery): Promise<StateEvent[]>;

  /**
   * Registers a host, or registers it again: status `up`, a fresh heartbeat and epoch + 1 — only
   * if its row still has `expectEpoch` (null: no row yet). Null when someone else got there first.
   */
  registerHost(host: HostRegistration, expectEpoch: number | null, actor: string): Promise<HostRecord | null>;
  getHost(name: string): Promise<HostRecord | null>;
  listHosts(): Promise<HostRecord[]>;
  /** Renews the heartbeat of a host that is up or draining under `epoch`; null once it is not. */
  renewHost(name: string, epoch: number): Promise<HostRecord | null>;
  /**
   * Compare-and-set on a host's status (and, when given, its epoch and last heartbeat, so a
   * host is never declared lost on a heartbeat it renewed meanwhile). Records an event.
   */
  setHostStatus(
    name: string,
    change: { from: readonly HostStatus[]; to: HostStatus; epoch?: number; heartbeatAt?: string | null; actor: string; reason?: string },
  ): Promise<HostRecord | null>;
  deleteHost(name: string, actor: string): Promise<boolean>;
  /**
   * Declares a host lost, in one transaction: its status (only while it still has `epoch` and
   * the heartbeat `heartbeatAt` that was seen to be stale), and every VM of it that is not being
   * deleted to `unknown`, leases cleared. Answers the VMs moved, or null when the host renewed
   * or was declared lost by someone else first.
   */
  markHostLost(name: string, guard: { epoch: number; heartbeatAt: string | null; actor: string; reason: string }): Promise<{ host: HostRecord; vms: string[] } | null>;
}
