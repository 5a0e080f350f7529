/**
 * /api/v1/hosts: the hosts of a fleet sharing one PostgreSQL (list, show, drain, undrain, remove), for
 * `hvkube host --server` and the dashboard. On SQLite no host registers, and the list is empty.
 * These work on the store only; each host acts on its own row when it next sees it.
 * @module
 */
import { createRoute } from '@hono/zod-openapi';
import { drainHost, listHostViews, removeHost, showHost, undrainHost } from '../../fleet/registry.js';
import type { ApiApp, RouteDeps } from '../deps.js';
import { errors, jsonAnswer, jsonBody } from '../openapi.js';
import { ForceQuerySchema, HostListSchema, HostRemovedSchema, HostSchema, HostViewSchema, nameParam, NoOptionsSchema } from '../schemas.js';

const tags = ['hosts'];
const params = nameParam('host');
const ACTOR = 'api';

export function hostRoutes(app: ApiApp, { orch }: RouteDeps): void {
  app.openapi(
    createRoute({
      operationId: 'listHosts',
      method: 'get',
      path: '/hosts',
      tags,
      summary: 'List the hosts of the fleet with their status, heartbeat and VMs',
      description: 'Empty on a single host (SQLite): hosts register only when they share PostgreSQL.',
      responses: { 200: jsonAnswer(HostListSchema, 'hosts'), ...errors() },
    }),
    async (c) => c.json({ hosts: await listHostViews(orch.store) }, 200),
  );
  app.openapi(
    createRoute({ operationId: 'getHost', method: 'get', path: '/hosts/{name}', tags, summary: 'Show a host', request: { params }, responses: { 200: jsonAnswer(HostViewSchema, 'the host'), ...errors(404) } }),
    async (c) => c.json(await showHost(orch.store, c.req.valid('param').name), 200),
  );
  app.openapi(
    createRoute({
      operationId: 'drainHost',
      method: 'post',
      path: '/hosts/{name}/drain',
      tags,
      summary: 'Drain a host: no new VMs or claims; its idle VMs are removed and replaced elsewhere',
      description: 'Running work is left alone. `undrain` (or registering again: a restart) makes the host `up` again.',
      request: { params, body: jsonBody(NoOptionsSchema, false) },
      responses: { 200: jsonAnswer(HostSchema, 'the host'), ...errors(404, 409) },
    }),
    async (c) => c.json(await drainHost(orch.store, c.req.valid('param').name, ACTOR), 200),
  );
  app.openapi(
    createRoute({
      operationId: 'undrainHost',
      method: 'post',
      path: '/hosts/{name}/undrain',
      tags,
      summary: 'Undo a drain: the host takes new VMs and claims again',
      description: 'A host that is up is answered as it is; a lost host cannot be undrained (it rejoins when its server runs).',
      request: { params, body: jsonBody(NoOptionsSchema, false) },
      responses: { 200: jsonAnswer(HostSchema, 'the host'), ...errors(404, 409) },
    }),
    async (c) => c.json(await undrainHost(orch.store, c.req.valid('param').name, ACTOR), 200),
  );
  app.openapi(
    createRoute({
      operationId: 'removeHost',
      method: 'delete',
      path: '/hosts/{name}',
      tags,
      summary: 'Forget a host that is gone for good, with the rows of its VMs',
      description: 'Refused while the host heartbeats or has VMs in service, unless `force`. Its hypervisor is not touched.',
      request: { params, query: ForceQuerySchema },
      responses: { 200: jsonAnswer(HostRemovedSchema, 'removed'), ...errors(404, 409) },
    }),
    async (c) => {
      const { name } = c.req.valid('param');
      const r = await removeHost(orch.store, name, { force: c.req.valid('query').force === true, actor: ACTOR });
      return c.json({ removed: name, vmsForgotten: r.vmsForgotten }, 200);
    },
  );
}
