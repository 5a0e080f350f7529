/**
 * Reset: back to the "clean" checkpoint. A checkpoint taken while running holds memory, so the VM
 * comes back saved with no boot; a backend that answers "off" gets a boot and a save instead.
 * Repair is a reset of a VM that failed, from whatever state it was left in.
 * @module
 */
import { HvkubeError } from '../domain/errors.js';
import type { Template, Vm } from '../domain/types.js';
import type { HypervisorCapabilities } from '../hypervisor/hypervisor.js';
import type { OrchestratorContext } from './context.js';
import { bootVm, saveVm } from './provision.js';
import { markError, runVmOperation } from './vm-operation.js';

/**
 * How a VM of this template gets back to clean: `checkpoint` restores the saved clean state with
 * no boot; `cold-boot` (a GPU VM on a backend without GPU checkpoints) gets a fresh disk, a full
 * boot and a save, so it takes as long as provisioning the VM.
 */
export type ResetMethod = 'checkpoint' | 'cold-boot';

export function resetMethod(template: Pick<Template, 'gpu'>, capabilities: Pick<HypervisorCapabilities, 'gpuCheckpoints'>): ResetMethod {
  return template.gpu && !capabilities.gpuCheckpoints ? 'cold-boot' : 'checkpoint';
}

export interface ResetOptions {
  actor: string;
  /** Guard on the lease (release by its holder); omitted: any. */
  leaseId?: string | null;
  /** The VM is already in `resetting` (a failed acquire moved it there). */
  alreadyResetting?: boolean;
}

/** Restores the clean checkpoint and answers the VM saved. Marks it `error` when that fails. */
export async function resetVm(ctx: OrchestratorContext, vm: Vm, template: Template, options: ResetOptions): Promise<Vm> {
  if (!vm.hasClean) {
    const err = new HvkubeError('VM_INVALID_STATE', `VM ${vm.name} has no clean checkpoint to reset to`, {
      hint: 'remove it; the pool controller provisions a replacement',
      details: { vm: vm.name },
    });
    await markError(ctx, vm, options.actor, err);
    throw err;
  }
  const restore = (v: Vm): Promise<'saved' | 'off'> =>
    ctx.hv.restoreCheckpoint(v.name, ctx.settings.cleanCheckpoint).then((s) => (s === 'saved' ? 'saved' : 'off'));
  let result: { vm: Vm; result: 'saved' | 'off' };
  if (options.alreadyResetting) {
    try {
      const state = await restore(vm);
      const next = await ctx.store.transitionVm(vm.name, {
        from: ['resetting'],
        to: state,
        patch: { lease: null },
        actor: options.actor,
        action: state === 'saved' ? 'reset-to-saved' : 'reset-to-off',
      });
      if (!next) throw new HvkubeError('VM_INVALID_STATE', `VM ${vm.name} left resetting while it was being repaired`);
      ctx.bus.emit('vm-change', { vm: vm.name, pool: vm.pool, from: 'resetting', to: state });
      ctx.bus.emit('appended');
      result = { vm: next, result: state };
    } catch (e) {
      await markError(ctx, vm, options.actor, e);
      throw e;
    }
  } else {
    result = await runVmOperation(
      ctx,
      vm,
      {
        start: 'reset',
        done: (s: 'saved' | 'off') => (s === 'saved' ? 'reset-to-saved' : 'reset-to-off'),
        actor: options.actor,
        leaseId: options.leaseId,
        startPatch: { lease: null },
      },
      restore,
    );
  }
  if (result.result === 'saved') return result.vm;
  const running = await bootVm(ctx, result.vm, template, options.actor);
  return saveVm(ctx, running, options.actor);
}
