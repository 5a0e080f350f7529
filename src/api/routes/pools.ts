/**
 * /api/v1/pools: create, list, show, scale, provision and remove pools.
 * @module
 */
import { createRoute, z } from '@hono/zod-openapi';
import type { ApiApp, RouteDeps } from '../deps.js';
import { errors, jsonAnswer, jsonBody } from '../openapi.js';
import {
  ForceQuerySchema,
  nameParam,
  NoOptionsSchema,
  PoolCreateSchema,
  PoolScaleSchema,
  PoolSchema,
  PoolStatusSchema,
  ProvisionReportSchema,
  RemovedSchema,
} from '../schemas.js';

const tags = ['pools'];
const params = nameParam('pool');

export function poolRoutes(app: ApiApp, { orch }: RouteDeps): void {
  app.openapi(
    createRoute({ operationId: 'listPools', method: 'get', path: '/pools', tags, summary: 'List pools with their counts', responses: { 200: jsonAnswer(z.array(PoolStatusSchema), 'pools'), ...errors() } }),
    async (c) => c.json(await orch.listPools(), 200),
  );
  app.openapi(
    createRoute({
      operationId: 'createPool',
      method: 'post',
      path: '/pools',
      tags,
      summary: 'Create a pool',
      description: 'The pool controller of `hvkube serve` provisions it; POST .../provision does it now.',
      request: { body: jsonBody(PoolCreateSchema) },
      responses: { 201: jsonAnswer(PoolSchema, 'the pool'), ...errors(404, 409) },
    }),
    async (c) => c.json(await orch.createPool(c.req.valid('json')), 201),
  );
  app.openapi(
    createRoute({ operationId: 'getPool', method: 'get', path: '/pools/{name}', tags, summary: 'Show a pool', request: { params }, responses: { 200: jsonAnswer(PoolStatusSchema, 'the pool'), ...errors(404) } }),
    async (c) => c.json(await orch.getPool(c.req.valid('param').name), 200),
  );
  app.openapi(
    createRoute({
      operationId: 'scalePool',
      method: 'post',
      path: '/pools/{name}/scale',
      tags,
      summary: 'Change the size, warm/hot tiers or autoscaling bounds of a pool',
      request: { params, body: jsonBody(PoolScaleSchema) },
      responses: { 200: jsonAnswer(PoolSchema, 'the pool'), ...errors(404) },
    }),
    async (c) => c.json(await orch.scalePool(c.req.valid('param').name, c.req.valid('json')), 200),
  );
  app.openapi(
    createRoute({
      operationId: 'provisionPool',
      method: 'post',
      path: '/pools/{name}/provision',
      tags,
      summary: 'Bring the pool to its size now, and answer when done',
      description: 'Progress is published on GET /api/v1/events as `progress` events.',
      request: { params, body: jsonBody(NoOptionsSchema, false) },
      responses: { 200: jsonAnswer(ProvisionReportSchema, 'what was provisioned'), ...errors(404, 503) },
    }),
    async (c) => c.json(await orch.provisionPool(c.req.valid('param').name), 200),
  );
  app.openapi(
    createRoute({
      operationId: 'removePool',
      method: 'delete',
      path: '/pools/{name}',
      tags,
      summary: 'Remove a pool with all its VMs and disks',
      request: { params, query: ForceQuerySchema },
      responses: { 200: jsonAnswer(RemovedSchema, 'removed'), ...errors(404, 409) },
    }),
    async (c) => {
      const { name } = c.req.valid('param');
      await orch.removePool(name, { force: c.req.valid('query').force === true });
      return c.json({ removed: name }, 200);
    },
  );
}
