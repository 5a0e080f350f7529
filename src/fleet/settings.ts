/**
 * How a host takes part in a fleet: its heartbeat and lease, what it advertises, and the token
 * hosts use between themselves. Intervals are settings, so tests can run them short.
 * @module
 */
import { HvkubeError } from '../domain/errors.js';

export interface FleetSettings {
  /** Time between heartbeats. Default 2000 ms. */
  heartbeatMs: number;
  /**
   * A heartbeat is valid this long; a host silent for longer is declared lost by the others.
   * The host fences itself one heartbeat earlier. Default 10000 ms.
   */
  leaseMs: number;
  /** Shared by all hosts; required by the internal routes. Null refuses all forwarding. */
  clusterToken: string | null;
  /** Base URL other hosts use to reach this host's API. */
  address: string | null;
  /** VMs this host may hold at once (placement). Default: from its memory, 2 GiB a VM. */
  maxVms: number | null;
  /** A forwarded operation without an answer after this long fails. Default 30000 ms. */
  forwardTimeoutMs: number;
}

export const DEFAULT_FLEET_SETTINGS: FleetSettings = {
  heartbeatMs: 2000,
  leaseMs: 10_000,
  clusterToken: null,
  address: null,
  maxVms: null,
  forwardTimeoutMs: 30_000,
};

function positiveInt(env: NodeJS.ProcessEnv, name: string, min: number): number | undefined {
  const raw = env[name];
  if (raw === undefined || raw === '') return undefined;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < min) {
    throw new HvkubeError('INVALID_INPUT', `${name}=${JSON.stringify(raw)} is not an integer >= ${min}`, { hint: `unset it or give a number >= ${min}` });
  }
  return n;
}

/**
 * Reads HVKUBE_CLUSTER_TOKEN, HVKUBE_FLEET_HEARTBEAT_MS, HVKUBE_FLEET_LEASE_MS,
 * HVKUBE_FLEET_MAX_VMS and HVKUBE_FLEET_ADDRESS over the defaults.
 */
export function fleetSettingsFromEnv(env: NodeJS.ProcessEnv = process.env, over: Partial<FleetSettings> = {}): FleetSettings {
  const heartbeatMs = over.heartbeatMs ?? positiveInt(env, 'HVKUBE_FLEET_HEARTBEAT_MS', 50) ?? DEFAULT_FLEET_SETTINGS.heartbeatMs;
  const leaseMs = over.leaseMs ?? positiveInt(env, 'HVKUBE_FLEET_LEASE_MS', 200) ?? DEFAULT_FLEET_SETTINGS.leaseMs;
  if (leaseMs < 2 * heartbeatMs) {
    throw new HvkubeError('INVALID_INPUT', `the fleet lease (${leaseMs} ms) must be at least two heartbeats (${heartbeatMs} ms)`, {
      hint: 'raise HVKUBE_FLEET_LEASE_MS or lower HVKUBE_FLEET_HEARTBEAT_MS',
    });
  }
  const token = over.clusterToken ?? (env.HVKUBE_CLUSTER_TOKEN || null);
  if (token !== null && token.length < 16) {
    throw new HvkubeError('INVALID_INPUT', 'HVKUBE_CLUSTER_TOKEN must have at least 16 characters', { hint: 'e.g. openssl rand -hex 24' });
  }
  return {
    heartbeatMs,
    leaseMs,
    clusterToken: token,
    address: over.address ?? (env.HVKUBE_FLEET_ADDRESS || null),
    maxVms: over.maxVms ?? positiveInt(env, 'HVKUBE_FLEET_MAX_VMS', 0) ?? null,
    forwardTimeoutMs: over.forwardTimeoutMs ?? DEFAULT_FLEET_SETTINGS.forwardTimeoutMs,
  };
}

/** How long a host may go without renewing before it stops taking work: one heartbeat short of its lease. */
export function fenceAfterMs(s: Pick<FleetSettings, 'heartbeatMs' | 'leaseMs'>): number {
  return s.leaseMs - s.heartbeatMs;
}
