/**
 * Follows the store's events table: one reader for the whole server, woken by the
 * orchestrator's `appended` signal and by a slow poll (another process — the CLI, another
 * host — may write to the same store without telling us). Live event streams and metrics
 * listen to it instead of each polling the table.
 * @module
 */
import { EventEmitter } from 'node:events';
import type { StateEvent } from '../domain/types.js';
import type { Orchestrator } from '../orchestrator/orchestrator.js';
import { errorMessage, type Logger } from '../_util/logger.js';

const PAGE = 1000;
/** How long an append waits for others before the table is read. */
const BATCH_MS = 20;

export class EventTail extends EventEmitter<{ events: [StateEvent[]] }> {
  readonly #orch: Orchestrator;
  readonly #logger: Logger;
  #lastId = 0;
  #pulling: Promise<void> | null = null;
  #again = false;
  #timer: NodeJS.Timeout | null = null;
  #soon: NodeJS.Timeout | null = null;
  readonly #onAppended = (): void => this.poke();
  /** Settles once the tail has skipped to the end of the table. */
  readonly ready: Promise<void>;

  constructor(orch: Orchestrator, logger: Logger, pollMs = 1000) {
    super();
    this.setMaxListeners(0);
    this.#orch = orch;
    this.#logger = logger;
    // History is not replayed to listeners: they want what happens from now on.
    this.ready = this.#pull(false).then(() => {
      orch.events.on('appended', this.#onAppended);
      this.#timer = setInterval(() => this.poke(), pollMs);
      this.#timer.unref();
    });
  }

  /** Id of the newest event seen. */
  get lastId(): number {
    return this.#lastId;
  }

  /** Reads new events soon; bursts of appends (an acquire makes several) share one read. */
  poke(): void {
    if (this.#pulling || this.#soon) {
      this.#again = true;
      return;
    }
    this.#soon = setTimeout(() => {
      this.#soon = null;
      this.#pulling = (async () => {
        do {
          this.#again = false;
          await this.#pull(true);
          // Under steady load appends never stop: read at most once per batch window.
          if (this.#again) await new Promise((r) => setTimeout(r, BATCH_MS));
        } while (this.#again);
      })().finally(() => {
        this.#pulling = null;
      });
    }, BATCH_MS);
  }

  async #pull(emit: boolean): Promise<void> {
    try {
      for (;;) {
        const page = await this.#orch.listEvents({ afterId: this.#lastId, limit: PAGE });
        if (page.length === 0) return;
        this.#lastId = page[page.length - 1]?.id ?? this.#lastId;
        if (emit) this.emit('events', page);
        if (page.length < PAGE) return;
      }
    } catch (e) {
      this.#logger.warn({ err: errorMessage(e) }, 'reading the events table failed');
    }
  }

  async close(): Promise<void> {
    if (this.#timer) clearInterval(this.#timer);
    if (this.#soon) clearTimeout(this.#soon);
    this.#orch.events.off('appended', this.#onAppended);
    await this.ready.catch(() => undefined);
    await this.#pulling;
  }
}
