/**
 * The pools fragment: sizes, counts by state, provisioning progress and pool actions.
 * @module
 */
import type { JSX } from 'hono/jsx/jsx-runtime';
import type { PoolStatus } from '../../orchestrator/orchestrator.js';

const IN_FLIGHT = [
  'provisioning',
  'booting',
  'saving',
  'resetting',
  'deleting',
  'pausing',
] as const;

function PoolRow({ s }: { s: PoolStatus }): JSX.Element {
  const p = s.pool;
  const c = s.counts;
  const inFlight = IN_FLIGHT.reduce((n, k) => n + (c[k] ?? 0), 0);
  const provisioning = (c.provisioning ?? 0) + (c.booting ?? 0);
  return (
    <tr data-pool={p.name}>
      <td>
        <strong>{p.name}</strong>
        <div class="muted small">template {p.template}</div>
        {s.resetMethod === 'cold-boot' ? (
          <div class="muted small" title="this backend cannot checkpoint GPU VMs: a reset is a fresh disk, a boot and a save">
            cold-boot resets
          </div>
        ) : null}
      </td>
      <td class="num">{p.desired}</td>
      <td class="num">
        {p.warm}
        {p.hot > 0 ? <span class="muted"> ({p.hot} hot)</span> : null}
      </td>
      <td class="num ok">{s.ready}</td>
      <td class="num">{c.running ?? 0}</td>
      <td class="num">{s.inUse}</td>
      <td class="num">{inFlight}</td>
      <td class={`num${(c.error ?? 0) > 0 ? ' bad' : ''}`}>{c.error ?? 0}</td>
      <td class="progress-cell">
        <progress
          value={Math.min(s.total - provisioning, p.desired)}
          max={Math.max(1, p.desired)}
        ></progress>
        <span class="small muted">
          {s.total - provisioning}/{p.desired} provisioned
        </span>
        <div class="small" data-progress-for={p.name}></div>
        {s.health.degraded ? <div class="small bad">degraded: {s.health.degraded}</div> : null}
        {s.health.lastError ? <div class="small bad">last error: {s.health.lastError}</div> : null}
      </td>
      <td>
        <div class="actions">
          <button type="button" data-action="acquire" data-pool={p.name} disabled={s.ready === 0}>
            acquire
          </button>
          <form class="scale" data-action="scale" data-pool={p.name}>
            <label>
              desired{' '}
              <input type="number" name="desired" min="0" max="1000" value={String(p.desired)} />
            </label>
            <label>
              warm <input type="number" name="warm" min="0" max="1000" value={String(p.warm)} />
            </label>
            <button type="submit">scale</button>
          </form>
        </div>
      </td>
    </tr>
  );
}

export function PoolsView({ pools }: { pools: PoolStatus[] }): JSX.Element {
  if (pools.length === 0)
    return (
      <p class="muted">
        No pools yet. Create one with <code>hvkube pool create</code>.
      </p>
    );
  return (
    <div class="scroll-x">
      <table class="grid">
        <thead>
          <tr>
            <th>pool</th>
            <th class="num">desired</th>
            <th class="num">warm</th>
            <th class="num">ready</th>
            <th class="num">running</th>
            <th class="num">in use</th>
            <th class="num">busy</th>
            <th class="num">error</th>
            <th>progress</th>
            <th>actions</th>
          </tr>
        </thead>
        <tbody>
          {pools.map((s) => (
            <PoolRow s={s} />
          ))}
        </tbody>
      </table>
    </div>
  );
}
