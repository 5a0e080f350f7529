/**
 * One MCP client's view of the VMs: which desktops it acquired, under which lease. A client
 * may drive (screenshot, type, click, release) only those, unless the server was started with
 * `allowAnyVm`. Leases are renewed as the client uses its desktop, so a busy session keeps its
 * VM and an abandoned one loses it when the lease runs out (the pool controller takes it back).
 * @module
 */
import { HvkubeError } from '../domain/errors.js';
import type { ReleasePolicy, Vm } from '../domain/types.js';
import type { AcquireResult } from '../orchestrator/acquire.js';
import type { Orchestrator } from '../orchestrator/orchestrator.js';
import type { ReleaseResult } from '../orchestrator/release.js';
import { errorMessage, silentLogger, type Logger } from '../_util/logger.js';

export interface McpSessionOptions {
  /** Shown as the lease holder, e.g. `mcp:3f2a9c1e`. */
  holder: string;
  /** Let this client drive VMs it did not acquire (an operator console, a trusted single user). */
  allowAnyVm?: boolean;
  /** Lease length of an acquire; renewed on use. Default 15 minutes. */
  leaseTtlMs?: number;
  logger?: Logger;
}

interface Owned {
  leaseId: string;
  expiresAt: number | null;
}

export const DEFAULT_MCP_LEASE_TTL_MS = 15 * 60_000;

export class McpSession {
  readonly holder: string;
  readonly allowAnyVm: boolean;
  readonly leaseTtlMs: number;
  readonly #orch: Orchestrator;
  readonly #logger: Logger;
  readonly #owned = new Map<string, Owned>();
  /** Native screen widths seen, so a scaled screenshot needs one capture, not two. */
  readonly #screenWidths = new Map<string, number>();

  constructor(orch: Orchestrator, options: McpSessionOptions) {
    this.#orch = orch;
    this.holder = options.holder;
    this.allowAnyVm = options.allowAnyVm === true;
    this.leaseTtlMs = options.leaseTtlMs ?? DEFAULT_MCP_LEASE_TTL_MS;
    this.#logger = options.logger ?? silentLogger;
  }

  get owned(): string[] {
    return [...this.#owned.keys()];
  }

  owns(vm: string): boolean {
    return this.#owned.has(vm);
  }

  adopt(result: AcquireResult): void {
    const expiresAt = result.vm.lease?.expiresAt ? Date.parse(result.vm.lease.expiresAt) : null;
    this.#owned.set(result.vm.name, { leaseId: result.leaseId, expiresAt });
  }

  screenWidth(vm: string): number | undefined {
    return this.#screenWidths.get(vm);
  }

  rememberScreenWidth(vm: string, width: number): void {
    this.#screenWidths.set(vm, width);
  }

  /**
   * Throws unless this client may drive `name` now. For a VM it acquired, also checks that the
   * lease is still its own (it may have expired and gone to someone else) and renews it.
   */
  async requireDrivable(name: string): Promise<void> {
    const owned = this.#owned.get(name);
    if (!owned) {
      if (this.allowAnyVm) return;
      throw new HvkubeError('FORBIDDEN', `VM ${name} was not acquired in this session`, {
        hint: 'acquire a desktop with acquire_desktop and use the vm_name it answers',
        details: { vm: name },
      });
    }
    const vm: Vm = await this.#orch.getVm(name);
    if (vm.lease?.id !== owned.leaseId) {
      this.#owned.delete(name);
      throw new HvkubeError(
        'FORBIDDEN',
        `your lease on VM ${name} has ended (it expired or was released)`,
        {
          hint: 'acquire a desktop again with acquire_desktop',
          details: { vm: name },
        },
      );
    }
    // Renew once half the lease is gone: one store write per few minutes, not one per click.
    if (owned.expiresAt !== null && owned.expiresAt - Date.now() < this.leaseTtlMs / 2) {
      const renewed = await this.#orch.renewLease(name, owned.leaseId, this.leaseTtlMs);
      owned.expiresAt = renewed.lease?.expiresAt ? Date.parse(renewed.lease.expiresAt) : null;
    }
  }

  /** Gives a VM back; only its holder may, unless `allowAnyVm`. */
  async release(name: string, policy?: ReleasePolicy): Promise<ReleaseResult> {
    await this.requireDrivable(name);
    const owned = this.#owned.get(name);
    const result = await this.#orch.release(name, {
      policy,
      leaseId: owned?.leaseId,
      actor: this.holder,
    });
    this.#owned.delete(name);
    this.#screenWidths.delete(name);
    return result;
  }

  /** Releases everything this session still holds (the client went away); waits until done. */
  async releaseAll(): Promise<void> {
    const names = this.owned;
    await Promise.all(
      names.map(async (name) => {
        const owned = this.#owned.get(name);
        this.#owned.delete(name);
        if (!owned) return;
        try {
          const r = await this.#orch.release(name, { leaseId: owned.leaseId, actor: this.holder });
          await r.done;
        } catch (e) {
          // The lease may already be gone (expired, released by an operator): nothing to give back.
          this.#logger.debug({ vm: name, err: errorMessage(e) }, 'release at session end skipped');
        }
      }),
    );
  }
}
