/**
 * Prometheus metrics, on a private registry per server. Most are observed from outside the core:
 * resume durations and agent outcomes from the events table (so the scheduler's acquires count
 * too), VM counts and queue depths read at scrape time, acquire waits and HTTP timings from the
 * API layer. Backends report their PowerShell/QMP round trips through `backendCall`, which the
 * composition root passes to the backend's `onCall` hook.
 * @module
 */
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';
import { FINAL_AGENT_STATUSES, type AgentStatus } from '../domain/agent-state.js';
import type { StateEvent } from '../domain/types.js';
import type { Orchestrator } from '../orchestrator/orchestrator.js';
import type { EventTail } from './event-tail.js';

const SECONDS = (ms: number): number => ms / 1000;
const PREFIX = 'hvkube_';

/**
 * prom-client's default collectors name three gauges `…_total`, a suffix Prometheus reserves for
 * counters (`promtool check metrics` fails on them). Each repeats the sum of the gauge of the same
 * name without the suffix (`hvkube_nodejs_active_handles{type}` …), so they are left out.
 */
const MISNAMED_GAUGES = ['nodejs_active_handles_total', 'nodejs_active_requests_total', 'nodejs_active_resources_total'];

export class HvkubeMetrics {
  readonly registry = new Registry();
  readonly #resume = new Histogram({
    name: 'hvkube_resume_duration_seconds',
    help: 'Time from claiming a VM to it being ready (resume + readiness probes)',
    labelNames: ['tier'] as const,
    buckets: [0.01, 0.05, 0.1, 0.25, 0.5, 1, 2, 5, 10, 30, 60],
    registers: [this.registry],
  });
  readonly #acquireWait = new Histogram({
    name: 'hvkube_acquire_wait_seconds',
    help: 'Time an API acquire waited in the queue for a free VM',
    labelNames: ['pool'] as const,
    buckets: [0.001, 0.01, 0.1, 0.5, 1, 5, 10, 30, 60, 300],
    registers: [this.registry],
  });
  readonly #acquires = new Counter({
    name: 'hvkube_acquires_total',
    help: 'API acquires by outcome (ok, or the error code)',
    labelNames: ['pool', 'outcome'] as const,
    registers: [this.registry],
  });
  readonly #agentOutcomes = new Counter({
    name: 'hvkube_agent_outcomes_total',
    help: 'Agents that ended, by final status',
    labelNames: ['pool', 'status'] as const,
    registers: [this.registry],
  });
  readonly #hvCalls = new Histogram({
    name: 'hvkube_hypervisor_call_duration_seconds',
    help: 'Round trips to the hypervisor (PowerShell scripts, QMP commands)',
    labelNames: ['backend', 'command', 'outcome'] as const,
    buckets: [0.001, 0.005, 0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
    registers: [this.registry],
  });
  readonly #http = new Histogram({
    name: 'hvkube_http_request_duration_seconds',
    help: 'API requests by route pattern and status',
    labelNames: ['method', 'route', 'status'] as const,
    buckets: [0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1, 5, 30],
    registers: [this.registry],
  });
  #detach: (() => void) | null = null;

  constructor(options: { processMetrics?: boolean } = {}) {
    if (options.processMetrics !== false) {
      collectDefaultMetrics({ register: this.registry, prefix: PREFIX });
      for (const name of MISNAMED_GAUGES) this.registry.removeSingleMetric(PREFIX + name);
    }
  }

  /**
   * Observes one hypervisor round trip; pass it to `openRuntime` as `onBackendCall`, which hands
   * it to the backend's `onCall` hook.
   * @example openRuntime(config, { onBackendCall: metrics.backendCall })
   */
  readonly backendCall = (backend: string, operation: string, ms: number, ok: boolean): void => {
    this.#hvCalls.observe({ backend, command: operation, outcome: ok ? 'ok' : 'error' }, SECONDS(ms));
  };

  acquired(pool: string, outcome: string, waitMs: number | null): void {
    // A name that is not a pool must not become a label: hostile callers could mint series.
    this.#acquires.inc({ pool: outcome === 'POOL_NOT_FOUND' ? '-' : pool, outcome });
    if (waitMs !== null) this.#acquireWait.observe({ pool }, SECONDS(waitMs));
  }

  request(method: string, route: string, status: number, ms: number): void {
    this.#http.observe({ method, route, status: String(status) }, SECONDS(ms));
  }

  /** Starts observing an orchestrator: the events it logs, and its pools' counts at scrape time. */
  observe(orch: Orchestrator, tail: EventTail): void {
    if (this.#detach) throw new Error('HvkubeMetrics observes one orchestrator only');
    const onEvents = (events: StateEvent[]): void => events.forEach((e) => this.#fromEvent(e));
    tail.on('events', onEvents);
    this.#detach = () => tail.off('events', onEvents);

    new Gauge({
      name: 'hvkube_vms',
      help: 'VMs by pool and state',
      labelNames: ['pool', 'state'] as const,
      registers: [this.registry],
      async collect() {
        this.reset();
        for (const pool of await orch.store.listPools()) {
          const counts = await orch.store.countVmsByState(pool.name);
          for (const [state, n] of Object.entries(counts)) this.set({ pool: pool.name, state }, n ?? 0);
        }
      },
    });
    new Gauge({
      name: 'hvkube_queue_depth',
      help: 'Work waiting per pool: acquires queued for a VM, agents not yet running',
      labelNames: ['pool', 'queue'] as const,
      registers: [this.registry],
      async collect() {
        this.reset();
        for (const pool of await orch.store.listPools()) {
          this.set({ pool: pool.name, queue: 'acquire' }, orch.waitingAcquires(pool.name));
          const pending = await orch.store.listAgents({ pool: pool.name, statuses: ['pending', 'scheduled'] });
          this.set({ pool: pool.name, queue: 'agents' }, pending.length);
        }
      },
    });
  }

  #fromEvent(e: StateEvent): void {
    if (e.kind === 'vm' && e.action === 'resumed') {
      const ms = typeof e.details?.resumeMs === 'number' ? e.details.resumeMs : e.durationMs;
      if (ms !== null) this.#resume.observe({ tier: e.details?.hot === true ? 'hot' : 'saved' }, SECONDS(ms));
    } else if (e.kind === 'agent' && e.to !== null && FINAL_AGENT_STATUSES.includes(e.to as AgentStatus)) {
      const pool = typeof e.details?.pool === 'string' ? e.details.pool : 'unknown';
      this.#agentOutcomes.inc({ pool, status: e.to });
    }
  }

  /** The exposition text and its content type. */
  async scrape(): Promise<{ contentType: string; body: string }> {
    return { contentType: this.registry.contentType, body: await this.registry.metrics() };
  }

  close(): void {
    this.#detach?.();
  }
}
