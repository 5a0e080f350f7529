/**
 * Time as the fake backend sees it. Tests swap in `ManualClock` so that a 2-second simulated boot
 * takes no real time and the order of events is decided by the test, not by the scheduler.
 * @module
 */

export interface FakeClock {
  /** Milliseconds; only differences matter. */
  now(): number;
  /** Resolves after `ms`, or rejects with the signal's reason once it aborts. */
  sleep(ms: number, signal?: AbortSignal): Promise<void>;
}

/** The signal's reason as an Error (callers may abort with anything). */
export function abortReason(signal: AbortSignal): Error {
  const reason: unknown = signal.reason;
  if (reason instanceof Error) return reason;
  return new Error(typeof reason === 'string' ? reason : 'aborted', { cause: reason });
}

export const realClock: FakeClock = {
  now: () => Date.now(),
  sleep: (ms, signal) =>
    new Promise<void>((resolve, reject) => {
      if (signal?.aborted) {
        reject(abortReason(signal));
        return;
      }
      const onAbort = (): void => {
        clearTimeout(timer);
        reject(abortReason(signal as AbortSignal));
      };
      const timer = setTimeout(() => {
        signal?.removeEventListener('abort', onAbort);
        resolve();
      }, ms);
      signal?.addEventListener('abort', onAbort, { once: true });
    }),
};

interface PendingSleep {
  due: number;
  seq: number;
  resolve(): void;
}

/** A clock that moves only when the test calls `advance`. */
export class ManualClock implements FakeClock {
  private current: number;
  private seq = 0;
  private pending: PendingSleep[] = [];

  constructor(startMs = 0) {
    this.current = startMs;
  }

  now(): number {
    return this.current;
  }

  /** Sleeps that have not fired yet. */
  get pendingSleeps(): number {
    return this.pending.length;
  }

  sleep(ms: number, signal?: AbortSignal): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      if (signal?.aborted) {
        reject(abortReason(signal));
        return;
      }
      const entry: PendingSleep = {
        due: this.current + Math.max(0, ms),
        seq: this.seq++,
        resolve: () => {
          signal?.removeEventListener('abort', onAbort);
          resolve();
        },
      };
      const onAbort = (): void => {
        this.pending = this.pending.filter((p) => p !== entry);
        reject(abortReason(signal as AbortSignal));
      };
      signal?.addEventListener('abort', onAbort, { once: true });
      this.pending.push(entry);
    });
  }

  /**
   * Moves time forward, firing due sleeps in order. Resolves after a macrotask so that the code
   * waiting on those sleeps has run up to its next wait when the test continues.
   */
  async advance(ms: number): Promise<void> {
    this.current += ms;
    const due = this.pending
      .filter((p) => p.due <= this.current)
      .sort((a, b) => a.due - b.due || a.seq - b.seq);
    this.pending = this.pending.filter((p) => p.due > this.current);
    for (const p of due) p.resolve();
    await settle();
  }

  /** Waits (in real time, briefly) until at least `count` sleeps are pending. */
  async waitForSleepers(count = 1, timeoutMs = 2000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (this.pending.length < count) {
      if (Date.now() > deadline)
        throw new Error(`expected ${count} pending sleeps, have ${this.pending.length}`);
      await settle();
    }
  }
}

function settle(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}
