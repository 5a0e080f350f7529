/**
 * Latency of forwarded operations, kept per operation in a bounded window, so the cost of the
 * extra hop to a VM's owner can be read (internal stats route, bench) without a metrics stack.
 * @module
 */

export interface LatencySummary {
  count: number;
  failures: number;
  p50Ms: number | null;
  p99Ms: number | null;
  maxMs: number | null;
}

const WINDOW = 2048;

function percentile(sorted: readonly number[], p: number): number | null {
  if (sorted.length === 0) return null;
  const i = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return Math.round((sorted[i] ?? 0) * 100) / 100;
}

export class LatencyRecorder {
  readonly #samples = new Map<string, number[]>();
  readonly #counts = new Map<string, { count: number; failures: number }>();

  record(operation: string, ms: number, ok: boolean): void {
    const window = this.#samples.get(operation) ?? [];
    window.push(ms);
    if (window.length > WINDOW) window.shift();
    this.#samples.set(operation, window);
    const c = this.#counts.get(operation) ?? { count: 0, failures: 0 };
    c.count++;
    if (!ok) c.failures++;
    this.#counts.set(operation, c);
  }

  summary(): Record<string, LatencySummary> {
    const out: Record<string, LatencySummary> = {};
    for (const [op, window] of this.#samples) {
      const sorted = [...window].sort((a, b) => a - b);
      const c = this.#counts.get(op) ?? { count: 0, failures: 0 };
      out[op] = { ...c, p50Ms: percentile(sorted, 50), p99Ms: percentile(sorted, 99), maxMs: sorted.at(-1) ?? null };
    }
    return out;
  }
}
