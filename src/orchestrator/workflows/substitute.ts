/**
 * `{{input.NAME}}` placeholders in a workflow's data fields (text to type, MCP arguments).
 * Substitution only ever produces data: it is never applied to a command line or a script.
 * @module
 */

/** Spaces inside the braces are allowed: `{{ input.who }}`. */
const PLACEHOLDER = /\{\{\s*input\.([A-Za-z_][A-Za-z0-9_]*)\s*\}\}/g;
const WHOLE_PLACEHOLDER = /^\{\{\s*input\.([A-Za-z_][A-Za-z0-9_]*)\s*\}\}$/;

/** The input names a text refers to, in order of appearance (repeats kept once). */
export function placeholderNames(text: string): string[] {
  const names = new Set<string>();
  for (const m of text.matchAll(PLACEHOLDER)) if (m[1] !== undefined) names.add(m[1]);
  return [...names];
}

/** Only the input's own fields: `{{input.__proto__}}` must not reach Object.prototype. */
function own(input: Readonly<Record<string, unknown>>, name: string): unknown {
  return Object.hasOwn(input, name) ? input[name] : undefined;
}

function asText(value: unknown): string {
  if (value === undefined || value === null) return '';
  if (typeof value === 'string') return value;
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  return JSON.stringify(value);
}

/** Replaces every placeholder with the input's value as text (objects as JSON, absent as ""). */
export function substituteText(text: string, input: Readonly<Record<string, unknown>>): string {
  return text.replace(PLACEHOLDER, (_m, name: string) => asText(own(input, name)));
}

/**
 * Substitutes inside a JSON-like value. A string that is exactly one placeholder becomes the
 * input's value with its type (a number stays a number); other strings get text substitution.
 */
export function substituteValue(value: unknown, input: Readonly<Record<string, unknown>>): unknown {
  if (typeof value === 'string') {
    const whole = WHOLE_PLACEHOLDER.exec(value);
    if (whole?.[1] !== undefined) return own(input, whole[1]) ?? null;
    return substituteText(value, input);
  }
  if (Array.isArray(value)) return value.map((v) => substituteValue(v, input));
  if (value !== null && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, substituteValue(v, input)]));
  }
  return value;
}

/** Every string inside a JSON-like value, with its dot path, for checking placeholders on load. */
export function stringsWithin(value: unknown, path: (string | number)[] = []): { path: (string | number)[]; text: string }[] {
  if (typeof value === 'string') return [{ path, text: value }];
  if (Array.isArray(value)) return value.flatMap((v, i) => stringsWithin(v, [...path, i]));
  if (value !== null && typeof value === 'object') {
    return Object.entries(value).flatMap(([k, v]) => stringsWithin(v, [...path, k]));
  }
  return [];
}
