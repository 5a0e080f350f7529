/**
 * The VM lifecycle as a pure function. Transient states (booting, saving, ...) are written before
 * the hypervisor is called, so a crash leaves evidence that reconcile can resolve.
 * @module
 */
import { HvkubeError } from './errors.js';

export const VM_STATES = [
  'provisioning',
  'off',
  'booting',
  'running',
  'pausing',
  'paused',
  'saving',
  'saved',
  'resuming',
  'resetting',
  'stopping',
  'deleting',
  'error',
  // The VM's host stopped heartbeating: nobody can vouch for it. It leaves the pools' counts and
  // is replaced elsewhere; its host removes it when it comes back.
  'unknown',
] as const;
export type VmState = (typeof VM_STATES)[number];

export const TRANSIENT_VM_STATES: readonly VmState[] = [
  'provisioning',
  'booting',
  'pausing',
  'saving',
  'resuming',
  'resetting',
  'stopping',
  'deleting',
];

/** States in which a VM can be handed out, best first. */
export const READY_VM_STATES: readonly VmState[] = ['paused', 'saved'];

/** States in which a lease is in use: being handed out, or handed out. Elsewhere it is stale. */
export const LEASED_VM_STATES: readonly VmState[] = ['resuming', 'running'];

/** A state the hypervisor reports, used by reconcile to settle a VM. */
export type ObservedState = 'off' | 'running' | 'paused' | 'saved';

export type VmEvent =
  | 'created'
  | 'boot'
  | 'booted'
  | 'save'
  | 'saved'
  | 'resume'
  | 'resumed'
  | 'pause'
  | 'paused'
  | 'reset'
  | 'reset-to-saved'
  | 'reset-to-off'
  | 'stop'
  | 'stopped'
  | 'delete'
  | 'fail'
  | 'host-lost'
  | { observed: ObservedState };

const TABLE: Record<Exclude<VmEvent, { observed: ObservedState }>, Partial<Record<VmState, VmState>>> = {
  created: { provisioning: 'off' },
  boot: { off: 'booting' },
  booted: { booting: 'running' },
  save: { running: 'saving', paused: 'saving' },
  saved: { saving: 'saved' },
  resume: { saved: 'resuming', paused: 'resuming' },
  resumed: { resuming: 'running' },
  pause: { running: 'pausing', saved: 'pausing' },
  paused: { pausing: 'paused' },
  reset: { running: 'resetting', paused: 'resetting', saved: 'resetting', off: 'resetting', error: 'resetting' },
  'reset-to-saved': { resetting: 'saved' },
  'reset-to-off': { resetting: 'off' },
  stop: { running: 'stopping', paused: 'stopping', saved: 'stopping', error: 'stopping' },
  stopped: { stopping: 'off' },
  delete: Object.fromEntries(VM_STATES.filter((s) => s !== 'deleting').map((s) => [s, 'deleting'])),
  fail: Object.fromEntries(VM_STATES.filter((s) => s !== 'deleting').map((s) => [s, 'error'])),
  // A VM being deleted stays so: its host finishes the removal when it is back.
  'host-lost': Object.fromEntries(VM_STATES.filter((s) => s !== 'deleting' && s !== 'unknown').map((s) => [s, 'unknown'])),
};

export function vmEventName(event: VmEvent): string {
  return typeof event === 'string' ? event : `observed:${event.observed}`;
}

/** The state after `event`, or undefined when the lifecycle forbids it. */
export function tryVmTransition(state: VmState, event: VmEvent): VmState | undefined {
  if (typeof event !== 'string') {
    // Reconcile may settle any VM on what the hypervisor reports, except one being deleted.
    return state === 'deleting' ? undefined : event.observed;
  }
  return TABLE[event][state];
}

/** The state after `event`; throws VM_INVALID_STATE when the lifecycle forbids it. */
export function vmTransition(state: VmState, event: VmEvent, vmName = 'VM'): VmState {
  const next = tryVmTransition(state, event);
  if (next === undefined) {
    throw new HvkubeError('VM_INVALID_STATE', `${vmName} is ${state}; "${vmEventName(event)}" is not possible in that state`, {
      hint: 'wait for the current operation to finish, or run `hvkube reconcile`',
      details: { vm: vmName, state, event: vmEventName(event) },
    });
  }
  return next;
}

/** The states from which `event` is allowed. */
export function vmStatesAllowing(event: VmEvent): VmState[] {
  return VM_STATES.filter((s) => tryVmTransition(s, event) !== undefined);
}

export function isTransientVmState(state: VmState): boolean {
  return TRANSIENT_VM_STATES.includes(state);
}
