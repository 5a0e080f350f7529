/**
 * Forwarding to a VM's owner: the operations another host must carry out, sent to its API's
 * internal routes with the cluster token. Typed errors from the owner come back as they were
 * thrown there; an owner that does not answer is `HV_UNAVAILABLE`.
 * @module
 */
import type { ReleasePolicy, Vm } from '../domain/types.js';
import { ERROR_CODES, HvkubeError, type ErrorCode } from '../domain/errors.js';
import type { RemoteRelease, RemoteVmOperations } from '../orchestrator/fleet-hooks.js';
import type { MouseButton, ScreenshotOptions, ScreenSize } from '../hypervisor/hypervisor.js';
import { screenshotQuery } from '../hypervisor/console/screenshot-query.js';
import type { InputStep } from '../orchestrator/input/steps.js';
import type { Store, VmTransition } from '../store/store.js';
import { errorMessage, type Logger } from '../_util/logger.js';
import { LatencyRecorder } from './latency.js';

export const INTERNAL_PREFIX = '/api/v1/internal/fleet';

export interface OwnerClientOptions {
  store: Store;
  /** This host's name, for the events of a VM given up because its owner did not answer. */
  self: string;
  token: string | null;
  timeoutMs: number;
  /** A forwarded resume waits for the guest's probes: allow the owner's ready timeout. */
  resumeTimeoutMs?: number;
  /** How long a host's address is reused before it is read again. Default 5000 ms. */
  addressTtlMs?: number;
  logger?: Logger;
}

const GIVE_BACK_ATTEMPTS = 3;
const GIVE_BACK_PAUSE_MS = 500;

interface ErrorBody {
  error?: { code?: string; message?: string; details?: Record<string, unknown> };
}

function isErrorCode(code: unknown): code is ErrorCode {
  return typeof code === 'string' && code in ERROR_CODES;
}

export class OwnerClient implements RemoteVmOperations {
  readonly latency = new LatencyRecorder();
  readonly #o: OwnerClientOptions;
  readonly #addresses = new Map<string, { url: string; until: number }>();

  constructor(options: OwnerClientOptions) {
    this.#o = options;
  }

  async #address(host: string): Promise<string> {
    const cached = this.#addresses.get(host);
    if (cached && cached.until > Date.now()) return cached.url;
    const record = await this.#o.store.getHost(host);
    if (!record) throw new HvkubeError('HOST_NOT_FOUND', `host ${host} is not registered`, { details: { host } });
    if (record.status === 'lost') {
      throw new HvkubeError('HV_UNAVAILABLE', `host ${host} is lost; its VMs are being replaced`, { hint: 'acquire another VM', details: { host } });
    }
    if (!record.address) throw new HvkubeError('HV_UNAVAILABLE', `host ${host} has no API address`, { hint: 'start it with `hvkube serve --listen`', details: { host } });
    this.#addresses.set(host, { url: record.address.replace(/\/+$/, ''), until: Date.now() + (this.#o.addressTtlMs ?? 5000) });
    return record.address.replace(/\/+$/, '');
  }

  /** One request to the owner; answers the response (2xx) or throws a typed error. */
  async #call(operation: string, vm: Vm, path: string, init: { method: 'GET' | 'POST'; body?: unknown }, timeoutMs = this.#o.timeoutMs): Promise<Response> {
    if (this.#o.token === null) {
      throw new HvkubeError('HV_UNAVAILABLE', `VM ${vm.name} belongs to host ${vm.host}, and no cluster token is set to reach it`, {
        hint: 'set HVKUBE_CLUSTER_TOKEN (the same on every host)',
        details: { vm: vm.name, host: vm.host },
      });
    }
    const base = await this.#address(vm.host);
    const t0 = performance.now();
    let res: Response;
    try {
      res = await fetch(`${base}${INTERNAL_PREFIX}/vms/${encodeURIComponent(vm.name)}${path}`, {
        method: init.method,
        headers: { authorization: `Bearer ${this.#o.token}`, ...(init.body !== undefined ? { 'content-type': 'application/json' } : {}) },
        body: init.body !== undefined ? JSON.stringify(init.body) : undefined,
        signal: AbortSignal.timeout(timeoutMs),
      });
    } catch (e) {
      this.latency.record(operation, performance.now() - t0, false);
      this.#addresses.delete(vm.host);
      throw new HvkubeError('HV_UNAVAILABLE', `host ${vm.host}, owner of VM ${vm.name}, did not answer: ${errorMessage(e)}`, {
        hint: 'retry; if the host is down it is declared lost after its lease and its VMs are replaced',
        details: { vm: vm.name, host: vm.host, unreachable: true },
        cause: e,
      });
    }
    this.latency.record(operation, performance.now() - t0, res.ok);
    if (res.ok) return res;
    const body = (await res.json().catch(() => ({}))) as ErrorBody;
    const code = isErrorCode(body.error?.code) ? body.error.code : 'HV_FAILED';
    throw new HvkubeError(code, body.error?.message ?? `host ${vm.host} answered ${res.status}`, {
      details: { ...(body.error?.details ?? {}), vm: vm.name, host: vm.host },
    });
  }

  async resume(vm: Vm, fromHot: boolean): Promise<{ vm: Vm; resumeMs: number }> {
    const leaseId = vm.lease?.id ?? '';
    try {
      const res = await this.#call('resume', vm, '/resume', { method: 'POST', body: { leaseId, fromHot } }, this.#o.resumeTimeoutMs ?? this.#o.timeoutMs);
      return (await res.json()) as { vm: Vm; resumeMs: number };
    } catch (e) {
      const unreachable = e instanceof HvkubeError && e.details.unreachable === true;
      const refused = e instanceof HvkubeError && (e.code === 'HOST_FENCED' || e.code === 'SHUTTING_DOWN');
      // No answer: the owner may or may not have resumed it. Nobody may hand it out half-done,
      // so it leaves the pool as `error` and its owner (or the lost-host path) replaces it.
      // A refusal (fenced, shutting down): the owner did not touch it, and the claim is simply
      // given back. Any other answer: the owner tried, and it sends the VM to repair itself —
      // right away, or, when even that could not be written, once its controller finds the
      // abandoned claim. Handing it back as saved here could put a VM that is running, or off,
      // into the pool as if it were saved.
      if (!unreachable && !refused) throw e;
      await this.#giveBack(vm, {
        from: ['resuming'],
        to: unreachable ? 'error' : fromHot ? 'paused' : 'saved',
        leaseId,
        patch: unreachable ? { lease: null, lastError: errorMessage(e) } : { lease: null },
        actor: this.#o.self,
        action: unreachable ? 'owner-unreachable' : 'claim-returned',
        details: { owner: vm.host, reason: errorMessage(e) },
      });
      throw e;
    }
  }

  /**
   * Gives up a claim whose resume failed, retrying a busy database a few times. If it still
   * cannot be written the VM stays `resuming` under this lease; its owner's controller settles
   * such an abandoned claim (see PoolController), so it is logged, not thrown over the resume's
   * own error.
   */
  async #giveBack(vm: Vm, change: VmTransition): Promise<void> {
    for (let attempt = 1; ; attempt++) {
      try {
        await this.#o.store.transitionVm(vm.name, change);
        return;
      } catch (e) {
        if (attempt >= GIVE_BACK_ATTEMPTS) {
          this.#o.logger?.error({ vm: vm.name, owner: vm.host, err: errorMessage(e) }, 'could not give back the claim of a VM whose resume failed; its owner settles it');
          return;
        }
        await new Promise((r) => setTimeout(r, GIVE_BACK_PAUSE_MS * attempt));
      }
    }
  }

  async release(vm: Vm, options: RemoteRelease): Promise<{ vm: Vm; policy: ReleasePolicy }> {
    const res = await this.#call('release', vm, '/release', { method: 'POST', body: options });
    return (await res.json()) as { vm: Vm; policy: ReleasePolicy };
  }

  async screenshot(vm: Vm, options: ScreenshotOptions): Promise<Buffer> {
    const params = new URLSearchParams(screenshotQuery(options)).toString();
    const q = params ? `?${params}` : '';
    const res = await this.#call('screenshot', vm, `/screenshot${q}`, { method: 'GET' });
    return Buffer.from(await res.arrayBuffer());
  }

  async typeText(vm: Vm, text: string): Promise<void> {
    await this.#call('input', vm, '/type', { method: 'POST', body: { text } });
  }

  async pressKeys(vm: Vm, chords: string[]): Promise<void> {
    await this.#call('input', vm, '/keys', { method: 'POST', body: { chords } });
  }

  async click(vm: Vm, x: number, y: number, options: { button?: MouseButton; double?: boolean }): Promise<void> {
    await this.#call('input', vm, '/click', { method: 'POST', body: { x, y, ...options } });
  }

  async mouseMove(vm: Vm, x: number, y: number): Promise<void> {
    await this.#call('input', vm, '/mouse', { method: 'POST', body: { x, y } });
  }

  async scroll(vm: Vm, delta: number): Promise<void> {
    await this.#call('input', vm, '/scroll', { method: 'POST', body: { delta } });
  }

  async input(vm: Vm, steps: InputStep[]): Promise<void> {
    // Holds and paced drags wait on the owner: the call may take that long besides the usual time.
    const waits = steps.reduce((sum, s) => sum + (s.kind === 'wait' ? s.ms : 0), 0);
    await this.#call('input', vm, '/input', { method: 'POST', body: { steps } }, this.#o.timeoutMs + waits);
  }

  async screenSize(vm: Vm): Promise<ScreenSize> {
    const res = await this.#call('screenshot', vm, '/screen-size', { method: 'GET' });
    return (await res.json()) as ScreenSize;
  }
}
