/**
 * /api/v1/vms: list, inspect and drive the lifecycle of single VMs.
 * @module
 */
import { createRoute, z } from '@hono/zod-openapi';
import type { ApiApp, RouteDeps } from '../deps.js';
import { errors, jsonAnswer, jsonBody } from '../openapi.js';
import { ForceQuerySchema, ForceSchema, nameParam, NameSchema, NoOptionsSchema, RemovedSchema, VmSchema } from '../schemas.js';

const tags = ['vms'];
const params = nameParam('VM');
const ListQuery = z.object({ pool: NameSchema.optional() });

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

  const action = (verb: 'resume' | 'save', summary: string): void => {
    app.openapi(
      createRoute({
        method: 'post',
        path: `/vms/{name}/${verb}`,
        tags,
        summary,
        request: { params, body: jsonBody(NoOptionsSchema, false) },
        responses: { 200: jsonAnswer(VmSchema, 'the VM'), ...errors(404, 409, 502, 503) },
      }),
      async (c) => {
        const { name } = c.req.valid('param');
        return c.json(verb === 'resume' ? await orch.resumeVm(name) : await orch.saveVm(name), 200);
      },
    );
  };
  action('resume', 'Resume (or boot) a VM without leasing it');
  action('save', 'Save a running VM');

  const forced = (verb: 'reset' | 'stop', summary: string): void => {
    app.openapi(
      createRoute({
        method: 'post',
        path: `/vms/{name}/${verb}`,
        tags,
        summary,
        request: { params, body: jsonBody(ForceSchema, false) },
        responses: { 200: jsonAnswer(VmSchema, 'the VM'), ...errors(404, 409, 502, 503) },
      }),
      async (c) => {
        const { name } = c.req.valid('param');
        const force = c.req.valid('json').force === true;
        return c.json(verb === 'reset' ? await orch.resetVm(name, { force }) : await orch.stopVm(name, { force }), 200);
      },
    );
  };
  forced('reset', 'Restore the clean checkpoint (the VM ends saved)');
  forced('stop', 'Shut a VM down (force: power off, also when in use)');

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
