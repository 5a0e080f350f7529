/**
 * One QMP connection per VM, shared by this process's operations and closed after a short idle
 * time. QEMU serves one client per QMP socket at a time, so holding a connection forever would
 * lock out every other hvkube process (a CLI call next to `hvkube serve`).
 * @module
 */
import { QmpClient, type QmpConnectOptions } from './qmp-client.js';

interface Entry {
  client: Promise<QmpClient>;
  users: number;
  idle: NodeJS.Timeout | null;
}

export class QmpConnections {
  readonly #entries = new Map<string, Entry>();
  readonly #idleMs: number;
  readonly #options: QmpConnectOptions;

  constructor(idleMs: number, options: QmpConnectOptions) {
    this.#idleMs = idleMs;
    this.#options = options;
  }

  /** Runs `fn` with the VM's connection, connecting first when needed. */
  async use<T>(
    key: string,
    socketPath: string,
    fn: (qmp: QmpClient) => Promise<T>,
    connect: Pick<QmpConnectOptions, 'keepTrying' | 'connectTimeoutMs'> = {},
  ): Promise<T> {
    let entry = this.#entries.get(key);
    if (entry && (await entry.client.then((c) => c.closed, () => true))) {
      if (this.#entries.get(key) === entry) this.#entries.delete(key);
      entry = undefined;
    }
    if (!entry) {
      entry = { client: QmpClient.connect(socketPath, { ...this.#options, ...connect }), users: 0, idle: null };
      this.#entries.set(key, entry);
      const created = entry;
      created.client.catch(() => {
        if (this.#entries.get(key) === created) this.#entries.delete(key);
      });
    }
    entry.users++;
    if (entry.idle) clearTimeout(entry.idle);
    entry.idle = null;
    try {
      return await fn(await entry.client);
    } finally {
      this.#release(key, entry);
    }
  }

  /** Closes the VM's connection at once (its process is ending or gone). */
  drop(key: string): void {
    const entry = this.#entries.get(key);
    if (!entry) return;
    this.#entries.delete(key);
    if (entry.idle) clearTimeout(entry.idle);
    entry.client.then((c) => c.close(), () => undefined);
  }

  closeAll(): void {
    for (const key of [...this.#entries.keys()]) this.drop(key);
  }

  #release(key: string, entry: Entry): void {
    entry.users--;
    if (entry.users > 0 || this.#entries.get(key) !== entry) return;
    entry.idle = setTimeout(() => this.drop(key), this.#idleMs);
    entry.idle.unref();
  }
}
