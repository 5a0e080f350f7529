import { afterEach, describe, expect, it } from 'vitest';
import { harness, type Harness } from '../../test/helpers/harness.js';
import { isHvkubeError } from '../domain/errors.js';
import { VM_STATES, type VmState } from '../domain/vm-state.js';
import type { Orchestrator } from './orchestrator.js';

let h: Harness | undefined;
afterEach(async () => {
  await h?.close();
  h = undefined;
});

const LEASE = { id: 'lease-1', holder: 'alice', expiresAt: null };

/** Every VM operation a caller can ask for, with and without the flags that change its rules. */
const OPERATIONS: Record<string, (orch: Orchestrator, vm: string) => Promise<unknown>> = {
  resume: (o, vm) => o.resumeVm(vm),
  save: (o, vm) => o.saveVm(vm),
  reset: (o, vm) => o.resetVm(vm),
  'reset --force': (o, vm) => o.resetVm(vm, { force: true }),
  stop: (o, vm) => o.stopVm(vm),
  'stop --force': (o, vm) => o.stopVm(vm, { force: true }),
  remove: (o, vm) => o.removeVm(vm),
  'remove --force': (o, vm) => o.removeVm(vm, { force: true }),
  release: async (o, vm) => (await o.release(vm)).done,
  'release --lease other': async (o, vm) => (await o.release(vm, { leaseId: 'other' })).done,
  'renew --lease other': (o, vm) => o.renewLease(vm, 'other', 60_000),
  fail: (o, vm) => o.failVm(vm, 'broken'),
};

/** A provisioned VM moved to `state`; the fake host agrees where the state is one it can be in. */
async function vmIn(state: VmState, leased: boolean, hasClean: boolean): Promise<string> {
  h = await harness();
  await h.pool('p', 1);
  const [vm] = await h.store.listVms({ pool: 'p' });
  if (!vm) throw new Error('no VM');
  if (state === 'running' || state === 'paused') await h.hv.start(vm.name);
  if (state === 'paused') await h.hv.pause(vm.name);
  if (state === 'off') await h.hv.stop(vm.name, { force: true });
  const moved = await h.store.transitionVm(vm.name, {
    from: ['saved'],
    to: state,
    actor: 'test',
    action: 'setup',
    patch: { lease: leased ? LEASE : null, hasClean },
  });
  if (!moved) throw new Error('setup failed');
  return vm.name;
}

async function snapshot(name: string): Promise<unknown> {
  if (!h) throw new Error('no harness');
  const hv = await h.hv.getVm(name);
  return {
    row: await h.store.getVm(name),
    events: await h.store.listEvents({ subject: name }),
    hv: hv && { state: hv.state, checkpoints: hv.checkpoints },
  };
}

const cases = Object.keys(OPERATIONS).flatMap((op) =>
  VM_STATES.flatMap((state) => [false, true].map((leased) => ({ op, state, leased }))),
);

describe('a refused operation changes nothing', () => {
  const refused = new Set<string>();

  it.each(cases)('$op on a $state VM (leased: $leased)', async ({ op, state, leased }) => {
    const name = await vmIn(state, leased, true);
    const before = await snapshot(name);
    const run = OPERATIONS[op];
    if (!run || !h) throw new Error(op);
    let error: unknown;
    try {
      await run(h.orch, name);
    } catch (e) {
      error = e;
    }
    await h.orch.controller.idle();
    if (error === undefined) return;
    refused.add(`${op}/${state}/${leased}`);
    // Refusals are typed errors that say why, never an accident half-way.
    expect(isHvkubeError(error), error instanceof Error ? error.message : 'not an Error').toBe(true);
    expect(await snapshot(name)).toEqual(before);
  });

  it('refuses what the lifecycle and the lease forbid (the table above is not vacuous)', () => {
    // A graceful stop needs a running guest: a saved or paused VM is refused, not destroyed.
    expect(refused).toContain('stop/saved/false');
    expect(refused).toContain('stop/paused/false');
    expect(refused).toContain('stop/running/true');
    expect(refused).toContain('release --lease other/running/true');
    expect(refused).toContain('resume/deleting/false');
    expect(refused).not.toContain('stop --force/saved/false');
  });

  it('refuses to reset a VM without a clean checkpoint and leaves it as it was', async () => {
    const name = await vmIn('off', false, false);
    const before = await snapshot(name);
    await expect(h?.orch.resetVm(name)).rejects.toMatchObject({ code: 'VM_INVALID_STATE' });
    expect(await snapshot(name)).toEqual(before);
  });
});
