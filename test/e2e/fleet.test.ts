/**
 * Three hosts as separate `hvkube serve` processes on one PostgreSQL (fake backend): concurrent
 * acquires across hosts, a host killed with SIGKILL and replaced, its return and clean-up, and drain.
 *
 * CI machines are shared: the hosts' fleet lease is derived from how slow this machine is when
 * the file starts (`measurePaceMs`), and every wait lasts as long as the pool keeps changing
 * (`eventually` with progress), so a loaded machine makes the file slower, not red.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  api,
  API_TOKEN,
  CLUSTER_TOKEN,
  createFleetDb,
  eventually,
  fleetEnvFor,
  HostProcess,
  measurePaceMs,
  pgEnabled,
  poolCensus,
  seedPool,
  type AcquireAnswer,
  type FleetDb,
} from '../helpers/fleet.js';

const POOL = 'desk';
const DESIRED = 24;
/** How long a wait may go without the pool changing before it counts as stuck. */
const STALL_MS = 60_000;
/** Bounds for whole tests; the waits inside end on progress, long before these on a working fleet. */
const TEST_MS = 900_000;

describe.skipIf(!pgEnabled)('fleet: three hosts on one PostgreSQL', () => {
  let db: FleetDb;
  let hosts: HostProcess[] = [];
  const base = 18400 + Math.floor(Math.random() * 500) * 3;
  let leaseMs = 0;
  const census = (): ReturnType<typeof poolCensus> => poolCensus(db, POOL);

  beforeAll(async () => {
    const fleetEnv = fleetEnvFor(await measurePaceMs());
    leaseMs = Number(fleetEnv.HVKUBE_FLEET_LEASE_MS);
    db = await createFleetDb();
    hosts = [1, 2, 3].map((i) => new HostProcess({ name: `h${i}`, dir: db.dir, listen: `127.0.0.1:${base + i}`, databaseUrl: db.url, env: { HVKUBE_FLEET_MAX_VMS: '12', ...fleetEnv } }));
    await Promise.all(hosts.map((h) => h.start()));
    await seedPool(db, POOL, DESIRED);
    await eventually('the pool is provisioned across hosts', async () => (await census()).saved === DESIRED, STALL_MS, census);
  }, TEST_MS);

  afterAll(async () => {
    await Promise.all(hosts.map((h) => h.stop('SIGKILL')));
    await db?.drop();
  });

  it('registers every host and spreads the pool over them', async () => {
    const listed = await db.store.listHosts();
    expect(listed.map((h) => [h.name, h.status])).toEqual([
      ['h1', 'up'],
      ['h2', 'up'],
      ['h3', 'up'],
    ]);
    // Placement by free room: each host gets about a third (controllers tick at different
    // moments, so one may be a VM or two ahead), and never more than the pool needs in total.
    const spread = await census();
    expect(Object.keys(spread.byHost).sort()).toEqual(['h1', 'h2', 'h3']);
    for (const n of Object.values(spread.byHost)) expect(n).toBeGreaterThanOrEqual(5);
    expect(spread.live).toBe(DESIRED);
    // `vm list` through any host shows where each VM lives.
    const { runCli } = await import('../helpers/cli.js');
    const r = await runCli(['vm', 'list'], { env: { HVKUBE_API_TOKEN: API_TOKEN }, globalArgs: ['--server', hosts[1]?.url ?? ''] });
    expect(r.code, r.stderr).toBe(0);
    const lines = r.stdout.trim().split('\n');
    expect(lines[0]).toMatch(/^NAME\s+POOL\s+HOST\s+STATE/);
    for (const host of ['h1', 'h2', 'h3']) expect(lines.some((l) => l.split(/\s+/)[2] === host)).toBe(true);
  }, TEST_MS);

  it('300 concurrent acquires across hosts never hand a VM to two holders', async () => {
    // A burst without waiting: exactly the ready VMs are handed out, each once.
    const burst = await Promise.all(
      Array.from({ length: 300 }, (_, i) => api<AcquireAnswer>(hosts[i % 3]?.url ?? '', 'POST', '/acquire', { pool_name: POOL, wait: false, holder: `b${i}` })),
    );
    const won = burst.filter((r) => r.status === 200).map((r) => r.body.vm_name);
    const failures = new Map<string, number>();
    for (const r of burst.filter((x) => x.status !== 200)) {
      const key = `${r.status} ${JSON.stringify(r.body).slice(0, 160)}`;
      failures.set(key, (failures.get(key) ?? 0) + 1);
    }
    expect(won, JSON.stringify([...failures])).toHaveLength(DESIRED);
    expect(new Set(won).size).toBe(DESIRED);
    expect(burst.filter((r) => r.status !== 200).every((r) => r.status === 503)).toBe(true);
    await Promise.all(burst.filter((r) => r.status === 200).map((r, i) => api(hosts[i % 3]?.url ?? '', 'POST', `/vms/${r.body.vm_name}/release?wait=true`, { lease_id: r.body.lease_id })));
    await eventually('all VMs saved again', async () => (await census()).saved === DESIRED, STALL_MS, census);

    // Then 300 acquires that wait, hold briefly and give back: VMs go round, holders never overlap.
    const held = new Map<string, { from: number; to: number }[]>();
    const cycle = async (i: number): Promise<void> => {
      const host = hosts[i % 3]?.url ?? '';
      // A bound, not a budget: the VMs go round for as long as the 300 cycles take on this machine.
      const r = await api<AcquireAnswer>(host, 'POST', '/acquire', { pool_name: POOL, timeout_s: 900, holder: `w${i}` });
      expect(r.status).toBe(200);
      const from = performance.now();
      await new Promise((res) => setTimeout(res, 5));
      const to = performance.now();
      const list = held.get(r.body.vm_name) ?? [];
      list.push({ from, to });
      held.set(r.body.vm_name, list);
      const rel = await api(hosts[(i + 1) % 3]?.url ?? '', 'POST', `/vms/${r.body.vm_name}/release`, { lease_id: r.body.lease_id });
      expect(rel.status).toBe(200);
    };
    await Promise.all(Array.from({ length: 300 }, (_, i) => cycle(i)));
    let handed = 0;
    for (const [vm, spans] of held) {
      spans.sort((a, b) => a.from - b.from);
      for (let i = 1; i < spans.length; i++) expect((spans[i]?.from ?? 0) >= (spans[i - 1]?.to ?? 0), `${vm} held twice at once`).toBe(true);
      handed += spans.length;
    }
    expect(handed).toBe(300);
    // Every claim and its resume are in the audit log once: no lease was handed out twice.
    const claims = (await db.store.listEvents({ kind: 'vm', limit: 100_000 })).filter((e) => e.action === 'claim');
    const leaseIds = claims.map((e) => String(e.details?.leaseId));
    expect(new Set(leaseIds).size).toBe(leaseIds.length);
    await eventually('all VMs saved again', async () => (await census()).saved === DESIRED, STALL_MS, census);
  }, TEST_MS);

  it('forwards screenshots, input and release to the owner of a VM', async () => {
    const [h1, h2, h3] = hosts.map((h) => h.url);
    const r = await api<AcquireAnswer>(h2 ?? '', 'POST', '/acquire', { pool_name: POOL, wait: false });
    expect(r.status).toBe(200);
    const name = r.body.vm_name;
    expect((await db.store.getVm(name))?.host).toBe('h2');
    const shot = await fetch(`${h1}/api/v1/vms/${name}/screenshot`, { headers: { authorization: `Bearer ${API_TOKEN}` } });
    expect(shot.status).toBe(200);
    expect(shot.headers.get('content-type')).toContain('image/png');
    expect((await api(h1 ?? '', 'POST', `/vms/${name}/type`, { text: 'hello' })).status).toBe(200);
    expect((await api(h3 ?? '', 'POST', `/vms/${name}/release?wait=true`, { lease_id: r.body.lease_id })).status).toBe(200);
    await eventually('saved again', async () => (await db.store.getVm(name))?.state === 'saved', STALL_MS, census);
    const stats = await fetch(`${h1}/api/v1/internal/fleet/stats`, { headers: { authorization: `Bearer ${CLUSTER_TOKEN}` } });
    const forwarding = ((await stats.json()) as { forwarding: Record<string, { count: number }> }).forwarding;
    expect(forwarding.screenshot?.count).toBe(1);
    expect(forwarding.input?.count).toBe(1);
    // The internal routes take the cluster token only.
    expect((await api(h1 ?? '', 'GET', '/internal/fleet/stats')).status).toBe(403);
    expect((await fetch(`${h1}/api/v1/internal/fleet/stats`)).status).toBe(401);
  }, TEST_MS);

  it('a host killed with SIGKILL is declared lost, its VMs are replaced on the others, and it cleans up when back', async () => {
    const h3 = hosts[2];
    if (!h3) throw new Error('no h3');
    const onH3 = (await db.store.listVms({ host: 'h3' })).map((v) => v.name).sort();
    expect(onH3.length).toBeGreaterThan(0);
    await h3.stop('SIGKILL');

    // Declared lost once its lease runs out: give the survivors a few leases to notice.
    await eventually('h3 is lost', async () => (await db.store.getHost('h3'))?.status === 'lost', 4 * leaseMs + STALL_MS);
    const unknown = (await db.store.listVms({ host: 'h3' })).filter((v) => v.state === 'unknown').map((v) => v.name).sort();
    expect(unknown).toEqual(onH3);

    await eventually('replacements on h1 and h2', async () => {
      const c = await census();
      return c.saved === DESIRED && c.live === DESIRED && (c.byHost.h3 ?? 0) === 0;
    }, STALL_MS, census);
    // Not double-counted: the pool's status leaves the unknown VMs out.
    const status = await api<{ total: number; counts: Record<string, number> }>(hosts[0]?.url ?? '', 'GET', `/pools/${POOL}`);
    expect(status.status).toBe(200);
    expect(status.body.counts.unknown).toBeUndefined();
    expect(status.body.counts.saved).toBe(DESIRED);

    // Back: before it takes work, it removes what was replaced — rows, hypervisor VMs and disks.
    await h3.start();
    expect(h3.log).toMatch(/removed \d+ VM\(s\) replaced/);
    expect((await db.store.listVms({ host: 'h3' })).filter((v) => v.state === 'unknown')).toEqual([]);
    for (const name of onH3) expect(h3.hypervisorVms()).not.toContain(name);
    const again = await db.store.getHost('h3');
    expect(again).toMatchObject({ status: 'up', epoch: 2 });
    const c = await poolCensus(db, POOL);
    expect(c.live).toBe(DESIRED);
    expect(c.unknown).toBe(0);
  }, TEST_MS);

  it('drain stops placements, removes idle VMs and lets the others replace them', async () => {
    const { runCli } = await import('../helpers/cli.js');
    const r = await runCli(['host', 'drain', 'h1'], { env: { HVKUBE_DATABASE_URL: db.url }, globalArgs: ['--data-dir', hosts[0]?.dataDir ?? '', '--backend', 'fake'] });
    expect(r.code, r.stderr).toBe(0);
    await eventually('h1 emptied and the pool whole on h2 and h3', async () => {
      const c = await census();
      return (c.byHost.h1 ?? 0) === 0 && c.saved === DESIRED;
    }, STALL_MS, census);
    expect(hosts[0]?.hypervisorVms()).toEqual([]);
    const list = await runCli(['--json', 'host', 'list'], { env: { HVKUBE_DATABASE_URL: db.url }, globalArgs: ['--data-dir', hosts[0]?.dataDir ?? ''] });
    const listed = JSON.parse(list.stdout) as { name: string; status: string }[];
    expect(listed.map((h) => [h.name, h.status])).toEqual([
      ['h1', 'draining'],
      ['h2', 'up'],
      ['h3', 'up'],
    ]);
    // Undrain: h1 is up again and takes new VMs and claims.
    const un = await runCli(['host', 'undrain', 'h1'], { env: { HVKUBE_DATABASE_URL: db.url }, globalArgs: ['--data-dir', hosts[0]?.dataDir ?? ''] });
    expect(un.code, un.stderr).toBe(0);
    expect(un.stdout).toContain('host h1 is up');
    expect((await db.store.getHost('h1'))?.status).toBe('up');
  }, TEST_MS);
});
