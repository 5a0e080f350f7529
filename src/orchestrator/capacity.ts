/**
 * Host capacity: a boot or resume goes ahead only if the VM's memory fits in the configured
 * fraction of what the host has free.
 * @module
 */
import { HvkubeError } from '../domain/errors.js';
import type { Template } from '../domain/types.js';
import type { OrchestratorContext } from './context.js';

export async function checkCapacity(ctx: OrchestratorContext, template: Template, vmName: string): Promise<void> {
  const host = await ctx.hv.hostInfo();
  const budget = Math.floor(host.freeMemoryMb * ctx.settings.capacityFraction);
  if (template.memoryMb > budget) {
    throw new HvkubeError('HOST_CAPACITY', `host ${host.hostname} has ${host.freeMemoryMb} MB free; VM ${vmName} needs ${template.memoryMb} MB (at most ${Math.round(ctx.settings.capacityFraction * 100)}% of free memory is used)`, {
      hint: 'release or save running VMs, lower the template memory, or scale the pool down',
      details: { vm: vmName, neededMb: template.memoryMb, freeMb: host.freeMemoryMb },
    });
  }
}
