/**
 * Wire shapes of agents and workflows (the scheduler's nouns), kept apart from schemas.ts so the
 * core resources stay readable.
 * @module
 */
import { z } from '@hono/zod-openapi';
import { AGENT_ID_PATTERN } from '../orchestrator/scheduler/agent-ids.js';
import { AgentStatusSchema, NameSchema, queryInt } from './schemas.js';

const iso = z.string().openapi({ format: 'date-time' });

export const AgentIdParam = z.object({
  id: z.string().max(64).regex(AGENT_ID_PATTERN).openapi({ param: { name: 'id', in: 'path' }, example: 'agt-0lq2x3abc0001k3j2h' }),
});

export const AgentSchema = z
  .object({
    id: z.string(),
    pool: z.string(),
    task: z.object({
      workflow: z.string(),
      input: z.record(z.string(), z.unknown()),
      needsGpu: z.boolean(),
      timeoutS: z.number().nullable(),
      retries: z.number().int(),
    }),
    priority: z.number().int(),
    status: AgentStatusSchema,
    vm: z.string().nullable(),
    attempts: z.number().int(),
    submittedAt: iso,
    startedAt: iso.nullable(),
    endedAt: iso.nullable(),
    deadlineAt: iso.nullable(),
    result: z
      .object({
        success: z.boolean(),
        output: z.unknown(),
        error: z.string().nullable(),
        screenshots: z.array(z.string()),
        durationMs: z.number(),
        vm: z.string().nullable(),
        timings: z.object({ queuedMs: z.number().nullable(), resumeMs: z.number().nullable(), runMs: z.number().nullable(), releaseMs: z.number().nullable() }),
      })
      .nullable(),
  })
  .openapi('Agent');

export const AgentSubmitSchema = z
  .object({
    pool: NameSchema,
    workflow: NameSchema,
    input: z.record(z.string(), z.unknown()).optional(),
    priority: z.number().int().min(-1000).max(1000).optional(),
    timeoutS: z.number().int().min(1).max(7 * 24 * 3600).nullable().optional(),
    retries: z.number().int().min(0).max(3).optional(),
    needsGpu: z.boolean().optional(),
  })
  .strict()
  .openapi('AgentSubmit');

export const AgentListQuery = z.object({
  pool: NameSchema.optional(),
  status: AgentStatusSchema.optional(),
  limit: queryInt(1, 1000).optional(),
});

export const AgentCompleteSchema = z.object({ output: z.unknown().optional() }).strict().openapi('AgentComplete');
export const AgentFailSchema = z.object({ error: z.string().min(1).max(10_000), output: z.unknown().optional() }).strict().openapi('AgentFail');

export const AgentLogLineSchema = z
  .object({ at: iso, level: z.enum(['info', 'warn', 'error']), message: z.string(), details: z.record(z.string(), z.unknown()).optional() })
  .openapi('AgentLogLine');

export const AgentArtifactsSchema = z.object({ screenshots: z.array(z.string()) }).openapi('AgentArtifacts');
export const ScreenshotIndexParam = AgentIdParam.extend({
  index: queryInt(0, 9999).openapi({ param: { name: 'index', in: 'path' } }),
});

export const WorkflowSummarySchema = z
  .object({
    name: z.string(),
    file: z.string(),
    valid: z.boolean(),
    executor: z.enum(['steps', 'mcp', 'command', 'external']).nullable(),
    description: z.string().nullable(),
    error: z.string().nullable(),
  })
  .openapi('WorkflowSummary');
