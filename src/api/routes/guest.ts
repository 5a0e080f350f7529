/**
 * /api/v1/vms/{name}/exec|files|files/list|clipboard: work inside the guest from the host, with
 * no network in the guest. Paths, arguments and contents are data end to end.
 * @module
 */
import { createRoute, z } from '@hono/zod-openapi';
import type { Context } from 'hono';
import { streamSSE } from 'hono/streaming';
import { HvkubeError } from '../../domain/errors.js';
import type { GuestExecResult } from '../../hypervisor/guest.js';
import { GUEST_LIMITS, refuseTooLarge, validateMaxBytes } from '../../orchestrator/guest-input.js';
import type { ApiApp, RouteDeps } from '../deps.js';
import { errors, jsonAnswer, jsonBody } from '../openapi.js';
import {
  ClipboardQuerySchema,
  ClipboardSchema,
  ExecBodySchema,
  ExecQuerySchema,
  ExecResultSchema,
  FileListSchema,
  FileQuerySchema,
  FileWrittenSchema,
  ListQuerySchema,
  SetClipboardSchema,
} from '../guest-schemas.js';
import { nameParam, OkSchema } from '../schemas.js';

const tags = ['guest'];
const params = nameParam('VM');
/** The raw-body route, for the body guard (it reads the file itself, with its own limit). */
export const GUEST_FILE_PATH = /^\/api\/v1\/vms\/[^/]+\/files$/;
const KEEPALIVE_MS = 15_000;

export function execAnswer(r: GuestExecResult): z.infer<typeof ExecResultSchema> {
  return {
    exit_code: r.exitCode,
    stdout: r.stdout.toString('utf8'),
    stderr: r.stderr.toString('utf8'),
    stdout_base64: r.stdout.toString('base64'),
    stderr_base64: r.stderr.toString('base64'),
    timed_out: r.timedOut,
    truncated: r.truncated,
    duration_ms: Math.round(r.durationMs),
  };
}

function wantsStream(c: Context, stream: boolean | undefined): boolean {
  return stream === true || (c.req.header('accept') ?? '').includes('text/event-stream');
}

/** Reads a raw body up to `max` bytes; beyond it the upload is refused whole. */
async function readUpload(c: Context, max: number, guestPath: string, vm: string): Promise<Buffer> {
  const declared = Number(c.req.header('content-length') ?? NaN);
  if (Number.isFinite(declared)) refuseTooLarge(declared, max, guestPath, vm);
  const body = c.req.raw.body;
  if (!body) return Buffer.alloc(0);
  const reader = body.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    size += value.length;
    if (size > max) {
      await reader.cancel().catch(() => undefined);
      c.header('Connection', 'close');
      refuseTooLarge(size, max, guestPath, vm);
    }
    chunks.push(value);
  }
  return Buffer.concat(chunks, size);
}

export function guestRoutes(app: ApiApp, { orch, lifecycle }: RouteDeps): void {
  app.openapi(
    createRoute({
      operationId: 'execInGuest',
      method: 'post',
      path: '/vms/{name}/exec',
      tags,
      summary: 'Run a program inside the guest (argv, cwd, env, stdin, time-out)',
      description:
        'Answers the exit code and output. With `?stream=1` or `Accept: text/event-stream` the answer is a server-sent event stream: ' +
        '`started`, then `stdout`/`stderr` (Base64 in `data`) as the guest reports them, a `: keepalive` comment every 15 s, and `exit` ' +
        '(the same object as the JSON answer) or `error` ({code, message}). A command past its time-out answers `timed_out: true`.',
      request: { params, query: ExecQuerySchema, body: jsonBody(ExecBodySchema) },
      responses: {
        200: {
          description: 'the command ran',
          content: { 'application/json': { schema: ExecResultSchema }, 'text/event-stream': { schema: z.string().openapi({ description: 'server-sent events' }) } },
        },
        ...errors(404, 409, 502, 503, 504),
      },
    }),
    async (c) => {
      const { name } = c.req.valid('param');
      const { argv, shell, cwd, env, stdin, timeout_ms, lease_id } = c.req.valid('json');
      const input = {
        argv,
        ...(shell === undefined ? {} : { shell }),
        ...(cwd === undefined ? {} : { cwd }),
        ...(env === undefined ? {} : { env }),
        ...(stdin === undefined ? {} : { stdin: Buffer.from(stdin, 'base64') }),
        ...(timeout_ms === undefined ? {} : { timeoutMs: timeout_ms }),
      };
      if (!wantsStream(c, c.req.valid('query').stream)) {
        const result = await orch.exec(name, input, { leaseId: lease_id, signal: c.req.raw.signal });
        return c.json(execAnswer(result), 200);
      }
      // Validation and the lease check happen inside exec; a refusal becomes an `error` event.
      return streamSSE(c, async (sse) => {
        const abort = new AbortController();
        sse.onAbort(() => abort.abort());
        lifecycle.signal.addEventListener('abort', () => abort.abort(), { once: true });
        await sse.writeSSE({ event: 'started', data: JSON.stringify({ vm: name, argv0: argv[0] ?? '' }) });
        const keepalive = setInterval(() => void sse.write(': keepalive\n\n').catch(() => undefined), KEEPALIVE_MS);
        try {
          const result = await orch.exec(name, input, { leaseId: lease_id, signal: abort.signal });
          if (result.stdout.length > 0) await sse.writeSSE({ event: 'stdout', data: result.stdout.toString('base64') });
          if (result.stderr.length > 0) await sse.writeSSE({ event: 'stderr', data: result.stderr.toString('base64') });
          await sse.writeSSE({ event: 'exit', data: JSON.stringify(execAnswer(result)) });
        } catch (e) {
          const err = e instanceof HvkubeError ? { code: e.code, message: e.message, hint: e.hint ?? null } : { code: 'INTERNAL', message: 'the command failed', hint: null };
          await sse.writeSSE({ event: 'error', data: JSON.stringify(err) });
        } finally {
          clearInterval(keepalive);
        }
      });
    },
  );

  app.openapi(
    createRoute({
      operationId: 'readGuestFile',
      method: 'get',
      path: '/vms/{name}/files',
      tags,
      summary: 'Download a file from the guest',
      description: `Answers the file's bytes. A file larger than \`max_bytes\` (default ${GUEST_LIMITS.defaultMaxFileBytes}) is refused whole with 413.`,
      request: { params, query: FileQuerySchema },
      responses: {
        200: { description: 'the file', content: { 'application/octet-stream': { schema: { type: 'string', format: 'binary' } } } },
        ...errors(404, 409, 413, 502, 503, 504),
      },
    }),
    async (c) => {
      const { path, max_bytes, lease_id } = c.req.valid('query');
      const data = await orch.readGuestFile(c.req.valid('param').name, path, { maxBytes: max_bytes, leaseId: lease_id });
      return c.body(new Uint8Array(data), 200, { 'Content-Type': 'application/octet-stream', 'Cache-Control': 'no-store' });
    },
  );

  app.openapi(
    createRoute({
      operationId: 'writeGuestFile',
      method: 'put',
      path: '/vms/{name}/files',
      tags,
      summary: 'Upload a file into the guest (replacing it)',
      description: `The body is the file's bytes with \`Content-Type: application/octet-stream\`. A body larger than \`max_bytes\` (default ${GUEST_LIMITS.defaultMaxFileBytes}) is refused whole with 413; nothing reaches the guest.`,
      request: {
        params,
        query: FileQuerySchema,
        body: { required: true, content: { 'application/octet-stream': { schema: { type: 'string', format: 'binary' } } } },
      },
      responses: { 200: jsonAnswer(FileWrittenSchema, 'written'), ...errors(404, 409, 413, 502, 503, 504) },
    }),
    async (c) => {
      const { name } = c.req.valid('param');
      const { path, max_bytes, lease_id } = c.req.valid('query');
      const max = validateMaxBytes(max_bytes);
      const data = await readUpload(c, max, path, name);
      await orch.writeGuestFile(name, path, data, { maxBytes: max, leaseId: lease_id });
      return c.json({ path, bytes: data.length }, 200);
    },
  );

  app.openapi(
    createRoute({
      operationId: 'listGuestFiles',
      method: 'get',
      path: '/vms/{name}/files/list',
      tags,
      summary: 'List a folder inside the guest',
      request: { params, query: ListQuerySchema },
      responses: { 200: jsonAnswer(FileListSchema, 'the entries'), ...errors(404, 409, 502, 503, 504) },
    }),
    async (c) => {
      const { path, lease_id } = c.req.valid('query');
      const entries = await orch.listGuestFiles(c.req.valid('param').name, path, { leaseId: lease_id });
      return c.json({ path, entries }, 200);
    },
  );

  app.openapi(
    createRoute({
      operationId: 'getClipboard',
      method: 'get',
      path: '/vms/{name}/clipboard',
      tags,
      summary: "The guest clipboard's text",
      request: { params, query: ClipboardQuerySchema },
      responses: { 200: jsonAnswer(ClipboardSchema, 'the text'), ...errors(404, 409, 502, 503, 504) },
    }),
    async (c) => {
      const text = await orch.getClipboard(c.req.valid('param').name, { leaseId: c.req.valid('query').lease_id });
      return c.json({ text }, 200);
    },
  );

  app.openapi(
    createRoute({
      operationId: 'setClipboard',
      method: 'put',
      path: '/vms/{name}/clipboard',
      tags,
      summary: "Set the guest clipboard's text",
      request: { params, body: jsonBody(SetClipboardSchema) },
      responses: { 200: jsonAnswer(OkSchema, 'set'), ...errors(404, 409, 502, 503, 504) },
    }),
    async (c) => {
      const { text, lease_id } = c.req.valid('json');
      await orch.setClipboard(c.req.valid('param').name, text, { leaseId: lease_id });
      return c.json({ ok: true as const }, 200);
    },
  );
}
