/**
 * Recent history for the dashboard's charts: resume times per pool (read from the events table,
 * so resumes done by other processes on the same store count too) and queue depth per pool
 * (sampled here: it is not stored anywhere).
 * @module
 */
import type { StateEvent } from '../domain/types.js';
import type { Orchestrator } from '../orchestrator/orchestrator.js';
import type { AgentsPort } from '../mcp/agents.js';

export interface ResumePoint {
  at: number;
  ms: number;
}

const PAGE = 1000;

/** Follows the events table from where it stopped last time; keeps the last `keep` resumes per pool. */
export class ResumeHistory {
  readonly #orch: Orchestrator;
  readonly #keep: number;
  readonly #points = new Map<string, ResumePoint[]>();
  /** VM → pool, learnt from the events that carry it (deleted VMs included). */
  readonly #poolOf = new Map<string, string>();
  #cursor = 0;
  #reading: Promise<void> | null = null;

  constructor(orch: Orchestrator, keep = 60) {
    this.#orch = orch;
    this.#keep = keep;
  }

  async read(): Promise<Map<string, ResumePoint[]>> {
    this.#reading ??= this.#catchUp().finally(() => {
      this.#reading = null;
    });
    await this.#reading;
    return this.#points;
  }

  async #catchUp(): Promise<void> {
    for (;;) {
      const page = await this.#orch.listEvents({ afterId: this.#cursor, kind: 'vm', limit: PAGE });
      for (const e of page) this.#take(e);
      this.#cursor = page.at(-1)?.id ?? this.#cursor;
      if (page.length < PAGE) return;
    }
  }

  #take(e: StateEvent): void {
    const pool = e.details?.['pool'];
    if (typeof pool === 'string') this.#poolOf.set(e.subject, pool);
    if (e.from !== 'resuming' || e.to !== 'running') return;
    const detail = e.details?.['resumeMs'];
    const ms = typeof detail === 'number' ? detail : e.durationMs;
    const owner = this.#poolOf.get(e.subject);
    if (ms === null || owner === undefined) return;
    const list = this.#points.get(owner) ?? [];
    list.push({ at: Date.parse(e.at), ms });
    if (list.length > this.#keep) list.splice(0, list.length - this.#keep);
    this.#points.set(owner, list);
  }
}

export interface DepthSample {
  at: number;
  /** Pool → agents pending plus acquires waiting. */
  depth: Record<string, number>;
}

/** Samples every pool's queue depth on a timer while the dashboard runs. */
export class QueueSampler {
  readonly #samples: DepthSample[] = [];
  readonly #timer: NodeJS.Timeout;
  readonly #keep: number;
  readonly #orch: Orchestrator;
  readonly #agents: AgentsPort | null;

  constructor(
    orch: Orchestrator,
    agents: AgentsPort | null,
    options: { everyMs?: number; keep?: number } = {},
  ) {
    this.#orch = orch;
    this.#agents = agents;
    this.#keep = options.keep ?? 120;
    this.#timer = setInterval(
      () => void this.sample().catch(() => undefined),
      options.everyMs ?? 5000,
    );
    this.#timer.unref();
  }

  get samples(): readonly DepthSample[] {
    return this.#samples;
  }

  async sample(): Promise<void> {
    const pools = await this.#orch.store.listPools();
    const pending = this.#agents
      ? (await this.#agents.queued()).filter((a) => a.status === 'pending')
      : [];
    const depth: Record<string, number> = {};
    for (const p of pools)
      depth[p.name] =
        this.#orch.waitingAcquires(p.name) + pending.filter((a) => a.pool === p.name).length;
    this.#samples.push({ at: Date.now(), depth });
    if (this.#samples.length > this.#keep)
      this.#samples.splice(0, this.#samples.length - this.#keep);
  }

  close(): void {
    clearInterval(this.#timer);
  }
}
