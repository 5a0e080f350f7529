/**
 * `HvkubeClient`: the typed client of the hvkube HTTP API, for agent code and for the CLI's
 * `--server` mode. Errors come back as the same `HvkubeError` codes the library throws.
 *
 * @example
 * ```ts
 * import { HvkubeClient } from 'hvkube';
 * const hv = new HvkubeClient({ url: 'http://127.0.0.1:8080', token: process.env.HVKUBE_API_TOKEN });
 * const vm = await hv.acquire({ pool: 'win11' });
 * await hv.typeText(vm.vm_name, 'hello', { leaseId: vm.lease_id });
 * await hv.release(vm.vm_name, { leaseId: vm.lease_id });
 * ```
 * @module
 */
import { Agent as HttpAgent } from 'undici';
import { ERROR_CODES, HvkubeError, type ErrorCode } from '../domain/errors.js';
import type { AgentStatus } from '../domain/agent-state.js';
import type { Agent, Pool, StateEvent, Template, Vm } from '../domain/types.js';
import type { ClickCount, ConsoleAccess, HostInfo, MouseButton, ScreenshotOptions } from '../hypervisor/hypervisor.js';
import { checkScreenshotOptions, mediaTypeOf } from '../hypervisor/console/screenshot-options.js';
import { screenshotQuery } from '../hypervisor/console/screenshot-query.js';
import type { ActionsRequest, ActionsResponse } from '../orchestrator/input/run-actions.js';
import type { ApplyResult, FleetFile, FleetObject } from '../orchestrator/apply/index.js';
import type { PoolInput, ScaleInput, TemplateInput } from '../orchestrator/catalog.js';
import type { ProgressEvent } from '../orchestrator/context.js';
import type { ConsoleOptions, PoolStatus, ProvisionReport } from '../orchestrator/orchestrator.js';
import type { ReconcileReport } from '../orchestrator/reconcile.js';
import type { HostView } from '../fleet/registry.js';
import type { Workflow } from '../orchestrator/workflows/index.js';
import type { EventQuery, HostRecord } from '../store/store.js';
import type { WebhookDelivery, WebhookSubscription } from '../store/webhooks.js';
import type { WebhookInput, WebhookView } from '../webhooks/subscriptions.js';
import type { GuestExecResult, GuestFileEntry } from '../hypervisor/guest.js';
import type { GuestExecInput } from '../orchestrator/guest-input.js';
import type { AcquireAnswer, AcquireRequest, GuestFileOptions, HvkubeOperations, ReleaseAnswer, ReleaseRequest, ScreenInfo } from './operations.js';
import { readSse } from './sse.js';

type Fetch = (input: string, init: RequestInit) => Promise<Response> | Response;

export interface HvkubeClientOptions {
  /** The server, e.g. `http://127.0.0.1:8080` (a path prefix is kept). */
  url: string;
  /** Bearer token; sent on every request, never printed. */
  token?: string;
  /** Replaces the global fetch (tests pass a Hono app's `request`). */
  fetch?: Fetch;
  /**
   * How long to wait for the headers of an answer, in ms; 0 (the default) waits as long as the
   * server takes. Node's fetch alone gives up after 300 s, but an acquire may wait longer for a
   * VM (its `timeoutS`) and a provision lasts as long as its boots: the server bounds those.
   */
  headersTimeoutMs?: number;
}

/** What `submitAgent` takes: the pool, the workflow and its input. */
export interface AgentSubmitRequest {
  pool: string;
  workflow: string;
  input?: Record<string, unknown>;
  priority?: number;
  timeoutS?: number | null;
  retries?: number;
  needsGpu?: boolean;
}

/** A message of the live event stream. */
export type LiveEvent =
  | { type: 'event'; event: StateEvent }
  | { type: 'progress'; progress: ProgressEvent }
  /** The stream is open; events after `after` follow. Yielded on every (re)connection. */
  | { type: 'connected'; after: number };

interface CallOptions {
  query?: Record<string, string | number | boolean | undefined>;
  body?: unknown;
  /** Raw bytes sent as `application/octet-stream` instead of a JSON body. */
  bytes?: Uint8Array;
  accept?: string;
  signal?: AbortSignal;
}

const enc = encodeURIComponent;

export class HvkubeClient implements HvkubeOperations {
  readonly url: string;
  readonly #token: string | undefined;
  readonly #fetch: Fetch;

  constructor(options: HvkubeClientOptions) {
    this.url = options.url.replace(/\/+$/, '');
    this.#token = options.token;
    if (options.fetch) {
      this.#fetch = options.fetch;
    } else {
      const timeout = Math.max(0, options.headersTimeoutMs ?? 0);
      // Connecting still times out (10 s), so an unreachable server is reported at once.
      const dispatcher = new HttpAgent({ headersTimeout: timeout, bodyTimeout: 0 });
      this.#fetch = (input, init) => fetch(input, { ...init, dispatcher } as RequestInit);
    }
  }

  // ---- templates ----
  registerTemplate(input: TemplateInput): Promise<Template> {
    return this.#json('POST', '/templates', { body: input });
  }
  listTemplates(): Promise<Template[]> {
    return this.#json('GET', '/templates');
  }
  getTemplate(name: string): Promise<Template> {
    return this.#json('GET', `/templates/${enc(name)}`);
  }
  async removeTemplate(name: string): Promise<void> {
    await this.#json('DELETE', `/templates/${enc(name)}`);
  }

  // ---- pools ----
  createPool(input: PoolInput): Promise<Pool> {
    return this.#json('POST', '/pools', { body: input });
  }
  listPools(): Promise<PoolStatus[]> {
    return this.#json('GET', '/pools');
  }
  getPool(name: string): Promise<PoolStatus> {
    return this.#json('GET', `/pools/${enc(name)}`);
  }
  scalePool(name: string, input: ScaleInput): Promise<Pool> {
    return this.#json('POST', `/pools/${enc(name)}/scale`, { body: input });
  }
  async provisionPool(name: string, options: { onProgress?: (e: ProgressEvent) => void } = {}): Promise<ProvisionReport> {
    const { onProgress } = options;
    if (!onProgress) return this.#json('POST', `/pools/${enc(name)}/provision`);
    // Follow the pool's progress on the event stream while the provision call runs.
    const stop = new AbortController();
    const events = this.events({ kind: 'pool', subject: name, signal: stop.signal });
    // Subscribed before provisioning starts, so no step is missed.
    const first = await events.next();
    const following = (async () => {
      if (first.done) return;
      for await (const e of events) if (e.type === 'progress') onProgress(e.progress);
    })().catch(() => undefined);
    try {
      return await this.#json<ProvisionReport>('POST', `/pools/${enc(name)}/provision`);
    } finally {
      stop.abort();
      await following;
    }
  }
  async removePool(name: string, options: { force?: boolean } = {}): Promise<void> {
    await this.#json('DELETE', `/pools/${enc(name)}`, { query: { force: options.force } });
  }

  // ---- VMs ----
  listVms(filter: { pool?: string } = {}): Promise<Vm[]> {
    return this.#json('GET', '/vms', { query: { pool: filter.pool } });
  }
  getVm(name: string): Promise<Vm> {
    return this.#json('GET', `/vms/${enc(name)}`);
  }
  acquire(request: AcquireRequest): Promise<AcquireAnswer> {
    return this.#json('POST', '/acquire', {
      body: { pool_name: request.pool, timeout_s: request.timeoutS, wait: request.wait, holder: request.holder, lease_ttl_s: request.leaseTtlS, display: request.display },
    });
  }
  release(name: string, request: ReleaseRequest = {}): Promise<ReleaseAnswer> {
    return this.#json('POST', `/vms/${enc(name)}/release`, {
      query: { wait: request.wait },
      body: { policy: request.policy, lease_id: request.leaseId },
    });
  }
  renewLease(name: string, leaseId: string, ttlS?: number): Promise<Vm> {
    return this.#json('POST', `/vms/${enc(name)}/renew`, { body: { lease_id: leaseId, ttl_s: ttlS } });
  }
  resumeVm(name: string): Promise<Vm> {
    return this.#json('POST', `/vms/${enc(name)}/resume`);
  }
  saveVm(name: string): Promise<Vm> {
    return this.#json('POST', `/vms/${enc(name)}/save`);
  }
  resetVm(name: string, options: { force?: boolean } = {}): Promise<Vm> {
    return this.#json('POST', `/vms/${enc(name)}/reset`, { body: { force: options.force } });
  }
  stopVm(name: string, options: { force?: boolean } = {}): Promise<Vm> {
    return this.#json('POST', `/vms/${enc(name)}/stop`, { body: { force: options.force } });
  }
  async removeVm(name: string, options: { force?: boolean } = {}): Promise<void> {
    await this.#json('DELETE', `/vms/${enc(name)}`, { query: { force: options.force } });
  }

  // ---- console ----
  /** An image of the VM's screen in `options.format` (PNG by default); see `ScreenshotOptions`. */
  async screenshot(name: string, options: ScreenshotOptions & ConsoleOptions = {}): Promise<Uint8Array> {
    const { leaseId, ...shape } = options;
    checkScreenshotOptions(shape);
    const res = await this.#call('GET', `/vms/${enc(name)}/screenshot`, { query: { ...screenshotQuery(shape), lease_id: leaseId }, accept: mediaTypeOf(shape.format) });
    return new Uint8Array(await res.arrayBuffer());
  }
  async typeText(name: string, text: string, options: ConsoleOptions = {}): Promise<void> {
    await this.#json('POST', `/vms/${enc(name)}/type`, { body: { text, lease_id: options.leaseId } });
  }
  async pressKeys(name: string, chords: string[], options: ConsoleOptions = {}): Promise<void> {
    await this.#json('POST', `/vms/${enc(name)}/keys`, { body: { chords, lease_id: options.leaseId } });
  }
  async click(name: string, x: number, y: number, options: { button?: MouseButton; double?: boolean; count?: ClickCount } & ConsoleOptions = {}): Promise<void> {
    await this.#json('POST', `/vms/${enc(name)}/click`, { body: { x, y, button: options.button, double: options.double, count: options.count, lease_id: options.leaseId } });
  }
  async mouseButton(name: string, down: boolean, options: { button?: MouseButton; x?: number; y?: number } & ConsoleOptions = {}): Promise<void> {
    await this.#json('POST', `/vms/${enc(name)}/mouse-button`, { body: { down, button: options.button, x: options.x, y: options.y, lease_id: options.leaseId } });
  }
  async keyState(name: string, keys: string[], down: boolean, options: ConsoleOptions = {}): Promise<void> {
    await this.#json('POST', `/vms/${enc(name)}/key-state`, { body: { keys, down, lease_id: options.leaseId } });
  }
  screenInfo(name: string, options: ConsoleOptions = {}): Promise<ScreenInfo> {
    const q = options.leaseId === undefined ? '' : `?lease_id=${encodeURIComponent(options.leaseId)}`;
    return this.#json('GET', `/vms/${enc(name)}/screen${q}`);
  }
  runActions(name: string, request: ActionsRequest, options: ConsoleOptions = {}): Promise<ActionsResponse> {
    return this.#json('POST', `/vms/${enc(name)}/actions`, { body: { ...request, lease_id: options.leaseId } });
  }
  console(name: string): Promise<ConsoleAccess> {
    return this.#json('GET', `/vms/${enc(name)}/console`);
  }

  // ---- inside the guest ----
  async exec(name: string, input: GuestExecInput, options: ConsoleOptions = {}): Promise<GuestExecResult> {
    return fromExecWire(await this.#json<ExecWire>('POST', `/vms/${enc(name)}/exec`, { body: execBody(input, options) }));
  }
  /**
   * The same over server-sent events: yields output as the server relays it and ends with the
   * result (or throws the server's error). Stop early with `signal`.
   */
  async *execStream(
    name: string,
    input: GuestExecInput,
    options: ConsoleOptions & { signal?: AbortSignal } = {},
  ): AsyncGenerator<{ type: 'stdout' | 'stderr'; data: Buffer } | { type: 'exit'; result: GuestExecResult }> {
    const res = await this.#call('POST', `/vms/${enc(name)}/exec`, { query: { stream: 1 }, body: execBody(input, options), accept: 'text/event-stream', signal: options.signal });
    if (!res.body) throw new HvkubeError('INTERNAL', 'the exec stream had no body');
    for await (const m of readSse(res.body)) {
      if (m.event === 'stdout' || m.event === 'stderr') yield { type: m.event, data: Buffer.from(m.data, 'base64') };
      else if (m.event === 'exit') {
        yield { type: 'exit', result: fromExecWire(JSON.parse(m.data) as ExecWire) };
        return;
      } else if (m.event === 'error') {
        const e = JSON.parse(m.data) as { code?: unknown; message?: unknown; hint?: unknown };
        throw new HvkubeError(isErrorCode(e.code) ? e.code : 'INTERNAL', typeof e.message === 'string' ? e.message : 'the command failed', typeof e.hint === 'string' ? { hint: e.hint } : {});
      }
    }
    throw new HvkubeError('SERVER_UNREACHABLE', 'the exec stream ended before the command did');
  }
  async readGuestFile(name: string, guestPath: string, options: GuestFileOptions = {}): Promise<Uint8Array> {
    const res = await this.#call('GET', `/vms/${enc(name)}/files`, { query: { path: guestPath, max_bytes: options.maxBytes, lease_id: options.leaseId }, accept: 'application/octet-stream' });
    if (!res.body) return new Uint8Array(0);
    const chunks: Uint8Array[] = [];
    let size = 0;
    const reader = res.body.getReader();
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      chunks.push(value);
      size += value.length;
      options.onProgress?.(size);
    }
    return new Uint8Array(Buffer.concat(chunks, size));
  }
  async writeGuestFile(name: string, guestPath: string, data: Uint8Array, options: GuestFileOptions = {}): Promise<void> {
    await this.#json('PUT', `/vms/${enc(name)}/files`, { query: { path: guestPath, max_bytes: options.maxBytes, lease_id: options.leaseId }, bytes: data });
    options.onProgress?.(data.byteLength);
  }
  async listGuestFiles(name: string, guestPath: string, options: ConsoleOptions = {}): Promise<GuestFileEntry[]> {
    return (await this.#json<{ entries: GuestFileEntry[] }>('GET', `/vms/${enc(name)}/files/list`, { query: { path: guestPath, lease_id: options.leaseId } })).entries;
  }
  async getClipboard(name: string, options: ConsoleOptions = {}): Promise<string> {
    return (await this.#json<{ text: string }>('GET', `/vms/${enc(name)}/clipboard`, { query: { lease_id: options.leaseId } })).text;
  }
  async setClipboard(name: string, text: string, options: ConsoleOptions = {}): Promise<void> {
    await this.#json('PUT', `/vms/${enc(name)}/clipboard`, { body: { text, lease_id: options.leaseId } });
  }

  // ---- system, events ----
  reconcile(options: { removeOrphans?: boolean } = {}): Promise<ReconcileReport> {
    return this.#json('POST', '/reconcile', { body: { removeOrphans: options.removeOrphans } });
  }
  hostInfo(): Promise<HostInfo> {
    return this.#json('GET', '/host');
  }
  listEvents(query: EventQuery = {}): Promise<StateEvent[]> {
    return this.#json('GET', '/events', { query: { after: query.afterId, limit: query.limit, kind: query.kind, subject: query.subject } });
  }

  // ---- hosts of a fleet on one PostgreSQL (none on SQLite) ----
  async listHosts(): Promise<HostView[]> {
    return (await this.#json<{ hosts: HostView[] }>('GET', '/hosts')).hosts;
  }
  getHost(name: string): Promise<HostView> {
    return this.#json('GET', `/hosts/${enc(name)}`);
  }
  /** No new VMs or claims on the host; its idle VMs are removed and replaced elsewhere. */
  drainHost(name: string): Promise<HostRecord> {
    return this.#json('POST', `/hosts/${enc(name)}/drain`);
  }
  /** Undoes a drain: the host takes new VMs and claims again. */
  undrainHost(name: string): Promise<HostRecord> {
    return this.#json('POST', `/hosts/${enc(name)}/undrain`);
  }
  /** Forgets a host that is gone for good, with the rows of its VMs (its hypervisor is not touched). */
  removeHost(name: string, options: { force?: boolean } = {}): Promise<{ removed: string; vmsForgotten: string[] }> {
    return this.#json('DELETE', `/hosts/${enc(name)}`, { query: { force: options.force } });
  }

  // ---- fleet documents (docs/apply.md) ----
  apply(request: { files?: FleetFile[]; documents?: unknown[]; prune?: boolean; dryRun?: boolean }): Promise<ApplyResult> {
    return this.#json('POST', '/apply', { body: request });
  }
  exportFleet(): Promise<FleetObject[]> {
    return this.#json('GET', '/export');
  }

  // ---- lifecycle webhooks (docs/webhooks.md) ----
  addWebhook(input: WebhookInput): Promise<WebhookSubscription> {
    return this.#json('POST', '/webhooks', { body: input });
  }
  listWebhooks(): Promise<WebhookView[]> {
    return this.#json('GET', '/webhooks');
  }
  async removeWebhook(id: string): Promise<void> {
    await this.#json('DELETE', `/webhooks/${enc(id)}`);
  }
  listWebhookDeliveries(webhookId?: string, limit?: number): Promise<WebhookDelivery[]> {
    return this.#json('GET', webhookId === undefined ? '/webhooks/deliveries' : `/webhooks/${enc(webhookId)}/deliveries`, { query: { limit } });
  }
  redeliverWebhook(deliveryId: string): Promise<WebhookDelivery> {
    return this.#json('POST', `/webhooks/deliveries/${enc(deliveryId)}/redeliver`);
  }

  // ---- agents, workflows (served when the server runs the scheduler) ----
  submitAgent(request: AgentSubmitRequest): Promise<Agent> {
    return this.#json('POST', '/agents', { body: request });
  }
  listAgents(filter: { pool?: string; status?: AgentStatus; limit?: number } = {}): Promise<Agent[]> {
    return this.#json('GET', '/agents', { query: filter });
  }
  getAgent(id: string): Promise<Agent> {
    return this.#json('GET', `/agents/${enc(id)}`);
  }
  cancelAgent(id: string): Promise<Agent> {
    return this.#json('POST', `/agents/${enc(id)}/cancel`);
  }
  /** An external worker reports success. */
  completeAgent(id: string, output?: unknown): Promise<Agent> {
    return this.#json('POST', `/agents/${enc(id)}/complete`, { body: { output } });
  }
  /** An external worker reports failure. */
  failAgent(id: string, error: string, output?: unknown): Promise<Agent> {
    return this.#json('POST', `/agents/${enc(id)}/fail`, { body: { error, output } });
  }
  agentLogs(id: string): Promise<{ at: string; level: 'info' | 'warn' | 'error'; message: string; details?: Record<string, unknown> }[]> {
    return this.#json('GET', `/agents/${enc(id)}/logs`);
  }
  async agentScreenshot(id: string, index: number): Promise<Uint8Array> {
    const res = await this.#call('GET', `/agents/${enc(id)}/artifacts/${index}`, { accept: 'image/png' });
    return new Uint8Array(await res.arrayBuffer());
  }
  /** One workflow as the server reads it (its parsed definition). */
  getWorkflow(name: string): Promise<Workflow> {
    return this.#json('GET', `/workflows/${enc(name)}`);
  }
  listWorkflows(): Promise<{ name: string; file: string; valid: boolean; executor: string | null; description: string | null; error: string | null }[]> {
    return this.#json('GET', '/workflows');
  }

  /**
   * The live event stream, from now on (or after `after`, an event id). It reconnects after a
   * dropped connection, resuming after the last event it yielded; end it with `signal`.
   */
  async *events(options: { after?: number; kind?: EventQuery['kind']; subject?: string; signal?: AbortSignal } = {}): AsyncGenerator<LiveEvent> {
    let last = options.after;
    while (!options.signal?.aborted) {
      let res: Response;
      try {
        res = await this.#call('GET', '/events', { query: { after: last, kind: options.kind, subject: options.subject }, accept: 'text/event-stream', signal: options.signal });
      } catch (e) {
        if (options.signal?.aborted) return;
        throw e;
      }
      if (!res.body) return;
      try {
        for await (const m of readSse(res.body)) {
          if (m.event === 'progress') yield { type: 'progress', progress: JSON.parse(m.data) as ProgressEvent };
          else if (m.event === 'hello') {
            const hello = JSON.parse(m.data) as { after: number };
            last ??= hello.after;
            yield { type: 'connected', after: hello.after };
          } else if (m.id !== undefined) {
            const event = JSON.parse(m.data) as StateEvent;
            last = event.id;
            yield { type: 'event', event };
          }
        }
      } catch (e) {
        if (options.signal?.aborted) return;
        if (!(e instanceof TypeError)) throw e;
      }
      if (!options.signal?.aborted) await new Promise((r) => setTimeout(r, 1000));
    }
  }

  async close(): Promise<void> {}

  // ---- transport ----
  async #json<T>(method: string, path: string, options: CallOptions = {}): Promise<T> {
    const res = await this.#call(method, path, options);
    return (await res.json()) as T;
  }

  async #call(method: string, path: string, options: CallOptions = {}): Promise<Response> {
    const params = new URLSearchParams();
    for (const [k, v] of Object.entries(options.query ?? {})) if (v !== undefined) params.set(k, String(v));
    const qs = params.size > 0 ? `?${params.toString()}` : '';
    const headers: Record<string, string> = { accept: options.accept ?? 'application/json' };
    if (this.#token) headers.authorization = `Bearer ${this.#token}`;
    // The server refuses a state-changing request without this media type, body or not (CSRF).
    if (method !== 'GET' && method !== 'HEAD') headers['content-type'] = options.bytes ? 'application/octet-stream' : 'application/json';
    const body: RequestInit['body'] = options.bytes ? new Uint8Array(options.bytes) : options.body !== undefined ? JSON.stringify(options.body) : undefined;
    let res: Response;
    try {
      res = await this.#fetch(`${this.url}/api/v1${path}${qs}`, { method, headers, body, signal: options.signal });
    } catch (e) {
      if (options.signal?.aborted) throw e;
      throw new HvkubeError('SERVER_UNREACHABLE', `cannot reach the hvkube server at ${this.url}: ${causeOf(e)}`, {
        hint: 'is `hvkube serve` running there? check --server / HVKUBE_SERVER',
        cause: e,
      });
    }
    if (!res.ok) throw await errorFrom(res);
    return res;
  }
}

interface ExecWire {
  exit_code: number | null;
  stdout_base64: string;
  stderr_base64: string;
  timed_out: boolean;
  truncated: boolean;
  duration_ms: number;
}

function execBody(input: GuestExecInput, options: ConsoleOptions): Record<string, unknown> {
  return {
    argv: input.argv,
    shell: input.shell,
    cwd: input.cwd,
    env: input.env,
    stdin: input.stdin === undefined ? undefined : Buffer.from(input.stdin).toString('base64'),
    timeout_ms: input.timeoutMs,
    lease_id: options.leaseId,
  };
}

function fromExecWire(w: ExecWire): GuestExecResult {
  return {
    exitCode: w.exit_code,
    stdout: Buffer.from(w.stdout_base64, 'base64'),
    stderr: Buffer.from(w.stderr_base64, 'base64'),
    timedOut: w.timed_out,
    truncated: w.truncated,
    durationMs: w.duration_ms,
  };
}

function causeOf(e: unknown): string {
  const cause = e instanceof Error && e.cause instanceof Error ? e.cause : e;
  return cause instanceof Error ? ((cause as NodeJS.ErrnoException).code ?? cause.message) : String(cause);
}

const isErrorCode = (code: unknown): code is ErrorCode => typeof code === 'string' && Object.hasOwn(ERROR_CODES, code);

/** The server's `{error: {code, message, details}}` as the HvkubeError it was on the server. */
async function errorFrom(res: Response): Promise<HvkubeError> {
  const text = await res.text();
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    parsed = undefined;
  }
  const err = (parsed as { error?: { code?: unknown; message?: unknown; details?: unknown } } | undefined)?.error;
  const message = typeof err?.message === 'string' ? err.message : `HTTP ${res.status} ${res.statusText}`.trim();
  const details = typeof err?.details === 'object' && err.details !== null ? (err.details as Record<string, unknown>) : {};
  const code: ErrorCode = isErrorCode(err?.code)
    ? err.code
    : res.status === 401
      ? 'UNAUTHORIZED'
      : res.status === 404
        ? 'NOT_FOUND'
        : res.status < 500
          ? 'INVALID_INPUT'
          : res.status >= 502 && res.status <= 504
            ? 'SERVER_UNREACHABLE'
            : 'INTERNAL';
  return new HvkubeError(code, message, { details: { ...details, status: res.status } });
}
