/**
 * Hyper-V's state rules as the fake enforces them (hyperv.md §8.4), as small checks on a VM
 * record. Each throws the HypervisorError a real host would answer with.
 * @module
 */
import { HypervisorError } from '../../domain/errors.js';
import type { HvState } from '../hypervisor.js';
import type { FakeHostState, FakeVmRecord } from './fake-state.js';

export function requireVm(state: FakeHostState, name: string): FakeVmRecord {
  const vm = state.vms[name];
  if (!vm) {
    throw new HypervisorError('HV_NOT_FOUND', `VM ${name} does not exist on the fake host`, {
      details: { vm: name },
    });
  }
  return vm;
}

/** A VM in the middle of another operation refuses new ones, as Hyper-V does while Starting/Saving. */
export function requireIdle(vm: FakeVmRecord): FakeVmRecord {
  if (vm.busy) {
    throw new HypervisorError(
      'HV_INVALID_STATE',
      `VM ${vm.name} is busy (${vm.busy.operation} under way)`,
      {
        hint: 'wait for the running operation to finish',
        details: { vm: vm.name, state: vm.state, busy: vm.busy.operation },
      },
    );
  }
  return vm;
}

export function invalidState(vm: FakeVmRecord, action: string, hint?: string): HypervisorError {
  return new HypervisorError(
    'HV_INVALID_STATE',
    `cannot ${action} VM ${vm.name}: it is ${vm.state}`,
    {
      ...(hint === undefined ? {} : { hint }),
      details: { vm: vm.name, state: vm.state },
    },
  );
}

export function requireState(
  vm: FakeVmRecord,
  allowed: readonly HvState[],
  action: string,
): FakeVmRecord {
  if (!allowed.includes(vm.state))
    throw invalidState(vm, action, `it must be ${allowed.join(' or ')}`);
  return vm;
}

/** States in which a VM holds host memory. */
export function holdsMemory(state: HvState): boolean {
  return state !== 'off' && state !== 'saved';
}

/**
 * A stable address per name, 10.128.0.1-10.255.255.254: a 23-bit space keeps collisions
 * unlikely for pools of thousands, and the same name always gets the same address.
 */
export function fakeGuestAddress(name: string): string {
  let h = 0x811c9dc5;
  for (let i = 0; i < name.length; i++) {
    h ^= name.charCodeAt(i);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return `10.${128 + ((h >>> 24) & 0x7f)}.${(h >>> 16) & 0xff}.${1 + ((h & 0xffff) % 254)}`;
}

/** Seeded generator (mulberry32), so failure-rate tests repeat exactly. */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
