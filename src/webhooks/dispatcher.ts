/**
 * The dispatcher `hvkube serve` runs: turns the outbox into deliveries, then sends each
 * subscription's deliveries one at a time in event order, signed, retrying with exponential
 * back-off. A delivery is marked done only after the receiver answered 2xx, so a crash in between
 * sends it again with the same `webhook-id` (at least once on the wire, once for a receiver that
 * de-duplicates on it).
 * @module
 */
import type { Logger } from '../_util/logger.js';
import type { Store } from '../store/store.js';
import type { WebhookDelivery, WebhookSubscription } from '../store/webhooks.js';
import { signedHeaders } from './signing.js';
import { newDeliveryId } from './subscriptions.js';

export interface RetryPolicy {
  /** Wait after the first failure; doubles with every further one. */
  baseMs: number;
  /** The longest wait between two attempts. */
  maxMs: number;
  /** Attempts before a delivery is given up (`failed`; `webhook redeliver` queues it again). */
  maxAttempts: number;
}

export const DEFAULT_RETRY: RetryPolicy = { baseMs: 5_000, maxMs: 10 * 60_000, maxAttempts: 15 };

export interface DispatcherOptions {
  store: Store;
  logger: Logger;
  retry?: Partial<RetryPolicy>;
  /** How long a receiver may take to answer. Default 10 s. */
  timeoutMs?: number;
  /** How often to look for work when nothing wakes the dispatcher. Default 500 ms. */
  pollMs?: number;
  /** Injected by tests. */
  fetch?: typeof fetch;
  now?: () => number;
}

/** Where a delivery went, for logs: scheme, host and path, never a query string or userinfo. */
function target(url: string): string {
  try {
    const u = new URL(url);
    return `${u.protocol}//${u.host}${u.pathname}`;
  } catch {
    return '(invalid URL)';
  }
}

export function backoffMs(retry: RetryPolicy, attempts: number): number {
  return Math.min(retry.maxMs, retry.baseMs * 2 ** Math.max(0, attempts - 1));
}

export class WebhookDispatcher {
  readonly #store: Store;
  readonly #logger: Logger;
  readonly #retry: RetryPolicy;
  readonly #timeoutMs: number;
  readonly #pollMs: number;
  readonly #fetch: typeof fetch;
  readonly #now: () => number;
  #timer: NodeJS.Timeout | null = null;
  #running: Promise<void> | null = null;
  #again = false;
  #stopped = true;

  constructor(options: DispatcherOptions) {
    this.#store = options.store;
    this.#logger = options.logger;
    this.#retry = { ...DEFAULT_RETRY, ...options.retry };
    this.#timeoutMs = options.timeoutMs ?? 10_000;
    this.#pollMs = options.pollMs ?? 500;
    this.#fetch = options.fetch ?? fetch;
    this.#now = options.now ?? Date.now;
  }

  start(): void {
    this.#stopped = false;
    this.poke();
  }

  /** Looks for work now (an event was appended). */
  poke(): void {
    if (this.#stopped) return;
    if (this.#running) {
      this.#again = true;
      return;
    }
    if (this.#timer) clearTimeout(this.#timer);
    this.#timer = null;
    this.#running = this.#loop().finally(() => {
      this.#running = null;
      if (!this.#stopped)
        this.#timer = setTimeout(() => this.poke(), this.#again ? 0 : this.#pollMs);
      this.#again = false;
    });
  }

  /** Stops after the attempts under way. */
  async stop(): Promise<void> {
    this.#stopped = true;
    if (this.#timer) clearTimeout(this.#timer);
    this.#timer = null;
    await this.#running;
  }

  async #loop(): Promise<void> {
    try {
      while (!this.#stopped && (await this.tick()) > 0);
    } catch (e) {
      this.#logger.warn(
        { err: e instanceof Error ? e.message : String(e) },
        'webhook dispatch pass failed; retrying',
      );
    }
  }

  /** One pass: fan the outbox out, then send every subscription's next due delivery. Answers how many were sent. */
  async tick(): Promise<number> {
    while ((await this.#store.webhooks.fanOut(newDeliveryId)) > 0);
    const heads = await this.#store.webhooks.headDeliveries();
    const now = this.#now();
    const due = heads.filter((d) => Date.parse(d.nextAttemptAt) <= now);
    if (due.length === 0) return 0;
    const subscriptions = new Map(
      (await this.#store.webhooks.listWebhooks()).map((s) => [s.id, s]),
    );
    const results = await Promise.all(
      due.map(async (d) => {
        const sub = subscriptions.get(d.webhookId);
        return sub ? this.#send(sub, d) : false;
      }),
    );
    return results.filter(Boolean).length;
  }

  async #send(sub: WebhookSubscription, d: WebhookDelivery): Promise<boolean> {
    const headers = {
      'content-type': 'application/json',
      'user-agent': 'hvkube-webhooks',
      ...signedHeaders(sub.secret, d.id, Math.floor(this.#now() / 1000), d.payload),
    };
    let status: number | null = null;
    let error: string | null = null;
    try {
      const res = await this.#fetch(sub.url, {
        method: 'POST',
        headers,
        body: d.payload,
        redirect: 'manual',
        signal: AbortSignal.timeout(this.#timeoutMs),
      });
      status = res.status;
      await res.body?.cancel().catch(() => undefined);
      if (status < 200 || status > 299) error = `answered HTTP ${status}`;
    } catch (e) {
      error =
        e instanceof Error
          ? e.cause instanceof Error
            ? `${e.message}: ${e.cause.message}`
            : e.message
          : String(e);
    }
    if (error === null) {
      await this.#store.webhooks.recordAttempt(d.id, {
        ok: true,
        status,
        error: null,
        retryAt: null,
      });
      this.#logger.debug(
        { webhook: sub.id, delivery: d.id, type: d.type, status },
        'webhook delivered',
      );
      return true;
    }
    const attempts = d.attempts + 1;
    const retryAt =
      attempts >= this.#retry.maxAttempts
        ? null
        : new Date(this.#now() + backoffMs(this.#retry, attempts)).toISOString();
    await this.#store.webhooks.recordAttempt(d.id, {
      ok: false,
      status,
      error: error.slice(0, 500),
      retryAt,
    });
    this.#logger.warn(
      {
        webhook: sub.id,
        delivery: d.id,
        type: d.type,
        target: target(sub.url),
        attempts,
        err: error.slice(0, 200),
        retryAt,
      },
      retryAt === null
        ? 'webhook delivery failed for good; `hvkube webhook redeliver` queues it again'
        : 'webhook delivery failed; will retry',
    );
    return false;
  }
}
