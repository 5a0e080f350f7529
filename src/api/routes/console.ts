/**
 * /api/v1/vms/{name}/screenshot|type|keys|click|console: the VM's screen, keyboard and mouse.
 * @module
 */
import { createRoute } from '@hono/zod-openapi';
import type { ApiApp, RouteDeps } from '../deps.js';
import { mediaTypeOf } from '../../hypervisor/console/screenshot-options.js';
import { screenshotOptionsFromQuery } from '../../hypervisor/console/screenshot-query.js';
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
      summary: "An image of the VM's screen: PNG, JPEG or WebP; scaled, cropped or zoomed; with the pointer drawn in",
      request: { params, query: ScreenshotQuerySchema },
      responses: {
        200: {
          description: 'the screen, in the format asked for',
          content: Object.fromEntries(['image/png', 'image/jpeg', 'image/webp'].map((t) => [t, { schema: { type: 'string' as const, format: 'binary' } }])),
        },
        ...errors(404, 409, 502),
      },
    }),
    async (c) => {
      const { lease_id, ...query } = c.req.valid('query');
      const options = screenshotOptionsFromQuery({ ...query, quality: query.quality?.toString(), width: query.width?.toString(), height: query.height?.toString(), longest_side: query.longest_side?.toString() });
      const image = await orch.screenshot(c.req.valid('param').name, { ...options, leaseId: lease_id });
      return c.body(new Uint8Array(image), 200, { 'Content-Type': mediaTypeOf(options.format), 'Cache-Control': 'no-store' });
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
