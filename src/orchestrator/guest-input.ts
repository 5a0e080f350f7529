/**
 * Checks on work inside a guest before it reaches a backend: sizes, counts and shapes. Paths,
 * arguments and contents stay data; only what no guest could mean (NUL bytes, absurd sizes) is
 * refused here, and the backend decides what the guest's file system makes of the rest.
 * @module
 */
import { HvkubeError } from '../domain/errors.js';
import type { GuestExecRequest } from '../hypervisor/guest.js';

export const GUEST_LIMITS = {
  /** Default and largest limit for one file copy, in bytes. */
  defaultMaxFileBytes: 100 * 1024 * 1024,
  maxFileBytes: 1024 * 1024 * 1024,
  maxArgs: 256,
  maxArgvBytes: 128 * 1024,
  maxEnv: 64,
  maxStdinBytes: 8 * 1024 * 1024,
  defaultTimeoutMs: 60_000,
  maxTimeoutMs: 3_600_000,
  maxPathLength: 4096,
  maxClipboardChars: 1_000_000,
} as const;

/** What a caller asks to run; the time-out defaults to a minute. */
export interface GuestExecInput {
  argv: string[];
  shell?: boolean;
  cwd?: string;
  env?: Record<string, string>;
  stdin?: Uint8Array;
  timeoutMs?: number;
}

function invalid(message: string, hint?: string): HvkubeError {
  return new HvkubeError('INVALID_INPUT', message, hint === undefined ? {} : { hint });
}

export function validateGuestPath(value: unknown): string {
  if (typeof value !== 'string' || value.length === 0 || value.length > GUEST_LIMITS.maxPathLength) {
    throw invalid(`a guest path must be 1 to ${GUEST_LIMITS.maxPathLength} characters`, 'e.g. /home/user/file.txt or C:\\Users\\user\\file.txt');
  }
  if (value.includes('\0')) throw invalid('a guest path cannot contain NUL');
  return value;
}

export function validateMaxBytes(value: number | undefined): number {
  if (value === undefined) return GUEST_LIMITS.defaultMaxFileBytes;
  if (!Number.isInteger(value) || value < 0 || value > GUEST_LIMITS.maxFileBytes) {
    throw invalid(`a size limit must be a whole number of bytes from 0 to ${GUEST_LIMITS.maxFileBytes}`);
  }
  return value;
}

/** Refuses a file over the limit whole, before any of it reaches the guest. */
export function refuseTooLarge(size: number, maxBytes: number, guestPath: string, vm: string): void {
  if (size > maxBytes) {
    throw new HvkubeError('GUEST_FILE_TOO_LARGE', `${size} bytes for ${guestPath} in VM ${vm} is over the limit of ${maxBytes}; nothing was copied`, {
      hint: 'raise the size limit (--max-size / max_bytes) or copy a smaller file',
      details: { vm, path: guestPath, size, maxBytes },
    });
  }
}

export function toExecRequest(input: GuestExecInput, signal?: AbortSignal): GuestExecRequest {
  if (!Array.isArray(input.argv) || input.argv.length === 0 || input.argv.length > GUEST_LIMITS.maxArgs) {
    throw invalid(`argv must list the program and its arguments (1 to ${GUEST_LIMITS.maxArgs} strings)`, 'e.g. ["ls", "-l", "/tmp"]');
  }
  let total = 0;
  for (const arg of input.argv) {
    if (typeof arg !== 'string' || arg.includes('\0')) throw invalid('every argument must be a string without NUL');
    total += Buffer.byteLength(arg);
  }
  if (input.argv[0] === '') throw invalid('the program (argv[0]) cannot be empty');
  if (total > GUEST_LIMITS.maxArgvBytes) throw invalid(`the arguments add up to ${total} bytes, over ${GUEST_LIMITS.maxArgvBytes}`, 'pass large input on stdin or copy a file in');
  if (input.shell && input.argv.length !== 1) throw invalid('with shell, argv is one string: the command line for the guest shell');
  const env = input.env ?? {};
  const entries = Object.entries(env);
  if (entries.length > GUEST_LIMITS.maxEnv) throw invalid(`at most ${GUEST_LIMITS.maxEnv} environment variables`);
  for (const [k, v] of entries) {
    if (!/^[A-Za-z_][A-Za-z0-9_]{0,127}$/.test(k)) throw invalid(`environment variable name ${JSON.stringify(k)} is not a plain name`, 'letters, digits and _, not starting with a digit');
    if (typeof v !== 'string' || v.includes('\0')) throw invalid(`environment variable ${k} must be a string without NUL`);
  }
  const cwd = input.cwd === undefined ? undefined : validateGuestPath(input.cwd);
  const stdin = input.stdin === undefined ? undefined : Buffer.from(input.stdin.buffer, input.stdin.byteOffset, input.stdin.byteLength);
  if (stdin && stdin.length > GUEST_LIMITS.maxStdinBytes) throw invalid(`stdin is ${stdin.length} bytes, over ${GUEST_LIMITS.maxStdinBytes}`, 'copy a file in and read it instead');
  const timeoutMs = input.timeoutMs ?? GUEST_LIMITS.defaultTimeoutMs;
  if (!Number.isInteger(timeoutMs) || timeoutMs < 1 || timeoutMs > GUEST_LIMITS.maxTimeoutMs) {
    throw invalid(`timeout must be 1 to ${GUEST_LIMITS.maxTimeoutMs} ms`);
  }
  return {
    argv: [...input.argv],
    ...(input.shell ? { shell: true } : {}),
    ...(cwd === undefined ? {} : { cwd }),
    ...(entries.length > 0 ? { env: { ...env } } : {}),
    ...(stdin === undefined ? {} : { stdin }),
    timeoutMs,
    ...(signal ? { signal } : {}),
  };
}

export function validateClipboardText(text: unknown): string {
  if (typeof text !== 'string' || text.length > GUEST_LIMITS.maxClipboardChars) {
    throw invalid(`clipboard text must be a string of at most ${GUEST_LIMITS.maxClipboardChars} characters`);
  }
  return text;
}
