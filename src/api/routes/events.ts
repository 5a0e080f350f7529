/**
 * /api/v1/events: the events table (VM state changes, pool and template actions, agent changes)
 * as JSON pages, or — with `Accept: text/event-stream` — as a live server-sent event stream that
 * a reconnecting client resumes with `Last-Event-ID`. Provisioning progress rides the same
 * stream as `progress` events (not stored, so without an id).
 * @module
 */
import { createRoute, z } from '@hono/zod-openapi';
import type { Context } from 'hono';
import { streamSSE, type SSEStreamingApi } from 'hono/streaming';
import type { StateEvent } from '../../domain/types.js';
import type { ProgressEvent } from '../../orchestrator/context.js';
import type { ApiApp, RouteDeps } from '../deps.js';
import type { EventTail } from '../event-tail.js';
import { errors } from '../openapi.js';
import { EventsQuerySchema, StateEventSchema } from '../schemas.js';

const PAGE = 500;
const KEEPALIVE_MS = 15_000;

type EventsQuery = z.output<typeof EventsQuerySchema>;

export function eventRoutes(app: ApiApp, deps: RouteDeps, tail: EventTail): void {
  const route = createRoute({
    operationId: 'listEvents',
    method: 'get',
    path: '/events',
    tags: ['events'],
    summary: 'The event log, as JSON pages or a live server-sent event stream',
    description:
      'With `Accept: text/event-stream`: one SSE message per stored event (`id` = event id, `event` = its kind: vm, pool, template, agent, host) ' +
      'from now on, or from after `Last-Event-ID` / `after` when given; `progress` messages for provisioning; a comment every 15 s. ' +
      'Otherwise: a JSON array of events after `after`, oldest first, at most `limit` (1000).',
    request: { query: EventsQuerySchema },
    responses: {
      200: {
        description: 'events',
        content: {
          'application/json': { schema: z.array(StateEventSchema) },
          'text/event-stream': { schema: z.string().openapi({ description: 'server-sent events' }) },
        },
      },
      ...errors(),
    },
  });
  app.openapi(route, async (c) => {
    const query = c.req.valid('query');
    if ((c.req.header('accept') ?? '').includes('text/event-stream')) return stream(c, deps, tail, query);
    const { after, limit, kind, subject } = query;
    return c.json(await deps.orch.listEvents({ afterId: after, limit: limit ?? 1000, kind, subject }), 200);
  });
}

function resumeFrom(c: Context, query: EventsQuery): number | undefined {
  const header = c.req.header('last-event-id');
  if (header !== undefined && /^\d{1,15}$/.test(header.trim())) return Number(header.trim());
  return query.after;
}

function stream(c: Context, { orch, lifecycle }: RouteDeps, tail: EventTail, query: EventsQuery): Response {
  const { kind, subject } = query;
  const from = resumeFrom(c, query);
  return streamSSE(c, async (sse: SSEStreamingApi) => {
    await tail.ready;
    let sent = from ?? tail.lastId;
    const progress: ProgressEvent[] = [];
    let wake: (() => void) | null = null;
    // Set by every poke, so one that lands while the table is being read is not lost.
    const pending = { dirty: false };
    const poke = (): void => {
      pending.dirty = true;
      wake?.();
    };
    const onProgress = (e: ProgressEvent): void => {
      if (subject !== undefined && subject !== e.pool && subject !== e.vm) return;
      progress.push(e);
      poke();
    };
    const wantsProgress = kind === undefined || kind === 'pool';
    tail.on('events', poke);
    if (wantsProgress) orch.events.on('progress', onProgress);
    lifecycle.signal.addEventListener('abort', poke);
    sse.onAbort(poke);
    const open = (): boolean => !sse.aborted && !sse.closed && !lifecycle.draining;
    try {
      await sse.writeSSE({ event: 'hello', data: JSON.stringify({ after: sent }), retry: 2000 });
      while (open()) {
        pending.dirty = false;
        for (;;) {
          const page: StateEvent[] = await orch.listEvents({ afterId: sent, limit: PAGE, kind, subject });
          for (const e of page) await sse.writeSSE({ id: String(e.id), event: e.kind, data: JSON.stringify(e) });
          sent = page.at(-1)?.id ?? sent;
          if (page.length < PAGE || !open()) break;
        }
        for (let e = progress.shift(); e && open(); e = progress.shift()) await sse.writeSSE({ event: 'progress', data: JSON.stringify(e) });
        if (!open()) break;
        if (pending.dirty) continue;
        const timedOut = await new Promise<boolean>((resolve) => {
          const timer = setTimeout(() => resolve(true), KEEPALIVE_MS);
          wake = () => {
            clearTimeout(timer);
            resolve(false);
          };
        });
        wake = null;
        if (timedOut && open()) await sse.write(': keepalive\n\n');
      }
    } finally {
      tail.off('events', poke);
      orch.events.off('progress', onProgress);
      lifecycle.signal.removeEventListener('abort', poke);
    }
  });
}
