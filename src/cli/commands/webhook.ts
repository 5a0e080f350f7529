/**
 * `hvkube webhook ...`: lifecycle webhook subscriptions and their delivery log
 * (docs/webhooks.md). Deliveries are sent by `hvkube serve`.
 * @module
 */
import { Command } from '@commander-js/extra-typings';
import { HvkubeClient } from '../../client/client.js';
import type { WebhookDelivery } from '../../store/webhooks.js';
import {
  addWebhook,
  listDeliveries,
  listWebhooks,
  redeliver,
  removeWebhook,
  type WebhookInput,
  type WebhookView,
} from '../../webhooks/index.js';
import { json, paint, processOut, table, type Out } from '../output.js';
import { globals, serverUrl, withRuntime } from '../runtime-scope.js';

type CommandLike = { optsWithGlobals(): unknown };

/** The same five operations, here or on a server. */
interface WebhookOps {
  add(input: WebhookInput): Promise<WebhookView & { secret: string }>;
  list(): Promise<WebhookView[]>;
  remove(id: string): Promise<void>;
  deliveries(id?: string, limit?: number): Promise<WebhookDelivery[]>;
  redeliver(id: string): Promise<WebhookDelivery>;
}

async function withWebhooks<T>(
  command: CommandLike,
  fn: (ops: WebhookOps, out: Out, asJson: boolean) => Promise<T>,
): Promise<T> {
  const g = globals(command);
  const url = serverUrl(g);
  const out = processOut();
  const asJson = g.json === true;
  if (url !== undefined) {
    const c = new HvkubeClient({
      url,
      token: g.token ?? (process.env.HVKUBE_API_TOKEN || undefined),
    });
    return fn(
      {
        add: (i) => c.addWebhook(i),
        list: () => c.listWebhooks(),
        remove: (id) => c.removeWebhook(id),
        deliveries: (id, l) => c.listWebhookDeliveries(id, l),
        redeliver: (id) => c.redeliverWebhook(id),
      },
      out,
      asJson,
    );
  }
  return withRuntime(command, ({ rt }) =>
    fn(
      {
        add: (i) => addWebhook(rt.store, i),
        list: () => listWebhooks(rt.store),
        remove: (id) => removeWebhook(rt.store, id),
        deliveries: (id, l) => listDeliveries(rt.store, id, l),
        redeliver: (id) => redeliver(rt.store, id),
      },
      out,
      asJson,
    ),
  );
}

function deliveryRow(out: Out, d: WebhookDelivery): string[] {
  const colour = d.status === 'delivered' ? 'green' : d.status === 'failed' ? 'red' : 'yellow';
  return [
    d.id,
    d.webhookId,
    d.type,
    paint(out, colour, d.status),
    String(d.attempts),
    d.lastStatus === null ? '-' : String(d.lastStatus),
    d.createdAt,
    d.lastError ?? '',
  ];
}

export function webhookCommand(): Command {
  const cmd = new Command('webhook').description(
    'lifecycle webhooks: signed HTTP POSTs when VMs, pools, agents and hosts change',
  );

  cmd
    .command('add')
    .description('subscribe a URL; prints the signing secret once')
    .requiredOption('--url <url>', 'where to POST events (http or https)')
    .option(
      '--events <types>',
      'comma-separated event types (default: all), e.g. vm.acquired,vm.released',
    )
    .option('--secret <whsec>', 'signing secret whsec_… (default: a new one)')
    .action(async (o, command) => {
      await withWebhooks(command, async (ops, out, asJson) => {
        const events =
          o.events === undefined
            ? []
            : o.events
                .split(',')
                .map((e) => e.trim())
                .filter((e) => e !== '');
        const created = await ops.add({ url: o.url, events, secret: o.secret });
        if (asJson) return json(out, created);
        out.write(
          `webhook ${created.id} added for ${created.events.length === 0 ? 'every event' : created.events.join(', ')}\nsecret: ${created.secret}\n(keep it: it is not shown again)\n`,
        );
      });
    });

  cmd
    .command('list')
    .description('list subscriptions (secrets are never shown)')
    .action(async (_o, command) => {
      await withWebhooks(command, async (ops, out, asJson) => {
        const all = await ops.list();
        if (asJson) return json(out, all);
        if (all.length === 0)
          return out.error('no webhooks (add one with `hvkube webhook add --url URL`)\n');
        out.write(
          table(
            ['ID', 'URL', 'EVENTS', 'CREATED'],
            all.map((w) => [
              w.id,
              w.url,
              w.events.length === 0 ? '*' : w.events.join(','),
              w.createdAt,
            ]),
          ),
        );
      });
    });

  cmd
    .command('rm')
    .alias('remove')
    .description('remove a subscription and its delivery log')
    .argument('<id>', 'webhook id (wh_…)')
    .action(async (id, _o, command) => {
      await withWebhooks(command, async (ops, out, asJson) => {
        await ops.remove(id);
        if (asJson) json(out, { removed: id });
        else out.write(`webhook ${id} removed\n`);
      });
    });

  cmd
    .command('deliveries')
    .description('the delivery log, newest first: status, attempts, last answer')
    .argument('[id]', 'only this subscription')
    .option('--limit <n>', 'at most this many', '50')
    .action(async (id, o, command) => {
      await withWebhooks(command, async (ops, out, asJson) => {
        const all = await ops.deliveries(id, Number(o.limit));
        if (asJson) return json(out, all);
        if (all.length === 0) return out.error('no deliveries yet\n');
        out.write(
          table(
            ['DELIVERY', 'WEBHOOK', 'TYPE', 'STATUS', 'ATTEMPTS', 'HTTP', 'CREATED', 'LAST ERROR'],
            all.map((d) => deliveryRow(out, d)),
          ),
        );
      });
    });

  cmd
    .command('redeliver')
    .description('send a delivery again, with the same webhook-id and body')
    .argument('<delivery>', 'delivery id (msg_…)')
    .action(async (delivery, _o, command) => {
      await withWebhooks(command, async (ops, out, asJson) => {
        const d = await ops.redeliver(delivery);
        if (asJson) json(out, d);
        else out.write(`delivery ${d.id} queued again (sent by \`hvkube serve\`)\n`);
      });
    });

  return cmd;
}
