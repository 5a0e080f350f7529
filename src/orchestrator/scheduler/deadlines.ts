/**
 * One timer per agent with a deadline. The deadline itself is in the store; a timer is only how
 * this process notices it, so a restart re-arms timers from the stored deadlines.
 * @module
 */

/** setTimeout's longest delay; longer deadlines are reached in several hops. */
const MAX_DELAY_MS = 2 ** 31 - 1;

export class DeadlineTimers {
  readonly #timers = new Map<string, NodeJS.Timeout>();

  constructor(
    private readonly onExpire: (id: string) => void,
    private readonly now: () => number,
  ) {}

  arm(id: string, deadlineAt: string | null): void {
    this.clear(id);
    if (deadlineAt === null) return;
    const remaining = Date.parse(deadlineAt) - this.now();
    const timer = setTimeout(
      () => {
        this.#timers.delete(id);
        if (remaining > MAX_DELAY_MS) this.arm(id, deadlineAt);
        else this.onExpire(id);
      },
      Math.max(0, Math.min(remaining, MAX_DELAY_MS)),
    );
    this.#timers.set(id, timer);
  }

  clear(id: string): void {
    const timer = this.#timers.get(id);
    if (timer) clearTimeout(timer);
    this.#timers.delete(id);
  }

  clearAll(): void {
    for (const timer of this.#timers.values()) clearTimeout(timer);
    this.#timers.clear();
  }
}
