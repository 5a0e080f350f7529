/**
 * Network faults: three hosts in their own network namespaces. One is cut off from the database
 * (and from everyone): it fences itself, the others declare it lost and replace its VMs. When the
 * cut heals it removes the replaced VMs before it takes work, so no VM ever has two owners.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { api, createFleetDb, eventually, HostProcess, pgEnabled, poolCensus, seedPool, withSchema, type AcquireAnswer, type FleetDb } from '../helpers/fleet.js';
import { NetnsLab, netnsUnavailable } from '../helpers/fleet-netns.js';

const POOL = 'desk';
const DESIRED = 9;
const why = netnsUnavailable();

describe.skipIf(!pgEnabled || why !== null)(`fleet under network faults (${why ?? 'ip netns'})`, () => {
  let db: FleetDb;
  const lab = new NetnsLab();
  let hosts: HostProcess[] = [];

  beforeAll(async () => {
    db = await createFleetDb();
    await lab.up(3);
    hosts = [1, 2, 3].map(
      (i) =>
        new HostProcess({
          name: `n${i}`,
          dir: db.dir,
          listen: `${lab.hostAddress(i)}:8080`,
          netns: lab.ns(i),
          databaseUrl: withSchema(`postgres://postgres@${lab.gateway}:${lab.relayPort(i)}/test`, db.schema),
          // A cut must be noticed well within the test's patience.
          env: { HVKUBE_FLEET_MAX_VMS: '6' },
        }),
    );
    await Promise.all(hosts.map((h) => h.start()));
    await seedPool(db, POOL, DESIRED);
    await eventually('the pool is provisioned', async () => (await poolCensus(db, POOL)).saved === DESIRED, 60_000);
  }, 120_000);

  afterAll(async () => {
    await Promise.all(hosts.map((h) => h.stop('SIGKILL')));
    await lab.destroy();
    await db?.drop();
  });

  it('a host cut off from the database is handled like a lost host, and healing gives no VM two owners', async () => {
    const n3 = hosts[2];
    if (!n3) throw new Error('no n3');
    // Someone holds a VM on n3 when the cut happens.
    const held = await api<AcquireAnswer>(n3.url, 'POST', '/acquire', { pool_name: POOL, wait: false });
    expect(held.status).toBe(200);
    const before = (await db.store.listVms({ host: 'n3' })).map((v) => v.name).sort();

    lab.cut(3);
    await n3.waitForLog(/fenced/, 15_000);
    await eventually('n3 is lost', async () => (await db.store.getHost('n3'))?.status === 'lost', 15_000);
    expect((await db.store.listVms({ host: 'n3' })).every((v) => v.state === 'unknown' || v.state === 'deleting')).toBe(true);
    await eventually('replacements on n1 and n2', async () => {
      const c = await poolCensus(db, POOL);
      return c.saved === DESIRED && (c.byHost.n3 ?? 0) === 0;
    }, 60_000);
    // Its VMs are still on its hypervisor: nothing could reach it.
    expect(n3.hypervisorVms()).toEqual(before);

    lab.heal(3);
    await n3.waitForLog(/removed VMs replaced while this host was lost/, 45_000);
    await eventually('n3 is up again under a new epoch', async () => {
      const h = await db.store.getHost('n3');
      return h?.status === 'up' && h.epoch === 2;
    }, 30_000).catch((e: unknown) => {
      throw new Error(`${String(e)}\n${n3.log}`);
    });

    // One owner per VM: every VM a hypervisor holds is a row of that host, and no VM is on two.
    const seen = new Map<string, string>();
    for (const h of hosts) {
      const rows = new Set((await db.store.listVms({ host: h.name })).map((v) => v.name));
      for (const vm of h.hypervisorVms()) {
        expect(rows.has(vm), `${vm} on ${h.name}'s hypervisor without a row of ${h.name}`).toBe(true);
        expect(seen.get(vm), `${vm} on two hypervisors`).toBeUndefined();
        seen.set(vm, h.name);
      }
    }
    for (const name of before) expect(n3.hypervisorVms()).not.toContain(name);
    const c = await poolCensus(db, POOL);
    expect(c.unknown).toBe(0);
    expect(c.live).toBe(DESIRED);
    // The lease of the VM lost with n3 is gone; its holder gets a clear answer.
    const rel = await api<{ error: { code: string } }>(hosts[0]?.url ?? '', 'POST', `/vms/${held.body.vm_name}/release`, { lease_id: held.body.lease_id });
    expect(rel.status).toBe(404);
  });
});
