/**
 * /api/v1/vms/{name}/screenshot|screen|type|keys|key-state|click|mouse-button|actions|console:
 * the VM's screen, keyboard and mouse, and action lists in hvkube's, Anthropic's or OpenAI's form.
 * @module
 */
import { createRoute } from '@hono/zod-openapi';
import type { ApiApp, RouteDeps } from '../deps.js';
import { mediaTypeOf } from '../../hypervisor/console/screenshot-options.js';
import { screenshotOptionsFromQuery } from '../../hypervisor/console/screenshot-query.js';
import { errors, jsonAnswer, jsonBody } from '../openapi.js';
import {
  ActionsAnswerSchema,
  ActionsRequestSchema,
  ClickSchema,
  ConsoleAccessSchema,
  KeysSchema,
  KeyStateSchema,
  MouseButtonStateSchema,
  nameParam,
  OkSchema,
  ScreenInfoQuerySchema,
  ScreenInfoSchema,
  ScreenshotQuerySchema,
  TypeTextSchema,
} from '../schemas.js';

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
      const { x, y, button, double, count, lease_id } = c.req.valid('json');
      await orch.click(c.req.valid('param').name, x, y, { button, double, count: count as 1 | 2 | 3 | undefined, leaseId: lease_id });
      return c.json({ ok: true as const }, 200);
    },
  );
  app.openapi(
    createRoute({
      operationId: 'mouseButton',
      method: 'post',
      path: '/vms/{name}/mouse-button',
      tags,
      summary: 'Press or release a mouse button (at x, y when given): the button stays down until released',
      request: { params, body: jsonBody(MouseButtonStateSchema) },
      responses: { 200: jsonAnswer(OkSchema, 'done'), ...errors(404, 409, 502) },
    }),
    async (c) => {
      const { button, down, x, y, lease_id } = c.req.valid('json');
      const how = { button, x, y, leaseId: lease_id };
      const name = c.req.valid('param').name;
      if (down) await orch.mouseDown(name, how);
      else await orch.mouseUp(name, how);
      return c.json({ ok: true as const }, 200);
    },
  );
  app.openapi(
    createRoute({
      operationId: 'keyState',
      method: 'post',
      path: '/vms/{name}/key-state',
      tags,
      summary: 'Press keys and keep them down, or release them',
      request: { params, body: jsonBody(KeyStateSchema) },
      responses: { 200: jsonAnswer(OkSchema, 'done'), ...errors(404, 409, 502) },
    }),
    async (c) => {
      const { keys, down, lease_id } = c.req.valid('json');
      const name = c.req.valid('param').name;
      if (down) await orch.keyDown(name, keys, { leaseId: lease_id });
      else await orch.keyUp(name, keys, { leaseId: lease_id });
      return c.json({ ok: true as const }, 200);
    },
  );
  app.openapi(
    createRoute({
      operationId: 'screenInfo',
      method: 'get',
      path: '/vms/{name}/screen',
      tags,
      summary: 'The screen size and where the pointer is',
      request: { params, query: ScreenInfoQuerySchema },
      responses: { 200: jsonAnswer(ScreenInfoSchema, 'the screen'), ...errors(404, 409, 502) },
    }),
    async (c) => {
      const { lease_id } = c.req.valid('query');
      const name = c.req.valid('param').name;
      const size = await orch.screenSize(name, { leaseId: lease_id });
      const vm = await orch.getVm(name);
      const display = lease_id !== undefined && vm.lease?.id === lease_id ? (vm.lease.display ?? null) : null;
      return c.json({ ...size, cursor: await orch.cursorPosition(name, { leaseId: lease_id }), display }, 200);
    },
  );
  app.openapi(
    createRoute({
      operationId: 'runActions',
      method: 'post',
      path: '/vms/{name}/actions',
      tags,
      summary: "Run a list of actions in hvkube's, Anthropic's computer-tool or OpenAI's computer-use form",
      description:
        'Every action is checked first (a bad one is refused with 400 naming its index and field, and nothing runs), then all run in order. ' +
        'The answer has one result per action, the pointer, the screenshot after the last action when it takes one (or `screenshot` asks; always for openai), ' +
        'and `reply`: the Anthropic tool_result block or OpenAI computer_call_output item to hand back to the model.',
      request: { params, body: jsonBody(ActionsRequestSchema) },
      responses: { 200: jsonAnswer(ActionsAnswerSchema, 'what ran'), ...errors(400, 404, 409, 502) },
    }),
    async (c) => {
      const { lease_id, ...request } = c.req.valid('json');
      return c.json(await orch.actions(c.req.valid('param').name, request, { leaseId: lease_id }), 200);
    },
  );
  app.openapi(
    createRoute({ operationId: 'console', method: 'get', path: '/vms/{name}/console', tags, summary: "How to watch the VM's screen live", request: { params }, responses: { 200: jsonAnswer(ConsoleAccessSchema, 'how to attach'), ...errors(404) } }),
    async (c) => c.json(await orch.console(c.req.valid('param').name), 200),
  );
}
