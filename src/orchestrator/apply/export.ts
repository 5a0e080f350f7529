/**
 * `export`: the current templates, pools and workflows as fleet documents, which `apply` takes
 * back unchanged.
 * @module
 */
import { API_VERSION, type FleetObject } from './documents.js';
import type { ApplyDeps } from './apply.js';
import { readWorkflowSpecs } from './workflow-files.js';

export async function exportFleet(deps: ApplyDeps): Promise<FleetObject[]> {
  const store = deps.orch.store;
  const out: FleetObject[] = [];
  for (const { name, createdAt: _c, ...spec } of await store.listTemplates())
    out.push({ apiVersion: API_VERSION, kind: 'Template', metadata: { name }, spec });
  for (const { name, createdAt: _c, ...pool } of await store.listPools()) {
    const spec: Partial<typeof pool> = { ...pool };
    // An autoscaled pool keeps every VM warm, and its `desired` is the size it would start at.
    if (pool.autoscale) delete spec.warm;
    else delete spec.autoscale;
    out.push({ apiVersion: API_VERSION, kind: 'Pool', metadata: { name }, spec });
  }
  if (deps.workflows) {
    for (const w of (await readWorkflowSpecs(deps.workflows)).values()) {
      // A file that does not parse cannot be written as a document; `workflow list` shows why.
      if (w.spec)
        out.push({
          apiVersion: API_VERSION,
          kind: 'Workflow',
          metadata: { name: w.name },
          spec: w.spec,
        });
    }
  }
  return out;
}
