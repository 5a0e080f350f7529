/**
 * What graceful shutdown needs to know: a signal that tells waiting work to give up (an acquire
 * waiting in the queue, an event stream), and the background work answered before it finished
 * (a release that returned at once while its VM is still saving) so shutdown can wait for it.
 * @module
 */
export class ApiLifecycle {
  readonly #abort = new AbortController();
  readonly #pending = new Set<Promise<unknown>>();
  #inflight = 0;

  /** Aborts when the server starts shutting down. */
  get signal(): AbortSignal {
    return this.#abort.signal;
  }

  get draining(): boolean {
    return this.#abort.signal.aborted;
  }

  /** Requests being answered right now (for /readyz and shutdown). */
  get inflight(): number {
    return this.#inflight;
  }

  enter(): void {
    this.#inflight++;
  }
  leave(): void {
    this.#inflight--;
  }

  /** Keeps a promise that outlives its request; shutdown waits for it. It must never reject. */
  track(p: Promise<unknown>): void {
    this.#pending.add(p);
    void p.finally(() => this.#pending.delete(p));
  }

  beginDrain(): void {
    this.#abort.abort(new Error('server shutting down'));
  }

  /** Waits until no request is in flight and no tracked work is pending, or `timeoutMs` passed. */
  async settled(timeoutMs: number): Promise<boolean> {
    const deadline = Date.now() + timeoutMs;
    while (this.#inflight > 0 || this.#pending.size > 0) {
      if (Date.now() >= deadline) return false;
      await Promise.race([Promise.allSettled([...this.#pending]), new Promise((r) => setTimeout(r, 50))]);
    }
    return true;
  }
}
