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

/** The guest operating system a template's image holds; the backend shapes the machine for it. */
export const GUEST_OSES = ['linux', 'windows'] as const;
export type GuestOs = (typeof GUEST_OSES)[number];

/**
 * `stock`: devices every Windows install has drivers for (AHCI disk, e1000e network);
 * `virtio`: paravirtual disk and network, for images that carry the virtio drivers.
 */
export const GUEST_DEVICE_SETS = ['stock', 'virtio'] as const;
export type GuestDevices = (typeof GUEST_DEVICE_SETS)[number];

/** The machine a template's guest expects (firmware, TPM, devices, screen). */
export interface GuestMachine {
  os: GuestOs;
  /** UEFI Secure Boot (Windows guests only; Linux guests boot without UEFI). */
  secureBoot: boolean;
  devices: GuestDevices;
  /** The resolution the display offers the guest first (EDID), or null for the display's default. */
  display: { width: number; height: number } | null;
}

/** What a template without a `guest` gets: the machine the Linux demo guest was built for. */
export const LINUX_GUEST: GuestMachine = { os: 'linux', secureBoot: false, devices: 'virtio', display: null };

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
  /** The guest the image holds and the machine built for it. */
  guest: GuestMachine;
  createdAt: string;
}

/**
 * What the lifetime policy does with a leased VM left idle: end the lease (the VM returns to the
 * pool by its release policy), or save the VM and keep the lease, resuming it on the holder's
 * next call through hvkube.
 */
export type IdleAction = 'release' | 'save-keep-lease';
export const IDLE_ACTIONS: readonly IdleAction[] = ['release', 'save-keep-lease'];

/** Idle and lifetime policies of a pool (docs/policies.md). Every limit is off when null. */
export interface PoolLifetime {
  /** A leased VM with no input or API call through hvkube for this long is acted on (`idleAction`). */
  idleTimeoutS: number | null;
  /** Default `release`. */
  idleAction: IdleAction;
  /** A lease lasts at most this long from its acquire; then the VM is released by the pool's release policy. */
  maxLeaseS: number | null;
  /** An unleased VM older than this since its clone is replaced by a fresh clone. */
  maxVmAgeS: number | null;
}

export const NO_LIFETIME_LIMITS: PoolLifetime = { idleTimeoutS: null, idleAction: 'release', maxLeaseS: null, maxVmAgeS: null };

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
  /** Idle and lifetime policies. */
  lifetime: PoolLifetime;
  /**
   * Autoscaling: the pool controller sets `desired` (and `warm`, all VMs kept ready) from the
   * demand it sees, within these bounds. Null: the size is what the user set.
   */
  autoscale: PoolAutoscale | null;
  createdAt: string;
}

/** How an autoscaled pool grows and shrinks (docs/autoscaling.md). */
export interface PoolAutoscale {
  /** Fewest VMs the pool keeps; 0 lets an idle pool scale to zero (the template stays). */
  min: number;
  /** Most VMs the pool may have. */
  max: number;
  /** Ready VMs (saved or paused, unleased) kept beyond the current demand. */
  target: number;
  /** A ready VM left unused this long may be removed (never below `min` or the demand). */
  scaleDownAfterMs: number;
}

/** What limited an autoscaling decision, when something did. */
export type ScaleLimit = 'min' | 'max' | 'capacity' | 'placement' | 'idle-period';

/** One decision of the autoscaler, kept as the pool's last and written as a `scaled` event. */
export interface ScaleDecision {
  at: string;
  from: number;
  to: number;
  /** In words: the demand seen and why the size is what it is. */
  reason: string;
  /** What the decision was based on. */
  signals: ScaleSignals;
  /** The bound that stopped the size from going where the demand wanted, or null. */
  limitedBy: ScaleLimit | null;
}

export interface ScaleSignals {
  /** VMs held under a lease. */
  inUse: number;
  /** Ready to hand out now. */
  ready: number;
  /** Being provisioned, reset or saved: ready soon. */
  coming: number;
  /** Acquires waiting for a VM of the pool in this process. */
  waiting: number;
  /** Agents queued for the pool that could start if a VM were free. */
  queued: number;
  /** Ready VMs unused for longer than the scale-down period. */
  idle: number;
}

/** The autoscaler's memory of a pool, kept in the store beside the pool. */
export interface PoolAutoscaleStatus {
  last: ScaleDecision | null;
  /**
   * How long a VM took from nothing to ready (clone, first boot, checkpoint, save), last
   * measured on this pool: what an acquire waits for beyond a resume when the pool is at zero.
   */
  coldStartMs: number | null;
  coldStartMeasuredAt: string | null;
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
  /** When the current lease began (its claim); null or absent without a lease. */
  leaseStartedAt?: string | null;
  /** Last input, screenshot or API call on the VM through hvkube while leased (written at most every few seconds). */
  lastActivityAt?: string | null;
  /** Set while the VM is saved by the idle policy with its lease kept; the next call resumes it. */
  parkedAt?: string | null;
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
