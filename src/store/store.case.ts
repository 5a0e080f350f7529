/**
 * The behaviour every Store must have, run against each dialect by its own test file.
 * `create` answers a migrated, empty store on the given clock; `reopen`, when given, a second
 * store over the same data (a restart, or the CLI next to the server).
 * @module
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Store } from './store.js';
import { ManualClock, makeAgent, makePool, makeTemplate, makeVm } from './store-fixtures.case.js';

export interface StoreFactories {
  reopen?: (clock: ManualClock) => Promise<Store>;
}

export function runStoreContract(
  name: string,
  create: (clock: ManualClock) => Promise<Store>,
  factories: StoreFactories = {},
): void {
  describe(`Store contract: ${name}`, () => {
    let clock: ManualClock;
    let store: Store;
    const opened: Store[] = [];

    beforeEach(async () => {
      clock = new ManualClock();
      store = await create(clock);
      opened.push(store);
    });
    afterEach(async () => {
      await Promise.all(opened.splice(0).map((s) => s.close()));
    });

    async function seedPool(pool = 'desk'): Promise<void> {
      if (!(await store.getTemplate('win11'))) await store.createTemplate(makeTemplate());
      await store.createPool(makePool(pool));
    }
    const ev = { actor: 'test', action: 'create' };

    describe('templates and pools', () => {
      it('round-trips a template with every field', async () => {
        const t = makeTemplate('win11', {
          boot: { kernel: '/k', initrd: null, cmdline: 'quiet' },
          mcp: null,
          gpu: false,
        });
        await store.createTemplate(t);
        await store.createTemplate(makeTemplate('alpine'));
        expect(await store.getTemplate('win11')).toEqual(t);
        expect((await store.listTemplates()).map((x) => x.name)).toEqual(['alpine', 'win11']);
        expect(await store.getTemplate('nope')).toBeNull();
      });

      it('refuses duplicates with typed errors', async () => {
        await seedPool();
        await expect(store.createTemplate(makeTemplate())).rejects.toMatchObject({
          code: 'TEMPLATE_EXISTS',
        });
        await expect(store.createPool(makePool())).rejects.toMatchObject({ code: 'POOL_EXISTS' });
        await expect(store.createPool(makePool('p2', 'missing'))).rejects.toMatchObject({
          code: 'TEMPLATE_NOT_FOUND',
        });
      });

      it('updates a pool and answers null for an unknown one', async () => {
        await seedPool();
        const p = await store.updatePool('desk', {
          desired: 10,
          hot: 0,
          maxRunning: null,
          releasePolicy: 'reset',
        });
        expect(p).toMatchObject({
          desired: 10,
          hot: 0,
          warm: 2,
          maxRunning: null,
          releasePolicy: 'reset',
        });
        expect(await store.getPool('desk')).toEqual(p);
        expect(await store.updatePool('nope', { desired: 1 })).toBeNull();
        expect(await store.updatePool('desk', {})).toEqual(p);
      });

      it('keeps autoscale bounds with the pool and resizes only from the size it was read at', async () => {
        const autoscale = { min: 0, max: 8, target: 2, scaleDownAfterMs: 60_000 };
        await store.createTemplate(makeTemplate('win11'));
        await store.createPool(makePool('desk', 'win11', { autoscale }));
        expect((await store.getPool('desk'))?.autoscale).toEqual(autoscale);
        expect(await store.getPoolAutoscaleStatus('desk')).toBeNull();
        const status = {
          last: { at: '2026-01-01T00:00:00.000Z', from: 4, to: 6, reason: 'grow', limitedBy: null, signals: { inUse: 4, ready: 0, coming: 0, waiting: 2, queued: 0, idle: 0 } },
          coldStartMs: 1200,
          coldStartMeasuredAt: '2026-01-01T00:00:00.000Z',
        };
        const resized = await store.resizePool('desk', { from: 4, desired: 6, warm: 6, status });
        expect(resized).toMatchObject({ desired: 6, warm: 6, hot: 1, autoscale });
        // A second controller that read the old size loses the race and changes nothing.
        expect(await store.resizePool('desk', { from: 4, desired: 9, warm: 9, status })).toBeNull();
        expect((await store.getPool('desk'))?.desired).toBe(6);
        expect(await store.getPoolAutoscaleStatus('desk')).toEqual(status);
        // The status is not a setting: it never shows in the pool itself.
        expect(Object.keys((await store.getPool('desk')) ?? {})).not.toContain('autoscaleStatus');
        await store.updatePool('desk', { autoscale: null });
        expect((await store.getPool('desk'))?.autoscale).toBeNull();
        await store.setPoolAutoscaleStatus('desk', null);
        expect(await store.getPoolAutoscaleStatus('desk')).toBeNull();
      });

      it('refuses to delete a template in use, and a pool that still has VMs', async () => {
        await seedPool();
        await expect(store.deleteTemplate('win11')).rejects.toMatchObject({
          code: 'TEMPLATE_IN_USE',
          details: { pools: ['desk'] },
        });
        await store.insertVm(makeVm('vm1'), ev);
        await expect(store.deletePool('desk')).rejects.toMatchObject({
          code: 'VM_INVALID_STATE',
          details: { vms: 1 },
        });
        expect(await store.deleteVm('vm1', { actor: 'test', action: 'delete' })).toBe(true);
        expect(await store.deletePool('desk')).toBe(true);
        expect(await store.deletePool('desk')).toBe(false);
        expect(await store.deleteTemplate('win11')).toBe(true);
        expect(await store.deleteTemplate('win11')).toBe(false);
      });

      it('deletes a pool with finished agents but not with unfinished ones', async () => {
        await seedPool();
        await store.insertAgent(makeAgent('a1', 'desk', { status: 'completed' }));
        await store.insertAgent(makeAgent('a2', 'desk'));
        await expect(store.deletePool('desk')).rejects.toMatchObject({
          code: 'AGENT_INVALID_STATE',
        });
        await store.updateAgent('a2', ['pending'], { status: 'cancelled' }, 'test');
        expect(await store.deletePool('desk')).toBe(true);
        expect(await store.getAgent('a1')).toBeNull();
      });
    });

    describe('VMs', () => {
      it('round-trips a VM with a lease and filters lists and counts', async () => {
        await seedPool();
        await seedPool('other');
        const leased = makeVm('vm1', 'desk', {
          state: 'running',
          hasClean: true,
          ip: '10.0.0.5',
          lease: { id: 'l1', holder: 'alice', expiresAt: '2026-01-01T01:00:00.000Z' },
          bootMs: 1234,
          lastError: 'x',
        });
        await store.insertVm(leased, ev);
        await store.insertVm(makeVm('vm2', 'desk', { host: 'h2' }), ev);
        await store.insertVm(makeVm('vm3', 'desk', { state: 'paused' }), ev);
        await store.insertVm(makeVm('vm4', 'other'), ev);
        expect(await store.getVm('vm1')).toEqual(leased);
        expect(await store.getVm('nope')).toBeNull();
        const names = async (f: Parameters<Store['listVms']>[0]) =>
          (await store.listVms(f)).map((v) => v.name);
        expect(await names(undefined)).toEqual(['vm1', 'vm2', 'vm3', 'vm4']);
        expect(await names({ pool: 'desk', states: ['saved', 'paused'] })).toEqual(['vm2', 'vm3']);
        expect(await names({ pool: 'desk', leased: true })).toEqual(['vm1']);
        expect(await names({ pool: 'desk', leased: false, host: 'local' })).toEqual(['vm3']);
        expect(await names({ states: [] })).toEqual([]);
        expect(await store.countVms({ pool: 'desk' })).toBe(3);
        expect(await store.countVms({ leased: false })).toBe(3);
        expect(await store.countVmsByState('desk')).toEqual({ running: 1, saved: 1, paused: 1 });
        expect(await store.countVmsByState('empty')).toEqual({});
      });

      it('refuses a duplicate VM and a VM of an unknown pool', async () => {
        await seedPool();
        await store.insertVm(makeVm('vm1'), ev);
        await expect(store.insertVm(makeVm('vm1'), ev)).rejects.toMatchObject({
          code: 'INVALID_INPUT',
        });
        await expect(store.insertVm(makeVm('vm2', 'ghost'), ev)).rejects.toMatchObject({
          code: 'POOL_NOT_FOUND',
        });
        expect(await store.countVms()).toBe(1);
        // A failed insert leaves no event behind.
        expect((await store.listEvents({ kind: 'vm' })).map((e) => e.subject)).toEqual(['vm1']);
      });

      it('transitions only from an allowed state and records the time spent', async () => {
        await seedPool();
        await store.insertVm(makeVm('vm1', 'desk', { state: 'off', stateSince: clock.iso() }), ev);
        clock.advance(1500);
        const moved = await store.transitionVm('vm1', {
          from: ['off'],
          to: 'booting',
          actor: 'ctl',
          action: 'boot',
          details: { why: 'warm' },
          patch: { lastError: null, bootMs: 10 },
        });
        expect(moved).toMatchObject({ state: 'booting', stateSince: clock.iso(), bootMs: 10 });
        expect(
          await store.transitionVm('vm1', {
            from: ['off', 'saved'],
            to: 'booting',
            actor: 'ctl',
            action: 'boot',
          }),
        ).toBeNull();
        expect(
          await store.transitionVm('ghost', {
            from: ['off'],
            to: 'booting',
            actor: 'ctl',
            action: 'boot',
          }),
        ).toBeNull();
        expect(
          await store.transitionVm('vm1', { from: [], to: 'running', actor: 'ctl', action: 'x' }),
        ).toBeNull();
        const events = await store.listEvents({ subject: 'vm1' });
        expect(events).toHaveLength(2);
        expect(events[1]).toMatchObject({
          kind: 'vm',
          actor: 'ctl',
          action: 'boot',
          from: 'off',
          to: 'booting',
          durationMs: 1500,
          details: { why: 'warm' },
          at: clock.iso(),
        });
        expect(events[0]).toMatchObject({
          action: 'create',
          from: null,
          to: 'off',
          durationMs: null,
        });
      });

      it('guards on the lease when asked to', async () => {
        await seedPool();
        const lease = { id: 'l1', holder: 'bob', expiresAt: null };
        await store.insertVm(makeVm('vm1', 'desk', { state: 'running', lease }), ev);
        const t = {
          from: ['running'] as const,
          to: 'saving' as const,
          actor: 'bob',
          action: 'release',
        };
        expect(await store.transitionVm('vm1', { ...t, leaseId: null })).toBeNull();
        expect(await store.transitionVm('vm1', { ...t, leaseId: 'other' })).toBeNull();
        const released = await store.transitionVm('vm1', {
          ...t,
          leaseId: 'l1',
          patch: { lease: null },
        });
        expect(released).toMatchObject({ state: 'saving', lease: null });
        const saved = await store.transitionVm('vm1', {
          from: ['saving'],
          to: 'saved',
          actor: 'ctl',
          action: 'saved',
          leaseId: null,
        });
        expect(saved?.state).toBe('saved');
      });

      it('renews a lease only while the VM holds it in a state where it is in use', async () => {
        await seedPool();
        const lease = { id: 'l1', holder: 'bob', expiresAt: '2026-01-01T00:10:00.000Z' };
        await store.insertVm(makeVm('vm1', 'desk', { state: 'running', lease }), ev);
        const renewal = { leaseId: 'l1', states: ['resuming', 'running'] as const, expiresAt: '2026-01-01T00:20:00.000Z' };
        expect(await store.renewLease('vm1', { ...renewal, leaseId: 'other' })).toBeNull();
        expect(await store.renewLease('ghost', renewal)).toBeNull();
        expect((await store.renewLease('vm1', renewal))?.lease).toEqual({ ...lease, expiresAt: renewal.expiresAt });
        // The release commits first: the renew that read the lease before must not bring it back.
        await store.transitionVm('vm1', { from: ['running'], to: 'saving', actor: 'bob', action: 'release', leaseId: 'l1', patch: { lease: null } });
        expect(await store.renewLease('vm1', renewal)).toBeNull();
        expect((await store.getVm('vm1'))?.lease).toBeNull();
        // A lease left on a VM that is not in use is never extended either.
        await store.insertVm(makeVm('vm2', 'desk', { state: 'saved', lease }), ev);
        expect(await store.renewLease('vm2', renewal)).toBeNull();
        expect((await store.getVm('vm2'))?.lease).toEqual(lease);
        expect(await store.listEvents({ subject: 'vm1' })).toHaveLength(2);
      });

      it('patches without changing state or logging, and deletes with an event', async () => {
        await seedPool();
        await store.insertVm(makeVm('vm1', 'desk', { state: 'running' }), ev);
        clock.advance(250);
        const p = await store.patchVm('vm1', {
          ip: '10.1.1.1',
          lease: { id: 'l', holder: 'h', expiresAt: clock.iso() },
        });
        expect(p).toMatchObject({
          state: 'running',
          stateSince: '2026-01-01T00:00:00.000Z',
          ip: '10.1.1.1',
        });
        expect(p?.lease).toEqual({ id: 'l', holder: 'h', expiresAt: clock.iso() });
        expect(await store.patchVm('ghost', { ip: null })).toBeNull();
        expect(await store.listEvents({ subject: 'vm1' })).toHaveLength(1);
        expect(await store.deleteVm('vm1', { actor: 'ctl', action: 'delete' })).toBe(true);
        expect(await store.deleteVm('vm1', { actor: 'ctl', action: 'delete' })).toBe(false);
        const last = (await store.listEvents({ subject: 'vm1' })).at(-1);
        expect(last).toMatchObject({
          action: 'delete',
          from: 'running',
          to: null,
          durationMs: 250,
        });
      });
    });

    describe('claims', () => {
      const claim = (over: Partial<Parameters<Store['claimVm']>[0]> = {}) =>
        store.claimVm({
          pool: 'desk',
          states: ['paused', 'saved'],
          holder: 'alice',
          leaseId: `lease-${Math.random()}`,
          leaseExpiresAt: null,
          actor: 'api',
          ...over,
        });

      it('takes hot before saved, oldest first, never leased or other pools', async () => {
        await seedPool();
        await seedPool('other');
        await store.insertVm(
          makeVm('s-new', 'desk', { stateSince: '2026-01-01T00:00:02.000Z' }),
          ev,
        );
        await store.insertVm(
          makeVm('s-old', 'desk', { stateSince: '2026-01-01T00:00:01.000Z' }),
          ev,
        );
        await store.insertVm(makeVm('p-b', 'desk', { state: 'paused' }), ev);
        await store.insertVm(makeVm('p-a', 'desk', { state: 'paused' }), ev);
        await store.insertVm(
          makeVm('p-leased', 'desk', {
            state: 'paused',
            lease: { id: 'x', holder: 'y', expiresAt: null },
          }),
          ev,
        );
        await store.insertVm(makeVm('o-paused', 'other', { state: 'paused' }), ev);
        await store.insertVm(makeVm('off', 'desk', { state: 'off' }), ev);
        clock.advance(42);
        const first = await claim({ leaseId: 'L1', leaseExpiresAt: '2026-01-01T01:00:00.000Z' });
        expect(first).toMatchObject({
          name: 'p-a',
          state: 'resuming',
          stateSince: clock.iso(),
          lease: { id: 'L1', holder: 'alice', expiresAt: '2026-01-01T01:00:00.000Z' },
        });
        const order = [first?.name];
        for (let i = 0; i < 4; i++) order.push((await claim())?.name);
        expect(order).toEqual(['p-a', 'p-b', 's-old', 's-new', undefined]);
        expect((await store.getVm('o-paused'))?.state).toBe('paused');
        expect((await store.getVm('p-leased'))?.lease?.id).toBe('x');
        const ev1 = (await store.listEvents({ subject: 'p-a' })).at(-1);
        expect(ev1).toMatchObject({
          action: 'claim',
          actor: 'api',
          from: 'paused',
          to: 'resuming',
          durationMs: 42,
        });
        expect(ev1?.details).toMatchObject({ holder: 'alice', leaseId: 'L1' });
      });

      it('honours the host filter and the state list', async () => {
        await seedPool();
        await store.insertVm(makeVm('a', 'desk', { host: 'h1' }), ev);
        await store.insertVm(makeVm('b', 'desk', { host: 'h2' }), ev);
        expect((await claim({ host: 'h2' }))?.name).toBe('b');
        expect(await claim({ host: 'h2' })).toBeNull();
        expect(await claim({ states: ['paused'] })).toBeNull();
        expect(await claim({ states: [] })).toBeNull();
        expect((await claim())?.name).toBe('a');
      });

      it('gives 200 concurrent claimers over 20 VMs exactly 20 distinct VMs', async () => {
        await seedPool();
        await seedPool('other');
        for (let i = 0; i < 20; i++) {
          const state = i % 2 === 0 ? 'paused' : 'saved';
          await store.insertVm(makeVm(`vm${String(i).padStart(2, '0')}`, 'desk', { state }), ev);
          await store.insertVm(makeVm(`other${i}`, 'other', { state }), ev);
        }
        const results = await Promise.all(
          Array.from({ length: 200 }, (_, i) => claim({ leaseId: `L${i}`, holder: `h${i}` })),
        );
        const winners = results.filter((v) => v !== null);
        expect(winners).toHaveLength(20);
        expect(results.filter((v) => v === null)).toHaveLength(180);
        expect(new Set(winners.map((v) => v.name)).size).toBe(20);
        expect(winners.every((v) => v.pool === 'desk' && v.state === 'resuming')).toBe(true);
        // Each VM carries the lease of the one caller that got it.
        for (const v of winners) expect((await store.getVm(v.name))?.lease?.id).toBe(v.lease?.id);
        expect(await store.countVms({ pool: 'other', leased: true })).toBe(0);
        const claims = (await store.listEvents({ kind: 'vm', limit: 10_000 })).filter(
          (e) => e.action === 'claim',
        );
        expect(claims).toHaveLength(20);
      });
    });

    describe('agents', () => {
      it('round-trips, lists in queue order, and filters', async () => {
        await seedPool();
        await seedPool('other');
        const a = makeAgent('a1', 'desk', { priority: 1, submittedAt: '2026-01-01T00:00:03.000Z' });
        await store.insertAgent(a);
        await store.insertAgent(
          makeAgent('a2', 'desk', { priority: 5, submittedAt: '2026-01-01T00:00:04.000Z' }),
        );
        await store.insertAgent(
          makeAgent('a3', 'desk', { priority: 1, submittedAt: '2026-01-01T00:00:01.000Z' }),
        );
        await store.insertAgent(makeAgent('a4', 'other', { status: 'running' }));
        expect(await store.getAgent('a1')).toEqual(a);
        expect(await store.getAgent('nope')).toBeNull();
        const ids = async (f: Parameters<Store['listAgents']>[0]) =>
          (await store.listAgents(f)).map((x) => x.id);
        expect(await ids({ pool: 'desk' })).toEqual(['a2', 'a3', 'a1']);
        expect(await ids({ statuses: ['running'] })).toEqual(['a4']);
        expect(await ids({ statuses: [] })).toEqual([]);
        expect(await ids({ pool: 'desk', statuses: ['pending'], limit: 2 })).toEqual(['a2', 'a3']);
        await expect(store.insertAgent(a)).rejects.toMatchObject({ code: 'INVALID_INPUT' });
        await expect(store.insertAgent(makeAgent('a9', 'ghost'))).rejects.toMatchObject({
          code: 'POOL_NOT_FOUND',
        });
      });

      it('updates by compare-and-set on the status and logs status changes', async () => {
        await seedPool();
        await store.insertAgent(makeAgent('a1'));
        expect(
          await store.updateAgent('a1', ['scheduled'], { status: 'running' }, 'ctl'),
        ).toBeNull();
        expect(
          await store.updateAgent('ghost', ['pending'], { status: 'running' }, 'ctl'),
        ).toBeNull();
        const s = await store.updateAgent(
          'a1',
          ['pending'],
          { status: 'scheduled', vm: 'vm1', attempts: 1 },
          'sched',
        );
        expect(s).toMatchObject({ status: 'scheduled', vm: 'vm1', attempts: 1 });
        // Same status: fields change, no event.
        await store.updateAgent('a1', ['scheduled'], { deadlineAt: clock.iso() }, 'sched');
        const result = {
          success: true,
          output: { n: 1 },
          error: null,
          screenshots: ['s.png'],
          durationMs: 5,
          vm: 'vm1',
          timings: { queuedMs: 1, resumeMs: 2, runMs: 3, releaseMs: null },
        };
        const done = await store.updateAgent(
          'a1',
          ['scheduled', 'running'],
          { status: 'completed', result, endedAt: clock.iso() },
          'vm1',
        );
        expect(done).toMatchObject({ status: 'completed', result, deadlineAt: clock.iso() });
        const events = await store.listEvents({ kind: 'agent', subject: 'a1' });
        expect(events.map((e) => [e.from, e.to, e.actor])).toEqual([
          ['pending', 'scheduled', 'sched'],
          ['scheduled', 'completed', 'vm1'],
        ]);
      });
    });

    describe('events and lifecycle', () => {
      it('appends and pages in id order with filters', async () => {
        for (let i = 0; i < 5; i++) {
          const e = await store.appendEvent({
            actor: 'u',
            kind: i % 2 === 0 ? 'pool' : 'host',
            subject: `s${i % 2}`,
            action: `a${i}`,
            from: null,
            to: null,
            durationMs: i,
            details: i === 0 ? null : { i },
          });
          expect(e).toMatchObject({
            action: `a${i}`,
            at: clock.iso(),
            details: i === 0 ? null : { i },
          });
        }
        const at = '2025-12-31T00:00:00.000Z';
        expect(
          (
            await store.appendEvent({
              actor: 'u',
              kind: 'vm',
              subject: 'x',
              action: 'old',
              from: null,
              to: null,
              durationMs: null,
              details: null,
              at,
            })
          ).at,
        ).toBe(at);
        const all = await store.listEvents();
        expect(all.map((e) => e.action)).toEqual(['a0', 'a1', 'a2', 'a3', 'a4', 'old']);
        expect(all.every((e, i) => i === 0 || e.id > (all[i - 1]?.id ?? 0))).toBe(true);
        const page1 = await store.listEvents({ limit: 2 });
        const page2 = await store.listEvents({ afterId: page1.at(-1)?.id, limit: 2 });
        expect([...page1, ...page2].map((e) => e.action)).toEqual(['a0', 'a1', 'a2', 'a3']);
        expect((await store.listEvents({ kind: 'pool' })).map((e) => e.action)).toEqual([
          'a0',
          'a2',
          'a4',
        ]);
        expect(
          (await store.listEvents({ kind: 'host', subject: 's1', afterId: all[1]?.id })).map(
            (e) => e.action,
          ),
        ).toEqual(['a3']);
      });

      it('migrates again harmlessly', async () => {
        await seedPool();
        await store.migrate();
        await store.migrate();
        expect(await store.getPool('desk')).not.toBeNull();
      });

      const reopen = factories.reopen;
      if (reopen) {
        it('keeps data across a reopen', async () => {
          await seedPool();
          await store.insertVm(makeVm('vm1'), ev);
          const again = await reopen(clock);
          opened.push(again);
          await again.migrate();
          expect((await again.getVm('vm1'))?.pool).toBe('desk');
          expect(await again.listEvents({ subject: 'vm1' })).toHaveLength(1);
        });
      }
    });
  });
}
