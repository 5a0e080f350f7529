/**
 * Lifecycle webhook event types and which audit events they announce. Pure: the store uses it
 * to write the outbox row in the same transaction as the event, the dispatcher to build payloads.
 * @module
 */
import type { StateEvent } from './types.js';

export const WEBHOOK_EVENT_TYPES = [
  'vm.acquired',
  'vm.released',
  'vm.resumed',
  'vm.saved',
  'vm.reset',
  'vm.failed',
  'vm.replaced',
  'pool.degraded',
  'pool.recovered',
  'pool.scaled',
  'agent.completed',
  'agent.failed',
  'host.lost',
] as const;
export type WebhookEventType = (typeof WEBHOOK_EVENT_TYPES)[number];

export function isWebhookEventType(s: string): s is WebhookEventType {
  return (WEBHOOK_EVENT_TYPES as readonly string[]).includes(s);
}

type EventFacts = Pick<StateEvent, 'kind' | 'action' | 'to' | 'details'>;

/** The webhook type an audit event announces, or null for the many it does not. */
export function webhookTypeOf(e: EventFacts): WebhookEventType | null {
  switch (e.kind) {
    case 'vm':
      // A release is the transition out of `running` that ends the lease; release.ts marks it.
      if (e.details?.released !== undefined) return 'vm.released';
      if (e.to === 'error') return 'vm.failed';
      switch (e.action) {
        case 'claim':
          return 'vm.acquired';
        case 'resumed':
          return 'vm.resumed';
        case 'saved':
          return 'vm.saved';
        case 'reset-to-saved':
        case 'reset-to-off':
          return 'vm.reset';
        case 'replaced':
          return 'vm.replaced';
        default:
          return null;
      }
    case 'pool':
      return e.action === 'degraded'
        ? 'pool.degraded'
        : e.action === 'recovered'
          ? 'pool.recovered'
          : e.action === 'scaled'
            ? 'pool.scaled'
            : null;
    case 'agent':
      return e.action === 'completed'
        ? 'agent.completed'
        : e.action === 'failed' || e.action === 'timed_out'
          ? 'agent.failed'
          : null;
    case 'host':
      return e.action === 'lost' ? 'host.lost' : null;
    default:
      return null;
  }
}

/** Detail keys never sent to a receiver: a lease id is a capability to release the VM. */
const PRIVATE_DETAILS = new Set(['leaseId']);

/** The `data` of a Standard Webhooks payload for an event. */
export function webhookData(e: StateEvent): Record<string, unknown> {
  const details = Object.fromEntries(
    Object.entries(e.details ?? {}).filter(([k]) => !PRIVATE_DETAILS.has(k)),
  );
  return {
    [e.kind]: e.subject,
    eventId: e.id,
    action: e.action,
    from: e.from,
    to: e.to,
    actor: e.actor,
    durationMs: e.durationMs,
    ...(Object.keys(details).length > 0 ? { details } : {}),
  };
}
