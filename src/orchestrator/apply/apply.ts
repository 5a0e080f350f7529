/**
 * `apply`: parse the documents, plan, and (unless a dry run) carry the plan out in an order that
 * keeps every reference valid: templates before the pools cloned from them, removals last.
 * @module
 */
import { HvkubeError } from '../../domain/errors.js';
import type { Orchestrator } from '../orchestrator.js';
import type { WorkflowCatalog } from '../workflows/workflow-catalog.js';
import { parseFleet, type FleetFile } from './documents.js';
import { planFleet, toPlanEntry, type PlanEntry, type PlannedStep } from './plan.js';
import { removeWorkflow, writeWorkflow } from './workflow-files.js';

export interface ApplyDeps {
  orch: Orchestrator;
  workflows: WorkflowCatalog | null;
}

export interface ApplyInput {
  files?: readonly FleetFile[];
  /** Documents given as values (a JSON request body), labelled for messages. */
  objects?: readonly { label: string; value: unknown }[];
}

export interface ApplyOptions {
  /** Remove templates, pools and workflows the documents do not name (never a VM in use). */
  prune?: boolean;
  /** Plan only. */
  dryRun?: boolean;
}

export interface ApplyResult {
  dryRun: boolean;
  prune: boolean;
  /** Whether the plan creates, updates or deletes anything. */
  changed: boolean;
  entries: PlanEntry[];
}

const ACTOR = 'apply';

async function execute(deps: ApplyDeps, step: PlannedStep): Promise<void> {
  const { orch } = deps;
  const ctx = orch.ctx;
  switch (step.kind) {
    case 'Template': {
      if (step.action === 'delete') return orch.removeTemplate(step.name);
      if (!step.desired) return;
      // Only a template no pool uses changes (the plan checked), so replacing it is safe.
      if (step.action === 'update') await orch.removeTemplate(step.name);
      const { createdAt: _c, ...input } = step.desired;
      await orch.registerTemplate(input);
      return;
    }
    case 'Pool': {
      if (step.action === 'delete') return orch.removePool(step.name);
      const desired = step.desired;
      if (!desired) return;
      if (step.action === 'create') {
        const { createdAt: _c, ...input } = desired;
        await orch.createPool(input);
        return;
      }
      const fields = new Set(step.changes.map((c) => c.field));
      if (fields.has('desired') || fields.has('warm') || fields.has('hot') || fields.has('autoscale'))
        await orch.scalePool(step.name, {
          desired: desired.desired,
          // An autoscaled pool keeps every VM warm; its warm tier is not a setting.
          warm: desired.autoscale ? undefined : desired.warm,
          hot: desired.hot,
          autoscale: desired.autoscale,
        });
      const settings = {
        maxPerHost: desired.maxPerHost,
        releasePolicy: desired.releasePolicy,
        maxRunning: desired.maxRunning,
        lifetime: desired.lifetime,
      };
      const changed = step.changes.filter((c) => c.field in settings);
      if (changed.length > 0) {
        await ctx.store.updatePool(step.name, settings);
        await ctx.store.appendEvent({
          actor: ACTOR,
          kind: 'pool',
          subject: step.name,
          action: 'update',
          from: null,
          to: null,
          durationMs: null,
          details: Object.fromEntries(changed.map((c) => [c.field, c.to])),
        });
        orch.controller.poke();
      }
      return;
    }
    case 'Workflow': {
      if (!deps.workflows) return;
      if (step.action === 'delete') return step.file ? removeWorkflow(step.file) : undefined;
      if (step.spec) await writeWorkflow(deps.workflows, step.name, step.spec, step.file);
      return;
    }
  }
}

/** Creates and changes first (templates, pools, workflows), then removes (pools before templates). */
function executionOrder(steps: readonly PlannedStep[]): PlannedStep[] {
  const rank = (s: PlannedStep): number => {
    const kind = ['Template', 'Pool', 'Workflow'].indexOf(s.kind);
    if (s.action !== 'delete') return kind;
    return 3 + ['Pool', 'Template', 'Workflow'].indexOf(s.kind);
  };
  return steps.filter((s) => s.action !== 'unchanged').sort((a, b) => rank(a) - rank(b));
}

export async function applyFleet(
  deps: ApplyDeps,
  input: ApplyInput,
  options: ApplyOptions = {},
): Promise<ApplyResult> {
  const prune = options.prune === true;
  const dryRun = options.dryRun === true;
  const docs = parseFleet(input.files ?? [], input.objects ?? []);
  // An empty set is almost always a wrong path, and with --prune it would remove everything.
  if (docs.length === 0)
    throw new HvkubeError(
      'INVALID_INPUT',
      'the fleet files hold no documents, nothing was changed',
      { hint: 'check the -f paths; see docs/apply.md for the format' },
    );
  const steps = await planFleet({ ctx: deps.orch.ctx, workflows: deps.workflows }, docs, { prune });
  if (!dryRun) {
    for (const step of executionOrder(steps)) await execute(deps, step);
  }
  return {
    dryRun,
    prune,
    changed: steps.some((s) => s.action !== 'unchanged'),
    entries: steps.map(toPlanEntry),
  };
}
