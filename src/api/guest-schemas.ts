/**
 * Wire shapes of the routes that work inside a guest: exec, files, listings, clipboard.
 * Bytes travel as Base64 in JSON (stdin, stdout, stderr) and raw in file bodies.
 * @module
 */
import { z } from '@hono/zod-openapi';
import { GUEST_LIMITS } from '../orchestrator/guest-input.js';
import { ConsoleLeaseId, QueryBool, queryInt } from './schemas.js';

const base64 = z.string().regex(/^[A-Za-z0-9+/]*={0,2}$/, 'Base64');

export const ExecBodySchema = z
  .object({
    argv: z
      .array(z.string().max(GUEST_LIMITS.maxArgvBytes))
      .min(1)
      .max(GUEST_LIMITS.maxArgs)
      .openapi({ example: ['ls', '-l', '/tmp'], description: 'the program and its arguments, each passed as data (no shell)' }),
    shell: z.boolean().optional().openapi({ description: "run argv[0] (then the only entry) through the guest's shell instead" }),
    cwd: z.string().min(1).max(GUEST_LIMITS.maxPathLength).optional(),
    env: z.record(z.string().max(128), z.string().max(32_768)).optional().openapi({ description: "added to the guest's environment for this command" }),
    stdin: base64.max(Math.ceil(GUEST_LIMITS.maxStdinBytes / 3) * 4).optional().openapi({ description: 'Base64 bytes fed to the command on stdin' }),
    timeout_ms: z.number().int().min(1).max(GUEST_LIMITS.maxTimeoutMs).optional().openapi({ description: `default ${GUEST_LIMITS.defaultTimeoutMs}` }),
    lease_id: ConsoleLeaseId,
  })
  .strict()
  .openapi('ExecRequest');

export const ExecQuerySchema = z.object({
  stream: QueryBool.optional().openapi({ description: 'answer as server-sent events (also with Accept: text/event-stream)' }),
});

export const ExecResultSchema = z
  .object({
    exit_code: z.number().int().nullable().openapi({ description: 'null when it timed out or the guest did not report one' }),
    stdout: z.string().openapi({ description: 'stdout as UTF-8 text (invalid bytes replaced)' }),
    stderr: z.string(),
    stdout_base64: z.string().openapi({ description: 'stdout exactly, as Base64' }),
    stderr_base64: z.string(),
    timed_out: z.boolean(),
    truncated: z.boolean().openapi({ description: 'the guest cut output beyond what its channel carries' }),
    duration_ms: z.number().int(),
  })
  .openapi('ExecResult');

const guestPath = z.string().min(1).max(GUEST_LIMITS.maxPathLength).openapi({ description: 'a path inside the guest, taken as data', example: '/home/user/notes.txt' });

export const FileQuerySchema = z.object({
  path: guestPath,
  max_bytes: queryInt(0, GUEST_LIMITS.maxFileBytes, `refuse (413) rather than copy a file larger than this; default ${GUEST_LIMITS.defaultMaxFileBytes}`).optional(),
  lease_id: ConsoleLeaseId,
});

export const ListQuerySchema = z.object({ path: guestPath, lease_id: ConsoleLeaseId });

export const GuestFileEntrySchema = z
  .object({
    name: z.string(),
    type: z.enum(['file', 'dir', 'link', 'other']),
    size: z.number().int(),
    modified: z.string().nullable(),
  })
  .openapi('GuestFileEntry');

export const FileListSchema = z.object({ path: z.string(), entries: z.array(GuestFileEntrySchema) }).openapi('GuestFileList');
export const FileWrittenSchema = z.object({ path: z.string(), bytes: z.number().int() }).openapi('GuestFileWritten');

export const ClipboardSchema = z.object({ text: z.string() }).openapi('Clipboard');
export const ClipboardQuerySchema = z.object({ lease_id: ConsoleLeaseId });
export const SetClipboardSchema = z.object({ text: z.string().max(GUEST_LIMITS.maxClipboardChars), lease_id: ConsoleLeaseId }).strict().openapi('SetClipboard');
