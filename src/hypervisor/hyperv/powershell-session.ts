/**
 * One long-lived PowerShell process running the host loop. A new `powershell.exe` costs
 * hundreds of milliseconds plus the Hyper-V module import, a large share of a sub-second resume,
 * so the process is started once and fed one request at a time.
 *
 * Failure handling, per request and never for the whole queue:
 * - a request that exceeds its timeout kills the process and fails with HV_TIMEOUT; the next
 *   queued request starts a fresh process;
 * - a process that dies fails only the request in flight (HV_UNAVAILABLE: it may or may not have
 *   run, so it is not retried); queued requests go to a fresh process;
 * - stdout noise is skipped by the framing; a reply that cannot be read fails only its request.
 * @module
 */
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { HypervisorError } from '../../domain/errors.js';
import { hvError, mapPsError } from './errors.js';
import { isPwsh, windowsPowerShellEnv } from './module-path.js';
import { hostLoopPath } from './paths.js';
import {
  bootstrapLine,
  encodeRequest,
  FrameReader,
  newNonce,
  parseReply,
  POWERSHELL_FLAGS,
  type Reply,
} from './protocol.js';
import { isScriptName, SCRIPT_NAMES, SLOW_SCRIPTS, type ScriptName, type ScriptParams, type ScriptParamValue } from './script-names.js';

export interface CallOptions {
  timeoutMs?: number;
  signal?: AbortSignal;
}

/** Anything that runs our scripts: one session or a pool of them. */
export interface ScriptRunner {
  call<S extends ScriptName>(script: S, params: ScriptParams[S], options?: CallOptions): Promise<unknown>;
  close(): Promise<void>;
}

export interface SessionOptions {
  /** `powershell.exe` (default), `pwsh`, or a stand-in. */
  executable: string;
  /** Arguments placed before the standard PowerShell flags (e.g. `--import tsx main.ts` for node). */
  prefixArgs?: readonly string[];
  scriptsDir: string;
  env?: NodeJS.ProcessEnv;
  /** Process start plus Hyper-V module import. Default 60 s. */
  startupTimeoutMs?: number;
  /** Default 60 s; slow operations (start, save, stop, remove, checkpoints) default to 360 s. */
  defaultTimeoutMs?: number;
  slowTimeoutMs?: number;
  timeouts?: Partial<Record<ScriptName, number>>;
  /** Called after every request with its duration and outcome. */
  onCall?: (script: ScriptName, ms: number, ok: boolean) => void;
  /** Diagnostics: process starts and exits, with stderr tails. */
  onLog?: (message: string) => void;
}

export interface ReadyInfo {
  pid: number;
  psVersion: string;
  psEdition: string;
  hypervModule: boolean;
  moduleError: string | null;
}

interface Job {
  script: ScriptName;
  params: Record<string, ScriptParamValue>;
  timeoutMs: number;
  signal: AbortSignal | undefined;
  resolve: (value: unknown) => void;
  reject: (error: Error) => void;
}

interface Waiter {
  resolve: (reply: Reply) => void;
  reject: (error: Error) => void;
}

const STDERR_TAIL = 4096;

/** One running process with its framing state. */
class Proc {
  readonly child: ChildProcessWithoutNullStreams;
  readonly reader: FrameReader;
  readonly waiters = new Map<number, Waiter>();
  stderrTail = '';
  exited = false;
  ready: ReadyInfo | null = null;

  constructor(child: ChildProcessWithoutNullStreams, nonce: string) {
    this.child = child;
    this.reader = new FrameReader(nonce);
  }

  failAll(error: Error): void {
    for (const waiter of this.waiters.values()) waiter.reject(error);
    this.waiters.clear();
  }

  kill(): void {
    if (!this.exited) this.child.kill();
  }
}

function cleanParams(params: object): Record<string, ScriptParamValue> {
  // Undefined and null are left out so that the script's own defaults apply.
  const out: Record<string, ScriptParamValue> = {};
  for (const [key, value] of Object.entries(params) as [string, unknown][]) {
    if (value === undefined || value === null) continue;
    if (!isParamValue(value)) throw new TypeError(`parameter ${key} is not plain data`);
    out[key] = value;
  }
  return out;
}

function isParamValue(value: unknown): value is ScriptParamValue {
  if (typeof value === 'string' || typeof value === 'boolean') return true;
  if (typeof value === 'number') return Number.isFinite(value);
  if (Array.isArray(value)) {
    return value.every((v) => typeof v === 'string') || value.every((v) => typeof v === 'number' && Number.isFinite(v));
  }
  return false;
}

export class PowerShellSession implements ScriptRunner {
  private readonly options: SessionOptions;
  private readonly hostLoopSource: string;
  private readonly queue: Job[] = [];
  private proc: Proc | null = null;
  private starting: Promise<Proc> | null = null;
  private pumping = false;
  private closed = false;
  private nextId = 1;
  private inFlight = 0;
  /** How many processes this session has started (1 + restarts). */
  starts = 0;

  constructor(options: SessionOptions) {
    this.options = options;
    this.hostLoopSource = readFileSync(hostLoopPath(options.scriptsDir), 'utf8');
  }

  /** Requests waiting or running. */
  get load(): number {
    return this.queue.length + this.inFlight;
  }

  get pid(): number | null {
    return this.proc && !this.proc.exited ? (this.proc.child.pid ?? null) : null;
  }

  /** Starts the process if needed and answers what the host loop reported. */
  async ready(): Promise<ReadyInfo> {
    const proc = await this.ensureProc();
    if (!proc.ready) throw hvError('HV_UNAVAILABLE', 'PowerShell session is not ready');
    return proc.ready;
  }

  call<S extends ScriptName>(script: S, params: ScriptParams[S], options: CallOptions = {}): Promise<unknown> {
    // Runtime allow-list: the type already restricts callers, this stops anything that slipped past it.
    if (!isScriptName(script)) {
      return Promise.reject(hvError('HV_FAILED', `script ${JSON.stringify(script)} is not one of hvkube's scripts`));
    }
    if (this.closed) return Promise.reject(hvError('HV_UNAVAILABLE', 'PowerShell session is closed'));
    let clean: Record<string, ScriptParamValue>;
    try {
      clean = cleanParams(params);
    } catch (e) {
      return Promise.reject(hvError('HV_FAILED', `${script}: ${(e as Error).message}`));
    }
    const timeoutMs = options.timeoutMs ?? this.timeoutFor(script);
    return new Promise((resolve, reject) => {
      if (options.signal?.aborted) {
        reject(abortError(options.signal, script));
        return;
      }
      this.queue.push({ script, params: clean, timeoutMs, signal: options.signal, resolve, reject });
      void this.pump();
    });
  }

  async close(): Promise<void> {
    this.closed = true;
    for (const job of this.queue.splice(0)) job.reject(hvError('HV_UNAVAILABLE', 'PowerShell session closed'));
    const proc = this.proc;
    this.proc = null;
    if (!proc || proc.exited) return;
    // Closing stdin ends the host loop's ReadLine; kill if it does not go quietly.
    const exited = new Promise<void>((resolve) => proc.child.once('exit', () => resolve()));
    proc.child.stdin.end();
    const timer = setTimeout(() => proc.kill(), 2000);
    await exited;
    clearTimeout(timer);
  }

  private timeoutFor(script: ScriptName): number {
    const specific = this.options.timeouts?.[script];
    if (specific !== undefined) return specific;
    if (SLOW_SCRIPTS.has(script)) return this.options.slowTimeoutMs ?? 360_000;
    return this.options.defaultTimeoutMs ?? 60_000;
  }

  private log(message: string): void {
    this.options.onLog?.(message);
  }

  private async pump(): Promise<void> {
    if (this.pumping) return;
    this.pumping = true;
    try {
      for (let job = this.queue.shift(); job; job = this.queue.shift()) {
        this.inFlight = 1;
        await this.run(job);
        this.inFlight = 0;
      }
    } finally {
      this.inFlight = 0;
      this.pumping = false;
    }
  }

  private async run(job: Job): Promise<void> {
    const started = performance.now();
    const finish = (ok: boolean): void => this.options.onCall?.(job.script, performance.now() - started, ok);
    if (job.signal?.aborted) {
      finish(false);
      job.reject(abortError(job.signal, job.script));
      return;
    }
    try {
      const proc = await this.ensureProc();
      const reply = await this.exchange(proc, job);
      if (reply.ok) {
        finish(true);
        job.resolve(reply.result);
      } else {
        finish(false);
        const vm = typeof job.params.Name === 'string' ? job.params.Name : undefined;
        job.reject(mapPsError(reply.error, { script: job.script, ...(vm === undefined ? {} : { vm }) }));
      }
    } catch (e) {
      finish(false);
      job.reject(e instanceof Error ? e : new Error(String(e)));
    }
  }

  /** Sends one request and waits for its reply, the timeout, an abort, or the process's end. */
  private exchange(proc: Proc, job: Job): Promise<Reply> {
    const id = this.nextId++;
    return new Promise<Reply>((resolve, reject) => {
      if (proc.exited) {
        reject(hvError('HV_UNAVAILABLE', `PowerShell exited before ${job.script} was sent`, this.describe(proc)));
        return;
      }
      const onAbort = (): void => {
        settle();
        this.discard(proc, `aborted ${job.script}`);
        reject(abortError(job.signal, job.script));
      };
      const settle = (): void => {
        clearTimeout(timer);
        job.signal?.removeEventListener('abort', onAbort);
        proc.waiters.delete(id);
      };
      proc.waiters.set(id, {
        resolve: (reply) => {
          settle();
          resolve(reply);
        },
        reject: (error) => {
          settle();
          reject(error);
        },
      });
      const timer = setTimeout(() => {
        settle();
        this.discard(proc, `${job.script} timed out after ${job.timeoutMs} ms`);
        reject(
          hvError('HV_TIMEOUT', `${job.script} did not answer within ${job.timeoutMs} ms; its PowerShell session was restarted`, {
            script: job.script,
            timeoutMs: job.timeoutMs,
          }),
        );
      }, job.timeoutMs);
      job.signal?.addEventListener('abort', onAbort, { once: true });
      proc.child.stdin.write(encodeRequest({ id, script: job.script, params: job.params }));
    });
  }

  /** Kills a process whose state is unknown (timed out, aborted) so no late reply can confuse a later request. */
  private discard(proc: Proc, why: string): void {
    this.log(`killing PowerShell pid ${proc.child.pid ?? '?'}: ${why}`);
    if (this.proc === proc) this.proc = null;
    proc.kill();
  }

  private ensureProc(): Promise<Proc> {
    if (this.proc && !this.proc.exited && this.proc.ready) return Promise.resolve(this.proc);
    // One start at a time, shared by everyone who needs the process.
    this.starting ??= this.startProc().finally(() => {
      this.starting = null;
    });
    return this.starting;
  }

  private async startProc(): Promise<Proc> {
    if (this.closed) throw hvError('HV_UNAVAILABLE', 'PowerShell session is closed');
    const proc = this.spawnProc();
    this.proc = proc;
    try {
      const reply = await new Promise<Reply>((resolve, reject) => {
        const timer = setTimeout(() => {
          reject(hvError('HV_UNAVAILABLE', `PowerShell did not start within ${this.options.startupTimeoutMs ?? 60_000} ms`, this.describe(proc)));
        }, this.options.startupTimeoutMs ?? 60_000);
        proc.waiters.set(0, {
          resolve: (r) => {
            clearTimeout(timer);
            resolve(r);
          },
          reject: (e) => {
            clearTimeout(timer);
            reject(e);
          },
        });
      });
      proc.waiters.delete(0);
      if (!reply.ok) throw mapPsError(reply.error, { script: 'host-loop' });
      proc.ready = readyInfo(reply.result);
      return proc;
    } catch (e) {
      this.discard(proc, 'start failed');
      throw e instanceof HypervisorError ? e : hvError('HV_UNAVAILABLE', `PowerShell did not start: ${String(e)}`, {}, e);
    }
  }

  private describe(proc: Proc): Record<string, unknown> {
    return { executable: this.options.executable, pid: proc.child.pid ?? null, stderr: proc.stderrTail.trim() || null };
  }

  private spawnProc(): Proc {
    const nonce = newNonce();
    const args = [...(this.options.prefixArgs ?? []), ...POWERSHELL_FLAGS];
    const child = spawn(this.options.executable, args, {
      stdio: ['pipe', 'pipe', 'pipe'],
      windowsHide: true,
      env: isPwsh(this.options.executable) ? (this.options.env ?? process.env) : windowsPowerShellEnv(this.options.env ?? process.env),
    });
    this.starts++;
    const proc = new Proc(child, nonce);
    this.log(`started ${this.options.executable} pid ${child.pid ?? '?'}`);
    child.stdout.setEncoding('utf8');
    child.stderr.setEncoding('utf8');
    child.stdout.on('data', (chunk: string) => {
      for (const frame of proc.reader.push(chunk)) this.onFrame(proc, frame);
    });
    child.stderr.on('data', (chunk: string) => {
      proc.stderrTail = (proc.stderrTail + chunk).slice(-STDERR_TAIL);
    });
    // Writing to a process that just died raises EPIPE here; the exit handler reports it.
    child.stdin.on('error', () => undefined);
    const gone = (why: string, cause?: unknown): void => {
      if (proc.exited) return;
      proc.exited = true;
      if (this.proc === proc) this.proc = null;
      this.log(`PowerShell pid ${child.pid ?? '?'} ${why}`);
      proc.failAll(hvError('HV_UNAVAILABLE', `PowerShell ${why} during the call`, this.describe(proc), cause));
    };
    child.on('error', (e) => gone(`could not run (${e.message})`, e));
    child.on('exit', (code, signal) => gone(`exited (code ${code ?? 'none'}, signal ${signal ?? 'none'})`));
    child.stdin.write(`${bootstrapLine(this.hostLoopSource, { nonce, scriptsDir: this.options.scriptsDir, scripts: SCRIPT_NAMES })}\n`);
    return proc;
  }

  private onFrame(proc: Proc, frame: string): void {
    const reply = parseReply(frame);
    if (reply) {
      if (reply.id !== null) proc.waiters.get(reply.id)?.resolve(reply);
      else if (!reply.ok) this.firstWaiter(proc)?.resolve(reply);
      return;
    }
    // One request is in flight at a time, so an unreadable reply can only be its answer.
    this.firstWaiter(proc)?.reject(hvError('HV_FAILED', 'PowerShell sent a reply that is not valid JSON', { frame: frame.slice(0, 200) }));
  }

  private firstWaiter(proc: Proc): Waiter | undefined {
    return proc.waiters.values().next().value;
  }
}

function readyInfo(result: unknown): ReadyInfo {
  const r = (result ?? {}) as Record<string, unknown>;
  return {
    pid: typeof r.pid === 'number' ? r.pid : 0,
    psVersion: typeof r.psVersion === 'string' ? r.psVersion : 'unknown',
    psEdition: typeof r.psEdition === 'string' ? r.psEdition : 'unknown',
    hypervModule: r.hypervModule === true,
    moduleError: typeof r.moduleError === 'string' ? r.moduleError : null,
  };
}

function abortError(signal: AbortSignal | undefined, script: string): Error {
  const reason: unknown = signal?.reason;
  if (reason instanceof Error) return reason;
  return hvError('HV_TIMEOUT', `${script} was aborted`, { script });
}
