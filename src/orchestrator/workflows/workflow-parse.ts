/**
 * Turning the text of a workflow file into a validated `Workflow`, with errors that name the
 * field by its dot path (`steps[1].press_keys[0]`) and YAML errors by line and column.
 * @module
 */
import YAML from 'yaml';
import type { z } from 'zod';
import { HvkubeError } from '../../domain/errors.js';
import { toWorkflow, workflowFileSchema, type Workflow } from './workflow-schema.js';

export interface WorkflowIssue {
  /** Dot path of the field, `(root)` for the file as a whole. */
  path: string;
  message: string;
}

export type WorkflowFormat = 'yaml' | 'json';

export interface WorkflowSource {
  /** Shown in messages: the file path, or a label such as `request body`. */
  label: string;
  format: WorkflowFormat;
  /** The name the file is looked up by; a workflow without `name` takes it. */
  expectedName?: string;
}

export function formatPath(path: readonly PropertyKey[]): string {
  let out = '';
  for (const part of path) {
    if (typeof part === 'number') out += `[${part}]`;
    else out += out === '' ? String(part) : `.${String(part)}`;
  }
  return out === '' ? '(root)' : out;
}

export function workflowInvalid(source: WorkflowSource, issues: WorkflowIssue[]): HvkubeError {
  const what = source.expectedName ? `workflow ${source.expectedName} (${source.label})` : `workflow ${source.label}`;
  const shown = issues.slice(0, 10).map((i) => `${i.path}: ${i.message}`);
  if (issues.length > 10) shown.push(`and ${issues.length - 10} more`);
  return new HvkubeError('WORKFLOW_INVALID', `${what} is invalid: ${shown.join('; ')}`, {
    hint: 'fix the file; the format is described in docs/agents.md (check it with `hvkube workflow validate`)',
    details: { workflow: source.expectedName ?? null, file: source.label, issues },
  });
}

function parseText(text: string, source: WorkflowSource): unknown {
  if (source.format === 'json') {
    try {
      return JSON.parse(text) as unknown;
    } catch (e) {
      // The parser's message quotes the text around the problem; say only where it is.
      const where = e instanceof Error ? /at position \d+(?: \(line \d+ column \d+\))?/.exec(e.message)?.[0] : undefined;
      throw workflowInvalid(source, [{ path: '(root)', message: `bad JSON${where ? ` ${where}` : ''}` }]);
    }
  }
  const doc = YAML.parseDocument(text, { prettyErrors: true, uniqueKeys: true });
  if (doc.errors.length > 0) {
    throw workflowInvalid(
      source,
      doc.errors.map((e) => {
        // With prettyErrors the first line reads "<problem> at line L, column C:"; the rest is a code frame.
        const first = (e.message.split('\n')[0] ?? e.message).replace(/:$/, '');
        return { path: '(root)', message: `bad YAML: ${first}` };
      }),
    );
  }
  try {
    return doc.toJS({ maxAliasCount: 100 }) as unknown;
  } catch {
    // An alias bomb: aliases that expand to an enormous document.
    throw workflowInvalid(source, [{ path: '(root)', message: 'bad YAML: aliases expand too much (more than 100 alias uses)' }]);
  }
}

/** Zod's default for an absent field ("expected number, received undefined") reads as a type error. */
function missingIsRequired(issue: { code: string; input?: unknown }): string | undefined {
  return issue.code === 'invalid_type' && issue.input === undefined ? 'is required' : undefined;
}

function issuesOf(error: z.ZodError): WorkflowIssue[] {
  return error.issues.map((i) => ({ path: formatPath(i.path), message: i.message }));
}

/** Parses and validates a workflow; throws WORKFLOW_INVALID listing every problem found. */
export function parseWorkflow(text: string, source: WorkflowSource): Workflow {
  const raw = parseText(text, source);
  const withName =
    source.expectedName !== undefined && raw !== null && typeof raw === 'object' && !Array.isArray(raw) && !('name' in raw)
      ? { name: source.expectedName, ...raw }
      : raw;
  const parsed = workflowFileSchema.safeParse(withName, { error: missingIsRequired });
  if (!parsed.success) throw workflowInvalid(source, issuesOf(parsed.error));
  if (source.expectedName !== undefined && parsed.data.name !== source.expectedName) {
    throw workflowInvalid(source, [{ path: 'name', message: `is ${JSON.stringify(parsed.data.name)} but the file is named ${source.expectedName}; they must match` }]);
  }
  return toWorkflow(parsed.data);
}
