/**
 * `hvkube host list|show|drain|undrain|remove`: the hosts of a fleet sharing one PostgreSQL. Runs on the
 * store directly (no hypervisor is opened), or on a server with `--server`.
 * @module
 */
import { Command } from '@commander-js/extra-typings';
import { loadConfig } from '../../config/load.js';
import { HvkubeClient } from '../../client/client.js';
import { drainHost, listHostViews, removeHost, showHost, undrainHost, type HostView } from '../../fleet/registry.js';
import type { HostRecord } from '../../store/store.js';
import { openStore } from '../../store/index.js';
import { ago, json, paint, processOut, table, type Out } from '../output.js';
import { globals, serverUrl } from '../runtime-scope.js';

interface HostOps {
  list(): Promise<HostView[]>;
  show(name: string): Promise<HostView>;
  drain(name: string): Promise<HostRecord>;
  undrain(name: string): Promise<HostRecord>;
  remove(name: string, force: boolean): Promise<{ vmsForgotten: string[] }>;
}

type Cmd = { optsWithGlobals(): unknown };

/** The hosts of the fleet a server belongs to, through its API (`/api/v1/hosts`). */
function remoteOps(client: HvkubeClient): HostOps {
  return {
    list: () => client.listHosts(),
    show: (name) => client.getHost(name),
    drain: (name) => client.drainHost(name),
    undrain: (name) => client.undrainHost(name),
    remove: async (name, force) => ({ vmsForgotten: (await client.removeHost(name, { force })).vmsForgotten }),
  };
}

/** Runs `fn` with host operations on the local store, or on the server given by --server. */
async function withHosts<T>(command: Cmd, fn: (ops: HostOps, out: Out, asJson: boolean) => Promise<T>): Promise<T> {
  const g = globals(command);
  const out = processOut();
  const url = serverUrl(g);
  if (url !== undefined) return fn(remoteOps(new HvkubeClient({ url, token: g.token ?? (process.env.HVKUBE_API_TOKEN || undefined) })), out, g.json === true);
  const config = loadConfig({ dataDir: g.dataDir, backend: g.backend });
  const store = await openStore({ databaseUrl: config.databaseUrl ?? undefined, dataDir: config.dataDir });
  try {
    const ops: HostOps = {
      list: () => listHostViews(store),
      show: (name) => showHost(store, name),
      drain: (name) => drainHost(store, name),
      undrain: (name) => undrainHost(store, name),
      remove: (name, force) => removeHost(store, name, { force }),
    };
    return await fn(ops, out, g.json === true);
  } finally {
    await store.close();
  }
}

function status(out: Out, h: HostView): string {
  const colour = h.status === 'up' ? (h.stale ? 'yellow' : 'green') : h.status === 'draining' ? 'cyan' : 'red';
  return paint(out, colour, h.status === 'up' && h.stale ? 'up (silent)' : h.status);
}

export function hostCommand(): Command {
  const host = new Command('host').description('hosts of a fleet sharing one PostgreSQL (see docs/fleet.md)');
  host
    .command('list')
    .description('list hosts with their status, heartbeat and VMs')
    .action(async (_o, command) => {
      await withHosts(command, async (ops, out, asJson) => {
        const hosts = await ops.list();
        if (asJson) return json(out, hosts);
        if (hosts.length === 0) return out.write('no hosts registered (hosts join with `hvkube serve` on PostgreSQL)\n');
        out.write(
          table(
            ['NAME', 'STATUS', 'HEARTBEAT', 'VMS', 'MAX', 'BACKEND', 'ADDRESS'],
            hosts.map((h) => [h.name, status(out, h), h.heartbeatAt ? `${ago(h.heartbeatAt)} ago` : '-', String(h.totalVms - (h.vms.unknown ?? 0)), String(h.capacity.maxVms), h.backend, h.address ?? '-']),
          ),
        );
      });
    });
  host
    .command('show')
    .description('one host in detail')
    .argument('<name>')
    .action(async (name, _o, command) => {
      await withHosts(command, async (ops, out, asJson) => {
        const h = await ops.show(name);
        if (asJson) return json(out, h);
        const vms = Object.entries(h.vms).map(([s, n]) => `${n} ${s}`).join(', ') || 'none';
        out.write(
          `name: ${h.name}\nstatus: ${status(out, h)}\nbackend: ${h.backend}\naddress: ${h.address ?? '-'}\n` +
            `heartbeat: ${h.heartbeatAt ?? '-'} (lease ${h.leaseMs} ms, epoch ${h.epoch})\n` +
            `capacity: ${h.capacity.maxVms} VMs, ${h.capacity.memoryMb} MB, ${h.capacity.cpus} CPUs\nvms: ${vms}\n`,
        );
      });
    });
  host
    .command('drain')
    .description('stop placing VMs and claims on a host; its idle VMs are removed and replaced elsewhere, running work is left alone')
    .argument('<name>')
    .action(async (name, _o, command) => {
      await withHosts(command, async (ops, out, asJson) => {
        const h = await ops.drain(name);
        if (asJson) return json(out, h);
        out.write(`host ${h.name} is draining; it removes its idle VMs on its next heartbeat\n`);
      });
    });
  host
    .command('undrain')
    .description('undo a drain: the host takes new VMs and claims again')
    .argument('<name>')
    .action(async (name, _o, command) => {
      await withHosts(command, async (ops, out, asJson) => {
        const h = await ops.undrain(name);
        if (asJson) return json(out, h);
        out.write(`host ${h.name} is ${h.status}; it takes new VMs and claims again\n`);
      });
    });
  host
    .command('remove')
    .description('forget a host that is gone for good, with the rows of its VMs (its hypervisor is not touched)')
    .argument('<name>')
    .option('--force', 'even if it still heartbeats or has VMs in service')
    .action(async (name, o, command) => {
      await withHosts(command, async (ops, out, asJson) => {
        const r = await ops.remove(name, o.force === true);
        if (asJson) return json(out, { host: name, ...r });
        out.write(`host ${name} removed; ${r.vmsForgotten.length} VM row(s) forgotten\n`);
      });
    });
  return host;
}
