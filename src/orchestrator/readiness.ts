/**
 * Waiting until a guest is usable: the template's probes in order, polled with a short backoff,
 * under one deadline. Used after a cold boot and after every resume.
 *
 * Where the backend can see the guest boot (`bootProgress`), a guest that cannot get there is
 * found early: its process has exited, or its console has been silent for a quarter of the
 * time-out after it printed something (firmware and kernel print; a stuck guest stops). Either
 * ends the wait with the last lines the guest printed. The time-out is the template's, else the
 * configured one, else chosen by the accelerator (software emulation is several times slower).
 * @module
 */
import net from 'node:net';
import { HypervisorError } from '../domain/errors.js';
import type { ReadinessProbe, Template, Vm } from '../domain/types.js';
import type { BootProgress } from '../hypervisor/hypervisor.js';
import type { OrchestratorContext } from './context.js';

/** The default time-out with hardware acceleration (KVM, Hyper-V). */
export const READY_TIMEOUT_MS = 120_000;
/** The default time-out under software emulation (QEMU's TCG). */
export const EMULATED_READY_TIMEOUT_MS = 300_000;
/** How often the boot's progress is looked at. */
const PROGRESS_EVERY_MS = 1_000;

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

/** The readiness time-out for `template`'s VMs, given whether the guest runs emulated. */
export function readyTimeoutMs(ctx: OrchestratorContext, template: Template, emulated: boolean): number {
  if (template.readyTimeoutS !== null) return template.readyTimeoutS * 1000;
  return ctx.settings.readyTimeoutMs ?? (emulated ? EMULATED_READY_TIMEOUT_MS : READY_TIMEOUT_MS);
}

/**
 * Resolves when every probe passes. HV_TIMEOUT naming the probe that did not; HV_FAILED at once
 * when the guest's process exits, HV_TIMEOUT early when its console went silent; both with the
 * last lines the guest printed.
 */
export async function waitReady(ctx: OrchestratorContext, vm: Vm, template: Template, timeoutOverrideMs?: number): Promise<void> {
  const started = ctx.clock.now();
  const probes = template.probes.length > 0 ? template.probes : [{ type: 'heartbeat' } as const];
  // A resumed guest is usually ready at once: then there is no boot to watch (one call saved on
  // the acquire path).
  if (probes.length === 1 && probes[0] && (await probeOnce(ctx, vm, probes[0]))) return;
  const watch = ctx.hv.bootProgress ? (name: string): Promise<BootProgress | null> => ctx.hv.bootProgress!(name).catch(() => null) : null;
  let progress = watch ? await watch(vm.name) : null;
  const timeoutMs = timeoutOverrideMs ?? readyTimeoutMs(ctx, template, progress?.emulated ?? false);
  const silentLimitMs = timeoutMs / 4;
  const deadline = started + timeoutMs;
  let lookedAt = started;
  for (const probe of probes) {
    let delay = 5;
    while (!(await probeOnce(ctx, vm, probe))) {
      const now = ctx.clock.now();
      if (watch && now - lookedAt >= PROGRESS_EVERY_MS) {
        lookedAt = now;
        progress = await watch(vm.name);
        if (progress) checkProgress(vm, progress, now - started, silentLimitMs);
      }
      if (now >= deadline) {
        throw new HypervisorError('HV_TIMEOUT', `VM ${vm.name} was not ready after ${Math.round(timeoutMs / 1000)} s: no ${describe(probe)}${said(progress)}`, {
          hint: "check the guest's screen with `hvkube vm screenshot`, or raise the template's readiness timeout (--ready-timeout)",
          details: { vm: vm.name, probe: probe.type, lastLines: progress?.lastLines ?? [] },
        });
      }
      await ctx.clock.sleep(Math.min(delay, Math.max(1, deadline - now)));
      delay = Math.min(delay * 2, 250);
    }
  }
}

/** Throws when the boot cannot succeed any more: the process exited, or the console went silent. */
function checkProgress(vm: Vm, p: BootProgress, waitedMs: number, silentLimitMs: number): void {
  if (p.exited !== null) {
    throw new HypervisorError('HV_FAILED', `VM ${vm.name} stopped while booting: ${p.exited}${said(p)}`, {
      hint: "check the host's accelerator with `hvkube doctor`, and the guest image",
      details: { vm: vm.name, lastLines: p.lastLines },
    });
  }
  // Only a console that has printed tells anything by falling silent (a guest may never use it).
  if (p.silentMs !== null && p.silentMs >= silentLimitMs && waitedMs >= silentLimitMs) {
    throw new HypervisorError('HV_TIMEOUT', `VM ${vm.name} is making no progress: its console has been silent for ${Math.round(p.silentMs / 1000)} s${said(p)}`, {
      hint: 'the guest is stuck early in its boot; `hvkube doctor --probe` checks the accelerator, or raise the template\'s readiness timeout (--ready-timeout) if it is only slow',
      details: { vm: vm.name, lastLines: p.lastLines, silentMs: p.silentMs },
    });
  }
}

function said(p: BootProgress | null): string {
  return p && p.lastLines.length > 0 ? `; the guest's last lines: ${p.lastLines.map((l) => JSON.stringify(l)).join(' / ')}` : '';
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
