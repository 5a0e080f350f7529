/**
 * Release: the holder gives a VM back, and it returns to the pool saved (session kept), reset to
 * "clean", or destroyed (the controller provisions a replacement). The caller is answered as soon
 * as the VM has left `running`; `done` settles when the VM is ready again.
 * @module
 */
import { HvkubeError } from '../domain/errors.js';
import type { ReleasePolicy, Vm } from '../domain/types.js';
import { RELEASE_POLICIES } from '../domain/types.js';
import { validateName } from '../domain/validation.js';
import type { OrchestratorContext } from './context.js';
import { requirePool } from './catalog.js';
import { beginRemove } from './remove.js';
import { resetVm } from './reset.js';
import type { TemplateCache } from './templates-cache.js';
import { markError, transition } from './vm-operation.js';

export interface ReleaseOptions {
  /** Default: the pool's release policy. */
  policy?: ReleasePolicy;
  /** When given, the release only happens if the VM holds this lease. */
  leaseId?: string;
  actor?: string;
  /**
   * Recorded with the release event, e.g. why a policy ended the lease when its holder did not
   * (`{ reason: 'idle', idleS: 900 }`).
   */
  details?: Record<string, unknown>;
}

export interface ReleaseResult {
  vm: Vm;
  policy: ReleasePolicy;
  /** Settles when the VM is back in the pool (or gone, for destroy). Never rejects. */
  done: Promise<Vm | null>;
}

export async function requireVm(ctx: OrchestratorContext, name: string): Promise<Vm> {
  validateName('vm', name);
  const vm = await ctx.store.getVm(name);
  if (!vm) {
    throw new HvkubeError('VM_NOT_FOUND', `VM '${name}' does not exist`, {
      hint: 'list VMs with `hvkube vm list`',
      details: { vm: name },
    });
  }
  return vm;
}

/** Releases `vm` as just read by the caller (`requireVm`); every write below is guarded anyway. */
export async function release(ctx: OrchestratorContext, templates: TemplateCache, vm: Vm, options: ReleaseOptions = {}): Promise<ReleaseResult> {
  const name = vm.name;
  if (options.policy !== undefined && !RELEASE_POLICIES.includes(options.policy)) {
    throw new HvkubeError('INVALID_INPUT', `release policy ${JSON.stringify(options.policy)} is unknown`, { hint: 'use save, reset or destroy' });
  }
  if (options.leaseId !== undefined && vm.lease?.id !== options.leaseId) {
    throw new HvkubeError('LEASE_MISMATCH', `VM ${name} is not held under lease ${options.leaseId}`, {
      hint: vm.lease ? 'it was released or re-acquired by someone else' : 'it is not held by anyone',
      details: { vm: name },
    });
  }
  if (vm.state !== 'running') {
    throw new HvkubeError('VM_INVALID_STATE', `VM ${name} is ${vm.state}, not in use; only a running VM can be released`, {
      hint:
        vm.state === 'resuming'
          ? 'wait for the acquire to finish'
          : `nothing holds it while it is ${vm.state} (a lease left on it is stale and the pool controller clears it); to put it back to clean: hvkube vm reset ${name}`,
      details: { vm: name, state: vm.state },
    });
  }
  const pool = await requirePool(ctx, vm.pool);
  const policy = options.policy ?? pool.releasePolicy;
  const actor = options.actor ?? vm.lease?.holder ?? 'user';
  const leaseGuard = vm.lease?.id ?? null;
  const released = { ...options.details, released: policy };

  if (policy === 'destroy') {
    const { finished } = await beginRemove(ctx, vm, actor, leaseGuard, released);
    const done = finished.then(
      () => null,
      async (e: unknown) => {
        ctx.logger.error({ vm: name, err: String(e) }, 'destroy after release failed; reconcile will finish it');
        return null;
      },
    );
    return { vm: { ...vm, state: 'deleting', lease: null }, policy, done };
  }
  if (policy === 'reset') {
    const resetting = await transition(ctx, vm, { event: 'reset', actor, leaseId: leaseGuard, patch: { lease: null }, details: released });
    const template = await templates.get(ctx, vm.template);
    const done = resetVm(ctx, resetting, template, { actor, alreadyResetting: true }).catch(() => ctx.store.getVm(name));
    return { vm: resetting, policy, done };
  }
  // `released` marks the event as the end of the lease (the vm.released webhook).
  const saving = await transition(ctx, vm, { event: 'save', actor, leaseId: leaseGuard, patch: { lease: null }, details: released });
  const t0 = ctx.clock.now();
  const done = ctx.hv
    .save(name)
    .then(() => transition(ctx, saving, { event: 'saved', actor, patch: { lastSaveMs: ctx.clock.now() - t0 } }))
    .catch(async (e: unknown) => {
      await markError(ctx, saving, actor, e);
      return ctx.store.getVm(name);
    });
  return { vm: saving, policy, done };
}
