/**
 * Parameter binding as PowerShell does it for our scripts: the stand-in reads the real `.ps1`
 * file's `param()` block and binds the splatted values with the binder's rules and errors
 * (unknown name, missing mandatory, empty string, ValidateSet, type conversion). A mismatch
 * between the TypeScript side and a script fails here just as it would on a host.
 * @module
 */
import { readFileSync } from 'node:fs';
import { binderError } from './ps-errors.js';

export interface ParamSpec {
  name: string;
  type: string;
  mandatory: boolean;
  allowEmpty: boolean;
  validateSet: string[] | null;
  validateRange: [number, number] | null;
}

/** The `param(...)` block at the top of a script, one parameter per line (our house style). */
export function readParamSpecs(scriptText: string): ParamSpec[] {
  const start = scriptText.search(/^param\(/m);
  if (start < 0) return [];
  let depth = 0;
  let end = start;
  for (let i = start; i < scriptText.length; i++) {
    const c = scriptText[i];
    if (c === '(') depth++;
    if (c === ')' && --depth === 0) {
      end = i;
      break;
    }
  }
  const specs: ParamSpec[] = [];
  for (const line of scriptText.slice(start + 'param('.length, end).split('\n')) {
    const m = /\[([\w.]+(?:\[\])?)\]\s*\$(\w+)/.exec(line.replace(/\[(Parameter|ValidateSet|ValidateRange|AllowEmptyString)\([^)]*\)\]/g, ''));
    if (!m?.[1] || !m[2]) continue;
    const set = /ValidateSet\(([^)]*)\)/.exec(line);
    const range = /ValidateRange\((-?\d+),\s*(-?\d+)\)/.exec(line);
    specs.push({
      name: m[2],
      type: m[1].toLowerCase(),
      mandatory: /Mandatory\s*=\s*\$true/.test(line),
      allowEmpty: /AllowEmptyString/.test(line),
      validateSet: set?.[1] ? [...set[1].matchAll(/'([^']*)'/g)].map((x) => x[1] ?? '') : null,
      validateRange: range ? [Number(range[1]), Number(range[2])] : null,
    });
  }
  return specs;
}

const cache = new Map<string, ParamSpec[]>();

export function paramSpecsOf(scriptPath: string): ParamSpec[] {
  let specs = cache.get(scriptPath);
  if (!specs) {
    specs = readParamSpecs(readFileSync(scriptPath, 'utf8'));
    cache.set(scriptPath, specs);
  }
  return specs;
}

export type Bound = Record<string, string | number | boolean | string[] | number[]>;

function convert(spec: ParamSpec, value: unknown, script: string): string | number | boolean | string[] | number[] {
  const fail = (): never => {
    throw binderError(
      `Cannot process argument transformation on parameter '${spec.name}'. Cannot convert value "${String(value)}" to type "System.${spec.type}".`,
      'InvalidData',
      `ParameterArgumentTransformationError`,
      script,
    );
  };
  switch (spec.type) {
    case 'string':
      if (Array.isArray(value)) return value.map(String).join(' ');
      return typeof value === 'string' ? value : String(value);
    case 'string[]':
      return Array.isArray(value) ? value.map(String) : [String(value)];
    case 'int':
    case 'int64':
    case 'uint32': {
      const n = typeof value === 'number' ? value : typeof value === 'string' && /^-?\d+$/.test(value.trim()) ? Number(value) : NaN;
      return Number.isFinite(n) ? Math.round(n) : fail();
    }
    case 'bool':
      // The binder takes booleans and numbers for [bool], not strings.
      if (typeof value === 'boolean') return value;
      if (typeof value === 'number') return value !== 0;
      return fail();
    default:
      return value as string;
  }
}

export function bindParams(scriptPath: string, scriptName: string, params: Record<string, unknown>): Bound {
  const specs = paramSpecsOf(scriptPath);
  const script = `${scriptName}.ps1`;
  const bound: Bound = {};
  for (const [key, value] of Object.entries(params)) {
    const spec = specs.find((s) => s.name.toLowerCase() === key.toLowerCase());
    if (!spec) {
      throw binderError(`A parameter cannot be found that matches parameter name '${key}'.`, 'InvalidArgument', 'NamedParameterNotFound', script);
    }
    const v = convert(spec, value, script);
    if (spec.mandatory && v === '' && !spec.allowEmpty) {
      throw binderError(`Cannot bind argument to parameter '${spec.name}' because it is an empty string.`, 'InvalidData', 'ParameterArgumentValidationErrorEmptyStringNotAllowed', script);
    }
    if (spec.validateSet && !spec.validateSet.some((s) => s.toLowerCase() === String(v).toLowerCase())) {
      throw binderError(
        `Cannot validate argument on parameter '${spec.name}'. The argument "${String(v)}" does not belong to the set "${spec.validateSet.join(',')}" specified by the ValidateSet attribute. Supply an argument that is in the set and then try the command again.`,
        'InvalidData',
        'ParameterArgumentValidationError',
        script,
      );
    }
    if (spec.validateRange && typeof v === 'number' && (v < spec.validateRange[0] || v > spec.validateRange[1])) {
      throw binderError(`Cannot validate argument on parameter '${spec.name}'. The ${v} argument is outside the range.`, 'InvalidData', 'ParameterArgumentValidationError', script);
    }
    bound[spec.name] = v;
  }
  const missing = specs.filter((s) => s.mandatory && !(s.name in bound)).map((s) => s.name);
  if (missing.length > 0) {
    throw binderError(`Cannot process command because of one or more missing mandatory parameters: ${missing.join(' ')}.`, 'InvalidArgument', 'MissingMandatoryParameter', script);
  }
  return bound;
}

