/**
 * The nouns of hvkube. Plain data: every layer passes these around, none of them does I/O.
 * Timestamps are ISO-8601 text written by the application (the same on SQLite and PostgreSQL).
 * @module
 */
import type { VmState } from './vm-state.js';
import type { AgentStatus } from './agent-state.js';

export type BackendName = 'hyperv' | 'qemu' | 'fake';

/** What happens to a VM when its holder gives it back. */
export type ReleasePolicy = 'save' | 'reset' | 'destroy';
export const RELEASE_POLICIES: readonly ReleasePolicy[] = ['save', 'reset', 'destroy'];

/**
 * How to tell that a guest is ready, tried in order after boot and after every resume.
 * - `heartbeat`: the hypervisor's own signal (Hyper-V heartbeat "OK", QEMU's ready port).
 * - `ip`: the guest reports an IPv4 address.
 * - `tcp`: a guest port accepts connections.
 * - `http`: a guest URL answers 200 (e.g. the in-guest automation agent's health route).
 */
export type ReadinessProbe =
  | { type: 'heartbeat' }
  | { type: 'ip' }
  | { type: 'tcp'; port: number }
  | { type: 'http'; port: number; path: string };

/** Kernel boot for templates that have no firmware-bootable disk (the QEMU demo guest). */
export interface DirectBoot {
  kernel: string;
  initrd: string | null;
  cmdline: string;
}

export interface Template {
  name: string;
  /** Absolute path of the golden image on the host (.vhdx/.vhd for Hyper-V, .qcow2/.img for QEMU). */
  diskPath: string;
  memoryMb: number;
  cpus: number;
  gpu: boolean;
  /** Software installed in the image, for people and for task matching. */
  software: string[];
  probes: ReadinessProbe[];
  /** Where guest credentials come from (e.g. `env:HVKUBE_GUEST_PASSWORD`); never the secret. */
  credentialsRef: string | null;
  /** The in-guest MCP automation server, if the image runs one. */
  mcp: { port: number; path: string } | null;
  /** The guest's RDP port. Default is 3389. */
  rdpPort: number;
  boot: DirectBoot | null;
  /**
   * How long a boot or resume of its VMs may take to become ready, in seconds; null leaves it to
   * the configuration and the accelerator (longer under software emulation).
   */
  readyTimeoutS: number | null;
  createdAt: string;
}

export interface Pool {
  name: string;
  template: string;
  /** VMs the pool should have in total. */
  desired: number;
  /** Of those, how many to keep ready to hand out (saved or hot). */
  warm: number;
  /** Of the warm ones, how many to keep paused in memory for a millisecond hand-out. */
  hot: number;
  maxPerHost: number | null;
  releasePolicy: ReleasePolicy;
  /** At most this many agents run at once in the pool; null for no limit. */
  maxRunning: number | null;
  createdAt: string;
}

/** A display size in pixels. */
export interface LeaseDisplay {
  width: number;
  height: number;
}

export interface Lease {
  id: string;
  holder: string;
  expiresAt: string | null;
  /**
   * The display size the lease's agent sees: screenshots under the lease are scaled to it and its
   * coordinates mapped back to the real screen. Null or absent: the real screen size.
   */
  display?: LeaseDisplay | null;
}

export interface Vm {
  name: string;
  pool: string;
  template: string;
  host: string;
  state: VmState;
  /** When the current state began (transient states: when the operation started). */
  stateSince: string;
  diskPath: string | null;
  savedStatePath: string | null;
  ip: string | null;
  rdpPort: number | null;
  mcpEndpoint: string | null;
  lease: Lease | null;
  /** Whether the "clean" checkpoint exists (taken after first boot). */
  hasClean: boolean;
  bootMs: number | null;
  lastResumeMs: number | null;
  lastSaveMs: number | null;
  lastError: string | null;
  createdAt: string;
}

export type TaskExecutor = 'steps' | 'mcp' | 'command' | 'external';

/** What an agent should do: a workflow with its input. */
export interface Task {
  workflow: string;
  input: Record<string, unknown>;
  needsGpu: boolean;
  timeoutS: number | null;
  retries: number;
}

export interface AgentTimings {
  queuedMs: number | null;
  resumeMs: number | null;
  runMs: number | null;
  releaseMs: number | null;
}

export interface AgentResult {
  success: boolean;
  output: unknown;
  error: string | null;
  screenshots: string[];
  durationMs: number;
  vm: string | null;
  timings: AgentTimings;
}

export interface Agent {
  id: string;
  pool: string;
  task: Task;
  priority: number;
  status: AgentStatus;
  vm: string | null;
  attempts: number;
  submittedAt: string;
  startedAt: string | null;
  endedAt: string | null;
  deadlineAt: string | null;
  result: AgentResult | null;
}

/** One row of the append-only audit log. */
export interface StateEvent {
  id: number;
  at: string;
  actor: string;
  kind: 'vm' | 'pool' | 'template' | 'agent' | 'host';
  subject: string;
  action: string;
  from: string | null;
  to: string | null;
  durationMs: number | null;
  details: Record<string, unknown> | null;
}

export type NewStateEvent = Omit<StateEvent, 'id' | 'at'> & { at?: string };
