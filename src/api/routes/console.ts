/**
 * /api/v1/vms/{name}/screenshot|type|keys|click|console: the VM's screen, keyboard and mouse.
 * @module
 */
import { createRoute } from '@hono/zod-openapi';
import type { ApiApp, RouteDeps } from '../deps.js';
import { errors, jsonAnswer, jsonBody } from '../openapi.js';
import { ClickSchema, ConsoleAccessSchema, KeysSchema, nameParam, OkSchema, ScreenshotQuerySchema, TypeTextSchema } from '../schemas.js';

const tags = ['console'];
const params = nameParam('VM');

export function consoleRoutes(app: ApiApp, { orch }: RouteDeps): void {
  app.openapi(
    createRoute({
      operationId: 'screenshot',
      method: 'get',
      path: '/vms/{name}/screenshot',
      tags,
      summary: "A PNG of the VM's screen",
      request: { params, query: ScreenshotQuerySchema },
      responses: {
        200: { description: 'the screen', content: { 'image/png': { schema: { type: 'string', format: 'binary' } } } },
        ...errors(404, 409, 502),
      },
    }),
    async (c) => {
      const { width, lease_id } = c.req.valid('query');
      const png = await orch.screenshot(c.req.valid('param').name, { width, leaseId: lease_id });
      return c.body(new Uint8Array(png), 200, { 'Content-Type': 'image/png', 'Cache-Control': 'no-store' });
    },
  );
  app.openapi(
    createRoute({ operationId: 'typeText', method: 'post', path: '/vms/{name}/type', tags, summary: 'Type text', request: { params, body: jsonBody(TypeTextSchema) }, responses: { 200: jsonAnswer(OkSchema, 'typed'), ...errors(404, 409, 502) } }),
    async (c) => {
      const { text, lease_id } = c.req.valid('json');
      await orch.typeText(c.req.valid('param').name, text, { leaseId: lease_id });
      return c.json({ ok: true as const }, 200);
    },
  );
  app.openapi(
    createRoute({
      operationId: 'pressKeys',
      method: 'post',
      path: '/vms/{name}/keys',
      tags,
      summary: 'Press key chords in order, e.g. ctrl+l, enter',
      request: { params, body: jsonBody(KeysSchema) },
      responses: { 200: jsonAnswer(OkSchema, 'pressed'), ...errors(404, 409, 502) },
    }),
    async (c) => {
      const { chords, lease_id } = c.req.valid('json');
      await orch.pressKeys(c.req.valid('param').name, chords, { leaseId: lease_id });
      return c.json({ ok: true as const }, 200);
    },
  );
  app.openapi(
    createRoute({ operationId: 'click', method: 'post', path: '/vms/{name}/click', tags, summary: 'Click at screen coordinates', request: { params, body: jsonBody(ClickSchema) }, responses: { 200: jsonAnswer(OkSchema, 'clicked'), ...errors(404, 409, 502) } }),
    async (c) => {
      const { x, y, button, double, lease_id } = c.req.valid('json');
      await orch.click(c.req.valid('param').name, x, y, { button, double, leaseId: lease_id });
      return c.json({ ok: true as const }, 200);
    },
  );
  app.openapi(
    createRoute({ operationId: 'console', method: 'get', path: '/vms/{name}/console', tags, summary: "How to watch the VM's screen live", request: { params }, responses: { 200: jsonAnswer(ConsoleAccessSchema, 'how to attach'), ...errors(404) } }),
    async (c) => c.json(await orch.console(c.req.valid('param').name), 200),
  );
}
