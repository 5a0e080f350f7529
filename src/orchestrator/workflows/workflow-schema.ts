/**
 * The workflow file format (YAML or JSON), validated with zod and turned into a `Workflow`.
 * See docs/agents.md for the reference.
 * @module
 */
import { z } from 'zod';
import { RELEASE_POLICIES, type ReleasePolicy } from '../../domain/types.js';
import { NAME_PATTERN } from '../../domain/validation.js';
import { INPUT_NAME_PATTERN, INPUT_TYPES, inputValueProblem, type InputDeclaration } from './inputs.js';
import { stepSchema, type Step } from './step-schema.js';
import { placeholderNames, stringsWithin } from './substitute.js';

export const EXECUTORS = ['steps', 'mcp', 'command', 'external'] as const;
export type ExecutorName = (typeof EXECUTORS)[number];

export interface McpCall {
  tool: string;
  /** Arguments sent to the tool, placeholders substituted; null: the whole input. */
  arguments: Record<string, unknown> | null;
}

export interface CommandSpec {
  /** Program and arguments, run without a shell. Never substituted. */
  argv: string[];
  /** Working directory; relative paths are taken from the workflows folder. */
  cwd: string | null;
  /** Extra environment variables (fixed values). */
  env: Record<string, string>;
  /** Variables of the server's environment passed on, beyond the base ones; never HVKUBE_*. */
  inheritEnv: string[];
}

interface WorkflowCommon {
  name: string;
  description: string | null;
  inputs: Record<string, InputDeclaration>;
  /** How the VM goes back after a success; a failed, cancelled or timed-out run is always reset. */
  release: ReleasePolicy;
  /** Seconds an agent may take once dispatched; null for no limit. */
  timeoutS: number | null;
  /** Extra attempts on another VM when the VM itself fails mid-run. */
  retries: number;
  needsGpu: boolean;
}

export type Workflow = WorkflowCommon &
  (
    | { executor: 'steps'; steps: Step[] }
    | { executor: 'mcp'; mcp: McpCall }
    | { executor: 'command'; command: CommandSpec }
    | { executor: 'external' }
  );

export const DEFAULT_TIMEOUT_S = 3600;

const inputDeclSchema = z.preprocess(
  // Shorthand: `who: string` means `who: { type: string }`.
  (v) => (typeof v === 'string' ? { type: v } : v),
  z
    .strictObject(
      {
        type: z.enum(INPUT_TYPES, { error: `must be one of ${INPUT_TYPES.join(', ')}` }),
        default: z.unknown().optional(),
        required: z.boolean().optional(),
        optional: z.boolean().optional(),
        description: z.string().max(500).optional(),
        enum: z.array(z.union([z.string(), z.number()])).min(1).max(200).optional(),
      },
      { error: (issue) => (issue.code === 'unrecognized_keys' ? `unknown key ${issue.keys.join(', ')}; an input has type, default, required, description, enum` : 'must be a type name or an object with type') },
    )
    .superRefine((d, ctx) => {
      const decl = { type: d.type, enum: d.enum ?? null };
      if (d.default !== undefined) {
        const problem = inputValueProblem(decl, d.default);
        if (problem) ctx.addIssue({ code: 'custom', path: ['default'], message: problem });
        if (d.required === true) ctx.addIssue({ code: 'custom', path: ['required'], message: 'an input with a default is not required' });
      }
      d.enum?.forEach((v, i) => {
        const problem = inputValueProblem({ type: d.type, enum: null }, v);
        if (problem) ctx.addIssue({ code: 'custom', path: ['enum', i], message: problem });
      });
    })
    .transform((d): InputDeclaration => ({
      type: d.type,
      ...(d.default === undefined ? {} : { default: d.default }),
      required: d.default === undefined && d.optional !== true && d.required !== false,
      description: d.description ?? null,
      enum: d.enum ?? null,
    })),
);

const mcpSchema = z.strictObject({
  tool: z.string().min(1).max(200).regex(/^[A-Za-z0-9_.\-/]+$/, 'must be a tool name (letters, digits, _ . - /)'),
  arguments: z.record(z.string(), z.unknown()).optional(),
});

const commandSchema = z.strictObject({
  argv: z.array(z.string().min(1).max(4096)).min(1, 'must name the program to run').max(200),
  cwd: z.string().min(1).max(1024).optional(),
  env: z.record(z.string().regex(/^[A-Za-z_][A-Za-z0-9_]{0,127}$/, 'must be an environment variable name'), z.string().max(32_768)).optional(),
  inheritEnv: z
    .array(
      z
        .string()
        .regex(/^[A-Za-z_][A-Za-z0-9_]{0,127}$/, 'must be an environment variable name')
        .refine((n) => !n.toUpperCase().startsWith('HVKUBE_'), 'must not name an HVKUBE_ variable: the server\'s own settings and token never reach a command'),
    )
    .max(100)
    .optional(),
});

const SECTION_OF: Record<ExecutorName, 'steps' | 'mcp' | 'command' | null> = { steps: 'steps', mcp: 'mcp', command: 'command', external: null };

export const workflowFileSchema = z
  .strictObject(
    {
      name: z.string().regex(NAME_PATTERN, 'must be 1-63 letters, digits, ".", "_" or "-", starting with a letter or digit'),
      description: z.string().max(2000).optional(),
      executor: z.enum(EXECUTORS, { error: (issue) => `must be one of ${EXECUTORS.join(', ')}${issue.input === undefined ? '' : `, got ${JSON.stringify(issue.input)}`}` }),
      inputs: z.record(z.string().regex(INPUT_NAME_PATTERN, 'must be a name of letters, digits and _'), inputDeclSchema).optional(),
      release: z.enum(RELEASE_POLICIES as [ReleasePolicy, ...ReleasePolicy[]], { error: 'must be save, reset or destroy' }).default('reset'),
      timeout: z.union([z.number().int().min(1).max(7 * 24 * 3600), z.null()], { error: 'must be whole seconds (1 to 604800), or null for none' }).default(DEFAULT_TIMEOUT_S),
      retries: z.number().int().min(0).max(3, 'must be at most 3').default(0),
      needs_gpu: z.boolean().default(false),
      steps: z.array(stepSchema).min(1, 'must list at least one step').max(1000).optional(),
      mcp: mcpSchema.optional(),
      command: commandSchema.optional(),
    },
    { error: (issue) => (issue.code === 'unrecognized_keys' ? `unknown key ${issue.keys.map((k) => JSON.stringify(k)).join(', ')}` : 'a workflow must be a mapping (name, executor, ...)') },
  )
  .superRefine((w, ctx) => {
    const wanted = SECTION_OF[w.executor];
    for (const section of ['steps', 'mcp', 'command'] as const) {
      if (section === wanted && w[section] === undefined) ctx.addIssue({ code: 'custom', path: [section], message: `is required by the ${w.executor} executor` });
      if (section !== wanted && w[section] !== undefined) ctx.addIssue({ code: 'custom', path: [section], message: `is only used by the ${section} executor, not ${w.executor}` });
    }
    // Placeholders must name declared inputs, so a typo fails on load rather than typing "".
    const declared = new Set(Object.keys(w.inputs ?? {}));
    const fields = [
      ...(w.steps ?? []).flatMap((s, i) => (s.kind === 'type_text' ? [{ path: ['steps', i, 'type_text'], text: s.text }] : [])),
      ...stringsWithin(w.mcp?.arguments ?? {}, ['mcp', 'arguments']),
    ];
    for (const { path, text } of fields) {
      for (const name of placeholderNames(text)) {
        if (!declared.has(name)) {
          ctx.addIssue({ code: 'custom', path, message: `{{input.${name}}} names no declared input (declared: ${[...declared].join(', ') || 'none'})` });
        }
      }
    }
  });

export type WorkflowFile = z.output<typeof workflowFileSchema>;

export function toWorkflow(f: WorkflowFile): Workflow {
  const common: WorkflowCommon = {
    name: f.name,
    description: f.description ?? null,
    inputs: f.inputs ?? {},
    release: f.release,
    timeoutS: f.timeout,
    retries: f.retries,
    needsGpu: f.needs_gpu,
  };
  switch (f.executor) {
    case 'steps':
      return { ...common, executor: 'steps', steps: f.steps ?? [] };
    case 'mcp':
      return { ...common, executor: 'mcp', mcp: { tool: f.mcp?.tool ?? '', arguments: f.mcp?.arguments ?? null } };
    case 'command':
      return { ...common, executor: 'command', command: { argv: f.command?.argv ?? [], cwd: f.command?.cwd ?? null, env: f.command?.env ?? {}, inheritEnv: f.command?.inheritEnv ?? [] } };
    case 'external':
      return { ...common, executor: 'external' };
  }
}
