import { Command, Option } from '@commander-js/extra-typings';
import { HvkubeError } from '../../domain/errors.js';
import type { AutoscaleInput } from '../../orchestrator/autoscale/settings.js';
import type { PoolStatus } from '../../orchestrator/orchestrator.js';
import type { ResetMethod } from '../../orchestrator/reset.js';
import type { IdleAction, PoolLifetime, ReleasePolicy } from '../../domain/types.js';
import { formatDuration, parseDuration, type PoolLifetimeInput } from '../../orchestrator/policies/lifetime-input.js';
import { json, paint, table, type Out } from '../output.js';
import { provisioningProgress } from '../progress.js';
import { withOps } from '../runtime-scope.js';

function poolRow(out: Out, s: PoolStatus): string[] {
  const c = s.counts;
  const busy = s.total - (c.saved ?? 0) - (c.paused ?? 0) - (c.running ?? 0) - (c.off ?? 0) - (c.error ?? 0);
  return [
    s.pool.name,
    s.pool.template,
    `${s.total}/${s.pool.desired}`,
    `${s.ready}/${s.pool.warm}`,
    `${c.paused ?? 0}/${s.pool.hot}`,
    String(s.inUse),
    String(busy),
    (c.error ?? 0) > 0 ? paint(out, 'red', String(c.error)) : '0',
    s.health.degraded ? paint(out, 'red', 'degraded') : 'ok',
  ];
}

function poolTable(out: Out, statuses: PoolStatus[]): string {
  return table(['POOL', 'TEMPLATE', 'VMS', 'READY', 'HOT', 'IN USE', 'BUSY', 'ERROR', 'HEALTH'], statuses.map((s) => poolRow(out, s)));
}

const RESETS: Record<ResetMethod, string> = {
  checkpoint: 'restore of the clean checkpoint, no boot',
  'cold-boot': 'fresh disk, cold boot and save (this backend cannot checkpoint GPU VMs): as slow as provisioning a VM',
};

const RELEASES: Record<ReleasePolicy, string> = {
  save: 'a released VM is saved with its session',
  reset: 'a released VM goes back to clean',
  destroy: 'a released VM is removed and a replacement provisioned',
};

/** The idle and lifetime policies in one line each, or a single line saying there are none. */
export function lifetimeLines(l: PoolLifetime): string[] {
  const lines: string[] = [];
  if (l.idleTimeoutS !== null) {
    lines.push(
      `idle timeout: ${formatDuration(l.idleTimeoutS)} (${
        l.idleAction === 'release'
          ? 'an idle leased VM is released by the release policy'
          : 'an idle leased VM is saved, lease kept, and resumed on the next call'
      })`,
    );
  }
  if (l.maxLeaseS !== null) lines.push(`max lease duration: ${formatDuration(l.maxLeaseS)} (renews cannot pass it; then the VM is released)`);
  if (l.maxVmAgeS !== null) lines.push(`max VM age: ${formatDuration(l.maxVmAgeS)} (an older VM is replaced by a fresh clone when not leased)`);
  return lines.length > 0 ? lines : ['lifetime policies: none'];
}

/** The lines `pool show` prints under the table. */
export function poolDetails(s: PoolStatus): string {
  const states = Object.entries(s.counts).map(([k, v]) => `${k}: ${v}`).join(', ');
  const policy = s.pool.releasePolicy;
  const lines = [
    `states: ${states || 'no VMs'}`,
    `release policy: ${policy} (${RELEASES[policy]}${policy === 'reset' ? ` by a ${s.resetMethod} reset` : ''})`,
    `resets: ${s.resetMethod} (${RESETS[s.resetMethod]})`,
    ...lifetimeLines(s.pool.lifetime),
  ];
  if (s.autoscale) lines.push(...autoscaleLines(s));
  if (s.health.degraded) lines.push(`degraded: ${s.health.degraded}`);
  if (s.health.lastError) lines.push(`last error: ${s.health.lastError}`);
  return `${lines.join('\n')}\n`;
}

const seconds = (ms: number): string => `${Math.round(ms / 100) / 10} s`;

/** What `pool show` says about an autoscaled pool: its bounds, the last decision, the cold-start cost. */
function autoscaleLines(s: PoolStatus): string[] {
  const a = s.autoscale;
  if (!a) return [];
  const lines = [`autoscale: ${a.min}..${a.max} VMs, ${a.target} ready beyond demand, a ready VM unused for ${seconds(a.scaleDownAfterMs)} may be removed`];
  const d = a.last;
  if (!d) lines.push('last decision: none yet');
  else {
    const change = d.from === d.to ? `stayed at ${d.to}` : `${d.from} -> ${d.to}`;
    lines.push(`last decision: ${d.at}, ${change}${d.limitedBy ? ` (limited by ${d.limitedBy})` : ''}: ${d.reason}`);
  }
  lines.push(
    a.coldStartMs === null
      ? 'cold start: not measured yet (no VM of this pool provisioned since the server started keeping it)'
      : `cold start: ${seconds(a.coldStartMs)} to make a VM from nothing (measured ${a.coldStartMeasuredAt ?? '-'}); at zero VMs an acquire waits about this plus a resume`,
  );
  return lines;
}

function wholeNumber(flag: string, value: string): number {
  if (!/^-?\d+$/.test(value.trim())) {
    throw new HvkubeError('INVALID_INPUT', `${flag} must be a whole number, got ${JSON.stringify(value)}`, { hint: `e.g. ${flag} 2` });
  }
  return Number(value);
}

/** The autoscaling flags given, or undefined when none was. */
function autoscaleFlags(o: { min?: string; max?: string; target?: string; scaleDownAfter?: string }): AutoscaleInput | undefined {
  const input: AutoscaleInput = {};
  if (o.min !== undefined) input.min = wholeNumber('--min', o.min);
  if (o.max !== undefined) input.max = wholeNumber('--max', o.max);
  if (o.target !== undefined) input.target = wholeNumber('--target', o.target);
  if (o.scaleDownAfter !== undefined) {
    const s = Number(o.scaleDownAfter);
    if (o.scaleDownAfter.trim() === '' || !Number.isFinite(s) || s < 0) {
      throw new HvkubeError('INVALID_INPUT', `--scale-down-after must be a number of seconds (0 or more), got ${JSON.stringify(o.scaleDownAfter)}`, { hint: 'e.g. --scale-down-after 300' });
    }
    input.scaleDownAfterMs = Math.round(s * 1000);
  }
  return Object.keys(input).length > 0 ? input : undefined;
}

function describePool(p: { desired: number; warm: number; hot: number; autoscale: { min: number; max: number; target: number } | null }): string {
  const auto = p.autoscale ? `, autoscaled ${p.autoscale.min}..${p.autoscale.max} with ${p.autoscale.target} ready beyond demand` : '';
  return `${p.desired} VMs, ${p.warm} warm, ${p.hot} hot${auto}`;
}

const policyOption = (): Option<'--release-policy <policy>', undefined, undefined, ReleasePolicy> =>
  new Option('--release-policy <policy>', 'what release does by default').choices(['save', 'reset', 'destroy'] as const);

interface LifetimeFlags {
  idleTimeout?: string;
  idleAction?: IdleAction;
  maxLease?: string;
  maxVmAge?: string;
}

/** The lifetime flags given, as the policy input (absent when none is). */
export function lifetimeFromFlags(o: LifetimeFlags): PoolLifetimeInput | undefined {
  const input: PoolLifetimeInput = {};
  if (o.idleTimeout !== undefined) input.idleTimeoutS = parseDuration('--idle-timeout', o.idleTimeout);
  if (o.idleAction !== undefined) input.idleAction = o.idleAction;
  if (o.maxLease !== undefined) input.maxLeaseS = parseDuration('--max-lease', o.maxLease);
  if (o.maxVmAge !== undefined) input.maxVmAgeS = parseDuration('--max-vm-age', o.maxVmAge);
  return Object.keys(input).length > 0 ? input : undefined;
}

export function poolCommand(): Command {
  const cmd = new Command('pool').description('pools of VMs cloned from one template');

  cmd
    .command('create')
    .description('create a pool (provision it with `hvkube pool provision`, or let `hvkube serve` do it)')
    .requiredOption('--name <name>', 'pool name')
    .requiredOption('--template <template>', 'template to clone')
    .option('--count <n>', 'VMs in the pool (with autoscaling: the size to start at)')
    .option('--warm <n>', 'VMs kept saved and ready (default: all)')
    .option('--hot <n>', 'of the warm ones, VMs kept paused in memory', '0')
    .option('--max-per-host <n>', 'at most this many VMs of the pool on one host')
    .option('--max-running <n>', 'at most this many agents running at once')
    .option('--min <n>', 'autoscaling: fewest VMs (0: scale to zero when idle)')
    .option('--max <n>', 'autoscaling: most VMs (turns autoscaling on)')
    .option('--target <n>', 'autoscaling: ready VMs kept beyond the demand (default 1)')
    .option('--scale-down-after <seconds>', 'autoscaling: a ready VM unused this long may be removed (default 300)')
    .addOption(policyOption())
    .option('--idle-timeout <duration>', 'act on a leased VM idle this long: 15m, 2h (off: never)')
    .addOption(new Option('--idle-action <action>', 'on idle: end the lease, or save the VM keeping the lease (default release)').choices(['release', 'save-keep-lease'] as const))
    .option('--max-lease <duration>', 'a lease lasts at most this long from its acquire: 8h (off: no limit)')
    .option('--max-vm-age <duration>', 'replace an unleased VM older than this since its clone: 7d (off: never)')
    .action(async (o, command) => {
      await withOps(command, async ({ ops, out, json: asJson }) => {
        const lifetime = lifetimeFromFlags(o);
        const autoscale = autoscaleFlags(o);
        if (o.count === undefined && !autoscale) {
          throw new HvkubeError('INVALID_INPUT', 'give the pool size with --count, or autoscaling bounds with --max (and --min, --target)', { hint: 'e.g. --count 4, or --min 0 --max 10 --target 2' });
        }
        const pool = await ops.createPool({
          name: o.name,
          template: o.template,
          desired: o.count === undefined ? undefined : Number(o.count),
          autoscale: autoscale ?? null,
          warm: o.warm === undefined ? undefined : Number(o.warm),
          hot: Number(o.hot),
          maxPerHost: o.maxPerHost === undefined ? null : Number(o.maxPerHost),
          maxRunning: o.maxRunning === undefined ? null : Number(o.maxRunning),
          releasePolicy: o.releasePolicy,
          ...(lifetime ? { lifetime } : {}),
        });
        if (asJson) json(out, pool);
        else {
          out.write(`pool ${pool.name} created: ${describePool(pool)} — run \`hvkube pool provision ${pool.name}\`${pool.autoscale ? ', and keep `hvkube serve` running to autoscale it' : ''}\n`);
          if (lifetime) out.write(`${lifetimeLines(pool.lifetime).join('\n')}\n`);
        }
      });
    });

  cmd
    .command('list')
    .description('list pools with their counts')
    .action(async (_o, command) => {
      await withOps(command, async ({ ops, out, json: asJson }) => {
        const all = await ops.listPools();
        if (asJson) json(out, all);
        else out.write(poolTable(out, all));
      });
    });

  cmd
    .command('show')
    .description('show a pool and its VMs by state')
    .argument('<name>')
    .action(async (name, _o, command) => {
      await withOps(command, async ({ ops, out, json: asJson }) => {
        const s = await ops.getPool(name);
        if (asJson) return json(out, s);
        out.write(`${poolTable(out, [s])}\n${poolDetails(s)}`);
      });
    });

  cmd
    .command('scale')
    .description('change the size (and warm/hot tiers) of a pool, its autoscaling bounds or its lifetime policies')
    .argument('<name>')
    .option('--count <n>', 'VMs in the pool (autoscaled: the size to be at now, within min and max)')
    .option('--warm <n>', 'VMs kept saved and ready')
    .option('--hot <n>', 'VMs kept paused in memory')
    .option('--min <n>', 'autoscaling: fewest VMs (0: scale to zero when idle)')
    .option('--max <n>', 'autoscaling: most VMs (turns autoscaling on)')
    .option('--target <n>', 'autoscaling: ready VMs kept beyond the demand')
    .option('--scale-down-after <seconds>', 'autoscaling: a ready VM unused this long may be removed')
    .option('--no-autoscale', 'turn autoscaling off (the pool keeps its size unless --count says otherwise)')
    .option('--idle-timeout <duration>', 'act on a leased VM idle this long: 15m, 2h (off: never)')
    .addOption(new Option('--idle-action <action>', 'on idle: end the lease, or save the VM keeping the lease').choices(['release', 'save-keep-lease'] as const))
    .option('--max-lease <duration>', 'a lease lasts at most this long from its acquire: 8h (off: no limit)')
    .option('--max-vm-age <duration>', 'replace an unleased VM older than this since its clone: 7d (off: never)')
    .action(async (name, o, command) => {
      await withOps(command, async ({ ops, out, json: asJson }) => {
        const bounds = autoscaleFlags(o);
        const lifetime = lifetimeFromFlags(o);
        if (!o.autoscale && bounds) throw new HvkubeError('INVALID_INPUT', '--no-autoscale cannot go with --min, --max, --target or --scale-down-after', { hint: 'give one or the other' });
        if (o.count === undefined && o.autoscale && !bounds && !lifetime && o.warm === undefined && o.hot === undefined) {
          throw new HvkubeError('INVALID_INPUT', 'nothing to change: give --count, --warm, --hot, autoscaling bounds (--min, --max, --target, --scale-down-after), --no-autoscale or a lifetime policy (--idle-timeout, --idle-action, --max-lease, --max-vm-age)', { hint: `e.g. hvkube pool scale ${name} --count 4` });
        }
        const pool = await ops.scalePool(name, {
          desired: o.count === undefined ? undefined : Number(o.count),
          warm: o.warm === undefined ? undefined : Number(o.warm),
          hot: o.hot === undefined ? undefined : Number(o.hot),
          autoscale: o.autoscale ? bounds : null,
          ...(lifetime ? { lifetime } : {}),
        });
        if (asJson) json(out, pool);
        else {
          out.write(`pool ${name}: ${describePool(pool)}\n`);
          if (lifetime) out.write(`${lifetimeLines(pool.lifetime).join('\n')}\n`);
        }
      });
    });

  cmd
    .command('provision')
    .description('bring the pool to its size now: clone, boot, checkpoint "clean", save')
    .argument('<name>')
    .action(async (name, _o, command) => {
      await withOps(command, async ({ ops, out, json: asJson }) => {
        const view = provisioningProgress(out, asJson);
        let report;
        try {
          report = await ops.provisionPool(name, { onProgress: (e) => view.update(e) });
        } finally {
          view.stop();
        }
        if (asJson) return json(out, report);
        out.write(`${report.provisioned.length} provisioned, ${report.failed.length} failed\n`);
        for (const f of report.failed) out.error(`  ${f.vm}: ${f.error}\n`);
        out.write(poolTable(out, [report.status]));
        if (report.failed.length > 0 && report.status.ready < report.status.pool.warm) process.exitCode = 1;
      });
    });

  cmd
    .command('remove')
    .description('remove a pool and all its VMs and disks')
    .argument('<name>')
    .option('--force', 'also remove VMs that are in use')
    .action(async (name, o, command) => {
      await withOps(command, async ({ ops, out, json: asJson }) => {
        await ops.removePool(name, { force: o.force === true });
        if (asJson) json(out, { removed: name });
        else out.write(`pool ${name} removed\n`);
      });
    });
  return cmd;
}
