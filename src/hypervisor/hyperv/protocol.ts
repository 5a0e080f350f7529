/**
 * The wire protocol between Node and the host loop running in PowerShell.
 *
 * - Node starts the process with `-Command -` and sends ONE line: a Base64-encoded script block
 *   (the host loop) plus a Base64 JSON config. PowerShell's stdin REPL runs input statement by
 *   statement, so anything multi-line would be fragile; one self-contained line is not.
 * - Then one JSON request per line. Requests are pure ASCII (non-ASCII escaped as \uXXXX), so
 *   the console input code page cannot garble them.
 * - Replies are JSON between per-session nonce markers; whatever else reaches stdout (warnings,
 *   Write-Host, progress) is skipped.
 * @module
 */
import { randomBytes } from 'node:crypto';
import { z } from 'zod';
import type { ScriptName, ScriptParamValue } from './script-names.js';

export const POWERSHELL_FLAGS = ['-NoLogo', '-NoProfile', '-NonInteractive', '-ExecutionPolicy', 'Bypass', '-Command', '-'] as const;

export function newNonce(): string {
  return randomBytes(12).toString('hex');
}

export function beginMarker(nonce: string): string {
  return `<<<HVK:${nonce}:BEGIN>>>`;
}

export function endMarker(nonce: string): string {
  return `<<<HVK:${nonce}:END>>>`;
}

export interface HostLoopConfig {
  nonce: string;
  scriptsDir: string;
  scripts: readonly ScriptName[];
}

/**
 * The single line that starts the host loop. Only Base64 text is placed inside the quotes, and
 * Base64's alphabet (A-Z a-z 0-9 + / =) holds no quote of any kind, so nothing can break out.
 * This is the one place where PowerShell text is assembled, and it carries no caller input.
 */
export function bootstrapLine(hostLoopSource: string, config: HostLoopConfig): string {
  const scriptB64 = Buffer.from(hostLoopSource, 'utf8').toString('base64');
  const configB64 = Buffer.from(JSON.stringify(config), 'utf8').toString('base64');
  return (
    "& ([scriptblock]::Create([Text.Encoding]::UTF8.GetString([Convert]::FromBase64String('" +
    scriptB64 +
    "')))) -ConfigBase64 '" +
    configB64 +
    "'"
  );
}

/** Decodes a bootstrap line (the stand-in's side of `bootstrapLine`). */
export function parseBootstrapLine(line: string): { hostLoopSource: string; config: HostLoopConfig } | null {
  const m = /^& \(\[scriptblock\]::Create\(\[Text\.Encoding\]::UTF8\.GetString\(\[Convert\]::FromBase64String\('([A-Za-z0-9+/=]+)'\)\)\)\) -ConfigBase64 '([A-Za-z0-9+/=]+)'$/.exec(
    line.trim(),
  );
  if (!m?.[1] || !m[2]) return null;
  const parsed = hostLoopConfigSchema.safeParse(JSON.parse(Buffer.from(m[2], 'base64').toString('utf8')));
  if (!parsed.success) return null;
  return { hostLoopSource: Buffer.from(m[1], 'base64').toString('utf8'), config: parsed.data as HostLoopConfig };
}

const hostLoopConfigSchema = z.object({
  nonce: z.string().regex(/^[0-9a-f]+$/),
  scriptsDir: z.string(),
  scripts: z.array(z.string()),
});

export interface Request {
  id: number;
  script: ScriptName;
  params: Record<string, ScriptParamValue>;
}

/** JSON with every non-ASCII character escaped, so the line is 7-bit clean on any code page. */
export function asciiJson(value: unknown): string {
  return JSON.stringify(value).replace(/[\u007f-\uffff]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

export function encodeRequest(request: Request): string {
  return `${asciiJson(request)}\n`;
}

export const psErrorSchema = z.object({
  type: z.string().nullish(),
  message: z.string().nullish(),
  category: z.string().nullish(),
  fqid: z.string().nullish(),
  hresult: z.number().nullish(),
});
export type PsErrorRecord = z.infer<typeof psErrorSchema>;

const replySchema = z.union([
  z.object({ id: z.number().nullable(), ok: z.literal(true), result: z.unknown() }),
  z.object({ id: z.number().nullable(), ok: z.literal(false), error: psErrorSchema }),
]);
export type Reply = z.infer<typeof replySchema>;

/**
 * A frame holds the reply's JSON on its first line; a script that returns bytes (`binary`) gets
 * them as Base64 lines after it, outside the JSON, so their size never meets the serializer's
 * limits. They come back as `result.binary` (a Buffer).
 */
export function parseReply(text: string): Reply | null {
  const newline = text.indexOf('\n');
  const json = newline < 0 ? text : text.slice(0, newline);
  const base64 = newline < 0 ? '' : text.slice(newline + 1).replace(/\s+/g, '');
  if (base64 !== '' && !/^[A-Za-z0-9+/]*={0,2}$/.test(base64)) return null;
  let value: unknown;
  try {
    value = JSON.parse(json);
  } catch {
    return null;
  }
  const parsed = replySchema.safeParse(value);
  if (!parsed.success) return null;
  const reply = parsed.data;
  if (base64 === '') return reply;
  if (!reply.ok || typeof reply.result !== 'object' || reply.result === null || Array.isArray(reply.result)) return null;
  return { ...reply, result: { ...reply.result, binary: Buffer.from(base64, 'base64') } };
}

/** Frames bigger than this are a runaway process, not a reply (a 4K screenshot is ~22 MB). */
const MAX_FRAME_CHARS = 64 * 1024 * 1024;

/**
 * Finds framed payloads in a stream of stdout text. Text outside BEGIN…END is dropped; a BEGIN
 * without END waits for more input; a second BEGIN before END restarts the frame (the first one
 * was cut short by a dying process or interleaved output).
 */
export class FrameReader {
  private buffer = '';
  private readonly begin: string;
  private readonly end: string;

  constructor(nonce: string) {
    this.begin = beginMarker(nonce);
    this.end = endMarker(nonce);
  }

  push(chunk: string): string[] {
    this.buffer += chunk;
    const frames: string[] = [];
    for (;;) {
      const b = this.buffer.indexOf(this.begin);
      if (b < 0) {
        // Keep only a tail that could be the start of a marker split across chunks.
        this.buffer = this.buffer.slice(-this.begin.length);
        return frames;
      }
      const start = b + this.begin.length;
      const e = this.buffer.indexOf(this.end, start);
      if (e < 0) {
        this.buffer = this.buffer.slice(b);
        if (this.buffer.length > MAX_FRAME_CHARS) this.buffer = '';
        return frames;
      }
      const nextBegin = this.buffer.indexOf(this.begin, start);
      if (nextBegin >= 0 && nextBegin < e) {
        this.buffer = this.buffer.slice(nextBegin);
        continue;
      }
      frames.push(this.buffer.slice(start, e).replace(/\r/g, '').trim());
      this.buffer = this.buffer.slice(e + this.end.length);
    }
  }
}
