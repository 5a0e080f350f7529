/**
 * The append-only audit log, read in id order so a reader can page with `afterId`.
 * @module
 */
import type { NewStateEvent, StateEvent } from '../domain/types.js';
import type { EventQuery } from './store.js';
import { insertEvent, type StoreContext } from './context.js';
import { rowToEvent } from './rows.js';

/** A page when the caller names none: enough for a screen, small enough for a hot loop. */
export const DEFAULT_EVENT_LIMIT = 1000;

export async function appendEvent(ctx: StoreContext, event: NewStateEvent): Promise<StateEvent> {
  return insertEvent(ctx.db, ctx, event);
}

export async function listEvents(ctx: StoreContext, query: EventQuery = {}): Promise<StateEvent[]> {
  const { afterId, kind, subject } = query;
  const rows = await ctx.db
    .selectFrom('events')
    .selectAll()
    .$if(afterId !== undefined, (qb) => qb.where('id', '>', afterId ?? 0))
    .$if(kind !== undefined, (qb) => qb.where('kind', '=', kind ?? ''))
    .$if(subject !== undefined, (qb) => qb.where('subject', '=', subject ?? ''))
    .orderBy('id')
    .limit(query.limit ?? DEFAULT_EVENT_LIMIT)
    .execute();
  return rows.map(rowToEvent);
}
