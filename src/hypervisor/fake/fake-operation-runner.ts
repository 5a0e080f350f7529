/**
 * How every simulated operation runs: validate against the host state, wait out its latency (or
 * an injected hang) with the VM marked busy, then validate again and apply. With no latency the
 * whole operation is one synchronous step, so the in-memory fake costs microseconds.
 * @module
 */
import { randomUUID } from 'node:crypto';
import { HypervisorError } from '../../domain/errors.js';
import type { HvState } from '../hypervisor.js';
import type { FakeClock } from './fake-clock.js';
import { takeFault, type HangRegistry } from './fake-faults.js';
import type { FakeOperation } from './fake-hypervisor-config.js';
import type { FakeHostState } from './fake-state.js';
import type { FakeStateStore } from './state-store.js';

/** What an operation is, decided (and validated) against the current state. */
export interface Plan {
  operation: FakeOperation;
  /** The VM's state while the operation waits out its latency, or null to leave it. */
  transient: HvState | null;
}

export interface OperationSpec<T> {
  vmName: string | null;
  signal?: AbortSignal | undefined;
  /** Validates; runs again after any wait, since another process may have changed the host. */
  plan(state: FakeHostState): Plan;
  finish(state: FakeHostState, operation: FakeOperation): T;
}

type BeginResult<T> =
  | { done: true; value: T }
  | { done: false; operation: FakeOperation; hang: boolean; token: string | null };

export class OperationRunner {
  constructor(
    private readonly store: FakeStateStore,
    private readonly clock: FakeClock,
    private readonly hangs: HangRegistry,
    private readonly latency: (operation: FakeOperation) => number,
  ) {}

  async run<T>(spec: OperationSpec<T>): Promise<T> {
    if (spec.signal?.aborted) throw abandoned(spec.vmName, 'operation', spec.signal.reason);
    const begin = await this.store.mutate((s): BeginResult<T> => {
      const { operation, transient } = spec.plan(s);
      const hang = takeFault(s.faults.hangNext, spec.vmName, operation) !== undefined;
      if (!hang && this.latency(operation) <= 0)
        return { done: true, value: finish(s, spec, operation) };
      const vm = spec.vmName === null ? undefined : s.vms[spec.vmName];
      if (!transient || !vm) return { done: false, operation, hang, token: null };
      const token = randomUUID();
      vm.busy = { operation, from: vm.state, pid: process.pid, token };
      vm.state = transient;
      return { done: false, operation, hang, token };
    });
    if (begin.done) return begin.value;

    try {
      if (begin.hang) await this.hangs.wait(spec.signal);
      const ms = this.latency(begin.operation);
      if (ms > 0) await this.clock.sleep(ms, spec.signal);
    } catch (e) {
      await this.store.mutate((s) => clearBusy(s, spec.vmName, begin.token));
      throw abandoned(spec.vmName, begin.operation, e);
    }
    return this.store.mutate((s) => {
      clearBusy(s, spec.vmName, begin.token);
      return finish(s, spec, spec.plan(s).operation);
    });
  }
}

function finish<T>(s: FakeHostState, spec: OperationSpec<T>, operation: FakeOperation): T {
  const fault = takeFault(s.faults.failNext, spec.vmName, operation);
  if (fault) {
    throw new HypervisorError(
      fault.code,
      `${operation}${spec.vmName ? ` of VM ${spec.vmName}` : ''} failed (simulated fault)`,
      {
        details: { vm: spec.vmName, operation, simulated: true },
      },
    );
  }
  return spec.finish(s, operation);
}

/** Only this operation's own mark is taken off: the VM returns to where it was. */
function clearBusy(s: FakeHostState, vmName: string | null, token: string | null): void {
  const vm = vmName === null ? undefined : s.vms[vmName];
  if (token !== null && vm?.busy?.token === token) {
    vm.state = vm.busy.from;
    vm.busy = null;
  }
}

function abandoned(vmName: string | null, operation: string, cause: unknown): HypervisorError {
  return new HypervisorError(
    'HV_TIMEOUT',
    `${operation}${vmName ? ` of VM ${vmName}` : ''} was abandoned before it finished`,
    {
      hint: 'the VM was left as it was before the operation',
      details: { vm: vmName, operation },
      cause,
    },
  );
}
