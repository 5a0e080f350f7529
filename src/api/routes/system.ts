/**
 * /api/v1/reconcile and /api/v1/host.
 * @module
 */
import { createRoute } from '@hono/zod-openapi';
import type { ApiApp, RouteDeps } from '../deps.js';
import { errors, jsonAnswer, jsonBody } from '../openapi.js';
import { HostInfoSchema, ReconcileReportSchema, ReconcileRequestSchema } from '../schemas.js';

const tags = ['system'];

export function systemRoutes(app: ApiApp, { orch }: RouteDeps): void {
  app.openapi(
    createRoute({
      operationId: 'reconcile',
      method: 'post',
      path: '/reconcile',
      tags,
      summary: 'Make the store agree with the hypervisor',
      request: { body: jsonBody(ReconcileRequestSchema, false) },
      responses: { 200: jsonAnswer(ReconcileReportSchema, 'what was found and fixed'), ...errors(502) },
    }),
    async (c) => c.json(await orch.reconcile({ removeOrphans: c.req.valid('json').removeOrphans === true }), 200),
  );
  app.openapi(
    createRoute({ operationId: 'hostInfo', method: 'get', path: '/host', tags, summary: "The host's memory, CPUs and disk", responses: { 200: jsonAnswer(HostInfoSchema, 'host facts'), ...errors(502) } }),
    async (c) => c.json(await orch.hostInfo(), 200),
  );
}
