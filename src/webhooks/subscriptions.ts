/**
 * Adding, listing and removing webhook subscriptions, and the delivery log: validated input in,
 * rows out. The CLI, the API and the configuration file all come through here.
 * @module
 */
import { createHash, randomBytes } from 'node:crypto';
import { HvkubeError } from '../domain/errors.js';
import {
  isWebhookEventType,
  WEBHOOK_EVENT_TYPES,
  type WebhookEventType,
} from '../domain/webhook-events.js';
import type { Store } from '../store/store.js';
import type { WebhookDelivery, WebhookSubscription } from '../store/webhooks.js';
import { generateSecret, validateSecret } from './signing.js';

export interface WebhookInput {
  url: string;
  /** Omitted or empty: every event type. */
  events?: readonly string[];
  /** Omitted: one is generated and answered once. */
  secret?: string;
}

/** A subscription as listed: the secret stays in the store. */
export type WebhookView = Omit<WebhookSubscription, 'secret'>;

export const toView = ({ secret: _s, ...view }: WebhookSubscription): WebhookView => view;

const ID_PATTERN = /^wh_[a-z0-9]{1,40}$/;
const DELIVERY_PATTERN = /^msg_[a-z0-9]{1,40}$/;

export function newDeliveryId(): string {
  return `msg_${randomBytes(12).toString('hex')}`;
}

export function validateUrl(url: string): string {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new HvkubeError(
      'INVALID_INPUT',
      `webhook URL ${JSON.stringify(url.slice(0, 200))} is not a URL`,
      { hint: 'e.g. https://example.com/hooks/hvkube' },
    );
  }
  if (parsed.protocol !== 'https:' && parsed.protocol !== 'http:')
    throw new HvkubeError('INVALID_INPUT', 'a webhook URL must be http or https');
  if (url.length > 2048)
    throw new HvkubeError('INVALID_INPUT', 'a webhook URL must be at most 2048 characters');
  return parsed.toString();
}

export function validateEvents(events: readonly string[] = []): WebhookEventType[] {
  const bad = events.filter((e) => !isWebhookEventType(e));
  if (bad.length > 0)
    throw new HvkubeError(
      'INVALID_INPUT',
      `unknown webhook event type ${bad.map((b) => JSON.stringify(b)).join(', ')}`,
      { hint: `use ${WEBHOOK_EVENT_TYPES.join(', ')}` },
    );
  return [...new Set(events)] as WebhookEventType[];
}

function validateId(what: 'webhook' | 'delivery', id: string): string {
  if (!(what === 'webhook' ? ID_PATTERN : DELIVERY_PATTERN).test(id)) {
    throw new HvkubeError(
      'INVALID_INPUT',
      `${JSON.stringify(id.slice(0, 80))} is not a ${what} id`,
      {
        hint:
          what === 'webhook'
            ? 'ids look like wh_…; see `hvkube webhook list`'
            : 'ids look like msg_…; see `hvkube webhook deliveries`',
      },
    );
  }
  return id;
}

/** Adds a subscription; the answer carries the secret, the only time it is shown. */
export async function addWebhook(
  store: Store,
  input: WebhookInput,
  options: { id?: string; now?: Date } = {},
): Promise<WebhookSubscription> {
  const sub: WebhookSubscription = {
    id: options.id ?? `wh_${randomBytes(8).toString('hex')}`,
    url: validateUrl(input.url),
    events: validateEvents(input.events),
    secret: input.secret === undefined ? generateSecret() : validateSecret(input.secret),
    createdAt: (options.now ?? new Date()).toISOString(),
  };
  await store.webhooks.createWebhook(sub);
  return sub;
}

export async function listWebhooks(store: Store): Promise<WebhookView[]> {
  return (await store.webhooks.listWebhooks()).map(toView);
}

export async function removeWebhook(store: Store, id: string): Promise<void> {
  if (!(await store.webhooks.deleteWebhook(validateId('webhook', id)))) {
    throw new HvkubeError('WEBHOOK_NOT_FOUND', `webhook ${id} does not exist`, {
      hint: 'list them with `hvkube webhook list`',
      details: { webhook: id },
    });
  }
}

export async function listDeliveries(
  store: Store,
  webhookId?: string,
  limit?: number,
): Promise<WebhookDelivery[]> {
  if (
    webhookId !== undefined &&
    !(await store.webhooks.getWebhook(validateId('webhook', webhookId)))
  ) {
    throw new HvkubeError('WEBHOOK_NOT_FOUND', `webhook ${webhookId} does not exist`, {
      hint: 'list them with `hvkube webhook list`',
      details: { webhook: webhookId },
    });
  }
  return store.webhooks.listDeliveries({ webhookId, limit });
}

export async function redeliver(store: Store, deliveryId: string): Promise<WebhookDelivery> {
  const d = await store.webhooks.redeliver(validateId('delivery', deliveryId));
  if (!d)
    throw new HvkubeError('WEBHOOK_NOT_FOUND', `delivery ${deliveryId} does not exist`, {
      hint: 'list them with `hvkube webhook deliveries`',
      details: { delivery: deliveryId },
    });
  return d;
}

/**
 * Makes the store hold the configuration file's subscriptions (by a stable id from the URL), so
 * a restart with the same file adds nothing twice.
 */
export async function ensureConfiguredWebhooks(
  store: Store,
  configured: readonly WebhookInput[],
): Promise<void> {
  for (const c of configured) {
    const id = `wh_cfg${createHash('sha256').update(validateUrl(c.url)).digest('hex').slice(0, 16)}`;
    const existing = await store.webhooks.getWebhook(id);
    const wanted = {
      url: validateUrl(c.url),
      events: validateEvents(c.events),
      secret: c.secret === undefined ? undefined : validateSecret(c.secret),
    };
    if (
      existing &&
      existing.secret === wanted.secret &&
      JSON.stringify(existing.events) === JSON.stringify(wanted.events)
    )
      continue;
    if (existing) await store.webhooks.deleteWebhook(id);
    await addWebhook(store, wanted, { id });
  }
}
