/**
 * `GuestOps` for QEMU VMs, over the guest agent channel (qemu-ga): exec, files, listing, the
 * guest's addresses and OS, and its clock. Everything a caller passes (argv, paths, environment,
 * file contents) travels as JSON data to qemu-ga, which hands it to the kernel as argv, a path
 * or bytes; the only shell scripts run in the guest are constants of this file, with the caller's
 * data as their positional arguments.
 *
 * What qemu-ga cannot do, and how it is done here:
 * - no working directory or added environment for `guest-exec` (its `env` replaces the whole
 *   environment): on Linux guests a constant `/bin/sh` wrapper takes them as arguments;
 * - no directory listing: on Linux a constant `/bin/sh` script prints `stat` lines separated by
 *   NUL bytes; on Windows a constant PowerShell script (`-EncodedCommand`) with the path embedded
 *   as base64;
 * - no file size query: `guest-file-seek` to the end answers it, so a file over the limit is
 *   refused before a byte is read;
 * - no clipboard: qemu-ga runs as a system service outside any desktop session.
 * @module
 */
import { HvkubeError, HypervisorError } from '../../../domain/errors.js';
import type { GuestExecRequest, GuestExecResult, GuestFileEntry, GuestInfo, GuestOps } from '../../guest.js';
import type { ChannelTarget, GuestAgentChannels } from './channels.js';
import { GaError, gaText, isObject, type GaObject, type GaValue, type GuestAgentClient } from './ga-client.js';

export interface GuestOpsHost {
  /** The VM's agent channel; throws when the VM does not exist, is not running or has no channel. */
  target(name: string): Promise<ChannelTarget>;
}

export interface QemuGuestOpsOptions {
  /** Bytes per `guest-file-read` / `guest-file-write`. Default is 1 MiB. */
  chunkBytes?: number;
}

/** An interface of the guest as qemu-ga reports it. */
export interface GuestInterface {
  name: string;
  /** Lower-case MAC address, or null (loopback). */
  mac: string | null;
  ipv4: string[];
  ipv6: string[];
}

type GuestOs = 'linux' | 'mswindows';

const DEFAULT_CHUNK = 1024 * 1024;
/** How long exec polls inside its first connection before polling in connections of their own. */
const EXEC_FIRST_POLL_MS = 250;
const MAX_ARG_BYTES = 128 * 1024;
/**
 * One chunk of a copy: qemu-ga parses the JSON byte by byte, which under software emulation on a
 * loaded host ran at well under 1 MB/s, so a 1 MiB chunk can take seconds.
 */
const CHUNK_TIMEOUT_MS = 120_000;

/**
 * Runs "$@" after an optional `cd` and `export`s, all given as arguments:
 * `$1` directory or empty, `$2` number of NAME=VALUE words that follow, then the program's argv.
 */
const LINUX_EXEC_WRAPPER = [
  'dir=$1; n=$2; shift 2',
  'while [ "$n" -gt 0 ]; do export "$1" || { echo "hvkube-exec: cannot set $1" >&2; exit 125; }; shift; n=$((n - 1)); done',
  'if [ -n "$dir" ]; then cd -- "$dir" || { echo "hvkube-exec: no directory $dir" >&2; exit 125; }; fi',
  'exec "$@"',
].join('\n');

/** Lists "$1": for each entry `<type>/<size>/<mtime>` NUL `<name>` NUL; exit 2 when it does not exist. */
const LINUX_LIST_SCRIPT = [
  'p=$1',
  'if [ -d "$p" ]; then',
  '  cd -- "$p" || exit 3',
  '  for f in * .[!.]* ..?*; do',
  '    [ -e "$f" ] || [ -L "$f" ] || continue',
  '    printf \'%s\\0%s\\0\' "$(stat -c \'%F/%s/%Y\' -- "$f")" "$f"',
  '  done',
  'elif [ -e "$p" ] || [ -L "$p" ]; then',
  '  printf \'%s\\0%s\\0\' "$(stat -c \'%F/%s/%Y\' -- "$p")" "${p##*/}"',
  'else',
  '  echo "no such file or directory" >&2; exit 2',
  'fi',
].join('\n');

export class QemuGuestOps implements GuestOps {
  readonly #host: GuestOpsHost;
  readonly #channels: GuestAgentChannels;
  readonly #chunk: number;
  readonly #os = new Map<string, GuestOs>();

  constructor(host: GuestOpsHost, channels: GuestAgentChannels, options: QemuGuestOpsOptions = {}) {
    this.#host = host;
    this.#channels = channels;
    this.#chunk = Math.max(4096, Math.floor(options.chunkBytes ?? DEFAULT_CHUNK));
  }

  async ping(name: string, options: { timeoutMs?: number } = {}): Promise<boolean> {
    try {
      const target = await this.#host.target(name);
      const timeoutMs = options.timeoutMs ?? 1_000;
      await this.#channels.use(target, (ga) => ga.execute('guest-ping', undefined, { timeoutMs }), { syncTimeoutMs: timeoutMs });
      return true;
    } catch (e) {
      if (e instanceof HvkubeError && (e.code === 'GUEST_UNAVAILABLE' || e.code === 'GUEST_TIMEOUT' || e.code === 'HV_INVALID_STATE')) return false;
      throw e;
    }
  }

  async info(name: string): Promise<GuestInfo> {
    return this.#use(name, async (ga) => {
      const os = await ga.execute('guest-get-osinfo').catch(() => null);
      const host = await ga.execute('guest-get-host-name').catch(() => null);
      const interfaces = parseInterfaces(await ga.execute('guest-network-get-interfaces').catch(() => null));
      const osId = osOf(os);
      if (osId) this.#os.set(name, osId);
      return {
        os: osId ?? (isObject(os) && typeof os.id === 'string' ? os.id : null),
        prettyName: isObject(os) && typeof os['pretty-name'] === 'string' ? os['pretty-name'] : null,
        hostname: isObject(host) && typeof host['host-name'] === 'string' ? host['host-name'] : null,
        addresses: interfaces.filter((i) => i.mac !== null).flatMap((i) => [...i.ipv4, ...i.ipv6]),
      };
    });
  }

  /** The guest's network interfaces and their addresses (loopback included, with a null MAC). */
  interfaces(name: string): Promise<GuestInterface[]> {
    return this.#use(name, async (ga) => parseInterfaces(await ga.execute('guest-network-get-interfaces')));
  }

  /**
   * Sets the guest's clock to the host's (`guest-set-time`, which also writes the guest's RTC).
   * Answers how far off the guest was, in ms, when the guest could say (`guest-get-time` first).
   */
  async syncClock(name: string, options: { timeoutMs?: number } = {}): Promise<number | null> {
    return this.syncClockOf(await this.#host.target(name), options);
  }

  /** `syncClock` for a channel the caller has already checked (a resume in progress). */
  syncClockOf(target: ChannelTarget, options: { timeoutMs?: number } = {}): Promise<number | null> {
    const timeoutMs = options.timeoutMs ?? 2_000;
    return this.#useTarget(target, async (ga) => {
      const before = await ga.execute('guest-get-time', undefined, { timeoutMs }).catch(() => null);
      const hostNs = Date.now() * 1e6;
      await ga.execute('guest-set-time', { time: Math.round((performance.timeOrigin + performance.now()) * 1e6) }, { timeoutMs });
      return typeof before === 'number' ? (before - hostNs) / 1e6 : null;
    }, { syncTimeoutMs: timeoutMs });
  }

  /** The guest's clock, in ms since the epoch (`guest-get-time`). */
  async guestTime(name: string): Promise<number> {
    return this.#use(name, async (ga) => {
      const ns = await ga.execute('guest-get-time');
      if (typeof ns !== 'number') throw failed(`the guest agent of VM ${name} answered guest-get-time with ${JSON.stringify(ns)}`);
      return ns / 1e6;
    });
  }

  async exec(name: string, request: GuestExecRequest): Promise<GuestExecResult> {
    validateExec(request);
    request.signal?.throwIfAborted();
    const os = await this.#guestOs(name);
    const command = execCommand(os, request);
    const started = performance.now();
    const deadline = started + request.timeoutMs;
    const args: GaObject = { path: command.path, arg: command.args, 'capture-output': true };
    if (request.stdin && request.stdin.length > 0) args['input-data'] = request.stdin.toString('base64');

    let pid = 0;
    let status = await this.#use(name, async (ga) => {
      const answer = await ga.execute('guest-exec', args);
      if (!isObject(answer) || typeof answer.pid !== 'number') throw failed(`guest-exec in VM ${name} answered no pid`);
      pid = answer.pid;
      return pollExec(ga, pid, Math.min(deadline, performance.now() + EXEC_FIRST_POLL_MS), request.signal);
    });
    for (let delay = 20; status === null && performance.now() < deadline && !request.signal?.aborted; delay = Math.min(250, delay * 2)) {
      await new Promise((r) => setTimeout(r, Math.min(delay, Math.max(0, deadline - performance.now()))));
      status = await this.#use(name, (ga) => pollExec(ga, pid, performance.now(), request.signal));
    }
    if (status === null) {
      await this.#kill(name, os, pid);
      request.signal?.throwIfAborted();
      return {
        exitCode: null, stdout: Buffer.alloc(0), stderr: Buffer.alloc(0), timedOut: true, truncated: false,
        durationMs: Math.round(performance.now() - started),
      };
    }
    const exitCode = typeof status.exitcode === 'number' ? status.exitcode : null;
    const stderr = decode(status['err-data']).toString('utf8').trim();
    if (command.wrapped && exitCode === 125 && stderr.includes('hvkube-exec: ')) {
      throw new HvkubeError('GUEST_PATH_NOT_FOUND', `cannot run the command in VM ${name}: ${stderr || 'the working directory or an environment variable was refused'}`, {
        details: { vm: name, cwd: request.cwd ?? null },
      });
    }
    return {
      exitCode,
      stdout: decode(status['out-data']),
      stderr: decode(status['err-data']),
      timedOut: false,
      truncated: status['out-truncated'] === true || status['err-truncated'] === true,
      durationMs: Math.round(performance.now() - started),
    };
  }

  async readFile(name: string, guestPath: string, options: { maxBytes: number; onProgress?: (bytes: number) => void }): Promise<Buffer> {
    validateGuestPath(guestPath);
    return this.#use(name, (ga) => withFile(ga, name, guestPath, 'rb', async (handle) => {
      const end = await ga.execute('guest-file-seek', { handle, offset: 0, whence: 'end' });
      const size = isObject(end) && typeof end.position === 'number' ? end.position : -1;
      if (size > options.maxBytes) throw tooLarge(name, guestPath, size, options.maxBytes);
      await ga.execute('guest-file-seek', { handle, offset: 0, whence: 'set' });
      const parts: Buffer[] = [];
      let total = 0;
      for (;;) {
        const answer = await ga.execute('guest-file-read', { handle, count: this.#chunk }, { timeoutMs: CHUNK_TIMEOUT_MS }).catch((e: unknown) => {
          throw fileError(e, name, guestPath);
        });
        if (!isObject(answer)) throw failed(`guest-file-read in VM ${name} answered ${JSON.stringify(answer)}`);
        const bytes = Buffer.from(gaText(answer['buf-b64']), 'base64');
        total += bytes.length;
        // The file may have grown since it was measured: refused whole all the same.
        if (total > options.maxBytes) throw tooLarge(name, guestPath, total, options.maxBytes);
        if (bytes.length > 0) {
          parts.push(bytes);
          options.onProgress?.(total);
        }
        if (answer.eof === true || bytes.length === 0) break;
      }
      return Buffer.concat(parts, total);
    }));
  }

  async writeFile(name: string, guestPath: string, data: Buffer, options: { onProgress?: (bytes: number) => void } = {}): Promise<void> {
    validateGuestPath(guestPath);
    await this.#use(name, (ga) => withFile(ga, name, guestPath, 'wb', async (handle) => {
      for (let offset = 0; offset < data.length; offset += this.#chunk) {
        const part = data.subarray(offset, offset + this.#chunk);
        const answer = await ga.execute('guest-file-write', { handle, 'buf-b64': part.toString('base64') }, { timeoutMs: CHUNK_TIMEOUT_MS }).catch((e: unknown) => {
          throw fileError(e, name, guestPath);
        });
        const count = isObject(answer) && typeof answer.count === 'number' ? answer.count : -1;
        if (count !== part.length) throw failed(`guest-file-write in VM ${name} wrote ${count} of ${part.length} bytes to ${guestPath}`);
        options.onProgress?.(offset + part.length);
      }
      await ga.execute('guest-file-flush', { handle }).catch(() => undefined);
    }));
  }

  async listFiles(name: string, guestPath: string): Promise<GuestFileEntry[]> {
    validateGuestPath(guestPath);
    const os = await this.#guestOs(name);
    const result = os === 'mswindows'
      ? await this.exec(name, { argv: ['powershell.exe', '-NoProfile', '-NonInteractive', '-EncodedCommand', windowsListScript(guestPath)], timeoutMs: 60_000 })
      : await this.exec(name, { argv: ['/bin/sh', '-c', LINUX_LIST_SCRIPT, 'hvkube-ls', guestPath], timeoutMs: 60_000 });
    if (result.timedOut) throw new HvkubeError('GUEST_TIMEOUT', `listing ${guestPath} in VM ${name} took over 60 s`);
    if (result.exitCode === 2) {
      throw new HvkubeError('GUEST_PATH_NOT_FOUND', `${guestPath} does not exist in VM ${name}`, { details: { vm: name, path: guestPath } });
    }
    if (result.exitCode !== 0) {
      throw failed(`listing ${guestPath} in VM ${name} failed (exit ${result.exitCode}): ${result.stderr.toString('utf8').trim().slice(0, 300)}`);
    }
    if (result.truncated) throw failed(`the listing of ${guestPath} in VM ${name} is larger than the guest agent carries`);
    return os === 'mswindows' ? parseWindowsListing(result.stdout) : parseLinuxListing(result.stdout);
  }

  getClipboard(name: string): Promise<string> {
    return Promise.reject(noClipboard(name));
  }

  setClipboard(name: string, _text: string): Promise<void> {
    return Promise.reject(noClipboard(name));
  }

  /** Forgets what is cached about the VM's guest (it was removed). */
  forget(name: string): void {
    this.#os.delete(name);
    this.#channels.forget(name);
  }

  async #use<T>(name: string, fn: (ga: GuestAgentClient) => Promise<T>, options: { syncTimeoutMs?: number } = {}): Promise<T> {
    return this.#useTarget(await this.#host.target(name), fn, options);
  }

  async #useTarget<T>(target: ChannelTarget, fn: (ga: GuestAgentClient) => Promise<T>, options: { syncTimeoutMs?: number } = {}): Promise<T> {
    const name = target.name;
    try {
      return await this.#channels.use(target, fn, options);
    } catch (e) {
      if (e instanceof HvkubeError) throw e;
      if (e instanceof GaError) throw failed(`in VM ${name}: ${e.message}`, e);
      throw failed(`guest agent of VM ${name}: ${e instanceof Error ? e.message : String(e)}`, e);
    }
  }

  async #guestOs(name: string): Promise<GuestOs> {
    const known = this.#os.get(name);
    if (known) return known;
    const os = await this.#use(name, async (ga) => osOf(await ga.execute('guest-get-osinfo').catch(() => null)));
    // Agents too old for guest-get-osinfo (before 2.10) are taken for Linux ones.
    const decided = os ?? 'linux';
    this.#os.set(name, decided);
    return decided;
  }

  /** Ends a command that ran past its time-out, and collects its status so qemu-ga forgets it. */
  async #kill(name: string, os: GuestOs, pid: number): Promise<void> {
    const killer = os === 'mswindows'
      ? { path: 'taskkill.exe', arg: ['/F', '/T', '/PID', String(pid)] }
      : { path: 'kill', arg: ['-KILL', String(pid)] };
    await this.#use(name, async (ga) => {
      await ga.execute('guest-exec', killer).catch(() => undefined);
      await pollExec(ga, pid, performance.now() + 1_000).catch(() => undefined);
    }).catch(() => undefined);
  }
}

/** Polls `guest-exec-status` until the process has exited (its status) or `until` (null). */
async function pollExec(ga: GuestAgentClient, pid: number, until: number, signal?: AbortSignal): Promise<GaObject | null> {
  for (let delay = 2; ; delay = Math.min(50, delay * 2)) {
    const status = await ga.execute('guest-exec-status', { pid });
    if (isObject(status) && status.exited === true) return status;
    if (performance.now() >= until || signal?.aborted) return null;
    await new Promise((r) => setTimeout(r, Math.min(delay, Math.max(0, until - performance.now()))));
  }
}

async function withFile<T>(ga: GuestAgentClient, name: string, guestPath: string, mode: 'rb' | 'wb', fn: (handle: number) => Promise<T>): Promise<T> {
  const handle = await ga.execute('guest-file-open', { path: guestPath, mode }).catch((e: unknown) => {
    throw fileError(e, name, guestPath);
  });
  if (typeof handle !== 'number') throw failed(`guest-file-open in VM ${name} answered ${JSON.stringify(handle)}`);
  try {
    return await fn(handle);
  } finally {
    await ga.execute('guest-file-close', { handle }).catch(() => undefined);
  }
}

function execCommand(os: GuestOs, request: GuestExecRequest): { path: string; args: string[]; wrapped: boolean } {
  const env = Object.entries(request.env ?? {}).map(([k, v]) => `${k}=${v}`);
  let argv = request.argv;
  if (request.shell) {
    if (argv.length !== 1) throw invalid('with shell, argv must be exactly one string: the command line for the guest\'s shell');
    argv = os === 'mswindows' ? ['cmd.exe', '/c', argv[0] ?? ''] : ['/bin/sh', '-c', argv[0] ?? ''];
  }
  if (request.cwd === undefined && env.length === 0) {
    return { path: argv[0] ?? '', args: argv.slice(1), wrapped: false };
  }
  if (os === 'mswindows') {
    throw invalid('a working directory or environment for a command in a Windows guest is not supported through qemu-ga', {
      hint: 'pass them inside the command (e.g. powershell.exe -Command with Set-Location), or leave them out',
    });
  }
  return { path: '/bin/sh', args: ['-c', LINUX_EXEC_WRAPPER, 'hvkube-exec', request.cwd ?? '', String(env.length), ...env, ...argv], wrapped: true };
}

function validateExec(request: GuestExecRequest): void {
  if (!Array.isArray(request.argv) || request.argv.length === 0 || typeof request.argv[0] !== 'string' || request.argv[0] === '') {
    throw invalid('argv needs at least the program to run');
  }
  let bytes = 0;
  for (const arg of request.argv) {
    if (typeof arg !== 'string' || arg.includes('\0')) throw invalid('each argument must be a string without NUL characters');
    bytes += Buffer.byteLength(arg);
  }
  if (bytes > MAX_ARG_BYTES) throw invalid(`the arguments come to ${bytes} bytes; the limit is ${MAX_ARG_BYTES}`, { hint: 'pass large input on stdin or as a file' });
  for (const [key, value] of Object.entries(request.env ?? {})) {
    if (!/^[A-Za-z_][A-Za-z0-9_]{0,127}$/.test(key)) throw invalid(`environment variable name ${JSON.stringify(key)} is not valid`);
    if (typeof value !== 'string' || value.includes('\0')) throw invalid(`environment variable ${key} must be a string without NUL characters`);
  }
  if (request.cwd !== undefined) validateGuestPath(request.cwd);
  if (!Number.isFinite(request.timeoutMs) || request.timeoutMs <= 0) throw invalid('timeoutMs must be a positive number of milliseconds');
}

/** A guest path is data: any characters but NUL, absolute (qemu-ga's own directory is no one's business). */
export function validateGuestPath(guestPath: string): void {
  if (typeof guestPath !== 'string' || guestPath === '' || guestPath.includes('\0') || guestPath.length > 4096) {
    throw new HvkubeError('INVALID_PATH', `guest path ${JSON.stringify(guestPath)} is not valid: it must be 1-4096 characters without NUL`);
  }
  if (!guestPath.startsWith('/') && !/^[A-Za-z]:[\\/]/.test(guestPath) && !guestPath.startsWith('\\\\')) {
    throw new HvkubeError('INVALID_PATH', `guest path ${JSON.stringify(guestPath)} must be absolute (/… or C:\\…)`);
  }
}

function osOf(osinfo: GaValue | null): GuestOs | null {
  if (!isObject(osinfo)) return null;
  if (osinfo.id === 'mswindows') return 'mswindows';
  // The POSIX agent answers uname's release; the only POSIX guests hvkube runs are Linux ones.
  if (typeof osinfo['kernel-release'] === 'string') return 'linux';
  return null;
}

export function parseInterfaces(value: GaValue | null): GuestInterface[] {
  if (!Array.isArray(value)) return [];
  const out: GuestInterface[] = [];
  for (const item of value) {
    if (!isObject(item)) continue;
    const mac = typeof item['hardware-address'] === 'string' ? item['hardware-address'].toLowerCase() : null;
    const iface: GuestInterface = { name: gaText(item.name), mac: mac && mac !== '00:00:00:00:00:00' ? mac : null, ipv4: [], ipv6: [] };
    for (const address of Array.isArray(item['ip-addresses']) ? item['ip-addresses'] : []) {
      if (!isObject(address) || typeof address['ip-address'] !== 'string') continue;
      if (address['ip-address-type'] === 'ipv4') iface.ipv4.push(address['ip-address']);
      else if (address['ip-address-type'] === 'ipv6') iface.ipv6.push(address['ip-address']);
    }
    out.push(iface);
  }
  return out;
}

export function parseLinuxListing(stdout: Buffer): GuestFileEntry[] {
  const fields = stdout.toString('utf8').split('\0');
  const entries: GuestFileEntry[] = [];
  for (let i = 0; i + 1 < fields.length; i += 2) {
    const meta = fields[i] ?? '';
    const parts = meta.split('/');
    const modified = Number(parts.pop());
    const size = Number(parts.pop());
    const kind = parts.join('/');
    entries.push({
      name: fields[i + 1] ?? '',
      type: kind.startsWith('regular') ? 'file' : kind === 'directory' ? 'dir' : kind === 'symbolic link' ? 'link' : 'other',
      size: Number.isFinite(size) ? size : 0,
      modified: Number.isFinite(modified) && modified > 0 ? new Date(modified * 1000).toISOString() : null,
    });
  }
  return entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
}

/** The listing script for Windows guests, UTF-16LE base64 for `-EncodedCommand`; the path is embedded as base64. */
export function windowsListScript(guestPath: string): string {
  const path64 = Buffer.from(guestPath, 'utf8').toString('base64');
  const script = [
    `$p = [Text.Encoding]::UTF8.GetString([Convert]::FromBase64String('${path64}'))`,
    'if (-not (Test-Path -LiteralPath $p)) { [Console]::Error.Write("no such file or directory"); exit 2 }',
    '$i = Get-Item -LiteralPath $p -Force',
    '$items = if ($i.PSIsContainer) { @(Get-ChildItem -LiteralPath $p -Force) } else { @($i) }',
    '$out = @($items | ForEach-Object { [pscustomobject]@{ n = $_.Name; d = [bool]$_.PSIsContainer;',
    '  l = [bool]($_.Attributes -band [IO.FileAttributes]::ReparsePoint); s = $(if ($_.PSIsContainer) { 0 } else { $_.Length });',
    '  m = $_.LastWriteTimeUtc.ToString("o") } })',
    '[Console]::Out.Write((ConvertTo-Json -InputObject $out -Compress))',
  ].join('\n');
  return Buffer.from(script, 'utf16le').toString('base64');
}

export function parseWindowsListing(stdout: Buffer): GuestFileEntry[] {
  let parsed: unknown;
  try {
    parsed = JSON.parse(stdout.toString('utf8').trim() || '[]');
  } catch {
    throw failed('the Windows guest answered a listing that is not JSON');
  }
  const items = Array.isArray(parsed) ? parsed : [parsed];
  return items.filter(isObject).map((item) => ({
    name: gaText(item.n),
    type: item.l === true ? 'link' : item.d === true ? 'dir' : 'file',
    size: typeof item.s === 'number' ? item.s : 0,
    modified: typeof item.m === 'string' ? item.m : null,
  }));
}

function decode(value: GaValue | undefined): Buffer {
  return typeof value === 'string' ? Buffer.from(value, 'base64') : Buffer.alloc(0);
}

function fileError(e: unknown, name: string, guestPath: string): Error {
  if (!(e instanceof GaError)) return e instanceof Error ? e : new Error(String(e));
  if (/No such file or directory|cannot find the (file|path)/i.test(e.desc)) {
    return new HvkubeError('GUEST_PATH_NOT_FOUND', `${guestPath} does not exist in VM ${name}`, { details: { vm: name, path: guestPath } });
  }
  if (/Is a directory/i.test(e.desc)) {
    return new HvkubeError('INVALID_PATH', `${guestPath} is a directory in VM ${name}`, { hint: 'list it, or name a file in it', details: { vm: name, path: guestPath } });
  }
  return failed(`in VM ${name}, ${guestPath}: ${e.desc}`, e);
}

function tooLarge(name: string, guestPath: string, size: number, maxBytes: number): HvkubeError {
  return new HvkubeError('GUEST_FILE_TOO_LARGE', `${guestPath} in VM ${name} is ${size} bytes, over the limit of ${maxBytes}`, {
    hint: 'raise the limit or copy a smaller file',
    details: { vm: name, path: guestPath, size, maxBytes },
  });
}

function noClipboard(name: string): HvkubeError {
  return new HvkubeError('GUEST_UNAVAILABLE', `VM ${name} has no clipboard the host can reach: the QEMU guest agent has no clipboard command and runs as a system service outside the desktop session`, {
    hint: 'the demo guest has no desktop and no clipboard at all; a desktop guest needs an in-session agent for this',
    details: { vm: name },
  });
}

function invalid(message: string, extra: { hint?: string } = {}): HvkubeError {
  return new HvkubeError('INVALID_INPUT', message, extra);
}

function failed(message: string, cause?: unknown): HypervisorError {
  return new HypervisorError('HV_FAILED', message, { cause });
}
