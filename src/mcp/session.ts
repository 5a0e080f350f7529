/**
 * One MCP client's view of the VMs: the desktops it drives, under which lease. A client may drive
 * a desktop it acquired, or one whose lease id it presents (`lease_id`: from an acquire in another
 * MCP session, the CLI or the API), unless the server was started with `allowAnyVm`. The
 * orchestrator checks the lease on every operation, so a stale one reaches nothing. Leases of
 * desktops acquired over MCP are renewed as clients use them, so a busy desktop stays held and an
 * abandoned one goes back to its pool when its lease runs out.
 * @module
 */
import { HvkubeError, isHvkubeError } from '../domain/errors.js';
import type { ReleasePolicy } from '../domain/types.js';
import type { AcquireResult } from '../orchestrator/acquire.js';
import type { Orchestrator } from '../orchestrator/orchestrator.js';
import type { ReleaseResult } from '../orchestrator/release.js';
import { errorMessage, silentLogger, type Logger } from '../_util/logger.js';
import { McpLeases } from './leases.js';

export interface McpSessionOptions {
  /** Shown as the lease holder, e.g. `mcp:3f2a9c1e`. */
  holder: string;
  /** Let this client drive VMs without a lease (an operator console, a trusted single user). */
  allowAnyVm?: boolean;
  /** Lease length of an acquire; renewed on use. Default 15 minutes. */
  leaseTtlMs?: number;
  /** Desktops acquired over MCP by this server, shared by its sessions. Default: this session's own. */
  leases?: McpLeases;
  logger?: Logger;
}

interface Held {
  leaseId: string;
  /** When the lease runs out (ms), null when unknown; renewed only for desktops acquired over MCP. */
  expiresAt: number | null;
}

export const DEFAULT_MCP_LEASE_TTL_MS = 15 * 60_000;

export class McpSession {
  readonly holder: string;
  readonly allowAnyVm: boolean;
  readonly leaseTtlMs: number;
  readonly #orch: Orchestrator;
  readonly #logger: Logger;
  readonly #leases: McpLeases;
  readonly #held = new Map<string, Held>();
  /** Native screen widths seen, so a scaled screenshot needs one capture, not two. */
  readonly #screenWidths = new Map<string, number>();

  constructor(orch: Orchestrator, options: McpSessionOptions) {
    this.#orch = orch;
    this.holder = options.holder;
    this.allowAnyVm = options.allowAnyVm === true;
    this.leaseTtlMs = options.leaseTtlMs ?? DEFAULT_MCP_LEASE_TTL_MS;
    this.#leases = options.leases ?? new McpLeases();
    this.#logger = options.logger ?? silentLogger;
  }

  get owned(): string[] {
    return [...this.#held.keys()];
  }

  owns(vm: string): boolean {
    return this.#held.has(vm);
  }

  adopt(result: AcquireResult): void {
    const expiresAt = result.vm.lease?.expiresAt ? Date.parse(result.vm.lease.expiresAt) : null;
    this.#held.set(result.vm.name, { leaseId: result.leaseId, expiresAt });
    this.#leases.acquired(result.leaseId, this);
  }

  screenWidth(vm: string): number | undefined {
    return this.#screenWidths.get(vm);
  }

  rememberScreenWidth(vm: string, width: number): void {
    this.#screenWidths.set(vm, width);
  }

  /** The lease to act under: the one given, else the one this session holds on `name`. */
  #leaseFor(name: string, leaseId: string | undefined): string | undefined {
    const id = leaseId ?? this.#held.get(name)?.leaseId;
    if (id === undefined && !this.allowAnyVm) {
      throw new HvkubeError('FORBIDDEN', `VM ${name} was not acquired in this session`, {
        hint: 'pass the lease_id its acquire answered (acquire_desktop, the CLI or the API), or acquire a desktop with acquire_desktop',
        details: { vm: name },
      });
    }
    return id;
  }

  /**
   * Runs `op` on `name` under the caller's lease (`leaseId`, else the one this session holds).
   * The orchestrator refuses a stale lease before anything reaches the VM; a lease that works is
   * held by this session from then on, and renewed when it was acquired over MCP.
   */
  async drive<T>(
    name: string,
    leaseId: string | undefined,
    op: (leaseId: string | undefined) => Promise<T>,
  ): Promise<T> {
    const id = this.#leaseFor(name, leaseId);
    let result: T;
    try {
      result = await op(id);
    } catch (e) {
      if (id !== undefined && isHvkubeError(e, 'LEASE_MISMATCH')) this.#lost(name, id);
      throw e;
    }
    if (id !== undefined) await this.#hold(name, id);
    return result;
  }

  async #hold(name: string, leaseId: string): Promise<void> {
    let held = this.#held.get(name);
    if (held?.leaseId !== leaseId) {
      if (held) this.#leases.leave(held.leaseId, this);
      held = { leaseId, expiresAt: null };
      this.#held.set(name, held);
      this.#leases.join(leaseId, this);
    }
    // Only desktops acquired over MCP: a lease from the CLI or the API is its holder's to renew.
    // Renew once half the lease is gone: one store write per few minutes, not one per click.
    if (!this.#leases.has(leaseId)) return;
    if (held.expiresAt !== null && held.expiresAt - Date.now() >= this.leaseTtlMs / 2) return;
    try {
      const renewed = await this.#orch.renewLease(name, leaseId, this.leaseTtlMs);
      held.expiresAt = renewed.lease?.expiresAt ? Date.parse(renewed.lease.expiresAt) : null;
    } catch (e) {
      if (isHvkubeError(e, 'LEASE_LIMIT')) {
        // The pool's max lease duration: the call itself went through. Hold the lease up to the
        // limit, where it ends whatever is renewed, and stop renewing it.
        held.expiresAt = Number.MAX_SAFE_INTEGER;
        const remainingS = Number(e.details.remainingS);
        if (remainingS >= 1) await this.#orch.renewLease(name, leaseId, Math.floor(remainingS) * 1000).catch(() => undefined);
        return;
      }
      if (!isHvkubeError(e, 'LEASE_MISMATCH')) throw e;
      this.#lost(name, leaseId);
    }
  }

  /** The lease ended (released, expired, taken over): this session and the others forget it. */
  #lost(name: string, leaseId: string): void {
    if (this.#held.get(name)?.leaseId === leaseId) this.#held.delete(name);
    this.#leases.forget(leaseId);
  }

  /** Gives a VM back under the caller's lease (or the one this session holds). */
  async release(
    name: string,
    leaseId: string | undefined,
    policy?: ReleasePolicy,
  ): Promise<ReleaseResult> {
    const id = this.#leaseFor(name, leaseId);
    try {
      const result = await this.#orch.release(name, { policy, leaseId: id, actor: this.holder });
      if (id !== undefined) this.#lost(name, id);
      this.#screenWidths.delete(name);
      return result;
    } catch (e) {
      if (id !== undefined && isHvkubeError(e, 'LEASE_MISMATCH')) this.#lost(name, id);
      throw e;
    }
  }

  /**
   * The session ends (the client said goodbye, went idle, or the process ends). Each desktop it
   * acquired or joined over MCP is released when no other session still drives it; desktops whose
   * lease came from the CLI or the API stay with their holder. Waits until the releases are done.
   */
  async releaseAll(): Promise<void> {
    const held = [...this.#held];
    this.#held.clear();
    await Promise.all(
      held.map(async ([name, { leaseId }]) => {
        if (!this.#leases.leave(leaseId, this)) return;
        try {
          const r = await this.#orch.release(name, { leaseId, actor: this.holder });
          await r.done;
        } catch (e) {
          // The lease may already be gone (expired, released by an operator): nothing to give back.
          this.#logger.debug({ vm: name, err: errorMessage(e) }, 'release at session end skipped');
        }
      }),
    );
  }
}
