/**
 * /api/v1/agents and /api/v1/workflows: tasks bound to VMs, run by the scheduler of
 * `hvkube serve`. External workers report their result with complete/fail.
 * @module
 */
import { readFile } from 'node:fs/promises';
import { createRoute, z } from '@hono/zod-openapi';
import { HvkubeError } from '../../domain/errors.js';
import type { Scheduler } from '../../orchestrator/scheduler/index.js';
import {
  AgentArtifactsSchema,
  AgentCompleteSchema,
  AgentFailSchema,
  AgentIdParam,
  AgentListQuery,
  AgentLogLineSchema,
  AgentSchema,
  AgentSubmitSchema,
  ScreenshotIndexParam,
  WorkflowSummarySchema,
} from '../agent-schemas.js';
import type { ApiApp } from '../deps.js';
import { errors, jsonAnswer, jsonBody } from '../openapi.js';
import { nameParam, NoOptionsSchema } from '../schemas.js';

const tags = ['agents'];
const params = AgentIdParam;

export function agentRoutes(app: ApiApp, scheduler: Scheduler): void {
  app.openapi(
    createRoute({
      operationId: 'submitAgent',
      method: 'post',
      path: '/agents',
      tags,
      summary: 'Submit an agent: a workflow to run on a VM of the pool',
      request: { body: jsonBody(AgentSubmitSchema) },
      responses: { 201: jsonAnswer(AgentSchema, 'the agent, pending'), ...errors(404) },
    }),
    async (c) => c.json(await scheduler.submit(c.req.valid('json')), 201),
  );
  app.openapi(
    createRoute({ operationId: 'listAgents', method: 'get', path: '/agents', tags, summary: 'List agents, queue order', request: { query: AgentListQuery }, responses: { 200: jsonAnswer(z.array(AgentSchema), 'agents'), ...errors() } }),
    async (c) => c.json(await scheduler.list(c.req.valid('query')), 200),
  );
  app.openapi(
    createRoute({ operationId: 'getAgent', method: 'get', path: '/agents/{id}', tags, summary: 'Show an agent', request: { params }, responses: { 200: jsonAnswer(AgentSchema, 'the agent'), ...errors(404) } }),
    async (c) => c.json(await scheduler.show(c.req.valid('param').id), 200),
  );
  app.openapi(
    createRoute({
      operationId: 'cancelAgent',
      method: 'post',
      path: '/agents/{id}/cancel',
      tags,
      summary: 'Cancel an agent (its VM is reset, never saved)',
      request: { params, body: jsonBody(NoOptionsSchema, false) },
      responses: { 200: jsonAnswer(AgentSchema, 'the agent'), ...errors(404, 409) },
    }),
    async (c) => c.json(await scheduler.cancel(c.req.valid('param').id, 'api'), 200),
  );
  app.openapi(
    createRoute({
      operationId: 'completeAgent',
      method: 'post',
      path: '/agents/{id}/complete',
      tags,
      summary: 'Report success of an external agent',
      request: { params, body: jsonBody(AgentCompleteSchema) },
      responses: { 200: jsonAnswer(AgentSchema, 'the agent'), ...errors(404, 409) },
    }),
    async (c) => c.json(await scheduler.complete(c.req.valid('param').id, c.req.valid('json').output ?? null, 'api'), 200),
  );
  app.openapi(
    createRoute({
      operationId: 'failAgent',
      method: 'post',
      path: '/agents/{id}/fail',
      tags,
      summary: 'Report failure of an external agent',
      request: { params, body: jsonBody(AgentFailSchema) },
      responses: { 200: jsonAnswer(AgentSchema, 'the agent'), ...errors(404, 409) },
    }),
    async (c) => {
      const body = c.req.valid('json');
      return c.json(await scheduler.fail(c.req.valid('param').id, body.error, body.output ?? null, 'api'), 200);
    },
  );
  app.openapi(
    createRoute({ operationId: 'agentLogs', method: 'get', path: '/agents/{id}/logs', tags, summary: "An agent's log", request: { params }, responses: { 200: jsonAnswer(z.array(AgentLogLineSchema), 'log lines'), ...errors(404) } }),
    async (c) => c.json(await scheduler.logs(c.req.valid('param').id), 200),
  );
  app.openapi(
    createRoute({
      operationId: 'listAgentArtifacts',
      method: 'get',
      path: '/agents/{id}/artifacts',
      tags,
      summary: "An agent's screenshots",
      request: { params },
      responses: { 200: jsonAnswer(AgentArtifactsSchema, 'artifact paths, relative to the data directory'), ...errors(404) },
    }),
    async (c) => {
      const { id } = c.req.valid('param');
      await scheduler.show(id);
      return c.json({ screenshots: await scheduler.artifacts.listScreenshots(id) }, 200);
    },
  );
  app.openapi(
    createRoute({
      operationId: 'agentScreenshot',
      method: 'get',
      path: '/agents/{id}/artifacts/{index}',
      tags,
      summary: 'One screenshot of an agent (0 is the first)',
      request: { params: ScreenshotIndexParam },
      responses: { 200: { description: 'the screenshot', content: { 'image/png': { schema: { type: 'string', format: 'binary' } } } }, ...errors(404) },
    }),
    async (c) => {
      const { id, index } = c.req.valid('param');
      await scheduler.show(id);
      const relative = (await scheduler.artifacts.listScreenshots(id))[index];
      if (!relative) throw new HvkubeError('ARTIFACT_NOT_FOUND', `agent ${id} has no screenshot ${index}`, { hint: 'list them with GET /api/v1/agents/{id}/artifacts', details: { agent: id, index } });
      // Only paths the artifact store itself listed are read; the index is a number, never a path.
      const png = await readFile(scheduler.artifacts.resolve(relative));
      return c.body(new Uint8Array(png), 200, { 'Content-Type': 'image/png' });
    },
  );
  app.openapi(
    createRoute({ operationId: 'listWorkflows', method: 'get', path: '/workflows', tags: ['workflows'], summary: 'List workflow definitions', responses: { 200: jsonAnswer(z.array(WorkflowSummarySchema), 'workflows'), ...errors() } }),
    async (c) => c.json(await scheduler.workflows.list(), 200),
  );
  app.openapi(
    createRoute({
      operationId: 'getWorkflow',
      method: 'get',
      path: '/workflows/{name}',
      tags: ['workflows'],
      summary: 'Show a workflow definition',
      request: { params: nameParam('workflow') },
      responses: { 200: jsonAnswer(z.record(z.string(), z.unknown()).openapi('Workflow'), 'the parsed definition'), ...errors(404) },
    }),
    async (c) => c.json((await scheduler.workflows.get(c.req.valid('param').name)) as unknown as Record<string, unknown>, 200),
  );
}
