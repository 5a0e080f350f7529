/**
 * /api/v1/templates: golden images VMs are cloned from.
 * @module
 */
import { createRoute, z } from '@hono/zod-openapi';
import type { ApiApp, RouteDeps } from '../deps.js';
import { errors, jsonAnswer, jsonBody } from '../openapi.js';
import { nameParam, RemovedSchema, TemplateCreateSchema, TemplateSchema } from '../schemas.js';

const tags = ['templates'];
const params = nameParam('template');

export function templateRoutes(app: ApiApp, { orch }: RouteDeps): void {
  app.openapi(
    createRoute({ operationId: 'listTemplates', method: 'get', path: '/templates', tags, summary: 'List templates', responses: { 200: jsonAnswer(z.array(TemplateSchema), 'templates'), ...errors() } }),
    async (c) => c.json(await orch.listTemplates(), 200),
  );
  app.openapi(
    createRoute({
      operationId: 'registerTemplate',
      method: 'post',
      path: '/templates',
      tags,
      summary: 'Register a golden image as a template',
      request: { body: jsonBody(TemplateCreateSchema) },
      responses: { 201: jsonAnswer(TemplateSchema, 'the template'), ...errors(409) },
    }),
    async (c) => c.json(await orch.registerTemplate(c.req.valid('json')), 201),
  );
  app.openapi(
    createRoute({ operationId: 'getTemplate', method: 'get', path: '/templates/{name}', tags, summary: 'Show a template', request: { params }, responses: { 200: jsonAnswer(TemplateSchema, 'the template'), ...errors(404) } }),
    async (c) => c.json(await orch.getTemplate(c.req.valid('param').name), 200),
  );
  app.openapi(
    createRoute({
      operationId: 'removeTemplate',
      method: 'delete',
      path: '/templates/{name}',
      tags,
      summary: 'Remove a template no pool uses',
      request: { params },
      responses: { 200: jsonAnswer(RemovedSchema, 'removed'), ...errors(404, 409) },
    }),
    async (c) => {
      const { name } = c.req.valid('param');
      await orch.removeTemplate(name);
      return c.json({ removed: name }, 200);
    },
  );
}
