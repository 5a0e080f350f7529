/**
 * Templates and pools: validated input in, rows out. Nothing here touches the hypervisor.
 * @module
 */
import { HvkubeError } from '../domain/errors.js';
import type { DirectBoot, GuestMachine, Pool, ReadinessProbe, ReleasePolicy, Template } from '../domain/types.js';
import { GUEST_DEVICE_SETS, GUEST_OSES, LINUX_GUEST, RELEASE_POLICIES } from '../domain/types.js';
import { IMAGE_EXTENSIONS, validateFilePath, validateInt, validateMemoryMb, validateName } from '../domain/validation.js';
import { isoNow } from '../_util/clock.js';
import type { OrchestratorContext } from './context.js';
import { buildLifetime, type PoolLifetimeInput } from './policies/lifetime-input.js';
import { buildAutoscale, initialSize, type AutoscaleInput } from './autoscale/settings.js';

export interface TemplateInput {
  name: string;
  diskPath: string;
  memoryMb?: number;
  cpus?: number;
  gpu?: boolean;
  software?: string[];
  probes?: ReadinessProbe[];
  credentialsRef?: string | null;
  mcp?: { port: number; path: string } | null;
  rdpPort?: number;
  boot?: DirectBoot | null;
  /** Seconds a boot or resume may take to become ready; null or absent: the default. */
  readyTimeoutS?: number | null;
  /** The guest and its machine; absent fields take the defaults of the guest's OS. */
  guest?: Partial<GuestMachine> | null;
}

export interface PoolInput {
  name: string;
  template: string;
  /** The size; with `autoscale`, the size to start at (default: the target, within min and max). */
  desired?: number;
  warm?: number;
  hot?: number;
  maxPerHost?: number | null;
  releasePolicy?: ReleasePolicy;
  maxRunning?: number | null;
  /** Idle and lifetime policies (docs/policies.md); absent: every limit off. */
  lifetime?: PoolLifetimeInput;
  /** Let the pool controller size the pool within these bounds (docs/autoscaling.md). */
  autoscale?: AutoscaleInput | null;
}

const MAX_POOL_SIZE = 1000;

function validateProbes(probes: unknown): ReadinessProbe[] {
  if (!Array.isArray(probes)) throw new HvkubeError('INVALID_INPUT', 'probes must be a list', { hint: 'e.g. [{"type":"heartbeat"}]' });
  return probes.map((p: unknown, i): ReadinessProbe => {
    const probe = p as Partial<Record<string, unknown>>;
    switch (probe.type) {
      case 'heartbeat':
      case 'ip':
        return { type: probe.type };
      case 'tcp':
        return { type: 'tcp', port: validateInt(`probes[${i}].port`, probe.port, 1, 65535) };
      case 'http': {
        const path = typeof probe.path === 'string' && /^\/[A-Za-z0-9._~/-]*$/.test(probe.path) ? probe.path : undefined;
        if (!path) throw new HvkubeError('INVALID_INPUT', `probes[${i}].path must be a URL path like /health`, { details: { index: i } });
        return { type: 'http', port: validateInt(`probes[${i}].port`, probe.port, 1, 65535), path };
      }
      default:
        throw new HvkubeError('INVALID_INPUT', `probes[${i}].type ${JSON.stringify(probe.type)} is unknown`, {
          hint: 'use heartbeat, ip, tcp or http',
        });
    }
  });
}

function validateCredentialsRef(ref: unknown): string | null {
  if (ref === undefined || ref === null) return null;
  // eslint-disable-next-line no-control-regex
  if (typeof ref !== 'string' || !/^(env:[A-Z_][A-Z0-9_]{0,63}|file:[^\u0000-\u001f]{1,512})$/.test(ref)) {
    throw new HvkubeError('INVALID_INPUT', 'credentials reference must be env:NAME or file:PATH', {
      hint: 'hvkube stores where the guest password comes from, never the password itself',
    });
  }
  return ref;
}

/**
 * The machine for a template: Linux by default. A Windows guest gets the stock device set and
 * Secure Boot unless told otherwise; Secure Boot needs UEFI, which only Windows guests get.
 */
export function validateGuest(input: Partial<GuestMachine> | null | undefined): GuestMachine {
  if (!input) return { ...LINUX_GUEST };
  const os = input.os ?? 'linux';
  if (!GUEST_OSES.includes(os)) {
    throw new HvkubeError('INVALID_INPUT', `guest os ${JSON.stringify(os)} is unknown`, { hint: `use ${GUEST_OSES.join(' or ')}` });
  }
  const devices = input.devices ?? (os === 'windows' ? 'stock' : 'virtio');
  if (!GUEST_DEVICE_SETS.includes(devices)) {
    throw new HvkubeError('INVALID_INPUT', `guest device set ${JSON.stringify(devices)} is unknown`, {
      hint: 'use stock (drivers every Windows has) or virtio (the image has the virtio drivers)',
    });
  }
  const secureBoot = input.secureBoot ?? os === 'windows';
  if (typeof secureBoot !== 'boolean') throw new HvkubeError('INVALID_INPUT', 'guest secureBoot must be true or false');
  if (secureBoot && os !== 'windows') {
    throw new HvkubeError('INVALID_INPUT', 'guest secureBoot needs UEFI firmware, which only Windows guests get', {
      hint: 'drop secureBoot, or set the guest os to windows',
    });
  }
  if (os === 'linux' && devices !== 'virtio') {
    throw new HvkubeError('INVALID_INPUT', 'a Linux guest uses the virtio device set', { hint: 'drop devices, or set the guest os to windows' });
  }
  const display = input.display
    ? {
        width: validateInt('guest display width', input.display.width, 640, 7680),
        height: validateInt('guest display height', input.display.height, 480, 4320),
      }
    : null;
  return { os, secureBoot, devices, display };
}

export function buildTemplate(ctx: OrchestratorContext, input: TemplateInput): Template {
  const name = validateName('template', input.name);
  const extensions = IMAGE_EXTENSIONS[ctx.hv.backend];
  const diskPath = validateFilePath('disk image', input.diskPath, { extensions });
  const boot = input.boot
    ? {
        kernel: validateFilePath('kernel', input.boot.kernel),
        initrd: input.boot.initrd ? validateFilePath('initrd', input.boot.initrd) : null,
        cmdline: typeof input.boot.cmdline === 'string' && input.boot.cmdline.length < 1024 ? input.boot.cmdline : '',
      }
    : null;
  const software = (input.software ?? []).map((s) => {
    if (typeof s !== 'string' || s.length === 0 || s.length > 200) throw new HvkubeError('INVALID_INPUT', 'software entries must be short text');
    return s;
  });
  return {
    name,
    diskPath,
    memoryMb: validateMemoryMb(ctx.hv.backend, input.memoryMb ?? 2048),
    cpus: validateInt('CPU count', input.cpus ?? 2, 1, 240),
    gpu: input.gpu === true,
    software,
    probes: validateProbes(input.probes ?? [{ type: 'heartbeat' }]),
    credentialsRef: validateCredentialsRef(input.credentialsRef),
    mcp: input.mcp
      ? {
          port: validateInt('MCP port', input.mcp.port, 1, 65535),
          path: /^\/[A-Za-z0-9._~/-]*$/.test(input.mcp.path) ? input.mcp.path : '/mcp',
        }
      : null,
    rdpPort: validateInt('RDP port', input.rdpPort ?? 3389, 1, 65535),
    boot,
    readyTimeoutS: input.readyTimeoutS == null ? null : validateInt('readiness timeout (s)', input.readyTimeoutS, 1, 3600),
    guest: validateGuest(input.guest),
    createdAt: isoNow(ctx.clock),
  };
}

export async function registerTemplate(ctx: OrchestratorContext, input: TemplateInput): Promise<Template> {
  const template = buildTemplate(ctx, input);
  if (template.gpu && !ctx.hv.capabilities.gpu) {
    throw new HvkubeError('INVALID_INPUT', `the ${ctx.hv.backend} backend cannot attach GPUs`, { hint: 'drop --gpu or use a Hyper-V host' });
  }
  await ctx.store.createTemplate(template);
  await ctx.store.appendEvent({ actor: 'user', kind: 'template', subject: template.name, action: 'register', from: null, to: null, durationMs: null, details: { diskPath: template.diskPath } });
  return template;
}

export async function requireTemplate(ctx: OrchestratorContext, name: string): Promise<Template> {
  validateName('template', name);
  const t = await ctx.store.getTemplate(name);
  if (!t) {
    throw new HvkubeError('TEMPLATE_NOT_FOUND', `template '${name}' does not exist`, {
      hint: 'list templates with `hvkube template list`, or register one with `hvkube template create`',
      details: { template: name },
    });
  }
  return t;
}

export async function removeTemplate(ctx: OrchestratorContext, name: string): Promise<void> {
  await requireTemplate(ctx, name);
  const users = (await ctx.store.listPools()).filter((p) => p.template === name).map((p) => p.name);
  if (users.length > 0) {
    throw new HvkubeError('TEMPLATE_IN_USE', `template '${name}' is used by pool ${users.map((u) => `'${u}'`).join(', ')}`, {
      hint: 'remove those pools first',
      details: { template: name, pools: users },
    });
  }
  await ctx.store.deleteTemplate(name);
}

export function buildPool(ctx: OrchestratorContext, input: PoolInput): Pool {
  const name = validateName('pool', input.name);
  const autoscale = input.autoscale == null ? null : buildAutoscale(input.autoscale, null, MAX_POOL_SIZE);
  if (!autoscale && input.desired === undefined) {
    throw new HvkubeError('INVALID_INPUT', 'pool size (count) is required unless the pool is autoscaled', {
      hint: 'pass --count N, or --max N (and --min, --target) to let the pool controller size it',
      details: { field: 'desired' },
    });
  }
  const desired = autoscale
    ? validateInt('pool size (count)', input.desired ?? initialSize(autoscale), autoscale.min, autoscale.max)
    : validateInt('pool size (count)', input.desired, 0, MAX_POOL_SIZE);
  // An autoscaled pool keeps every VM ready: its size is its warm tier.
  const warm = autoscale ? desired : validateInt('warm', input.warm ?? desired, 0, desired);
  const hot = validateInt('hot', input.hot ?? 0, 0, autoscale ? autoscale.max : warm);
  const policy = input.releasePolicy ?? 'reset';
  if (!RELEASE_POLICIES.includes(policy)) {
    throw new HvkubeError('INVALID_INPUT', `release policy ${JSON.stringify(policy)} is unknown`, { hint: 'use save, reset or destroy' });
  }
  return {
    name,
    template: validateName('template', input.template),
    desired,
    warm,
    hot,
    maxPerHost: input.maxPerHost == null ? null : validateInt('max per host', input.maxPerHost, 1, MAX_POOL_SIZE),
    releasePolicy: policy,
    maxRunning: input.maxRunning == null ? null : validateInt('max running agents', input.maxRunning, 1, MAX_POOL_SIZE),
    lifetime: buildLifetime(input.lifetime),
    autoscale,
    createdAt: isoNow(ctx.clock),
  };
}

export async function createPool(ctx: OrchestratorContext, input: PoolInput): Promise<Pool> {
  const pool = buildPool(ctx, input);
  const template = await requireTemplate(ctx, pool.template);
  if (template.gpu && !ctx.hv.capabilities.gpu) {
    throw new HvkubeError('INVALID_INPUT', `template '${template.name}' needs a GPU, which the ${ctx.hv.backend} backend cannot attach`);
  }
  if (pool.hot > 0 && !ctx.hv.capabilities.pause) {
    throw new HvkubeError('INVALID_INPUT', `the ${ctx.hv.backend} backend cannot keep VMs paused`, { hint: 'use --hot 0' });
  }
  await ctx.store.createPool(pool);
  await ctx.store.appendEvent({
    actor: 'user',
    kind: 'pool',
    subject: pool.name,
    action: 'create',
    from: null,
    to: null,
    durationMs: null,
    details: { desired: pool.desired, warm: pool.warm, hot: pool.hot, lifetime: pool.lifetime, ...(pool.autoscale ? { autoscale: pool.autoscale } : {}) },
  });
  return pool;
}

export async function requirePool(ctx: OrchestratorContext, name: string): Promise<Pool> {
  validateName('pool', name);
  const p = await ctx.store.getPool(name);
  if (!p) {
    throw new HvkubeError('POOL_NOT_FOUND', `pool '${name}' does not exist`, {
      hint: 'list pools with `hvkube pool list`, or create one with `hvkube pool create`',
      details: { pool: name },
    });
  }
  return p;
}

export interface ScaleInput {
  /** The size; on an autoscaled pool, the size to be at now (within min and max) until the next decision. */
  desired?: number;
  warm?: number;
  hot?: number;
  /** Changes to the idle and lifetime policies; fields left out keep their value. */
  lifetime?: PoolLifetimeInput;
  /**
   * Autoscaling bounds; fields left out keep their current value. Null turns autoscaling off
   * (the pool keeps its current size unless `desired` says otherwise).
   */
  autoscale?: AutoscaleInput | null;
}

/** The sizes and bounds a scale request leads to; throws before anything is written. */
export function planScale(pool: Pool, input: ScaleInput): Pick<Pool, 'desired' | 'warm' | 'hot' | 'autoscale'> {
  const autoscale = input.autoscale === null ? null : input.autoscale === undefined ? pool.autoscale : buildAutoscale(input.autoscale, pool.autoscale, MAX_POOL_SIZE);
  if (autoscale) {
    if (input.warm !== undefined) {
      throw new HvkubeError('INVALID_INPUT', `pool '${pool.name}' is autoscaled and keeps every VM warm; --warm does not apply`, {
        hint: 'set --target (ready VMs beyond demand) instead, or turn autoscaling off with --no-autoscale',
        details: { field: 'warm' },
      });
    }
    const desired =
      input.desired === undefined
        ? Math.min(autoscale.max, Math.max(autoscale.min, pool.desired))
        : validateInt('pool size (count)', input.desired, autoscale.min, autoscale.max);
    const hot = validateInt('hot', input.hot ?? pool.hot, 0, autoscale.max);
    return { desired, warm: desired, hot, autoscale };
  }
  if (input.desired === undefined && input.warm === undefined && input.hot === undefined && input.autoscale === undefined && input.lifetime === undefined) {
    throw new HvkubeError('INVALID_INPUT', `nothing to change in pool '${pool.name}': give its size (count), warm or hot tiers, autoscaling bounds or lifetime policies`, {
      hint: 'e.g. --count 4, or --max 10 to let the pool controller size it',
    });
  }
  const desired = validateInt('pool size (count)', input.desired ?? pool.desired, 0, MAX_POOL_SIZE);
  const warm = validateInt('warm', input.warm ?? (pool.autoscale ? desired : Math.min(pool.warm, desired)), 0, desired);
  const hot = validateInt('hot', input.hot ?? Math.min(pool.hot, warm), 0, warm);
  return { desired, warm, hot, autoscale: null };
}

export async function scalePool(ctx: OrchestratorContext, name: string, input: ScaleInput): Promise<Pool> {
  const pool = await requirePool(ctx, name);
  const next = planScale(pool, input);
  const lifetime = buildLifetime(input.lifetime, pool.lifetime);
  const updated = await ctx.store.updatePool(name, { ...next, lifetime });
  if (!updated) throw new HvkubeError('POOL_NOT_FOUND', `pool '${name}' does not exist`);
  const autoscaleChanged = JSON.stringify(pool.autoscale) !== JSON.stringify(next.autoscale);
  await ctx.store.appendEvent({
    actor: 'user',
    kind: 'pool',
    subject: name,
    action: 'scale',
    from: String(pool.desired),
    to: String(next.desired),
    durationMs: null,
    details: { warm: next.warm, hot: next.hot, ...(autoscaleChanged ? { autoscale: next.autoscale } : {}), ...(input.lifetime ? { lifetime } : {}) },
  });
  return updated;
}
