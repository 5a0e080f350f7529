/**
 * Waiting until a guest is usable: the template's probes in order, polled with a short backoff,
 * under one deadline. Used after a cold boot and after every resume.
 * @module
 */
import net from 'node:net';
import { HypervisorError } from '../domain/errors.js';
import type { ReadinessProbe, Template, Vm } from '../domain/types.js';
import type { OrchestratorContext } from './context.js';

export interface GuestAddresses {
  ip: string | null;
  rdpPort: number | null;
  mcpEndpoint: string | null;
}

function describe(probe: ReadinessProbe): string {
  switch (probe.type) {
    case 'heartbeat':
      return 'hypervisor heartbeat';
    case 'ip':
      return 'guest IPv4 address';
    case 'tcp':
      return `TCP port ${probe.port}`;
    case 'http':
      return `HTTP ${probe.path} on port ${probe.port}`;
  }
}

async function tcpOpen(host: string, port: number, timeoutMs: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect({ host, port });
    const done = (ok: boolean): void => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(timeoutMs, () => done(false));
    socket.once('connect', () => done(true));
    socket.once('error', () => done(false));
  });
}

async function probeOnce(ctx: OrchestratorContext, vm: Vm, probe: ReadinessProbe): Promise<boolean> {
  switch (probe.type) {
    case 'heartbeat':
      return (await ctx.hv.heartbeat(vm.name)) === 'ok';
    case 'ip':
      return (await ctx.hv.guestAddress(vm.name)) !== null;
    case 'tcp': {
      const ep = await ctx.hv.guestEndpoint(vm.name, probe.port);
      return ep !== null && (await tcpOpen(ep.host, ep.port, 1000));
    }
    case 'http': {
      const ep = await ctx.hv.guestEndpoint(vm.name, probe.port);
      if (!ep) return false;
      try {
        const res = await fetch(`http://${ep.host}:${ep.port}${probe.path}`, { signal: AbortSignal.timeout(2000) });
        return res.status === 200;
      } catch {
        return false;
      }
    }
  }
}

/** Resolves when every probe passes; HV_TIMEOUT naming the probe that did not. */
export async function waitReady(ctx: OrchestratorContext, vm: Vm, template: Template, timeoutMs = ctx.settings.readyTimeoutMs): Promise<void> {
  const deadline = ctx.clock.now() + timeoutMs;
  const probes = template.probes.length > 0 ? template.probes : [{ type: 'heartbeat' } as const];
  for (const probe of probes) {
    let delay = 5;
    while (!(await probeOnce(ctx, vm, probe))) {
      if (ctx.clock.now() >= deadline) {
        throw new HypervisorError('HV_TIMEOUT', `VM ${vm.name} was not ready after ${Math.round(timeoutMs / 1000)} s: no ${describe(probe)}`, {
          hint: "check the guest's screen with `hvkube vm screenshot`, or raise the template's readiness timeout",
          details: { vm: vm.name, probe: probe.type },
        });
      }
      await ctx.clock.sleep(Math.min(delay, Math.max(1, deadline - ctx.clock.now())));
      delay = Math.min(delay * 2, 250);
    }
  }
}

/** Reads the guest's current address and the endpoints the host reaches it on. */
export async function guestAddresses(ctx: OrchestratorContext, vm: Vm, template: Template): Promise<GuestAddresses> {
  const [ip, rdp, mcp] = await Promise.all([
    ctx.hv.guestAddress(vm.name),
    ctx.hv.guestEndpoint(vm.name, template.rdpPort),
    template.mcp ? ctx.hv.guestEndpoint(vm.name, template.mcp.port) : Promise.resolve(null),
  ]);
  return {
    ip,
    rdpPort: rdp?.port ?? null,
    mcpEndpoint: mcp && template.mcp ? `http://${mcp.host}:${mcp.port}${template.mcp.path}` : null,
  };
}
