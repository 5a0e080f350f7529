/**
 * Fleet documents: templates, pools and workflows written as Kubernetes-style objects
 * (`apiVersion: hvkube/v1`, `kind`, `metadata.name`, `spec`) in YAML or JSON. Specs are checked
 * with the same zod schemas as the API's create routes (and the workflow file format), and every
 * problem names its file, line and field.
 * @module
 */
import YAML, { isSeq, LineCounter, type Document } from 'yaml';
import { z } from 'zod';
import { HvkubeError } from '../../domain/errors.js';
import { NameSchema, PoolCreateSchema, TemplateCreateSchema } from '../../api/schemas.js';
import type { PoolInput, TemplateInput } from '../catalog.js';
import { formatPath } from '../workflows/workflow-parse.js';
import { workflowFileSchema } from '../workflows/workflow-schema.js';

export const API_VERSION = 'hvkube/v1';
export const KINDS = ['Template', 'Pool', 'Workflow'] as const;
export type Kind = (typeof KINDS)[number];

/** Where a document (or one of its fields) was written. */
export interface SourceRef {
  file: string;
  /** 1-based; null when the document came without text (a JSON request's `documents`). */
  line: number | null;
}

export type TemplateSpec = Omit<TemplateInput, 'name'>;
export type PoolSpec = Omit<PoolInput, 'name'>;
/** A workflow file's content without its name (see docs/agents.md). */
export type WorkflowSpec = Record<string, unknown>;

export type FleetDocument = {
  name: string;
  source: SourceRef;
  /** Line of each top-level field of the spec, for problems found after parsing. */
  fieldLines: Record<string, number | null>;
} & (
  | { kind: 'Template'; spec: TemplateSpec }
  | { kind: 'Pool'; spec: PoolSpec }
  | { kind: 'Workflow'; spec: WorkflowSpec }
);

/** The shape a document is written in (and `export` writes). */
export interface FleetObject {
  apiVersion: typeof API_VERSION;
  kind: Kind;
  metadata: { name: string };
  spec: Record<string, unknown>;
}

export interface FleetIssue {
  file: string;
  line: number | null;
  /** Dot path of the field within the document, `(root)` for the document itself. */
  path: string;
  message: string;
}

/** A file's text, as read by the CLI or sent to `POST /api/v1/apply`. */
export interface FleetFile {
  name: string;
  text: string;
}

const envelopeSchema = z.strictObject({
  apiVersion: z.literal(API_VERSION, { error: `must be ${API_VERSION}` }),
  kind: z.enum(KINDS, { error: `must be one of ${KINDS.join(', ')}` }),
  metadata: z.strictObject({ name: NameSchema }),
  spec: z.record(z.string(), z.unknown(), { error: 'must be a mapping' }),
});

const templateSpecSchema = TemplateCreateSchema.omit({ name: true });
const poolSpecSchema = PoolCreateSchema.omit({ name: true });

/** Finds the line of `path` (or of its nearest ancestor written in the text). */
type LineOf = (path: readonly PropertyKey[]) => number | null;

function describeIssues(issues: readonly FleetIssue[]): string {
  const shown = issues
    .slice(0, 10)
    .map((i) => `${i.file}${i.line === null ? '' : `:${i.line}`}: ${i.path}: ${i.message}`);
  if (issues.length > 10) shown.push(`and ${issues.length - 10} more`);
  return shown.join('; ');
}

/** The error for problems found before anything changed. */
export function fleetInvalid(issues: readonly FleetIssue[]): HvkubeError {
  return new HvkubeError(
    'INVALID_INPUT',
    `the fleet files have ${issues.length} problem${issues.length === 1 ? '' : 's'}, nothing was changed: ${describeIssues(issues)}`,
    {
      hint: 'fix the files and run again; the format is described in docs/apply.md',
      details: { issues },
    },
  );
}

function zodIssues(
  error: z.ZodError,
  prefix: readonly PropertyKey[],
  file: string,
  lineOf: LineOf,
): FleetIssue[] {
  return error.issues.map((i) => {
    const full = [...prefix, ...i.path];
    const message =
      i.code === 'invalid_type' && i.input === undefined
        ? 'is required'
        : i.code === 'unrecognized_keys'
          ? `unknown key ${i.keys.map((k) => JSON.stringify(k)).join(', ')}`
          : i.message;
    return { file, line: lineOf(full), path: formatPath(full), message };
  });
}

/** Validates one document; pushes problems to `issues` and answers null when there are any. */
export function toFleetDocument(
  raw: unknown,
  file: string,
  lineOf: LineOf,
  issues: FleetIssue[],
): FleetDocument | null {
  const envelope = envelopeSchema.safeParse(raw);
  if (!envelope.success) {
    issues.push(...zodIssues(envelope.error, [], file, lineOf));
    return null;
  }
  const { kind, metadata, spec } = envelope.data;
  const source = { file, line: lineOf([]) };
  const name = metadata.name;
  const fieldLines = Object.fromEntries(Object.keys(spec).map((k) => [k, lineOf(['spec', k])]));
  const specInvalid = (error: z.ZodError): null => {
    issues.push(...zodIssues(error, ['spec'], file, lineOf));
    return null;
  };
  switch (kind) {
    case 'Template': {
      const parsed = templateSpecSchema.safeParse(spec);
      if (!parsed.success) return specInvalid(parsed.error);
      return { kind, name, source, fieldLines, spec: parsed.data };
    }
    case 'Pool': {
      const parsed = poolSpecSchema.safeParse(spec);
      if (!parsed.success) return specInvalid(parsed.error);
      return { kind, name, source, fieldLines, spec: parsed.data };
    }
    case 'Workflow': {
      if ('name' in spec) {
        issues.push({
          file,
          line: lineOf(['spec', 'name']),
          path: 'spec.name',
          message: 'a workflow is named by metadata.name only',
        });
        return null;
      }
      const parsed = workflowFileSchema.safeParse({ name, ...spec });
      if (!parsed.success) return specInvalid(parsed.error);
      return { kind, name, source, fieldLines, spec };
    }
  }
}

function lineFinder(doc: Document, counter: LineCounter, base: readonly PropertyKey[]): LineOf {
  return (path) => {
    // A missing field has no node: point at the nearest mapping that should hold it.
    for (let n = path.length; n >= 0; n--) {
      const node: unknown = doc.getIn([...base, ...path.slice(0, n)], true);
      const range = (node as { range?: [number, number, number] } | undefined)?.range;
      if (range) return counter.linePos(range[0]).line;
    }
    return null;
  };
}

/**
 * Parses one file: YAML (several documents separated by `---`) or JSON (one document, or a list).
 * A top-level list in YAML is read as a list of documents too.
 */
export function parseFleetFile(file: FleetFile, issues: FleetIssue[]): FleetDocument[] {
  const counter = new LineCounter();
  // JSON is YAML: one parser gives line numbers for both.
  const docs = YAML.parseAllDocuments(file.text, {
    lineCounter: counter,
    uniqueKeys: true,
    prettyErrors: false,
  });
  if (!Array.isArray(docs)) {
    issues.push({
      file: file.name,
      line: null,
      path: '(root)',
      message: 'is not a YAML or JSON document',
    });
    return [];
  }
  const out: FleetDocument[] = [];
  for (const doc of docs) {
    if (doc.errors.length > 0) {
      for (const e of doc.errors)
        issues.push({
          file: file.name,
          line: e.linePos?.[0].line ?? null,
          path: '(root)',
          message: `bad YAML/JSON: ${e.message.split('\n')[0] ?? e.message}`,
        });
      continue;
    }
    if (doc.contents === null) continue;
    const js: unknown = doc.toJS({ maxAliasCount: 100 });
    const items: { value: unknown; base: number[] }[] =
      isSeq(doc.contents) && Array.isArray(js)
        ? js.map((value: unknown, i) => ({ value, base: [i] }))
        : [{ value: js, base: [] }];
    for (const { value, base } of items) {
      const d = toFleetDocument(value, file.name, lineFinder(doc, counter, base), issues);
      if (d) out.push(d);
    }
  }
  return out;
}

/** Parses every file and checks the set: each kind and name at most once. Throws on any problem. */
export function parseFleet(
  files: readonly FleetFile[],
  objects: readonly { label: string; value: unknown }[] = [],
): FleetDocument[] {
  const issues: FleetIssue[] = [];
  const docs = files.flatMap((f) => parseFleetFile(f, issues));
  for (const o of objects) {
    const d = toFleetDocument(o.value, o.label, () => null, issues);
    if (d) docs.push(d);
  }
  const seen = new Map<string, FleetDocument>();
  for (const d of docs) {
    const key = `${d.kind}/${d.name}`;
    const first = seen.get(key);
    if (first)
      issues.push({
        file: d.source.file,
        line: d.source.line,
        path: 'metadata.name',
        message: `${key} is also defined at ${first.source.file}${first.source.line === null ? '' : `:${first.source.line}`}`,
      });
    else seen.set(key, d);
  }
  if (issues.length > 0) throw fleetInvalid(issues);
  return docs;
}

export function toFleetObject(d: Pick<FleetDocument, 'kind' | 'name' | 'spec'>): FleetObject {
  return { apiVersion: API_VERSION, kind: d.kind, metadata: { name: d.name }, spec: { ...d.spec } };
}

/** Documents as one YAML stream, `---` between them. */
export function fleetToYaml(objects: readonly FleetObject[]): string {
  return objects.map((o) => YAML.stringify(o, { lineWidth: 0 })).join('---\n');
}
