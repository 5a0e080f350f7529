/**
 * /api/v1/webhooks: lifecycle webhook subscriptions and their delivery log (docs/webhooks.md).
 * @module
 */
import { createRoute, z } from '@hono/zod-openapi';
import { WEBHOOK_EVENT_TYPES } from '../../domain/webhook-events.js';
import {
  addWebhook,
  listDeliveries,
  listWebhooks,
  redeliver,
  removeWebhook,
} from '../../webhooks/index.js';
import type { ApiApp, RouteDeps } from '../deps.js';
import { errors, jsonAnswer, jsonBody } from '../openapi.js';
import { NoOptionsSchema, queryInt, RemovedSchema } from '../schemas.js';

const tags = ['webhooks'];
const EventType = z.enum(WEBHOOK_EVENT_TYPES);

const WebhookSchema = z
  .object({
    id: z.string(),
    url: z.string(),
    events: z.array(EventType).openapi({ description: 'empty: every type' }),
    createdAt: z.string(),
  })
  .openapi('Webhook');
const WebhookCreatedSchema = WebhookSchema.extend({
  secret: z.string().openapi({ description: 'shown only in this answer' }),
}).openapi('WebhookCreated');
const WebhookCreateSchema = z
  .object({
    url: z.string().min(1).max(2048),
    events: z.array(EventType).max(WEBHOOK_EVENT_TYPES.length).optional(),
    secret: z
      .string()
      .max(200)
      .optional()
      .openapi({ description: 'whsec_…; generated when omitted' }),
  })
  .strict()
  .openapi('WebhookCreate');
const DeliverySchema = z
  .object({
    id: z.string().openapi({ description: 'the webhook-id header' }),
    webhookId: z.string(),
    seq: z.number().int(),
    eventId: z.number().int(),
    type: EventType,
    payload: z.string(),
    status: z.enum(['pending', 'delivered', 'failed']),
    attempts: z.number().int(),
    nextAttemptAt: z.string(),
    lastStatus: z.number().int().nullable(),
    lastError: z.string().nullable(),
    createdAt: z.string(),
    deliveredAt: z.string().nullable(),
  })
  .openapi('WebhookDelivery');
const idParam = (name: string) =>
  z.object({
    [name]: z
      .string()
      .max(64)
      .openapi({ param: { name, in: 'path' } }),
  });
const LimitQuery = z.object({ limit: queryInt(1, 1000).optional() });

export function webhookRoutes(app: ApiApp, { orch }: RouteDeps): void {
  const store = orch.store;
  app.openapi(
    createRoute({
      operationId: 'listWebhooks',
      method: 'get',
      path: '/webhooks',
      tags,
      summary: 'List webhook subscriptions (without their secrets)',
      responses: { 200: jsonAnswer(z.array(WebhookSchema), 'subscriptions'), ...errors() },
    }),
    async (c) => c.json(await listWebhooks(store), 200),
  );
  app.openapi(
    createRoute({
      operationId: 'addWebhook',
      method: 'post',
      path: '/webhooks',
      tags,
      summary: 'Subscribe a URL to lifecycle events',
      request: { body: jsonBody(WebhookCreateSchema) },
      responses: {
        201: jsonAnswer(WebhookCreatedSchema, 'the subscription, with its secret'),
        ...errors(),
      },
    }),
    async (c) => c.json(await addWebhook(store, c.req.valid('json')), 201),
  );
  app.openapi(
    createRoute({
      operationId: 'removeWebhook',
      method: 'delete',
      path: '/webhooks/{id}',
      tags,
      summary: 'Remove a subscription and its delivery log',
      request: { params: idParam('id') },
      responses: { 200: jsonAnswer(RemovedSchema, 'removed'), ...errors(404) },
    }),
    async (c) => {
      const id = c.req.valid('param').id ?? '';
      await removeWebhook(store, id);
      return c.json({ removed: id }, 200);
    },
  );
  app.openapi(
    createRoute({
      operationId: 'listAllWebhookDeliveries',
      method: 'get',
      path: '/webhooks/deliveries',
      tags,
      summary: 'The delivery log of every subscription, newest first',
      request: { query: LimitQuery },
      responses: { 200: jsonAnswer(z.array(DeliverySchema), 'deliveries'), ...errors() },
    }),
    async (c) => c.json(await listDeliveries(store, undefined, c.req.valid('query').limit), 200),
  );
  app.openapi(
    createRoute({
      operationId: 'listWebhookDeliveries',
      method: 'get',
      path: '/webhooks/{id}/deliveries',
      tags,
      summary: "A subscription's delivery log, newest first",
      request: { params: idParam('id'), query: LimitQuery },
      responses: { 200: jsonAnswer(z.array(DeliverySchema), 'deliveries'), ...errors(404) },
    }),
    async (c) =>
      c.json(await listDeliveries(store, c.req.valid('param').id, c.req.valid('query').limit), 200),
  );
  app.openapi(
    createRoute({
      operationId: 'redeliverWebhook',
      method: 'post',
      path: '/webhooks/deliveries/{delivery}/redeliver',
      tags,
      summary: 'Send a delivery again (same webhook-id and body)',
      request: { params: idParam('delivery'), body: jsonBody(NoOptionsSchema, false) },
      responses: { 200: jsonAnswer(DeliverySchema, 'the delivery, queued'), ...errors(404) },
    }),
    async (c) => c.json(await redeliver(store, c.req.valid('param').delivery ?? ''), 200),
  );
}
