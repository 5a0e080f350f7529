/**
 * Last use of each leased VM through hvkube (input, screenshots, API calls). Kept in memory at
 * once and written to the store at most once per `writeEveryMs` per VM, so a busy agent costs
 * a write every few seconds, not one per keystroke; a restart loses at most that much.
 * @module
 */
import type { Vm } from '../../domain/types.js';
import { errorMessage } from '../../_util/logger.js';
import type { OrchestratorContext } from '../context.js';

/** Default interval between two writes of one VM's last activity. */
export const ACTIVITY_WRITE_MS = 15_000;

export class ActivityTracker {
  readonly #ctx: OrchestratorContext;
  readonly #writeEveryMs: number;
  /** Latest use seen by this process (epoch ms), by VM. */
  readonly #seen = new Map<string, number>();
  /** Latest use written to the store by this process, by VM. */
  readonly #written = new Map<string, number>();

  constructor(ctx: OrchestratorContext, writeEveryMs = ACTIVITY_WRITE_MS) {
    this.#ctx = ctx;
    this.#writeEveryMs = writeEveryMs;
  }

  /** Records a use of `vm` (as just read); writes it when the last write is old enough. */
  async touch(vm: Vm): Promise<void> {
    if (!vm.lease) return;
    const now = this.#ctx.clock.now();
    this.#seen.set(vm.name, now);
    const stored = vm.lastActivityAt ? Date.parse(vm.lastActivityAt) : 0;
    const last = Math.max(this.#written.get(vm.name) ?? 0, stored);
    if (now - last < this.#writeEveryMs) return;
    this.#written.set(vm.name, now);
    try {
      await this.#ctx.store.patchVm(vm.name, { lastActivityAt: new Date(now).toISOString() });
    } catch (e) {
      // The in-memory time still counts; the next use tries the write again.
      this.#written.delete(vm.name);
      this.#ctx.logger.warn({ vm: vm.name, err: errorMessage(e) }, 'could not record VM activity');
    }
  }

  /** The latest use of `vm` known here: the store's and this process's, whichever is later. */
  lastUse(vm: Vm): number {
    const stored = vm.lastActivityAt ? Date.parse(vm.lastActivityAt) : 0;
    return Math.max(stored, this.#seen.get(vm.name) ?? 0);
  }

  /** Drops what is kept about VMs no longer leased (keeps the maps as small as the leases). */
  retain(leased: ReadonlySet<string>): void {
    for (const name of this.#seen.keys()) if (!leased.has(name)) this.#seen.delete(name);
    for (const name of this.#written.keys()) if (!leased.has(name)) this.#written.delete(name);
  }
}
