/**
 * The fleet part of the Store contract: host registration under epochs, heartbeats, status
 * compare-and-sets, and claims limited to live hosts. Run by each dialect's test file.
 * @module
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { HostRegistration, Store } from './store.js';
import { ManualClock, makePool, makeTemplate, makeVm } from './store-fixtures.case.js';

const reg = (name: string, over: Partial<HostRegistration> = {}): HostRegistration => ({
  name,
  backend: 'fake',
  capacity: { memoryMb: 65536, cpus: 16, maxVms: 20 },
  address: `http://${name}:8080`,
  leaseMs: 5000,
  ...over,
});

export function runHostContract(name: string, create: (clock: ManualClock) => Promise<Store>): void {
  describe(`Store contract, hosts: ${name}`, () => {
    let clock: ManualClock;
    let store: Store;

    beforeEach(async () => {
      clock = new ManualClock();
      store = await create(clock);
    });
    afterEach(() => store.close());

    it('registers once, then only under the epoch it read', async () => {
      const h1 = await store.registerHost(reg('h1'), null, 'test');
      expect(h1).toMatchObject({ name: 'h1', status: 'up', epoch: 1, leaseMs: 5000, heartbeatAt: clock.iso() });
      expect(h1?.capacity.maxVms).toBe(20);
      expect(await store.registerHost(reg('h1'), null, 'test')).toBeNull();
      expect(await store.registerHost(reg('h1'), 7, 'test')).toBeNull();
      const again = await store.registerHost(reg('h1', { address: 'http://x:1' }), 1, 'test');
      expect(again).toMatchObject({ epoch: 2, address: 'http://x:1' });
      expect((await store.listEvents({ kind: 'host', subject: 'h1' })).map((e) => e.action)).toEqual(['register', 'register']);
    });

    it('renews a heartbeat only under the current epoch and while up or draining', async () => {
      await store.registerHost(reg('h1'), null, 'test');
      clock.advance(1000);
      expect((await store.renewHost('h1', 1))?.heartbeatAt).toBe(clock.iso());
      expect(await store.renewHost('h1', 2)).toBeNull();
      await store.setHostStatus('h1', { from: ['up'], to: 'draining', actor: 'test' });
      expect(await store.renewHost('h1', 1)).not.toBeNull();
      await store.setHostStatus('h1', { from: ['draining'], to: 'lost', actor: 'test' });
      expect(await store.renewHost('h1', 1)).toBeNull();
    });

    it('declares a host lost only on the heartbeat it saw', async () => {
      const h = await store.registerHost(reg('h1'), null, 'test');
      clock.advance(10);
      await store.renewHost('h1', 1);
      const stale = { from: ['up', 'draining'] as const, to: 'lost' as const, epoch: 1, heartbeatAt: h?.heartbeatAt ?? null, actor: 'detector' };
      expect(await store.setHostStatus('h1', stale)).toBeNull();
      const fresh = await store.getHost('h1');
      expect(await store.setHostStatus('h1', { ...stale, heartbeatAt: fresh?.heartbeatAt ?? null })).toMatchObject({ status: 'lost' });
      expect((await store.listEvents({ kind: 'host' })).at(-1)).toMatchObject({ action: 'lost', from: 'up', to: 'lost' });
      expect(await store.deleteHost('h1', 'test')).toBe(true);
      expect(await store.deleteHost('h1', 'test')).toBe(false);
      expect(await store.listHosts()).toEqual([]);
    });

    it('marks a lost host and its VMs unknown in one step, leases dropped', async () => {
      await store.createTemplate(makeTemplate());
      await store.createPool(makePool('desk'));
      const h = await store.registerHost(reg('h1'), null, 'test');
      await store.insertVm(makeVm('a1', 'desk', { host: 'h1', stateSince: clock.iso() }), { actor: 't', action: 'c' });
      await store.insertVm(makeVm('a2', 'desk', { host: 'h1', state: 'running', stateSince: clock.iso(), lease: { id: 'l', holder: 'u', expiresAt: null } }), { actor: 't', action: 'c' });
      await store.insertVm(makeVm('a3', 'desk', { host: 'h1', state: 'deleting', stateSince: clock.iso() }), { actor: 't', action: 'c' });
      await store.insertVm(makeVm('b1', 'desk', { host: 'h2', stateSince: clock.iso() }), { actor: 't', action: 'c' });
      const guard = { epoch: 1, heartbeatAt: h?.heartbeatAt ?? null, actor: 'detector', reason: 'silent' };
      expect(await store.markHostLost('h1', { ...guard, epoch: 2 })).toBeNull();
      clock.advance(1000);
      const r = await store.markHostLost('h1', guard);
      expect(r?.host.status).toBe('lost');
      expect(r?.vms).toEqual(['a1', 'a2']);
      expect(await store.getVm('a2')).toMatchObject({ state: 'unknown', lease: null });
      expect((await store.getVm('a3'))?.state).toBe('deleting');
      expect((await store.getVm('b1'))?.state).toBe('saved');
      expect((await store.listEvents({ subject: 'a1' })).at(-1)).toMatchObject({ action: 'host-lost', from: 'saved', to: 'unknown', durationMs: 1000 });
      expect(await store.markHostLost('h1', guard)).toBeNull();
    });

    it('claims only on live hosts, preferring the asking host', async () => {
      await store.createTemplate(makeTemplate());
      await store.createPool(makePool('desk'));
      await store.registerHost(reg('h1'), null, 'test');
      await store.registerHost(reg('h2'), null, 'test');
      await store.registerHost(reg('h3'), null, 'test');
      await store.setHostStatus('h3', { from: ['up'], to: 'draining', actor: 'test' });
      await store.insertVm(makeVm('a1', 'desk', { host: 'h1' }), { actor: 't', action: 'c' });
      await store.insertVm(makeVm('b1', 'desk', { host: 'h2' }), { actor: 't', action: 'c' });
      await store.insertVm(makeVm('c1', 'desk', { host: 'h3' }), { actor: 't', action: 'c' });
      await store.insertVm(makeVm('d1', 'desk', { host: 'gone' }), { actor: 't', action: 'c' });
      const claim = (leaseId: string) =>
        store.claimVm({ pool: 'desk', states: ['saved'], liveHostsOnly: true, preferHost: 'h2', holder: 'x', leaseId, leaseExpiresAt: null, actor: 'x' });
      expect((await claim('l1'))?.name).toBe('b1');
      expect((await claim('l2'))?.name).toBe('a1');
      expect(await claim('l3')).toBeNull();
    });
  });
}
