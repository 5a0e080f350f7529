/**
 * A workflow's declared inputs: their types and defaults, and how a submitted input is checked
 * against them. Problems name the field (`input.who`) so a caller can fix the right thing.
 * @module
 */
import { HvkubeError } from '../../domain/errors.js';

export const INPUT_TYPES = ['string', 'number', 'integer', 'boolean', 'object', 'array'] as const;
export type InputType = (typeof INPUT_TYPES)[number];

/** Leading `__` is refused so no input can be called `__proto__`. */
export const INPUT_NAME_PATTERN = /^(?!__)[A-Za-z_][A-Za-z0-9_]{0,63}$/;

export interface InputDeclaration {
  type: InputType;
  /** Absent when the input has no default. */
  default?: unknown;
  /** Whether a submit must give it; false when it has a default or is declared optional. */
  required: boolean;
  description: string | null;
  /** Allowed values, when the workflow limits them. */
  enum: readonly (string | number)[] | null;
}

const TYPE_WORDS: Record<InputType, string> = {
  string: 'a string',
  number: 'a number',
  integer: 'a whole number',
  boolean: 'true or false',
  object: 'a JSON object',
  array: 'a JSON array',
};

function describeValue(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  if (typeof value === 'object') return 'an object';
  const shown = JSON.stringify(value);
  return `${typeof value} ${shown.length > 40 ? `${shown.slice(0, 40)}…` : shown}`;
}

function hasType(type: InputType, value: unknown): boolean {
  switch (type) {
    case 'string':
      return typeof value === 'string';
    case 'number':
      return typeof value === 'number' && Number.isFinite(value);
    case 'integer':
      return typeof value === 'number' && Number.isSafeInteger(value);
    case 'boolean':
      return typeof value === 'boolean';
    case 'object':
      return value !== null && typeof value === 'object' && !Array.isArray(value);
    case 'array':
      return Array.isArray(value);
  }
}

/** What is wrong with `value` for this declaration, or null when it fits. */
export function inputValueProblem(decl: Pick<InputDeclaration, 'type' | 'enum'>, value: unknown): string | null {
  if (!hasType(decl.type, value)) return `must be ${TYPE_WORDS[decl.type]}, got ${describeValue(value)}`;
  if (decl.enum && !decl.enum.includes(value as string | number)) {
    return `must be one of ${decl.enum.map((v) => JSON.stringify(v)).join(', ')}, got ${JSON.stringify(value)}`;
  }
  return null;
}

function invalid(workflow: string, field: string, problem: string, hint: string): HvkubeError {
  return new HvkubeError('INVALID_INPUT', `workflow ${workflow}: ${field} ${problem}`, {
    hint,
    details: { workflow, field },
  });
}

/**
 * Checks a submitted input against the declarations and fills in defaults. Unknown fields are
 * refused: a typo would otherwise be silently ignored.
 */
export function resolveInput(
  workflow: { name: string; inputs: Readonly<Record<string, InputDeclaration>> },
  raw: unknown,
): Record<string, unknown> {
  const declared = Object.keys(workflow.inputs);
  const takes = declared.length > 0 ? `it takes: ${declared.join(', ')}` : 'it takes no input';
  const given = raw === undefined || raw === null ? {} : raw;
  if (typeof given !== 'object' || Array.isArray(given)) {
    throw invalid(workflow.name, 'input', `must be a JSON object, got ${describeValue(given)}`, `e.g. --input '{"name": "value"}'; ${takes}`);
  }
  const entries = given as Record<string, unknown>;
  for (const key of Object.keys(entries)) {
    if (!Object.hasOwn(workflow.inputs, key)) {
      throw invalid(workflow.name, `input.${key}`, 'is not an input of this workflow', takes);
    }
  }
  const resolved: Record<string, unknown> = {};
  for (const [name, decl] of Object.entries(workflow.inputs)) {
    const value = entries[name];
    if (value === undefined) {
      if (Object.hasOwn(decl, 'default')) resolved[name] = structuredClone(decl.default);
      else if (decl.required) throw invalid(workflow.name, `input.${name}`, `is required (${TYPE_WORDS[decl.type]})`, `give it in the input; ${takes}`);
      continue;
    }
    const problem = inputValueProblem(decl, value);
    if (problem) throw invalid(workflow.name, `input.${name}`, problem, decl.description ?? takes);
    resolved[name] = value;
  }
  return resolved;
}
