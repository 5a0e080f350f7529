/**
 * The hosts fragment: the hosts of a fleet sharing one PostgreSQL, with status, heartbeat age,
 * VMs and capacity. Empty on a single host (no host rows), and its panel then stays hidden.
 * @module
 */
import type { JSX } from 'hono/jsx/jsx-runtime';
import type { HostView } from '../../fleet/registry.js';
import { since } from '../format.js';

function memory(mb: number): string {
  return mb >= 1024 ? `${Math.round((mb / 1024) * 10) / 10} GB` : `${Math.round(mb)} MB`;
}

/** The status badge: up, up but silent past its lease, draining, or lost. */
function HostStatusBadge({ h }: { h: HostView }): JSX.Element {
  const silent = h.status === 'up' && h.stale;
  const cls =
    h.status === 'lost'
      ? 'state-error'
      : h.status === 'draining' || silent
        ? 'state-provisioning'
        : 'state-saved';
  return <span class={`state ${cls}`}>{silent ? 'up (silent)' : h.status}</span>;
}

function HostRow({ h, now }: { h: HostView; now: number }): JSX.Element {
  // VMs of a lost host wait to be removed; they count for nothing.
  const vms = h.totalVms - (h.vms.unknown ?? 0);
  return (
    <tr data-host={h.name}>
      <td>
        <strong>{h.name}</strong>
        {h.address ? <div class="muted small">{h.address}</div> : null}
      </td>
      <td>{h.backend}</td>
      <td>
        <HostStatusBadge h={h} />
      </td>
      <td class="num">{h.heartbeatAt ? `${since(h.heartbeatAt, now)} ago` : '–'}</td>
      <td class="num">{vms}</td>
      <td class="num">
        {h.capacity.maxVms}
        <div class="muted small">
          {h.capacity.cpus} CPUs, {memory(h.capacity.memoryMb)}
        </div>
      </td>
    </tr>
  );
}

/** Call only with hosts: the route answers an empty fragment when there are none. */
export function HostsView({
  hosts,
  now = Date.now(),
}: {
  hosts: HostView[];
  now?: number;
}): JSX.Element {
  const sorted = [...hosts].sort((a, b) => a.name.localeCompare(b.name));
  return (
    <div class="scroll-x">
      <table class="grid">
        <thead>
          <tr>
            <th>host</th>
            <th>backend</th>
            <th>status</th>
            <th class="num">heartbeat</th>
            <th class="num">VMs</th>
            <th class="num">capacity</th>
          </tr>
        </thead>
        <tbody>
          {sorted.map((h) => (
            <HostRow h={h} now={now} />
          ))}
        </tbody>
      </table>
    </div>
  );
}
