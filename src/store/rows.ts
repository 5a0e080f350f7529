/**
 * Rows <-> domain objects, in one place: 0/1 <-> boolean, JSON text <-> values, the lease's three
 * columns <-> `Lease | null`. Nothing else in the store knows how a field is stored.
 * @module
 */
import type { Insertable, Selectable, Updateable } from 'kysely';
import type {
  Agent,
  AgentResult,
  DirectBoot,
  GuestMachine,
  IdleAction,
  LeaseDisplay,
  Pool,
  PoolAutoscale,
  ReadinessProbe,
  ReleasePolicy,
  StateEvent,
  Task,
  Template,
  Vm,
} from '../domain/types.js';
import { LINUX_GUEST } from '../domain/types.js';
import type { VmState } from '../domain/vm-state.js';
import type { AgentStatus } from '../domain/agent-state.js';
import type { AgentsTable, EventsTable, PoolsTable, TemplatesTable, VmsTable } from './schema.js';
import type { AgentPatch, VmPatch } from './store.js';

type Row<T> = Selectable<T>;

function parseJson<T>(text: string): T {
  return JSON.parse(text) as T;
}

function parseJsonOrNull<T>(text: string | null): T | null {
  return text === null ? null : parseJson<T>(text);
}

function jsonOrNull(value: unknown): string | null {
  return value === null || value === undefined ? null : JSON.stringify(value);
}

/** Drops keys whose value is undefined, so a patch only sets what it names. */
function defined<T extends object>(obj: T): T {
  return Object.fromEntries(Object.entries(obj).filter(([, v]) => v !== undefined)) as T;
}

export function templateToRow(t: Template): Insertable<TemplatesTable> {
  return {
    name: t.name,
    disk_path: t.diskPath,
    memory_mb: t.memoryMb,
    cpus: t.cpus,
    gpu: t.gpu ? 1 : 0,
    software: JSON.stringify(t.software),
    probes: JSON.stringify(t.probes),
    credentials_ref: t.credentialsRef,
    mcp: jsonOrNull(t.mcp),
    rdp_port: t.rdpPort,
    boot: jsonOrNull(t.boot),
    ready_timeout_s: t.readyTimeoutS,
    guest: t.guest.os === 'linux' && t.guest.display === null ? null : JSON.stringify(t.guest),
    created_at: t.createdAt,
  };
}

export function rowToTemplate(r: Row<TemplatesTable>): Template {
  return {
    name: r.name,
    diskPath: r.disk_path,
    memoryMb: r.memory_mb,
    cpus: r.cpus,
    gpu: r.gpu !== 0,
    software: parseJson<string[]>(r.software),
    probes: parseJson<ReadinessProbe[]>(r.probes),
    credentialsRef: r.credentials_ref,
    mcp: parseJsonOrNull<{ port: number; path: string }>(r.mcp),
    rdpPort: r.rdp_port,
    boot: parseJsonOrNull<DirectBoot>(r.boot),
    readyTimeoutS: r.ready_timeout_s,
    guest: parseJsonOrNull<GuestMachine>(r.guest) ?? { ...LINUX_GUEST },
    createdAt: r.created_at,
  };
}

export function poolToRow(p: Pool): Insertable<PoolsTable> {
  return {
    name: p.name,
    template: p.template,
    desired: p.desired,
    warm: p.warm,
    hot: p.hot,
    max_per_host: p.maxPerHost,
    release_policy: p.releasePolicy,
    max_running: p.maxRunning,
    autoscale: jsonOrNull(p.autoscale),
    created_at: p.createdAt,
    idle_timeout_s: p.lifetime.idleTimeoutS,
    idle_action: p.lifetime.idleAction,
    max_lease_s: p.lifetime.maxLeaseS,
    max_vm_age_s: p.lifetime.maxVmAgeS,
  };
}

export type PoolPatch = Partial<Omit<Pool, 'name' | 'template' | 'createdAt'>>;

export function poolPatchToRow(p: PoolPatch): Updateable<PoolsTable> {
  return defined({
    desired: p.desired,
    warm: p.warm,
    hot: p.hot,
    max_per_host: p.maxPerHost,
    release_policy: p.releasePolicy,
    max_running: p.maxRunning,
    ...(p.lifetime === undefined
      ? {}
      : {
          idle_timeout_s: p.lifetime.idleTimeoutS,
          idle_action: p.lifetime.idleAction,
          max_lease_s: p.lifetime.maxLeaseS,
          max_vm_age_s: p.lifetime.maxVmAgeS,
        }),
    autoscale: p.autoscale === undefined ? undefined : jsonOrNull(p.autoscale),
  });
}

export function rowToPool(r: Row<PoolsTable>): Pool {
  return {
    name: r.name,
    template: r.template,
    desired: r.desired,
    warm: r.warm,
    hot: r.hot,
    maxPerHost: r.max_per_host,
    releasePolicy: r.release_policy as ReleasePolicy,
    maxRunning: r.max_running,
    lifetime: {
      idleTimeoutS: r.idle_timeout_s,
      idleAction: r.idle_action as IdleAction,
      maxLeaseS: r.max_lease_s,
      maxVmAgeS: r.max_vm_age_s,
    },
    autoscale: parseJsonOrNull<PoolAutoscale>(r.autoscale),
    createdAt: r.created_at,
  };
}

export function vmToRow(vm: Vm): Insertable<VmsTable> {
  return {
    name: vm.name,
    pool: vm.pool,
    template: vm.template,
    host: vm.host,
    state: vm.state,
    state_since: vm.stateSince,
    previous_state: null,
    previous_state_since: null,
    disk_path: vm.diskPath,
    saved_state_path: vm.savedStatePath,
    ip: vm.ip,
    rdp_port: vm.rdpPort,
    mcp_endpoint: vm.mcpEndpoint,
    lease_id: vm.lease?.id ?? null,
    lease_holder: vm.lease?.holder ?? null,
    lease_expires_at: vm.lease?.expiresAt ?? null,
    lease_display: displayToColumn(vm.lease?.display),
    has_clean: vm.hasClean ? 1 : 0,
    boot_ms: vm.bootMs,
    last_resume_ms: vm.lastResumeMs,
    last_save_ms: vm.lastSaveMs,
    last_error: vm.lastError,
    created_at: vm.createdAt,
    lease_started_at: vm.lease ? (vm.leaseStartedAt ?? null) : null,
    last_activity_at: vm.lastActivityAt ?? null,
    parked_at: vm.lease ? (vm.parkedAt ?? null) : null,
  };
}

/** A lease display as its column holds it (`1024x768`), or null. */
export function displayToColumn(display: LeaseDisplay | null | undefined): string | null {
  return display ? `${display.width}x${display.height}` : null;
}

/** A lease reads back as written: without `display` unless one was declared. */
function leaseDisplayOf(column: string | null): { display?: LeaseDisplay } {
  const display = columnToDisplay(column);
  return display ? { display } : {};
}

export function columnToDisplay(column: string | null): LeaseDisplay | null {
  const m = column === null ? null : /^(\d{1,5})x(\d{1,5})$/.exec(column);
  return m ? { width: Number(m[1]), height: Number(m[2]) } : null;
}

export function vmPatchToRow(p: VmPatch): Updateable<VmsTable> {
  return defined({
    host: p.host,
    disk_path: p.diskPath,
    saved_state_path: p.savedStatePath,
    ip: p.ip,
    rdp_port: p.rdpPort,
    mcp_endpoint: p.mcpEndpoint,
    lease_started_at: p.leaseStartedAt,
    last_activity_at: p.lastActivityAt,
    parked_at: p.parkedAt,
    // `lease` is all or nothing: null clears the three columns, a lease sets them. What the
    // idle policy keeps about a lease (its start, a park) ends with it.
    ...(p.lease === undefined
      ? {}
      : {
          lease_id: p.lease?.id ?? null,
          lease_holder: p.lease?.holder ?? null,
          lease_expires_at: p.lease?.expiresAt ?? null,
          ...(p.lease === null ? { lease_started_at: null, parked_at: null } : {}),
          lease_display: displayToColumn(p.lease?.display),
        }),

    has_clean: p.hasClean === undefined ? undefined : p.hasClean ? 1 : 0,
    boot_ms: p.bootMs,
    last_resume_ms: p.lastResumeMs,
    last_save_ms: p.lastSaveMs,
    last_error: p.lastError,
  });
}

export function rowToVm(r: Row<VmsTable>): Vm {
  return {
    name: r.name,
    pool: r.pool,
    template: r.template,
    host: r.host,
    state: r.state as VmState,
    stateSince: r.state_since,
    diskPath: r.disk_path,
    savedStatePath: r.saved_state_path,
    ip: r.ip,
    rdpPort: r.rdp_port,
    mcpEndpoint: r.mcp_endpoint,
    lease:
      r.lease_id === null
        ? null
        : { id: r.lease_id, holder: r.lease_holder ?? '', expiresAt: r.lease_expires_at, ...leaseDisplayOf(r.lease_display) },
    hasClean: r.has_clean !== 0,
    bootMs: r.boot_ms,
    lastResumeMs: r.last_resume_ms,
    lastSaveMs: r.last_save_ms,
    lastError: r.last_error,
    createdAt: r.created_at,
    // Only when set: a VM written without them reads back equal.
    ...(r.lease_started_at === null ? {} : { leaseStartedAt: r.lease_started_at }),
    ...(r.last_activity_at === null ? {} : { lastActivityAt: r.last_activity_at }),
    ...(r.parked_at === null ? {} : { parkedAt: r.parked_at }),
  };
}

export function agentToRow(a: Agent): Insertable<AgentsTable> {
  return {
    id: a.id,
    pool: a.pool,
    task: JSON.stringify(a.task),
    priority: a.priority,
    status: a.status,
    vm: a.vm,
    attempts: a.attempts,
    submitted_at: a.submittedAt,
    started_at: a.startedAt,
    ended_at: a.endedAt,
    deadline_at: a.deadlineAt,
    result: jsonOrNull(a.result),
  };
}

export function agentPatchToRow(p: AgentPatch): Updateable<AgentsTable> {
  return defined({
    status: p.status,
    vm: p.vm,
    attempts: p.attempts,
    started_at: p.startedAt,
    ended_at: p.endedAt,
    deadline_at: p.deadlineAt,
    result: p.result === undefined ? undefined : jsonOrNull(p.result),
  });
}

export function rowToAgent(r: Row<AgentsTable>): Agent {
  return {
    id: r.id,
    pool: r.pool,
    task: parseJson<Task>(r.task),
    priority: r.priority,
    status: r.status as AgentStatus,
    vm: r.vm,
    attempts: r.attempts,
    submittedAt: r.submitted_at,
    startedAt: r.started_at,
    endedAt: r.ended_at,
    deadlineAt: r.deadline_at,
    result: parseJsonOrNull<AgentResult>(r.result),
  };
}

export function rowToEvent(r: Row<EventsTable>): StateEvent {
  return {
    id: Number(r.id),
    at: r.at,
    actor: r.actor,
    kind: r.kind as StateEvent['kind'],
    subject: r.subject,
    action: r.action,
    from: r.from_state,
    to: r.to_state,
    durationMs: r.duration_ms,
    details: parseJsonOrNull<Record<string, unknown>>(r.details),
  };
}
