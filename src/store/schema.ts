/**
 * Table types for Kysely. Columns are snake_case and use only types both dialects share:
 * text ids and ISO-8601 timestamps, integer 0/1 booleans, JSON as text. `rows.ts` maps them to
 * the domain types in one place.
 * @module
 */
import type { Generated } from 'kysely';

export interface TemplatesTable {
  name: string;
  disk_path: string;
  memory_mb: number;
  cpus: number;
  gpu: number;
  /** JSON: string[] */
  software: string;
  /** JSON: ReadinessProbe[] */
  probes: string;
  credentials_ref: string | null;
  /** JSON: { port, path } | null */
  mcp: string | null;
  rdp_port: number;
  /** JSON: DirectBoot | null */
  boot: string | null;
  ready_timeout_s: number | null;
  /** JSON GuestMachine; null: the Linux machine */
  guest: string | null;
  created_at: string;
}

export interface PoolsTable {
  name: string;
  template: string;
  desired: number;
  warm: number;
  hot: number;
  max_per_host: number | null;
  release_policy: string;
  max_running: number | null;
  created_at: string;
  /** Added by migration 007: idle and lifetime policies (null: off). */
  idle_timeout_s: number | null;
  idle_action: Generated<string>;
  max_lease_s: number | null;
  max_vm_age_s: number | null;
  /** Added by migration 008. JSON: PoolAutoscale | null */
  autoscale: string | null;
  /** Added by migration 008. JSON: PoolAutoscaleStatus | null; never part of the pool's settings. */
  autoscale_status: string | null;
}

export interface VmsTable {
  name: string;
  pool: string;
  template: string;
  host: string;
  state: string;
  state_since: string;
  /**
   * The state and its start time before the last change. An UPDATE sees the old row on its
   * right-hand side, so one statement both moves the VM and keeps what the event needs (the real
   * previous state and how long it lasted) without a read before the write.
   */
  previous_state: string | null;
  previous_state_since: string | null;
  disk_path: string | null;
  saved_state_path: string | null;
  ip: string | null;
  rdp_port: number | null;
  mcp_endpoint: string | null;
  lease_id: string | null;
  lease_holder: string | null;
  lease_expires_at: string | null;
  /** The lease's display size as `WIDTHxHEIGHT`, or null for the real screen (migration 006). */
  lease_display: string | null;
  has_clean: number;
  boot_ms: number | null;
  last_resume_ms: number | null;
  last_save_ms: number | null;
  last_error: string | null;
  created_at: string;
  /** The process that last changed the state (`host/pid/instance`); see migration 003. */
  operator: string | null;
  /** Added by migration 007: when the lease began, last use through hvkube, saved by the idle policy with its lease kept. */
  lease_started_at: string | null;
  last_activity_at: string | null;
  parked_at: string | null;
}

export interface AgentsTable {
  id: string;
  pool: string;
  /** JSON: Task */
  task: string;
  priority: number;
  status: string;
  /** Kept for the event of a status change, like `vms.previous_state`. */
  previous_status: string | null;
  vm: string | null;
  attempts: number;
  submitted_at: string;
  started_at: string | null;
  ended_at: string | null;
  deadline_at: string | null;
  /** JSON: AgentResult | null */
  result: string | null;
}

export interface EventsTable {
  id: Generated<number>;
  at: string;
  actor: string;
  kind: string;
  subject: string;
  action: string;
  from_state: string | null;
  to_state: string | null;
  duration_ms: number | null;
  /** JSON object or null */
  details: string | null;
}

export interface HostsTable {
  name: string;
  backend: string;
  /** JSON: what the host offers (memory, cpus, gpus, max VMs) */
  capacity: string;
  address: string | null;
  heartbeat_at: string | null;
  status: string;
  /** Added by migration 002: the heartbeat is valid this long. */
  lease_ms: Generated<number>;
  /** Added by migration 002: grows with every registration (fencing token). */
  epoch: Generated<number>;
  registered_at: string | null;
}

export interface WebhooksTable {
  id: string;
  url: string;
  /** JSON list of event types; empty for all. */
  events: string;
  secret: string;
  created_at: string;
}

export interface WebhookOutboxTable {
  id: Generated<number>;
  event_id: number;
  type: string;
}

export interface WebhookDeliveriesTable {
  id: string;
  webhook_id: string;
  seq: number;
  event_id: number;
  type: string;
  payload: string;
  status: string;
  attempts: Generated<number>;
  next_attempt_at: string;
  last_status: number | null;
  last_error: string | null;
  created_at: string;
  delivered_at: string | null;
}

export interface MigrationsTable {
  name: string;
  applied_at: string;
}

export interface Database {
  templates: TemplatesTable;
  pools: PoolsTable;
  vms: VmsTable;
  agents: AgentsTable;
  events: EventsTable;
  hosts: HostsTable;
  webhooks: WebhooksTable;
  webhook_outbox: WebhookOutboxTable;
  webhook_deliveries: WebhookDeliveriesTable;
  hvkube_migrations: MigrationsTable;
}
