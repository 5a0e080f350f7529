/**
 * /api/v1/vms: list, inspect and drive the lifecycle of single VMs.
 * @module
 */
import { createRoute, z } from '@hono/zod-openapi';
import type { ZodType } from 'zod';
import type { ApiApp, RouteDeps } from '../deps.js';
import { errors, jsonAnswer, jsonBody } from '../openapi.js';
import { ForceQuerySchema, ForceSchema, nameParam, NameSchema, NoOptionsSchema, RemovedSchema, VmSchema } from '../schemas.js';

const tags = ['vms'];
const params = nameParam('VM');
const ListQuery = z.object({ pool: NameSchema.optional() });

/** POST /vms/{name}/<verb>: one lifecycle operation, answered with the VM; the body is optional. */
function operationRoute<B extends ZodType>(verb: string, summary: string, body: B) {
  return createRoute({
    method: 'post',
    path: `/vms/{name}/${verb}`,
    tags,
    summary,
    request: { params, body: jsonBody(body, false) },
    responses: { 200: jsonAnswer(VmSchema, 'the VM'), ...errors(404, 409, 502, 503) },
  });
}

export function vmRoutes(app: ApiApp, { orch }: RouteDeps): void {
  app.openapi(
    createRoute({
      method: 'get',
      path: '/vms',
      tags,
      summary: 'List VMs',
      request: { query: ListQuery },
      responses: { 200: jsonAnswer(z.array(VmSchema), 'VMs'), ...errors() },
    }),
    async (c) => {
      const { pool } = c.req.valid('query');
      return c.json(await orch.listVms(pool ? { pool } : {}), 200);
    },
  );
  app.openapi(
    createRoute({ method: 'get', path: '/vms/{name}', tags, summary: 'Show a VM', request: { params }, responses: { 200: jsonAnswer(VmSchema, 'the VM'), ...errors(404) } }),
    async (c) => c.json(await orch.getVm(c.req.valid('param').name), 200),
  );

  app.openapi(operationRoute('resume', 'Resume (or boot) a VM without leasing it', NoOptionsSchema), async (c) =>
    c.json(await orch.resumeVm(c.req.valid('param').name), 200),
  );
  app.openapi(operationRoute('save', 'Save a running VM', NoOptionsSchema), async (c) => c.json(await orch.saveVm(c.req.valid('param').name), 200));
  app.openapi(operationRoute('reset', 'Restore the clean checkpoint (the VM ends saved)', ForceSchema), async (c) =>
    c.json(await orch.resetVm(c.req.valid('param').name, { force: c.req.valid('json').force === true }), 200),
  );
  app.openapi(operationRoute('stop', 'Shut a VM down (force: power off, also when in use)', ForceSchema), async (c) =>
    c.json(await orch.stopVm(c.req.valid('param').name, { force: c.req.valid('json').force === true }), 200),
  );

  app.openapi(
    createRoute({
      method: 'delete',
      path: '/vms/{name}',
      tags,
      summary: 'Remove a VM and its disk (the pool controller replaces it)',
      request: { params, query: ForceQuerySchema },
      responses: { 200: jsonAnswer(RemovedSchema, 'removed'), ...errors(404, 409, 502) },
    }),
    async (c) => {
      const { name } = c.req.valid('param');
      await orch.removeVm(name, { force: c.req.valid('query').force === true });
      return c.json({ removed: name }, 200);
    },
  );
}
