/**
 * /api/v1/apply and /api/v1/export: fleet documents in and out, through the same planner as
 * `hvkube apply`, `diff` and `export` (src/orchestrator/apply).
 * @module
 */
import { createRoute, z } from '@hono/zod-openapi';
import { applyFleet, exportFleet, KINDS } from '../../orchestrator/apply/index.js';
import type { WorkflowCatalog } from '../../orchestrator/workflows/workflow-catalog.js';
import type { ApiApp, RouteDeps } from '../deps.js';
import { errors, jsonAnswer, jsonBody } from '../openapi.js';

const tags = ['apply'];

const FleetObjectSchema = z
  .object({
    apiVersion: z.literal('hvkube/v1'),
    kind: z.enum(KINDS),
    metadata: z.object({ name: z.string() }),
    spec: z.record(z.string(), z.unknown()),
  })
  .openapi('FleetObject');

export const ApplyRequestSchema = z
  .object({
    files: z
      .array(z.object({ name: z.string().min(1).max(1024), text: z.string() }).strict())
      .max(1000)
      .optional()
      .openapi({
        description: 'YAML or JSON files as text; problems are reported by file, line and field',
      }),
    documents: z
      .array(z.unknown())
      .max(10_000)
      .optional()
      .openapi({ description: 'documents as JSON values (reported as documents[i])' }),
    prune: z
      .boolean()
      .optional()
      .openapi({
        description: 'remove templates, pools and workflows not named (never a VM in use)',
      }),
    dryRun: z.boolean().optional().openapi({ description: 'plan only' }),
  })
  .strict()
  .openapi('ApplyRequest');

const PlanEntrySchema = z.object({
  kind: z.enum(KINDS),
  name: z.string(),
  action: z.enum(['create', 'update', 'unchanged', 'delete']),
  changes: z.array(z.object({ field: z.string(), from: z.unknown(), to: z.unknown() })),
  source: z.object({ file: z.string(), line: z.number().int().nullable() }).nullable(),
});

export const ApplyResultSchema = z
  .object({
    dryRun: z.boolean(),
    prune: z.boolean(),
    changed: z.boolean(),
    entries: z.array(PlanEntrySchema),
  })
  .openapi('ApplyResult');

export function applyRoutes(
  app: ApiApp,
  { orch }: RouteDeps,
  workflows: WorkflowCatalog | null,
): void {
  const deps = { orch, workflows };
  app.openapi(
    createRoute({
      operationId: 'apply',
      method: 'post',
      path: '/apply',
      tags,
      summary: 'Apply fleet documents (templates, pools, workflows)',
      description:
        'Validates every document first; a set with any problem changes nothing (400, `details.issues`). See docs/apply.md.',
      request: { body: jsonBody(ApplyRequestSchema) },
      responses: {
        200: jsonAnswer(ApplyResultSchema, 'the plan, carried out unless dryRun'),
        ...errors(404, 409, 502),
      },
    }),
    async (c) => {
      const body = c.req.valid('json');
      const objects = (body.documents ?? []).map((value, i) => ({
        label: `documents[${i}]`,
        value,
      }));
      return c.json(
        await applyFleet(
          deps,
          { files: body.files ?? [], objects },
          { prune: body.prune, dryRun: body.dryRun },
        ),
        200,
      );
    },
  );
  app.openapi(
    createRoute({
      operationId: 'exportFleet',
      method: 'get',
      path: '/export',
      tags,
      summary: 'The current templates, pools and workflows as fleet documents',
      responses: { 200: jsonAnswer(z.array(FleetObjectSchema), 'documents'), ...errors() },
    }),
    async (c) => c.json(await exportFleet(deps), 200),
  );
}
