/**
 * FIFO queues of acquires waiting for a VM, one per pool. A VM becoming ready wakes the first
 * waiter only; a newcomer joins the back of the queue when others already wait, so waiting is
 * first come, first served.
 * @module
 */

interface Waiter {
  wake: () => void;
}

export class Waiters {
  readonly #queues = new Map<string, Waiter[]>();
  readonly #onWait: (pool: string) => void;

  /** `onWait` hears of every acquire that starts waiting (the autoscaler grows the pool). */
  constructor(onWait: (pool: string) => void = () => undefined) {
    this.#onWait = onWait;
  }

  size(pool: string): number {
    return this.#queues.get(pool)?.length ?? 0;
  }

  /**
   * Waits until woken, `ms` elapses or `signal` aborts; answers whether it was woken. `front`
   * puts the waiter back at the head (it was woken but lost the race).
   */
  wait(pool: string, ms: number, options: { signal?: AbortSignal; front?: boolean } = {}): Promise<boolean> {
    return new Promise((resolve) => {
      const queue = this.#queues.get(pool) ?? [];
      this.#queues.set(pool, queue);
      let settled = false;
      const finish = (woken: boolean): void => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        options.signal?.removeEventListener('abort', onAbort);
        const i = queue.indexOf(waiter);
        if (i >= 0) queue.splice(i, 1);
        if (queue.length === 0) this.#queues.delete(pool);
        resolve(woken);
      };
      const waiter: Waiter = { wake: () => finish(true) };
      const onAbort = (): void => finish(false);
      const timer = setTimeout(() => finish(false), Math.max(0, ms));
      options.signal?.addEventListener('abort', onAbort, { once: true });
      if (options.front) queue.unshift(waiter);
      else queue.push(waiter);
      this.#onWait(pool);
    });
  }

  /** Wakes the first waiter of the pool, if any. */
  notify(pool: string): void {
    this.#queues.get(pool)?.[0]?.wake();
  }

  /** Wakes everyone (shutdown). */
  wakeAll(): void {
    for (const q of [...this.#queues.values()]) for (const w of [...q]) w.wake();
  }
}
