/**
 * The `steps` executor's actions as they appear in a workflow file. A step is an object with
 * exactly one action key (`- type_text: "hi"`); the schema turns it into a tagged `Step`.
 * @module
 */
import { z } from 'zod';
import { parseKeyChord } from '../../domain/keys.js';
import { errorMessage } from '../../_util/logger.js';

export type Step =
  | { kind: 'type_text'; text: string }
  | { kind: 'press_keys'; keys: string[] }
  | { kind: 'click'; x: number; y: number; button: 'left' | 'right' | 'middle'; double: boolean }
  | { kind: 'move_mouse'; x: number; y: number }
  | { kind: 'wait'; seconds: number }
  | { kind: 'wait_for_change'; timeoutS: number; intervalMs: number; minPixels: number }
  | { kind: 'wait_until_stable'; stableForS: number; timeoutS: number; intervalMs: number; minPixels: number }
  | { kind: 'screenshot'; label: string | null };

export type StepKind = Step['kind'];

const coordinate = z.number().int('must be a whole number of pixels').min(0).max(16384);
const seconds = (max: number): z.ZodNumber => z.number().positive('must be more than 0 seconds').max(max, `must be at most ${max} seconds`);
const intervalMs = z.number().int().min(20).max(10_000);
/** Default of `min_pixels`: more than a text cursor (8×16) blinking, less than a typed word. */
export const DEFAULT_MIN_PIXELS = 150;
const minPixels = z.number().int().min(1).max(100_000_000);

const keyList = z
  .union([z.string(), z.array(z.string()).min(1).max(100)], { error: 'must be a key chord ("ctrl+l") or a list of them' })
  .transform((v) => (typeof v === 'string' ? [v] : v))
  .superRefine((keys, ctx) => {
    keys.forEach((chord, i) => {
      try {
        parseKeyChord(chord);
      } catch (e) {
        ctx.addIssue({ code: 'custom', message: errorMessage(e), path: [i] });
      }
    });
  });

const ACTIONS = {
  type_text: z.string().max(10_000, 'must be at most 10000 characters'),
  press_keys: keyList,
  click: z.strictObject({
    x: coordinate,
    y: coordinate,
    button: z.enum(['left', 'right', 'middle']).default('left'),
    double: z.boolean().default(false),
  }),
  move_mouse: z.strictObject({ x: coordinate, y: coordinate }),
  wait: seconds(3600),
  wait_for_change: z.union([
    z.literal(true).transform(() => ({ timeout: 30, interval_ms: 250, min_pixels: DEFAULT_MIN_PIXELS })),
    z.strictObject({ timeout: seconds(3600).default(30), interval_ms: intervalMs.default(250), min_pixels: minPixels.default(DEFAULT_MIN_PIXELS) }),
  ]),
  wait_until_stable: z.union([
    z.literal(true).transform(() => ({ stable_for: 1, timeout: 30, interval_ms: 250, min_pixels: DEFAULT_MIN_PIXELS })),
    z.strictObject({
      stable_for: seconds(600).default(1),
      timeout: seconds(3600).default(30),
      interval_ms: intervalMs.default(250),
      min_pixels: minPixels.default(DEFAULT_MIN_PIXELS),
    }),
  ]),
  screenshot: z.union([
    z.literal(true).transform(() => ({ label: undefined })),
    z.strictObject({ label: z.string().max(200).optional() }),
  ]),
} as const;

export const STEP_ACTIONS = Object.keys(ACTIONS) as (keyof typeof ACTIONS)[];

type Parsed = { [K in keyof typeof ACTIONS]?: z.output<(typeof ACTIONS)[K]> };

function toStep(parsed: Parsed): Step | null {
  if (parsed.type_text !== undefined) return { kind: 'type_text', text: parsed.type_text };
  if (parsed.press_keys !== undefined) return { kind: 'press_keys', keys: parsed.press_keys };
  if (parsed.click !== undefined) return { kind: 'click', ...parsed.click };
  if (parsed.move_mouse !== undefined) return { kind: 'move_mouse', ...parsed.move_mouse };
  if (parsed.wait !== undefined) return { kind: 'wait', seconds: parsed.wait };
  if (parsed.wait_for_change !== undefined) {
    const w = parsed.wait_for_change;
    return { kind: 'wait_for_change', timeoutS: w.timeout, intervalMs: w.interval_ms, minPixels: w.min_pixels };
  }
  if (parsed.wait_until_stable !== undefined) {
    const w = parsed.wait_until_stable;
    return { kind: 'wait_until_stable', stableForS: w.stable_for, timeoutS: w.timeout, intervalMs: w.interval_ms, minPixels: w.min_pixels };
  }
  if (parsed.screenshot !== undefined) return { kind: 'screenshot', label: parsed.screenshot.label ?? null };
  return null;
}

const oneOf = `a step is one of ${STEP_ACTIONS.join(', ')}`;

function isAction(key: string): key is keyof typeof ACTIONS {
  return Object.hasOwn(ACTIONS, key);
}

/**
 * Checked by hand rather than as a strict object, so that a misspelt action gives one message
 * ("unknown key") instead of a cascade.
 */
export const stepSchema = z.unknown().transform((raw, ctx): Step => {
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) {
    ctx.addIssue({ code: 'custom', message: `must be a mapping such as {type_text: "hi"}; ${oneOf}` });
    return z.NEVER;
  }
  const keys = Object.keys(raw);
  const unknown = keys.filter((k) => !isAction(k));
  if (unknown.length > 0) {
    ctx.addIssue({ code: 'custom', message: `unknown key ${unknown.map((k) => JSON.stringify(k)).join(', ')}; ${oneOf}` });
    return z.NEVER;
  }
  const action = keys[0];
  if (keys.length !== 1 || action === undefined || !isAction(action)) {
    ctx.addIssue({ code: 'custom', message: keys.length === 0 ? `is empty; ${oneOf}` : `has ${keys.join(' and ')}; give one action per step` });
    return z.NEVER;
  }
  const parsed = ACTIONS[action].safeParse((raw as Record<string, unknown>)[action], {
    error: (issue) => (issue.code === 'invalid_type' && issue.input === undefined ? 'is required' : undefined),
  });
  if (!parsed.success) {
    for (const issue of parsed.error.issues) ctx.addIssue({ code: 'custom', message: issue.message, path: [action, ...issue.path] });
    return z.NEVER;
  }
  const step = toStep({ [action]: parsed.data });
  if (!step) {
    ctx.addIssue({ code: 'custom', message: oneOf });
    return z.NEVER;
  }
  return step;
});
