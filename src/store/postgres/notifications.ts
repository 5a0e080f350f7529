/**
 * The LISTEN half: one dedicated connection (LISTEN holds a session, so it cannot share the
 * query pool) that turns notifications into `onVmReady` callbacks, and reconnects after losing
 * the server. While it is disconnected nothing is heard, so waiters keep a slow safety poll.
 * @module
 */
import pg from 'pg';
import { poolOfPayload, VM_READY_CHANNEL } from './vm-ready-channel.js';

export interface VmReadyListenerOptions {
  connectionString: string;
  /** The same search_path as the store's pool, so current_schema() agrees. */
  options?: string;
  /** Wait before reconnecting. Default 1000 ms. */
  retryMs?: number;
  onError?: (e: unknown) => void;
}

export class VmReadyListener {
  readonly #options: VmReadyListenerOptions;
  readonly #listeners = new Set<(pool: string) => void>();
  #client: pg.Client | null = null;
  #connecting: Promise<void> | null = null;
  #retry: NodeJS.Timeout | null = null;
  #closed = false;

  constructor(options: VmReadyListenerOptions) {
    this.#options = options;
  }

  /** Subscribes; the connection opens with the first subscriber. */
  subscribe(listener: (pool: string) => void): () => void {
    this.#listeners.add(listener);
    if (!this.#client && !this.#connecting) this.#connect();
    return () => {
      this.#listeners.delete(listener);
    };
  }

  #connect(): void {
    if (this.#closed) return;
    const client = new pg.Client({
      connectionString: this.#options.connectionString,
      connectionTimeoutMillis: 5000,
      // It only ever reads: without probes a vanished server would go unnoticed forever.
      keepAlive: true,
      keepAliveInitialDelayMillis: 10_000,
      ...(this.#options.options ? { options: this.#options.options } : {}),
    });
    let dead = false;
    const lost = (e: unknown): void => {
      // 'error' is usually followed by 'end': one reconnect per connection.
      if (dead) return;
      dead = true;
      if (this.#client === client) this.#client = null;
      client.removeAllListeners('notification');
      void client.end().catch(() => undefined);
      if (this.#closed) return;
      this.#options.onError?.(e);
      this.#retry ??= setTimeout(() => {
        this.#retry = null;
        this.#connect();
      }, this.#options.retryMs ?? 1000);
      this.#retry.unref();
    };
    client.on('error', lost);
    client.on('end', () => lost(new Error('notification connection ended')));
    this.#connecting = (async () => {
      try {
        await client.connect();
        const { rows } = await client.query<{ schema: string }>('select current_schema() as schema');
        const schema = rows[0]?.schema ?? 'public';
        client.on('notification', (n) => {
          const pool = poolOfPayload(n.payload, schema);
          if (pool !== null) for (const l of this.#listeners) l(pool);
        });
        await client.query(`listen ${VM_READY_CHANNEL}`);
        if (this.#closed) {
          await client.end();
          return;
        }
        this.#client = client;
      } catch (e) {
        lost(e);
      } finally {
        this.#connecting = null;
      }
    })();
  }

  async close(): Promise<void> {
    this.#closed = true;
    if (this.#retry) clearTimeout(this.#retry);
    await this.#connecting;
    const client = this.#client;
    this.#client = null;
    if (client) await client.end().catch(() => undefined);
  }
}
