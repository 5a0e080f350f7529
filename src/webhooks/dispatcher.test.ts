import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { Webhook, WebhookVerificationError } from 'standardwebhooks';
import { harness, type Harness } from '../../test/helpers/harness.js';
import { startReceiver, until, type Receiver } from '../../test/helpers/webhook-receiver.js';
import { silentLogger } from '../_util/logger.js';
import { createSqliteStore } from '../store/sqlite/index.js';
import { WebhookDispatcher } from './dispatcher.js';
import { generateSecret, signedHeaders } from './signing.js';
import { addWebhook, listDeliveries, redeliver } from './subscriptions.js';

const SECRET = generateSecret();
const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

async function setup(
  options: { dataDir?: string } = {},
): Promise<{ h: Harness; receiver: Receiver; dispatcher: WebhookDispatcher }> {
  const receiver = await startReceiver(SECRET);
  cleanups.push(() => receiver.close());
  const h = await harness(options);
  cleanups.push(() => h.close());
  const dispatcher = new WebhookDispatcher({
    store: h.store,
    logger: silentLogger,
    retry: { baseMs: 20, maxMs: 100 },
    pollMs: 20,
  });
  cleanups.push(() => dispatcher.stop());
  return { h, receiver, dispatcher };
}

/** The types a receiver saw for one VM, in order. */
const typesOf = (r: Receiver, vm: string): string[] =>
  r.messages.filter((m) => m.data.vm === vm).map((m) => m.type);

/** What a receiver sees of one VM: provisioning saves it once, then one lease's own cycle. */
const LEASE_CYCLE = ['vm.saved', 'vm.acquired', 'vm.resumed', 'vm.released', 'vm.saved'];

describe('webhook dispatcher', () => {
  it('delivers signed lifecycle events that the standardwebhooks library verifies', async () => {
    const { h, receiver, dispatcher } = await setup();
    await addWebhook(h.store, {
      url: receiver.url,
      events: ['vm.acquired', 'vm.resumed', 'vm.released', 'vm.saved'],
      secret: SECRET,
    });
    dispatcher.start();
    await h.pool('p', 1, { releasePolicy: 'save' });
    const a = await h.orch.acquire({ pool: 'p', holder: 'alice' });
    await (
      await h.orch.release(a.vm.name)
    ).done;
    await until('five events', () => typesOf(receiver, a.vm.name).length >= 5);
    // Provisioning saves the VM once; then the lease's own cycle.
    expect(typesOf(receiver, a.vm.name)).toEqual(LEASE_CYCLE);
    const acquired = receiver.messages.find((m) => m.type === 'vm.acquired');
    expect(acquired?.data).toMatchObject({
      vm: a.vm.name,
      details: { pool: 'p', holder: 'alice' },
    });
    expect(JSON.stringify(receiver.messages)).not.toContain(a.leaseId);
    expect(receiver.rejected).toBe(0);
    expect((await listDeliveries(h.store)).every((d) => d.status === 'delivered')).toBe(true);
  });

  it('a bad signature is what the verifying library rejects', () => {
    const body = JSON.stringify({
      type: 'vm.saved',
      timestamp: new Date().toISOString(),
      data: { vm: 'x' },
    });
    const now = Math.floor(Date.now() / 1000);
    const good = signedHeaders(SECRET, 'msg_1', now, body);
    expect(new Webhook(SECRET).verify(body, { ...good })).toMatchObject({ type: 'vm.saved' });
    expect(() => new Webhook(SECRET).verify(body.replace('x', 'y'), { ...good })).toThrow(
      WebhookVerificationError,
    );
    expect(() => new Webhook(generateSecret()).verify(body, { ...good })).toThrow(
      WebhookVerificationError,
    );
    expect(() => new Webhook(SECRET).verify(body, { ...good, 'webhook-id': 'msg_2' })).toThrow(
      WebhookVerificationError,
    );
  });

  it('a receiver that is down, then up, gets everything afterwards, in order per VM', async () => {
    const { h, receiver, dispatcher } = await setup();
    await addWebhook(h.store, { url: receiver.url, secret: SECRET });
    await receiver.down();
    dispatcher.start();
    await h.pool('p', 2, { releasePolicy: 'save' });
    const vms: string[] = [];
    for (let i = 0; i < 3; i++) {
      const a = await h.orch.acquire({ pool: 'p' });
      vms.push(a.vm.name);
      await (
        await h.orch.release(a.vm.name)
      ).done;
    }
    await until('attempts failing', async () =>
      (await listDeliveries(h.store)).some((d) => d.attempts >= 2),
    );
    receiver.failing = true; // up, but answering 503 for a while
    await receiver.up();
    await until('503s counted', async () =>
      (await listDeliveries(h.store)).some((d) => d.lastStatus === 503),
    );
    receiver.failing = false;
    const expected = (await h.store.listEvents()).filter(
      (e) => e.kind === 'vm' && ['claim', 'resumed', 'saved'].includes(e.action),
    ).length;
    await until('everything delivered', async () =>
      (await listDeliveries(h.store, undefined, 1000)).every((d) => d.status === 'delivered'),
    );
    expect(receiver.messages.length).toBeGreaterThanOrEqual(expected);
    for (const vm of new Set(vms)) {
      const events = (await h.store.listEvents({ subject: vm })).filter(
        (e) =>
          ['claim', 'resumed', 'saved'].includes(e.action) || e.details?.released !== undefined,
      );
      expect(receiver.messages.filter((m) => m.data.vm === vm).map((m) => m.data.eventId)).toEqual(
        events.map((e) => e.id),
      );
    }
  });

  it('a crash between the event and its delivery loses nothing; a crash after sending is de-duplicated on webhook-id', async () => {
    const { mkdtempSync, rmSync } = await import('node:fs');
    const os = await import('node:os');
    const dir = mkdtempSync(path.join(os.tmpdir(), 'hvk-wh-'));
    cleanups.push(async () => rmSync(dir, { recursive: true, force: true }));
    const receiver = await startReceiver(SECRET);
    cleanups.push(() => receiver.close());

    // First "process": events happen, nothing is dispatched, then it is gone.
    const first = await harness({ dataDir: dir });
    await addWebhook(first.store, { url: receiver.url, secret: SECRET });
    await first.pool('p', 1, { releasePolicy: 'save' });
    const a = await first.orch.acquire({ pool: 'p' });
    await (
      await first.orch.release(a.vm.name)
    ).done;
    await first.close({ keepDir: true });

    // Second: its dispatcher sends each delivery, then "dies" before recording the answer.
    const store2 = createSqliteStore({ file: path.join(dir, 'hvkube.db') });
    let sent = 0;
    const dying = new WebhookDispatcher({
      store: store2,
      logger: silentLogger,
      fetch: async (input, init) => {
        const res = await fetch(input, init);
        sent++;
        throw new Error(`killed after the receiver answered ${res.status}`);
      },
    });
    await dying.tick();
    await store2.close();
    expect(sent).toBeGreaterThan(0);

    // Third: the restarted dispatcher delivers everything; the receiver sees each once.
    const store3 = createSqliteStore({ file: path.join(dir, 'hvkube.db') });
    cleanups.push(() => store3.close());
    const restarted = new WebhookDispatcher({
      store: store3,
      logger: silentLogger,
      retry: { baseMs: 1, maxMs: 1 },
    });
    await until('all delivered', async () => {
      await restarted.tick();
      return (await listDeliveries(store3)).every((d) => d.status === 'delivered');
    });
    const deliveries = await listDeliveries(store3);
    expect(receiver.messages.map((m) => m.id).sort()).toEqual(deliveries.map((d) => d.id).sort());
    expect(receiver.requests).toBeGreaterThan(receiver.messages.length); // at least once on the wire
    expect(typesOf(receiver, a.vm.name)).toEqual(LEASE_CYCLE);

    // Redeliver sends the same message again: a de-duplicating receiver ignores it.
    const before = receiver.requests;
    await redeliver(store3, deliveries[0]?.id ?? '');
    await until('redelivered', async () => (await restarted.tick()) > 0);
    expect(receiver.requests).toBe(before + 1);
    expect(receiver.messages.length).toBe(deliveries.length);
  });
});
