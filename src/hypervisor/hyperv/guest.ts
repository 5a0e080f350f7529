/**
 * Hyper-V's channel into its guests: PowerShell Direct (exec, file copies with Copy-Item
 * -ToSession/-FromSession, listings, clipboard) with the template's guest credentials, and
 * Copy-VMFile for writes when there are no credentials (needs the Guest Service Interface).
 * Credentials, paths, arguments and contents are parameters of fixed scripts: data, never code.
 * Files travel through a temporary host file, so they never pass through the JSON request line.
 * @module
 */
import { randomUUID } from 'node:crypto';
import { readFile, rm, stat, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { HvkubeError, HypervisorError } from '../../domain/errors.js';
import type { GuestCredential, GuestCredentialSource } from '../guest-credentials.js';
import type { GuestExecRequest, GuestExecResult, GuestFileEntry, GuestInfo, GuestOps } from '../guest.js';
import { asArray, isRecord } from './normalise.js';
import type { ScriptRunner } from './powershell-session.js';
import type { VmRef } from './script-names.js';

/** What one request line carries comfortably (Windows PowerShell 5.1 parses it with a ~2 MB JSON limit). */
export const HYPERV_MAX_STDIN_BYTES = 1024 * 1024;
/** Output kept per stream; beyond it the answer says `truncated`. */
export const HYPERV_MAX_OUTPUT_BYTES = 4 * 1024 * 1024;

const CODES: Record<string, 'GUEST_UNAVAILABLE' | 'GUEST_PATH_NOT_FOUND' | 'GUEST_FILE_TOO_LARGE'> = {
  GuestUnavailable: 'GUEST_UNAVAILABLE',
  GuestPathNotFound: 'GUEST_PATH_NOT_FOUND',
  GuestFileTooLarge: 'GUEST_FILE_TOO_LARGE',
};

const HINTS: Record<string, string> = {
  GUEST_UNAVAILABLE: "check the template's guest credentials (credentialsRef), that the guest is booted and that PowerShell Direct (vmicvmsession) runs in it",
  GUEST_PATH_NOT_FOUND: 'list the folder first (hvkube vm ls NAME:FOLDER)',
  GUEST_FILE_TOO_LARGE: 'raise the size limit or copy a smaller file',
};

/** The guest script's typed refusals become GUEST_* errors; other host errors pass as they are. */
function guestError(e: unknown, vm: string): unknown {
  if (!(e instanceof HypervisorError)) return e;
  const fqid = typeof e.details.fqid === 'string' ? e.details.fqid : '';
  const code = CODES[fqid.split(',')[0] ?? ''];
  if (!code) return e;
  return new HvkubeError(code, e.message.replace(/^guest-[a-z]+: /, ''), { hint: HINTS[code], details: { vm }, cause: e });
}

function text(v: unknown): string {
  return typeof v === 'string' ? v : '';
}

export class HypervGuest implements GuestOps {
  constructor(
    private readonly runner: ScriptRunner,
    private readonly ref: (name: string) => VmRef,
    private readonly credentials: GuestCredentialSource,
    private readonly defaultTimeoutMs: number,
  ) {}

  private async credential(name: string): Promise<GuestCredential> {
    const c = await this.credentials(name);
    if (!c) {
      throw new HvkubeError('GUEST_UNAVAILABLE', `VM ${name} has no guest credentials: PowerShell Direct needs an account of the guest`, {
        hint: 'give its template a credentials reference (hvkube template create --credentials env:NAME, the variable holding USER:PASSWORD)',
        details: { vm: name },
      });
    }
    return c;
  }

  private async mapped<T>(name: string, fn: () => Promise<T>): Promise<T> {
    try {
      return await fn();
    } catch (e) {
      throw guestError(e, name);
    }
  }

  private async withCredential(name: string): Promise<VmRef & { GuestUser: string; GuestPassword: string }> {
    const c = await this.credential(name);
    return { ...this.ref(name), GuestUser: c.user, GuestPassword: c.password };
  }

  async ping(name: string): Promise<boolean> {
    try {
      await this.info(name);
      return true;
    } catch (e) {
      if (e instanceof HvkubeError && e.code === 'GUEST_UNAVAILABLE') return false;
      throw e;
    }
  }

  async info(name: string): Promise<GuestInfo> {
    const params = await this.withCredential(name);
    const r = await this.mapped(name, () => this.runner.call('guest-ping', params));
    return {
      os: 'mswindows',
      prettyName: isRecord(r) && typeof r.prettyName === 'string' ? r.prettyName : null,
      hostname: isRecord(r) && typeof r.hostname === 'string' ? r.hostname : null,
      addresses: [],
    };
  }

  async exec(name: string, request: GuestExecRequest): Promise<GuestExecResult> {
    if (request.stdin && request.stdin.length > HYPERV_MAX_STDIN_BYTES) {
      throw new HvkubeError('INVALID_INPUT', `stdin of ${request.stdin.length} bytes is over what the Hyper-V channel carries (${HYPERV_MAX_STDIN_BYTES})`, {
        hint: 'copy the input into the guest as a file and read it from there',
      });
    }
    const params = await this.withCredential(name);
    const started = Date.now();
    const r = await this.mapped(name, () =>
      this.runner.call(
        'guest-exec',
        {
          ...params,
          Argv: request.argv,
          Shell: request.shell === true,
          ...(request.cwd === undefined ? {} : { Cwd: request.cwd }),
          EnvJson: JSON.stringify(request.env ?? {}),
          ...(request.stdin ? { StdinBase64: request.stdin.toString('base64') } : {}),
          TimeoutMs: request.timeoutMs,
          MaxOutputBytes: HYPERV_MAX_OUTPUT_BYTES,
        },
        // The script waits out the command's own time-out, then kills it; give it room for that.
        { timeoutMs: request.timeoutMs + this.defaultTimeoutMs, ...(request.signal ? { signal: request.signal } : {}) },
      ),
    );
    const rec = isRecord(r) ? r : {};
    return {
      exitCode: typeof rec.exitCode === 'number' ? rec.exitCode : null,
      stdout: Buffer.from(text(rec.stdout), 'base64'),
      stderr: Buffer.from(text(rec.stderr), 'base64'),
      timedOut: rec.timedOut === true,
      truncated: rec.truncated === true,
      durationMs: typeof rec.durationMs === 'number' ? rec.durationMs : Date.now() - started,
    };
  }

  async readFile(name: string, guestPath: string, options: { maxBytes: number; onProgress?: (bytes: number) => void }): Promise<Buffer> {
    const params = await this.withCredential(name);
    const hostPath = tempFile();
    try {
      await this.mapped(name, () => this.runner.call('guest-file', { ...params, Action: 'read', GuestPath: guestPath, HostPath: hostPath, MaxBytes: options.maxBytes }));
      const size = (await stat(hostPath)).size;
      if (size > options.maxBytes) {
        throw new HvkubeError('GUEST_FILE_TOO_LARGE', `${guestPath} in VM ${name} grew past the limit of ${options.maxBytes} bytes while it was copied`, { hint: HINTS.GUEST_FILE_TOO_LARGE, details: { vm: name, path: guestPath } });
      }
      const data = await readFile(hostPath);
      options.onProgress?.(data.length);
      return data;
    } finally {
      await rm(hostPath, { force: true });
    }
  }

  async writeFile(name: string, guestPath: string, data: Buffer, options: { onProgress?: (bytes: number) => void } = {}): Promise<void> {
    const c = await this.credentials(name);
    // Without credentials, Copy-VMFile can still write, but it expands %VARIABLES% in the guest
    // path: such a path is refused rather than written somewhere else.
    if (!c && guestPath.includes('%')) {
      throw new HvkubeError('GUEST_UNAVAILABLE', `VM ${name} has no guest credentials, and Copy-VMFile would expand the % in ${JSON.stringify(guestPath)}`, {
        hint: 'give the template guest credentials (PowerShell Direct copies paths literally), or use a path without %',
        details: { vm: name },
      });
    }
    const hostPath = tempFile();
    try {
      await writeFile(hostPath, data, { mode: 0o600 });
      const params = c
        ? { ...this.ref(name), GuestUser: c.user, GuestPassword: c.password, Method: 'Session' as const }
        : { ...this.ref(name), Method: 'CopyVMFile' as const };
      await this.mapped(name, () => this.runner.call('guest-file', { ...params, Action: 'write', GuestPath: guestPath, HostPath: hostPath }));
      options.onProgress?.(data.length);
    } finally {
      await rm(hostPath, { force: true });
    }
  }

  async listFiles(name: string, guestPath: string): Promise<GuestFileEntry[]> {
    const params = await this.withCredential(name);
    const r = await this.mapped(name, () => this.runner.call('guest-file', { ...params, Action: 'list', GuestPath: guestPath }));
    return asArray(isRecord(r) ? r.entries : undefined)
      .filter(isRecord)
      .map((e) => ({
        name: text(e.name),
        type: e.type === 'dir' || e.type === 'link' || e.type === 'file' ? e.type : 'other',
        size: typeof e.size === 'number' ? e.size : 0,
        modified: typeof e.modified === 'string' && e.modified !== '' ? e.modified : null,
      }));
  }

  async getClipboard(name: string): Promise<string> {
    const params = await this.withCredential(name);
    const r = await this.mapped(name, () => this.runner.call('guest-clipboard', { ...params, Action: 'get' }));
    return isRecord(r) ? text(r.text) : '';
  }

  async setClipboard(name: string, value: string): Promise<void> {
    const params = await this.withCredential(name);
    await this.mapped(name, () => this.runner.call('guest-clipboard', { ...params, Action: 'set', Text: value }));
  }
}

function tempFile(): string {
  return path.join(os.tmpdir(), `hvkube-guest-${process.pid}-${randomUUID()}.bin`);
}
