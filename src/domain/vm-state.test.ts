import { describe, expect, it } from 'vitest';
import { isHvkubeError } from './errors.js';
import { tryVmTransition, VM_STATES, vmTransition, type VmEvent, type VmState } from './vm-state.js';

/** The whole lifecycle, written out: every pair not listed here must be refused. */
const ALLOWED: [VmState, Exclude<VmEvent, object>, VmState][] = [
  ['provisioning', 'created', 'off'],
  ['off', 'boot', 'booting'],
  ['booting', 'booted', 'running'],
  ['running', 'save', 'saving'],
  ['paused', 'save', 'saving'],
  ['saving', 'saved', 'saved'],
  ['saved', 'resume', 'resuming'],
  ['paused', 'resume', 'resuming'],
  ['resuming', 'resumed', 'running'],
  ['running', 'pause', 'pausing'],
  ['saved', 'pause', 'pausing'],
  ['pausing', 'paused', 'paused'],
  ['running', 'reset', 'resetting'],
  ['paused', 'reset', 'resetting'],
  ['saved', 'reset', 'resetting'],
  ['off', 'reset', 'resetting'],
  ['error', 'reset', 'resetting'],
  ['resetting', 'reset-to-saved', 'saved'],
  ['resetting', 'reset-to-off', 'off'],
  ['running', 'stop', 'stopping'],
  ['paused', 'stop', 'stopping'],
  ['saved', 'stop', 'stopping'],
  ['error', 'stop', 'stopping'],
  ['stopping', 'stopped', 'off'],
  ...VM_STATES.filter((s) => s !== 'deleting').map((s): [VmState, 'delete', VmState] => [s, 'delete', 'deleting']),
  ...VM_STATES.filter((s) => s !== 'deleting').map((s): [VmState, 'fail', VmState] => [s, 'fail', 'error']),
  ...VM_STATES.filter((s) => s !== 'deleting' && s !== 'unknown').map((s): [VmState, 'host-lost', VmState] => [s, 'host-lost', 'unknown']),
];

const EVENTS: Exclude<VmEvent, object>[] = [
  'created', 'boot', 'booted', 'save', 'saved', 'resume', 'resumed', 'pause', 'paused', 'reset',
  'reset-to-saved', 'reset-to-off', 'stop', 'stopped', 'delete', 'fail', 'host-lost',
];

describe('VM lifecycle', () => {
  for (const state of VM_STATES) {
    for (const event of EVENTS) {
      const allowed = ALLOWED.find(([s, e]) => s === state && e === event);
      it(`${state} --${event}--> ${allowed ? allowed[2] : 'refused'}`, () => {
        if (allowed) {
          expect(vmTransition(state, event)).toBe(allowed[2]);
        } else {
          expect(tryVmTransition(state, event)).toBeUndefined();
          let thrown: unknown;
          try {
            vmTransition(state, event, 'vm1');
          } catch (e) {
            thrown = e;
          }
          expect(isHvkubeError(thrown, 'VM_INVALID_STATE')).toBe(true);
          expect((thrown as Error).message).toContain(`vm1 is ${state}`);
        }
      });
    }
  }

  it('reconcile may settle any VM on what the host reports, except one being deleted', () => {
    for (const state of VM_STATES) {
      for (const observed of ['off', 'running', 'paused', 'saved'] as const) {
        expect(tryVmTransition(state, { observed })).toBe(state === 'deleting' ? undefined : observed);
      }
    }
  });
});
