/**
 * Host administration over the store, for `hvkube host` and the API: list, show, drain and
 * remove. Nothing here talks to a hypervisor: each host acts on its own when it sees its row.
 * @module
 */
import { HvkubeError } from '../domain/errors.js';
import { validateName } from '../domain/validation.js';
import type { VmState } from '../domain/vm-state.js';
import type { HostRecord, Store } from '../store/store.js';
import { isStale } from './lost-hosts.js';

export interface HostView extends HostRecord {
  /** The heartbeat is older than the lease (a detector will declare it lost soon, if not yet). */
  stale: boolean;
  vms: Partial<Record<VmState, number>>;
  totalVms: number;
}

export async function requireHost(store: Store, name: string): Promise<HostRecord> {
  validateName('host', name);
  const host = await store.getHost(name);
  if (!host) {
    throw new HvkubeError('HOST_NOT_FOUND', `host '${name}' is not registered`, { hint: 'list hosts with `hvkube host list`', details: { host: name } });
  }
  return host;
}

async function view(store: Store, host: HostRecord, nowMs: number): Promise<HostView> {
  const vms: Partial<Record<VmState, number>> = {};
  let totalVms = 0;
  for (const vm of await store.listVms({ host: host.name })) {
    vms[vm.state] = (vms[vm.state] ?? 0) + 1;
    totalVms++;
  }
  return { ...host, stale: isStale(host.heartbeatAt, host.leaseMs, nowMs), vms, totalVms };
}

export async function listHostViews(store: Store, nowMs = Date.now()): Promise<HostView[]> {
  return Promise.all((await store.listHosts()).map((h) => view(store, h, nowMs)));
}

export async function showHost(store: Store, name: string, nowMs = Date.now()): Promise<HostView> {
  return view(store, await requireHost(store, name), nowMs);
}

/** Stops new placements and claims on the host; its own process removes its idle VMs. */
export async function drainHost(store: Store, name: string, actor = 'user'): Promise<HostRecord> {
  const host = await requireHost(store, name);
  if (host.status === 'draining') return host;
  const drained = await store.setHostStatus(name, { from: ['up'], to: 'draining', actor });
  if (!drained) {
    throw new HvkubeError('VM_INVALID_STATE', `host ${name} is ${host.status}; only a host that is up can be drained`, {
      hint: host.status === 'lost' ? 'a lost host takes no work already; remove it with `hvkube host remove`' : 'retry',
      details: { host: name, status: host.status },
    });
  }
  return drained;
}

/** Undoes a drain: the host takes placements and claims again. A host that is up stays up. */
export async function undrainHost(store: Store, name: string, actor = 'user'): Promise<HostRecord> {
  const host = await requireHost(store, name);
  if (host.status === 'up') return host;
  const up = await store.setHostStatus(name, { from: ['draining'], to: 'up', actor, reason: 'undrain' });
  if (!up) {
    throw new HvkubeError('VM_INVALID_STATE', `host ${name} is ${host.status}; only a draining host can be undrained`, {
      hint: host.status === 'lost' ? 'a lost host comes back by itself when its `hvkube serve` runs again' : 'retry',
      details: { host: name, status: host.status },
    });
  }
  return up;
}

/**
 * Forgets a host and the rows of its VMs. Refuses a host that still heartbeats, or that still
 * has VMs counted in a pool, unless `force`: its hypervisor is not touched, so a host that comes
 * back later finds those VMs unknown to the store and removes them as orphans.
 */
export async function removeHost(store: Store, name: string, options: { force?: boolean; actor?: string } = {}): Promise<{ vmsForgotten: string[] }> {
  const host = await requireHost(store, name);
  const live = host.status !== 'lost' && !isStale(host.heartbeatAt, host.leaseMs, Date.now());
  const vms = await store.listVms({ host: name });
  const counted = vms.filter((v) => v.state !== 'unknown');
  if (!options.force && (live || counted.length > 0)) {
    throw new HvkubeError('VM_INVALID_STATE', live ? `host ${name} is ${host.status} and heartbeating` : `host ${name} still has ${counted.length} VM(s) in service`, {
      hint: live ? 'drain it and stop its `hvkube serve` first, or pass --force' : 'wait until they are removed or the host is lost, or pass --force',
      details: { host: name, status: host.status, vms: counted.map((v) => v.name) },
    });
  }
  const actor = options.actor ?? 'user';
  for (const vm of vms) await store.deleteVm(vm.name, { actor, action: 'host-removed' });
  await store.deleteHost(name, actor);
  return { vmsForgotten: vms.map((v) => v.name) };
}
