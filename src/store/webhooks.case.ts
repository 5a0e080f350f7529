/**
 * The webhook part of the Store contract: the outbox row is written with its event and only
 * then, fan-out makes one delivery per matching subscription exactly once, and the delivery log
 * keeps each subscription's order. Run by each dialect's test file.
 * @module
 */
import { sql } from 'kysely';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Store } from './store.js';
import type { KyselyStore } from './kysely-store.js';
import { ManualClock, makePool, makeTemplate, makeVm } from './store-fixtures.case.js';

let n = 0;
const newId = (): string => `msg_${String(++n).padStart(6, '0')}`;
const sub = (
  id: string,
  events: string[] = [],
): Parameters<Store['webhooks']['createWebhook']>[0] => ({
  id,
  url: `http://127.0.0.1:9/${id}`,
  events: events as never,
  secret: 'whsec_' + Buffer.alloc(24, 1).toString('base64'),
  createdAt: new Date(0).toISOString(),
});

export function runWebhookContract(
  name: string,
  create: (clock: ManualClock) => Promise<Store>,
): void {
  describe(`Store contract, webhooks: ${name}`, () => {
    let clock: ManualClock;
    let store: Store;
    const outbox = async (): Promise<number> =>
      Number(
        (
          await sql<{ n: number }>`select count(*) as n from webhook_outbox`.execute(
            (store as KyselyStore).db,
          )
        ).rows[0]?.n,
      );

    beforeEach(async () => {
      clock = new ManualClock();
      store = await create(clock);
      await store.createTemplate(makeTemplate());
      await store.createPool(makePool('desk'));
      await store.insertVm(makeVm('vm1', 'desk', { state: 'saved' }), {
        actor: 't',
        action: 'create',
      });
    });
    afterEach(() => store.close());

    it('writes an outbox row with an announced event, none with the others or with a refused change', async () => {
      expect(await outbox()).toBe(0); // `create` announces nothing
      const claimed = await store.claimVm({
        pool: 'desk',
        states: ['saved'],
        holder: 'h',
        leaseId: 'L1',
        leaseExpiresAt: null,
        actor: 't',
      });
      expect(claimed?.name).toBe('vm1');
      expect(await outbox()).toBe(1);
      // A compare-and-set that does not happen records no event, so no outbox row either.
      expect(
        await store.transitionVm('vm1', {
          from: ['saved'],
          to: 'saving',
          actor: 't',
          action: 'save',
        }),
      ).toBeNull();
      expect(
        await store.transitionVm('vm1', {
          from: ['resuming'],
          to: 'running',
          actor: 't',
          action: 'resumed',
        }),
      ).not.toBeNull();
      await store.appendEvent({
        actor: 't',
        kind: 'pool',
        subject: 'desk',
        action: 'scale',
        from: '1',
        to: '2',
        durationMs: null,
        details: null,
      });
      expect(await outbox()).toBe(2);
    });

    it('fans out once per matching subscription, in event order, without the lease id', async () => {
      await store.webhooks.createWebhook(sub('wh_all'));
      await store.webhooks.createWebhook(sub('wh_saved', ['vm.saved']));
      await store.claimVm({
        pool: 'desk',
        states: ['saved'],
        holder: 'h',
        leaseId: 'SECRET-LEASE',
        leaseExpiresAt: null,
        actor: 't',
      });
      await store.transitionVm('vm1', {
        from: ['resuming'],
        to: 'running',
        actor: 't',
        action: 'resumed',
      });
      await store.transitionVm('vm1', {
        from: ['running'],
        to: 'saving',
        actor: 'h',
        action: 'save',
        details: { released: 'save' },
        patch: { lease: null },
      });
      await store.transitionVm('vm1', {
        from: ['saving'],
        to: 'saved',
        actor: 'h',
        action: 'saved',
      });
      expect(await store.webhooks.fanOut(newId)).toBe(4);
      expect(await store.webhooks.fanOut(newId)).toBe(0);
      expect(await outbox()).toBe(0);

      const all = (await store.webhooks.listDeliveries({ webhookId: 'wh_all' })).reverse();
      expect(all.map((d) => d.type)).toEqual([
        'vm.acquired',
        'vm.resumed',
        'vm.released',
        'vm.saved',
      ]);
      expect(all.every((d) => !d.payload.includes('SECRET-LEASE'))).toBe(true);
      expect(JSON.parse(all[0]?.payload ?? '{}')).toMatchObject({
        type: 'vm.acquired',
        timestamp: clock.iso(),
        data: { vm: 'vm1', action: 'claim', details: { pool: 'desk', holder: 'h' } },
      });
      expect(
        (await store.webhooks.listDeliveries({ webhookId: 'wh_saved' })).map((d) => d.type),
      ).toEqual(['vm.saved']);

      // Only each subscription's oldest pending delivery is offered.
      const heads = await store.webhooks.headDeliveries();
      expect(heads.map((d) => [d.webhookId, d.type]).sort()).toEqual([
        ['wh_all', 'vm.acquired'],
        ['wh_saved', 'vm.saved'],
      ]);
      const first = heads.find((d) => d.webhookId === 'wh_all');
      if (!first) throw new Error('no head');
      await store.webhooks.recordAttempt(first.id, {
        ok: false,
        status: 500,
        error: 'answered HTTP 500',
        retryAt: clock.iso(),
      });
      expect(
        (await store.webhooks.headDeliveries()).find((d) => d.webhookId === 'wh_all'),
      ).toMatchObject({ id: first.id, attempts: 1, lastStatus: 500 });
      await store.webhooks.recordAttempt(first.id, {
        ok: true,
        status: 204,
        error: null,
        retryAt: null,
      });
      expect(
        (await store.webhooks.headDeliveries()).find((d) => d.webhookId === 'wh_all')?.type,
      ).toBe('vm.resumed');

      // Redelivered: the same id and body, queued ahead of the newer ones.
      const again = await store.webhooks.redeliver(first.id);
      expect(again).toMatchObject({ id: first.id, status: 'pending', payload: first.payload });
      expect(
        (await store.webhooks.headDeliveries()).find((d) => d.webhookId === 'wh_all')?.id,
      ).toBe(first.id);

      expect(await store.webhooks.deleteWebhook('wh_all')).toBe(true);
      expect(await store.webhooks.listDeliveries({ webhookId: 'wh_all' })).toEqual([]);
      expect(await store.webhooks.deleteWebhook('wh_all')).toBe(false);
    });

    it('an event with no subscription leaves no delivery, and a later subscription gets only later events', async () => {
      await store.appendEvent({
        actor: 't',
        kind: 'host',
        subject: 'h1',
        action: 'lost',
        from: 'up',
        to: 'lost',
        durationMs: null,
        details: null,
      });
      expect(await store.webhooks.fanOut(newId)).toBe(1);
      await store.webhooks.createWebhook(sub('wh_late'));
      await store.appendEvent({
        actor: 't',
        kind: 'agent',
        subject: 'a1',
        action: 'completed',
        from: 'running',
        to: 'completed',
        durationMs: null,
        details: null,
      });
      await store.webhooks.fanOut(newId);
      expect((await store.webhooks.listDeliveries()).map((d) => d.type)).toEqual([
        'agent.completed',
      ]);
    });
  });
}
