/**
 * What every part of the orchestrator shares: the two ports, time, logging, and the in-process
 * signal bus that wakes waiters, the controller and live event streams.
 * @module
 */
import { EventEmitter } from 'node:events';
import type { Hypervisor } from '../hypervisor/hypervisor.js';
import type { Store } from '../store/store.js';
import type { Clock } from '../_util/clock.js';
import type { Logger } from '../_util/logger.js';
import type { VmState } from '../domain/vm-state.js';

export interface ProgressEvent {
  pool: string;
  vm: string;
  step: 'disk' | 'create' | 'boot' | 'ready' | 'checkpoint' | 'save' | 'done' | 'failed';
  message?: string;
}

export interface VmChangeEvent {
  vm: string;
  pool: string;
  from: VmState | null;
  to: VmState | null;
}

export interface OrchestratorEventMap {
  'vm-change': [VmChangeEvent];
  progress: [ProgressEvent];
  /** Something was appended to the store's events table. */
  appended: [];
}

export interface OrchestratorSettings {
  /** Prefix of every VM name hvkube creates; reconcile treats others as foreign. Default `hvk-`. */
  vmPrefix: string;
  /** This host's name (VM ownership). */
  host: string;
  /** Provisioning operations at once. Default 2. */
  provisionConcurrency: number;
  /**
   * How long a boot or resume may take to become ready, unless the template says; null chooses
   * by the accelerator (see readiness.ts). Default null.
   */
  readyTimeoutMs: number | null;
  /** How many other VMs an acquire tries after a resume fails. Default 3. */
  acquireRetries: number;
  /** Fraction of free host memory a new boot or resume may use. Default 0.8. */
  capacityFraction: number;
  /** Name of the checkpoint taken after first boot. Default `clean`. */
  cleanCheckpoint: string;
  /**
   * A VM running with no lease (resumed by hand with `vm resume`) is saved back into the pool by
   * the controller after this long. Default 10 minutes.
   */
  unleasedGraceMs: number;
}

export const DEFAULT_SETTINGS: OrchestratorSettings = {
  vmPrefix: 'hvk-',
  host: 'local',
  provisionConcurrency: 2,
  readyTimeoutMs: null,
  acquireRetries: 3,
  capacityFraction: 0.8,
  cleanCheckpoint: 'clean',
  unleasedGraceMs: 600_000,
};

export interface OrchestratorContext {
  readonly store: Store;
  readonly hv: Hypervisor;
  readonly clock: Clock;
  readonly logger: Logger;
  readonly settings: OrchestratorSettings;
  readonly bus: EventEmitter<OrchestratorEventMap>;
}
