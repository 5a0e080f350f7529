/**
 * The plan: what applying a set of fleet documents would create, change, leave alone and (with
 * prune) remove. Every check that can fail runs here, before anything changes, so a set of
 * files with a problem changes nothing at all.
 * @module
 */
import { isHvkubeError } from '../../domain/errors.js';
import type { Pool, Template } from '../../domain/types.js';
import { buildPool, buildTemplate } from '../catalog.js';
import { clampSize } from '../autoscale/settings.js';
import type { OrchestratorContext } from '../context.js';
import type { WorkflowCatalog } from '../workflows/workflow-catalog.js';
import {
  fleetInvalid,
  KINDS,
  type FleetDocument,
  type FleetIssue,
  type Kind,
  type SourceRef,
} from './documents.js';
import { readWorkflowSpecs, type CurrentWorkflow } from './workflow-files.js';

export type ChangeAction = 'create' | 'update' | 'unchanged' | 'delete';

export interface FieldChange {
  field: string;
  from: unknown;
  to: unknown;
}

/** One line of a plan, as `apply`, `diff` and the API report it. */
export interface PlanEntry {
  kind: Kind;
  name: string;
  action: ChangeAction;
  /** For `update`: the fields that differ. */
  changes: FieldChange[];
  /** The document that asks for it; null for a removal. */
  source: SourceRef | null;
}

/** A plan entry with what is needed to carry it out. */
export type PlannedStep = PlanEntry &
  (
    | { kind: 'Template'; desired: Template | null }
    | { kind: 'Pool'; desired: Pool | null; current: Pool | null }
    | { kind: 'Workflow'; spec: Record<string, unknown> | null; file: string | null }
  );

export interface PlanDeps {
  ctx: OrchestratorContext;
  /** Where workflow files live; null when this process has none (no agent scheduler). */
  workflows: WorkflowCatalog | null;
}

const TEMPLATE_FIELDS = [
  'diskPath',
  'memoryMb',
  'cpus',
  'gpu',
  'software',
  'probes',
  'credentialsRef',
  'mcp',
  'rdpPort',
  'boot',
  'guest',
] as const;
export const POOL_FIELDS = [
  'template',
  'desired',
  'warm',
  'hot',
  'maxPerHost',
  'releasePolicy',
  'maxRunning',
  'lifetime',
  'autoscale',
] as const;

/** JSON with sorted keys, so two equal values compare equal whatever their key order. */
function canonical(value: unknown): string {
  return JSON.stringify(value, (_k, v: unknown) =>
    v !== null && typeof v === 'object' && !Array.isArray(v)
      ? Object.fromEntries(
          Object.entries(v as Record<string, unknown>).sort(([a], [b]) =>
            a < b ? -1 : a > b ? 1 : 0,
          ),
        )
      : v,
  );
}

function fieldChanges<T extends object>(
  fields: readonly (keyof T & string)[],
  from: T,
  to: T,
): FieldChange[] {
  return fields
    .filter((f) => canonical(from[f]) !== canonical(to[f]))
    .map((f) => ({ field: f, from: from[f], to: to[f] }));
}

/** The spec field a domain check's message is about (the zod schemas have caught the rest). */
function fieldOf(kind: Kind, message: string): string {
  const rules: [RegExp, string][] =
    kind === 'Template'
      ? [
          [/^disk image/, 'diskPath'],
          [/^(kernel|initrd)/, 'boot'],
          [/^credentials/, 'credentialsRef'],
          [/^software/, 'software'],
          [/^probes/, 'probes'],
          [/GPU/, 'gpu'],
          [/^guest|Secure Boot|secureBoot/, 'guest'],
        ]
      : [
          [/^warm/, 'warm'],
          [/^hot/, 'hot'],
          [/^pool size/, 'desired'],
          [/^autoscale/, 'autoscale'],
          [/paused/, 'hot'],
          [/^(idle|max lease|max VM age|lifetime)/, 'lifetime'],
        ];
  return rules.find(([re]) => re.test(message))?.[1] ?? '(root)';
}

export async function planFleet(
  deps: PlanDeps,
  docs: readonly FleetDocument[],
  options: { prune: boolean },
): Promise<PlannedStep[]> {
  const { ctx } = deps;
  const issues: FleetIssue[] = [];
  const issue = (d: FleetDocument, field: string, message: string): void => {
    issues.push({
      file: d.source.file,
      line: d.fieldLines[field] ?? d.source.line,
      path: field === '(root)' ? 'spec' : `spec.${field}`,
      message,
    });
  };
  const guard = <T>(d: FleetDocument, build: () => T): T | null => {
    try {
      return build();
    } catch (e) {
      if (!isHvkubeError(e)) throw e;
      issue(d, fieldOf(d.kind, e.message), e.describe());
      return null;
    }
  };

  const templates = new Map((await ctx.store.listTemplates()).map((t) => [t.name, t]));
  const pools = new Map((await ctx.store.listPools()).map((p) => [p.name, p]));
  const named = (kind: Kind): Set<string> =>
    new Set(docs.filter((d) => d.kind === kind).map((d) => d.name));
  const namedTemplates = named('Template');
  const steps: PlannedStep[] = [];

  for (const d of docs) {
    if (d.kind !== 'Template') continue;
    const desired = guard(d, () => buildTemplate(ctx, { name: d.name, ...d.spec }));
    if (!desired) continue;
    if (desired.gpu && !ctx.hv.capabilities.gpu)
      issue(d, 'gpu', `the ${ctx.hv.backend} backend cannot attach GPUs`);
    const current = templates.get(d.name);
    if (!current) {
      steps.push({
        kind: 'Template',
        name: d.name,
        action: 'create',
        changes: [],
        source: d.source,
        desired,
      });
      continue;
    }
    const changes = fieldChanges(TEMPLATE_FIELDS, current, desired);
    if (changes.length > 0) {
      const users = [...pools.values()].filter((p) => p.template === d.name).map((p) => p.name);
      if (users.length > 0) {
        issue(
          d,
          changes[0]?.field ?? '(root)',
          `template ${d.name} is used by pool ${users.join(', ')}, whose VMs were cloned from it, so it cannot change (${changes.map((c) => c.field).join(', ')}); give the changed template a new name and point the pool at it`,
        );
        continue;
      }
    }
    steps.push({
      kind: 'Template',
      name: d.name,
      action: changes.length > 0 ? 'update' : 'unchanged',
      changes,
      source: d.source,
      desired,
    });
  }

  for (const d of docs) {
    if (d.kind !== 'Pool') continue;
    const current = pools.get(d.name) ?? null;
    // An autoscaled pool's size belongs to the autoscaler: the document's `desired` only says
    // where a new pool starts, and an existing one keeps its size (brought within the bounds).
    const sizedByAutoscaler = current !== null && d.spec.autoscale != null;
    const desired = guard(d, () => {
      if (!sizedByAutoscaler) return buildPool(ctx, { name: d.name, ...d.spec });
      const built = buildPool(ctx, { name: d.name, ...d.spec, desired: undefined, warm: undefined });
      const size = built.autoscale ? clampSize(built.autoscale, current.desired) : built.desired;
      return { ...built, desired: size, warm: size };
    });
    if (!desired) continue;
    const templateKept =
      namedTemplates.has(desired.template) || (templates.has(desired.template) && !options.prune);
    if (!templateKept) {
      issue(
        d,
        'template',
        templates.has(desired.template)
          ? `template ${desired.template} is not in the files, so --prune would remove it`
          : `template ${desired.template} is neither in the files nor registered`,
      );
    }
    if (desired.hot > 0 && !ctx.hv.capabilities.pause)
      issue(d, 'hot', `the ${ctx.hv.backend} backend cannot keep VMs paused; use hot: 0`);
    if (!current) {
      steps.push({
        kind: 'Pool',
        name: d.name,
        action: 'create',
        changes: [],
        source: d.source,
        desired,
        current,
      });
      continue;
    }
    const changes = fieldChanges(POOL_FIELDS, current, desired);
    if (changes.some((c) => c.field === 'template')) {
      issue(
        d,
        'template',
        `pool ${d.name} was cloned from template ${current.template}; a pool's template cannot change — give the pool a new name, or remove it first`,
      );
      continue;
    }
    steps.push({
      kind: 'Pool',
      name: d.name,
      action: changes.length > 0 ? 'update' : 'unchanged',
      changes,
      source: d.source,
      desired,
      current,
    });
  }

  const workflowDocs = docs.filter((d) => d.kind === 'Workflow');
  let workflows = new Map<string, CurrentWorkflow>();
  if (deps.workflows) workflows = await readWorkflowSpecs(deps.workflows);
  else
    for (const d of workflowDocs)
      issue(
        d,
        '(root)',
        'this server runs no agent scheduler, so it keeps no workflows; apply workflows on a server started by `hvkube serve`',
      );
  if (deps.workflows) {
    for (const d of workflowDocs) {
      const current = workflows.get(d.name);
      if (!current) {
        steps.push({
          kind: 'Workflow',
          name: d.name,
          action: 'create',
          changes: [],
          source: d.source,
          spec: d.spec,
          file: null,
        });
        continue;
      }
      const keys = [
        ...new Set([...Object.keys(current.spec ?? {}), ...Object.keys(d.spec)]),
      ].sort();
      const changes =
        current.spec === null
          ? [{ field: '(file)', from: 'invalid', to: 'valid' }]
          : fieldChanges(keys, current.spec, d.spec);
      steps.push({
        kind: 'Workflow',
        name: d.name,
        action: changes.length > 0 ? 'update' : 'unchanged',
        changes,
        source: d.source,
        spec: d.spec,
        file: current.file,
      });
    }
  }

  if (options.prune) {
    const namedPools = named('Pool');
    for (const pool of pools.values()) {
      if (namedPools.has(pool.name)) continue;
      const held = (await ctx.store.listVms({ pool: pool.name }))
        .filter((v) => v.lease !== null)
        .map((v) => v.name);
      if (held.length > 0) {
        issues.push({
          file: '(prune)',
          line: null,
          path: `Pool/${pool.name}`,
          message: `pool ${pool.name} has VMs in use (${held.join(', ')}); --prune never removes a VM in use — release them, or name the pool in the files`,
        });
        continue;
      }
      steps.push({
        kind: 'Pool',
        name: pool.name,
        action: 'delete',
        changes: [],
        source: null,
        desired: null,
        current: pool,
      });
    }
    for (const t of templates.values()) {
      if (!namedTemplates.has(t.name))
        steps.push({
          kind: 'Template',
          name: t.name,
          action: 'delete',
          changes: [],
          source: null,
          desired: null,
        });
    }
    const namedWorkflows = named('Workflow');
    for (const w of workflows.values()) {
      if (!namedWorkflows.has(w.name))
        steps.push({
          kind: 'Workflow',
          name: w.name,
          action: 'delete',
          changes: [],
          source: null,
          spec: null,
          file: w.file,
        });
    }
  }

  if (issues.length > 0) throw fleetInvalid(issues);
  const order = (s: PlannedStep): number => KINDS.indexOf(s.kind);
  return steps.sort(
    (a, b) => order(a) - order(b) || (a.name < b.name ? -1 : a.name > b.name ? 1 : 0),
  );
}

/** The public face of a step (no internals). */
export function toPlanEntry(s: PlannedStep): PlanEntry {
  return { kind: s.kind, name: s.name, action: s.action, changes: s.changes, source: s.source };
}
