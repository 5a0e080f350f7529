/**
 * Provisioning one VM: differencing disk, VM, first boot, ready, checkpoint "clean", save (or
 * power off when the pool does not need it warm). The row is written first, in `provisioning`,
 * so a crash half-way leaves a VM that reconcile knows about.
 * @module
 */
import type { Pool, Template, Vm } from '../domain/types.js';
import { shortId } from '../_util/ids.js';
import { isoNow } from '../_util/clock.js';
import type { OrchestratorContext } from './context.js';
import { checkCapacity } from './capacity.js';
import { waitReady } from './readiness.js';
import { markError, runVmOperation, transition } from './vm-operation.js';

const ACTOR = 'controller';

/** A fresh VM name: prefix, pool, random suffix. */
export function newVmName(ctx: OrchestratorContext, pool: string): string {
  return `${ctx.settings.vmPrefix}${pool}-${shortId(6)}`;
}

/** Writes the VM's row in `provisioning`; the hypervisor has not been touched yet. */
export async function reserveVm(ctx: OrchestratorContext, pool: Pool, template: Template): Promise<Vm> {
  const name = newVmName(ctx, pool.name);
  const now = isoNow(ctx.clock);
  const vm: Vm = {
    name,
    pool: pool.name,
    template: template.name,
    host: ctx.settings.host,
    state: 'provisioning',
    stateSince: now,
    diskPath: ctx.hv.diskPathFor(name, template.diskPath),
    savedStatePath: null,
    ip: null,
    rdpPort: null,
    mcpEndpoint: null,
    lease: null,
    hasClean: false,
    bootMs: null,
    lastResumeMs: null,
    lastSaveMs: null,
    lastError: null,
    createdAt: now,
  };
  await ctx.store.insertVm(vm, { actor: ACTOR, action: 'provision' });
  ctx.bus.emit('vm-change', { vm: name, pool: pool.name, from: null, to: 'provisioning' });
  ctx.bus.emit('appended');
  return vm;
}

/** Boots a VM that is off until it is ready; answers the running VM. */
export async function bootVm(ctx: OrchestratorContext, vm: Vm, template: Template, actor: string): Promise<Vm> {
  await checkCapacity(ctx, template, vm.name);
  const booted = await runVmOperation(
    ctx,
    vm,
    { start: 'boot', done: 'booted', actor, donePatch: (_r, ms) => ({ bootMs: ms }) },
    async (v) => {
      await ctx.hv.start(v.name);
      await waitReady(ctx, v, template);
    },
  );
  return booted.vm;
}

/** Saves a running VM; answers it saved. */
export async function saveVm(ctx: OrchestratorContext, vm: Vm, actor: string, leaseId?: string | null): Promise<Vm> {
  const saved = await runVmOperation(
    ctx,
    vm,
    { start: 'save', done: 'saved', actor, leaseId, startPatch: { lease: null }, donePatch: (_r, ms) => ({ lastSaveMs: ms }) },
    (v) => ctx.hv.save(v.name),
  );
  return saved.vm;
}

export interface ProvisionOptions {
  /** Save the VM at the end (ready to hand out); otherwise power it off. Default true. */
  warm?: boolean;
}

/** Takes a reserved VM through to saved (or off). Marks it `error` and rethrows on failure. */
export async function completeProvisioning(ctx: OrchestratorContext, reserved: Vm, template: Template, options: ProvisionOptions = {}): Promise<Vm> {
  const progress = (step: Parameters<typeof emit>[2], message?: string): void => emit(ctx, reserved, step, message);
  let vm = reserved;
  try {
    progress('disk');
    const diskPath = reserved.diskPath ?? ctx.hv.diskPathFor(reserved.name, template.diskPath);
    await ctx.hv.createDifferencingDisk(template.diskPath, diskPath);
    progress('create');
    await ctx.hv.createVm({
      name: vm.name,
      diskPath,
      memoryMb: template.memoryMb,
      cpus: template.cpus,
      gpu: template.gpu,
      guestPorts: [template.rdpPort, ...(template.mcp ? [template.mcp.port] : [])],
      boot: template.boot,
      machine: template.guest,
    });
    vm = await transition(ctx, vm, { event: 'created', actor: ACTOR });
    progress('boot');
    vm = await bootVm(ctx, vm, template, ACTOR);
    progress('checkpoint');
    await ctx.hv.checkpoint(vm.name, ctx.settings.cleanCheckpoint);
    vm = (await ctx.store.patchVm(vm.name, { hasClean: true })) ?? vm;
    if (options.warm !== false) {
      progress('save');
      vm = await saveVm(ctx, vm, ACTOR);
    } else {
      progress('save', 'powering off (not needed warm)');
      vm = (await runVmOperation(ctx, vm, { start: 'stop', done: 'stopped', actor: ACTOR }, (v) => ctx.hv.stop(v.name, { force: true }))).vm;
    }
    progress('done');
    return vm;
  } catch (e) {
    await markError(ctx, vm, ACTOR, e);
    progress('failed', e instanceof Error ? e.message : String(e));
    throw e;
  }
}

function emit(ctx: OrchestratorContext, vm: Vm, step: 'disk' | 'create' | 'boot' | 'ready' | 'checkpoint' | 'save' | 'done' | 'failed', message?: string): void {
  ctx.bus.emit('progress', { pool: vm.pool, vm: vm.name, step, message });
}
