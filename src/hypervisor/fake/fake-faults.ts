/**
 * Fault injection. Armed faults live in the host state (so a test process can arm one that a
 * server process trips over); hung operations wait in this process until released.
 * @module
 */
import { HypervisorError } from '../../domain/errors.js';
import { abortReason } from './fake-clock.js';
import type { FakeOperation } from './fake-hypervisor-config.js';
import type { FakeFailureCode, FakeHostState } from './fake-state.js';

export interface FakeFaults {
  /** The next resume (start of a saved VM), of `name` or of any VM, fails with HV_FAILED; the VM stays saved. */
  failNextResume(name?: string): Promise<void>;
  /**
   * The VM disappears from the host, as if someone deleted it outside hvkube. Its disk file
   * stays unless `deleteDisk`, as Remove-VM in Hyper-V Manager leaves the VHDX behind.
   */
  vanish(name: string, options?: { deleteDisk?: boolean }): Promise<void>;
  /**
   * The VM's next resume fails with HV_SAVED_STATE_INCOMPATIBLE and discards the saved state,
   * leaving the VM off, as Hyper-V does. Cleared by a cold boot, a power-off or a checkpoint restore.
   */
  corruptSavedState(name: string): Promise<void>;
  /** The next such operation waits until its AbortSignal fires (then HV_TIMEOUT) or `releaseHangs()`. */
  hangNext(operation: FakeOperation, name?: string): Promise<void>;
  /** The next such operation fails with `code` after its latency, leaving the VM as it was. */
  failNext(operation: FakeOperation, code: FakeFailureCode, name?: string): Promise<void>;
  /** Lets hung operations of this process carry on; answers how many there were. */
  releaseHangs(): number;
  /** Operations of this process hung right now. */
  readonly hung: number;
  /** Waits (real time) until at least `count` operations of this process hang. */
  waitForHung(count?: number, timeoutMs?: number): Promise<void>;
  /** Disarms every armed fault (hung operations stay hung until released). */
  clear(): Promise<void>;
}

/** Removes and answers the first armed fault for this operation and VM. */
export function takeFault<F extends { operation?: FakeOperation; name: string | null }>(
  armed: F[],
  vmName: string | null,
  operation?: FakeOperation,
): F | undefined {
  const index = armed.findIndex(
    (f) =>
      (operation === undefined || f.operation === operation) &&
      (f.name === null || f.name === vmName),
  );
  return index < 0 ? undefined : armed.splice(index, 1)[0];
}

interface Waiter {
  release(): void;
}

/** Operations stuck on purpose, released together. */
export class HangRegistry {
  private waiters = new Set<Waiter>();

  get count(): number {
    return this.waiters.size;
  }

  wait(signal: AbortSignal | undefined): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      const waiter: Waiter = {
        release: () => {
          this.waiters.delete(waiter);
          signal?.removeEventListener('abort', onAbort);
          resolve();
        },
      };
      const onAbort = (): void => {
        this.waiters.delete(waiter);
        reject(signal ? abortReason(signal) : new Error('aborted'));
      };
      if (signal?.aborted) {
        onAbort();
        return;
      }
      signal?.addEventListener('abort', onAbort, { once: true });
      this.waiters.add(waiter);
    });
  }

  releaseAll(): number {
    const all = [...this.waiters];
    for (const w of all) w.release();
    return all.length;
  }
}

export type StateMutator = <T>(fn: (state: FakeHostState) => T) => Promise<T>;

export function createFaults(
  mutate: StateMutator,
  hangs: HangRegistry,
  deleteDiskFile: (path: string) => void,
): FakeFaults {
  const requireVm = (state: FakeHostState, name: string) => {
    const vm = state.vms[name];
    if (!vm)
      throw new HypervisorError(
        'HV_NOT_FOUND',
        `cannot arm a fault: the fake host has no VM ${name}`,
      );
    return vm;
  };
  return {
    failNextResume: (name) =>
      mutate((s) => void s.faults.failNextResume.push({ name: name ?? null })),
    vanish: (name, options = {}) =>
      mutate((s) => {
        const vm = requireVm(s, name);
        delete s.vms[name];
        if (options.deleteDisk && s.disks[vm.diskPath]) {
          delete s.disks[vm.diskPath];
          deleteDiskFile(vm.diskPath);
        }
      }),
    corruptSavedState: (name) =>
      mutate((s) => {
        requireVm(s, name).savedStateCorrupt = true;
      }),
    hangNext: (operation, name) =>
      mutate((s) => void s.faults.hangNext.push({ operation, name: name ?? null })),
    failNext: (operation, code, name) =>
      mutate((s) => void s.faults.failNext.push({ operation, code, name: name ?? null })),
    releaseHangs: () => hangs.releaseAll(),
    get hung() {
      return hangs.count;
    },
    async waitForHung(count = 1, timeoutMs = 5000) {
      const deadline = Date.now() + timeoutMs;
      while (hangs.count < count) {
        if (Date.now() > deadline)
          throw new Error(`expected ${count} hung operations, have ${hangs.count}`);
        await new Promise((resolve) => setTimeout(resolve, 1));
      }
    },
    clear: () =>
      mutate((s) => {
        s.faults = { failNextResume: [], failNext: [], hangNext: [] };
      }),
  };
}
