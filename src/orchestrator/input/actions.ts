/**
 * hvkube's own action form (`format: "hvkube"`), which the Anthropic and OpenAI forms translate
 * into, and the checks every list goes through before any of it runs.
 *
 * Coordinates are in the agent's display space (its declared display size, or the real screen
 * when none is declared); the runner maps them to the screen.
 * @module
 */
import { z } from 'zod';
import { HvkubeError } from '../../domain/errors.js';
import { parseKeyChord } from '../../domain/keys.js';

export const ACTION_FORMATS = ['hvkube', 'anthropic', 'openai'] as const;
export type ActionFormat = (typeof ACTION_FORMATS)[number];

export const MAX_ACTIONS = 100;
/** The longest single wait or hold, and the most a list may wait in all. */
export const MAX_WAIT_MS = 60_000;
export const MAX_TOTAL_WAIT_MS = 300_000;
export const MAX_COORDINATE = 16_384;
export const MAX_TEXT = 10_000;

const coord = z.number().int().min(0).max(MAX_COORDINATE);
const button = z.enum(['left', 'right', 'middle']);
const keyName = z.string().min(1).max(40);
const modifiers = z.array(keyName).max(4);
const point = z.strictObject({ x: coord, y: coord });

/** Each hvkube action's fields; `action` names it. */
export const HVKUBE_ACTION_SCHEMAS = {
  move: z.strictObject({ action: z.literal('move'), x: coord, y: coord }),
  click: z.strictObject({
    action: z.literal('click'),
    x: coord.optional(),
    y: coord.optional(),
    button: button.optional(),
    /** 1, 2 (double) or 3 (triple). */
    count: z.union([z.literal(1), z.literal(2), z.literal(3)]).optional(),
    modifiers: modifiers.optional(),
  }),
  mouse_down: z.strictObject({ action: z.literal('mouse_down'), button: button.optional(), x: coord.optional(), y: coord.optional() }),
  mouse_up: z.strictObject({ action: z.literal('mouse_up'), button: button.optional(), x: coord.optional(), y: coord.optional() }),
  drag: z.strictObject({
    action: z.literal('drag'),
    path: z.array(point).min(2).max(100),
    button: button.optional(),
    /** Moves per segment of the path (default 10): intermediate positions so the guest sees a drag, not a jump. */
    steps: z.number().int().min(1).max(100).optional(),
    /** Pause after each move, in ms (default 10). */
    step_delay_ms: z.number().int().min(0).max(1000).optional(),
    modifiers: modifiers.optional(),
  }),
  type: z.strictObject({ action: z.literal('type'), text: z.string().max(MAX_TEXT) }),
  keys: z.strictObject({ action: z.literal('keys'), chords: z.array(z.string().min(1).max(60)).min(1).max(100) }),
  key_down: z.strictObject({ action: z.literal('key_down'), keys: z.array(keyName).min(1).max(8) }),
  key_up: z.strictObject({ action: z.literal('key_up'), keys: z.array(keyName).min(1).max(8) }),
  hold: z.strictObject({ action: z.literal('hold'), chord: z.string().min(1).max(60), duration_ms: z.number().int().min(0).max(MAX_WAIT_MS) }),
  scroll: z.strictObject({
    action: z.literal('scroll'),
    x: coord.optional(),
    y: coord.optional(),
    /** Wheel notches, positive down. */
    dy: z.number().int().min(-100).max(100).optional(),
    /** Wheel notches sideways, positive right (sent as Shift + wheel, which desktop applications read as sideways). */
    dx: z.number().int().min(-100).max(100).optional(),
    modifiers: modifiers.optional(),
  }),
  wait: z.strictObject({ action: z.literal('wait'), ms: z.number().int().min(0).max(MAX_WAIT_MS) }),
  screenshot: z.strictObject({ action: z.literal('screenshot') }),
  /** A region `[x0, y0, x1, y1]` of the screen at native resolution, scaled up to the display. */
  zoom: z.strictObject({ action: z.literal('zoom'), region: z.tuple([coord, coord, coord, coord]) }),
  cursor_position: z.strictObject({ action: z.literal('cursor_position') }),
} as const;

export type HvkubeActionName = keyof typeof HVKUBE_ACTION_SCHEMAS;
export type HvkubeAction = { [K in HvkubeActionName]: z.infer<(typeof HVKUBE_ACTION_SCHEMAS)[K]> }[HvkubeActionName];
export const HVKUBE_ACTION_NAMES = Object.keys(HVKUBE_ACTION_SCHEMAS) as HvkubeActionName[];

/** A refusal naming the action's index and the field at fault. */
export function invalidAction(index: number, field: string, message: string, hint?: string): HvkubeError {
  const where = field === '' ? `actions[${index}]` : `actions[${index}].${field}`;
  return new HvkubeError('INVALID_INPUT', `${where}: ${message}; nothing was run`, {
    hint: hint ?? 'fix that action and send the whole list again',
    details: { index, field: where },
  });
}

/** Parses one value with a zod schema; the first problem becomes `invalidAction`. */
export function parseWith<T>(schema: z.ZodType<T>, value: unknown, index: number): T {
  const result = schema.safeParse(value);
  if (result.success) return result.data;
  const issue = result.error.issues[0];
  const field = (issue?.path ?? []).map((p) => (typeof p === 'number' ? `[${p}]` : String(p))).join('.').replace(/\.\[/g, '[');
  let message = issue?.message ?? 'invalid';
  if (issue?.code === 'unrecognized_keys') message = `unknown field(s) ${issue.keys.map((k) => JSON.stringify(k)).join(', ')}`;
  return (() => {
    throw invalidAction(index, field, message);
  })();
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Reads the discriminating field of an action and checks it names a known action. */
export function actionName<N extends string>(value: unknown, index: number, field: string, known: readonly N[]): N {
  if (!isRecord(value)) throw invalidAction(index, '', 'each action must be a JSON object');
  const name = value[field];
  if (typeof name !== 'string') throw invalidAction(index, field, `missing; give one of ${known.join(', ')}`);
  if (!(known as readonly string[]).includes(name)) {
    throw invalidAction(index, field, `unknown action ${JSON.stringify(name.slice(0, 60))}; expected one of ${known.join(', ')}`);
  }
  return name as N;
}

function checkChord(chord: string, index: number, field: string): void {
  try {
    parseKeyChord(chord);
  } catch (e) {
    throw invalidAction(index, field, e instanceof Error ? e.message : String(e), e instanceof HvkubeError ? e.hint : undefined);
  }
}

/** Validates one hvkube action (shape, then key names). */
export function parseHvkubeAction(value: unknown, index: number): HvkubeAction {
  const name = actionName(value, index, 'action', HVKUBE_ACTION_NAMES);
  const action = parseWith(HVKUBE_ACTION_SCHEMAS[name] as z.ZodType<HvkubeAction>, value, index);
  switch (action.action) {
    case 'keys':
      action.chords.forEach((c, i) => checkChord(c, index, `chords[${i}]`));
      break;
    case 'key_down':
    case 'key_up':
      action.keys.forEach((k, i) => checkChord(k, index, `keys[${i}]`));
      break;
    case 'hold':
      checkChord(action.chord, index, 'chord');
      break;
    case 'click':
    case 'drag':
    case 'scroll':
      (action.modifiers ?? []).forEach((k, i) => checkChord(k, index, `modifiers[${i}]`));
      break;
    default:
      break;
  }
  if ((action.action === 'click' || action.action === 'scroll' || action.action === 'mouse_down' || action.action === 'mouse_up') && (action.x === undefined) !== (action.y === undefined)) {
    throw invalidAction(index, action.x === undefined ? 'x' : 'y', 'give both x and y, or neither (to act where the pointer is)');
  }
  if (action.action === 'zoom' && (action.region[2] <= action.region[0] || action.region[3] <= action.region[1])) {
    throw invalidAction(index, 'region', 'must be [x0, y0, x1, y1] with x1 > x0 and y1 > y0');
  }
  return action;
}
