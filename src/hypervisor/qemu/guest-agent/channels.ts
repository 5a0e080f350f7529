/**
 * The guest agent channel of each VM, used by one operation at a time. Each use connects, syncs,
 * runs its commands and closes: QEMU's chardev serves one client at a time, so holding the
 * connection would lock out every other hvkube process, and the sync on connect costs one round
 * trip through the guest. Uses of the same VM queue behind each other (the agent answers in
 * order and carries no ids); different VMs run in parallel.
 * @module
 */
import { writeFile } from 'node:fs/promises';
import { GuestAgentClient, type GaConnectOptions } from './ga-client.js';

export interface ChannelTarget {
  /** The VM's name (the queue key). */
  name: string;
  socketPath: string;
  /** Written once the agent has answered: evidence that this VM's guest runs qemu-ga. */
  seenFile: string;
}

export class GuestAgentChannels {
  readonly #queues = new Map<string, Promise<unknown>>();
  readonly #options: GaConnectOptions;
  /** VMs whose seen file this process has written. */
  readonly #seen = new Set<string>();

  constructor(options: GaConnectOptions) {
    this.#options = options;
  }

  /** Runs `fn` with a synced connection to the VM's agent, after the VM's earlier uses. */
  use<T>(target: ChannelTarget, fn: (ga: GuestAgentClient) => Promise<T>, options: { syncTimeoutMs?: number } = {}): Promise<T> {
    const before = this.#queues.get(target.name) ?? Promise.resolve();
    const run = before.catch(() => undefined).then(async () => {
      const ga = await GuestAgentClient.connect(target.socketPath, {
        ...this.#options,
        ...(options.syncTimeoutMs === undefined ? {} : { syncTimeoutMs: options.syncTimeoutMs }),
        label: `VM ${target.name}`,
      });
      if (!this.#seen.has(target.name)) {
        await writeFile(target.seenFile, `${new Date().toISOString()}\n`).catch(() => undefined);
        this.#seen.add(target.name);
      }
      try {
        return await fn(ga);
      } finally {
        ga.close();
      }
    });
    const settled = run.catch(() => undefined);
    this.#queues.set(target.name, settled);
    void settled.then(() => {
      if (this.#queues.get(target.name) === settled) this.#queues.delete(target.name);
    });
    return run;
  }

  /** Forgets what this process knows of the VM (it was removed). */
  forget(name: string): void {
    this.#seen.delete(name);
  }
}
