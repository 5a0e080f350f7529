/**
 * Anthropic's computer tool (`computer_20250124`, and `zoom` from `computer_20251124`): each
 * action exactly as the model emits it in a `tool_use` block's `input`, translated into hvkube
 * actions. Key names are xdotool keysyms (keymap.ts).
 *
 * Fields: `action`; `coordinate` and `start_coordinate` as `[x, y]`; `text` (the text to type, the
 * key chord of `key` / `hold_key`, or the modifier keys held during a click or scroll);
 * `duration` in seconds (`hold_key`, `wait`); `scroll_direction` and `scroll_amount`; `region`
 * as `[x0, y0, x1, y1]` (`zoom`).
 * @module
 */
import { z } from 'zod';
import { actionName, invalidAction, MAX_COORDINATE, MAX_TEXT, MAX_WAIT_MS, parseWith, type HvkubeAction } from './actions.js';
import { chordKeys, xdotoolChord, xdotoolChords } from './keymap.js';

export const ANTHROPIC_ACTIONS = [
  'key', 'hold_key', 'type', 'cursor_position', 'mouse_move', 'left_mouse_down', 'left_mouse_up', 'left_click',
  'left_click_drag', 'right_click', 'middle_click', 'double_click', 'triple_click', 'scroll', 'wait', 'screenshot', 'zoom',
] as const;
export type AnthropicActionName = (typeof ANTHROPIC_ACTIONS)[number];

const coord = z.number().int().min(0).max(MAX_COORDINATE);
const pair = z.tuple([coord, coord]);

/** The tool's input schema (unknown extra fields are ignored, as the tool's own implementations do). */
export const anthropicActionSchema = z.object({
  action: z.enum(ANTHROPIC_ACTIONS),
  coordinate: pair.optional(),
  start_coordinate: pair.optional(),
  text: z.string().max(MAX_TEXT).optional(),
  duration: z.number().min(0).max(MAX_WAIT_MS / 1000).optional(),
  scroll_direction: z.enum(['up', 'down', 'left', 'right']).optional(),
  scroll_amount: z.number().int().min(0).max(100).optional(),
  region: z.tuple([coord, coord, coord, coord]).optional(),
});
export type AnthropicAction = z.infer<typeof anthropicActionSchema>;

function required<T>(value: T | undefined, index: number, field: string, action: string): T {
  if (value === undefined) throw invalidAction(index, field, `is required for ${action}`);
  return value;
}

/** Modifier keys named in `text` of a click or scroll (`shift`, `ctrl+alt`). */
function modifiersOf(text: string | undefined, index: number): string[] | undefined {
  if (text === undefined || text.trim() === '') return undefined;
  try {
    return chordKeys(xdotoolChord(text, `actions[${index}].text`));
  } catch (e) {
    throw invalidAction(index, 'text', e instanceof Error ? e.message : String(e));
  }
}

function keysOf(text: string, index: number): string[] {
  try {
    return xdotoolChords(text, `actions[${index}].text`);
  } catch (e) {
    throw invalidAction(index, 'text', e instanceof Error ? e.message : String(e), 'use xdotool names such as Return, ctrl+s, Page_Down, F5');
  }
}

function at(a: AnthropicAction): { x?: number; y?: number } {
  return a.coordinate ? { x: a.coordinate[0], y: a.coordinate[1] } : {};
}

/** One Anthropic action as hvkube actions (most are one; none is more than two). */
export function translateAnthropic(value: unknown, index: number): HvkubeAction[] {
  const name = actionName(value, index, 'action', ANTHROPIC_ACTIONS);
  const a = parseWith(anthropicActionSchema, value, index);
  switch (name) {
    case 'key':
      return [{ action: 'keys', chords: keysOf(required(a.text, index, 'text', name), index) }];
    case 'hold_key': {
      const chords = keysOf(required(a.text, index, 'text', name), index);
      if (chords.length !== 1) throw invalidAction(index, 'text', 'hold_key holds one chord (keys joined with "+")');
      const duration = required(a.duration, index, 'duration', name);
      return [{ action: 'hold', chord: chords[0] ?? '', duration_ms: Math.round(duration * 1000) }];
    }
    case 'type':
      return [{ action: 'type', text: required(a.text, index, 'text', name) }];
    case 'cursor_position':
      return [{ action: 'cursor_position' }];
    case 'mouse_move': {
      const [x, y] = required(a.coordinate, index, 'coordinate', name);
      return [{ action: 'move', x, y }];
    }
    case 'left_mouse_down':
      return [{ action: 'mouse_down', button: 'left', ...at(a) }];
    case 'left_mouse_up':
      return [{ action: 'mouse_up', button: 'left', ...at(a) }];
    case 'left_click':
    case 'right_click':
    case 'middle_click':
    case 'double_click':
    case 'triple_click': {
      const button = name === 'right_click' ? 'right' : name === 'middle_click' ? 'middle' : 'left';
      const count = name === 'double_click' ? 2 : name === 'triple_click' ? 3 : 1;
      const mods = modifiersOf(a.text, index);
      return [{ action: 'click', button, count, ...at(a), ...(mods ? { modifiers: mods } : {}) }];
    }
    case 'left_click_drag': {
      const [x0, y0] = required(a.start_coordinate, index, 'start_coordinate', name);
      const [x1, y1] = required(a.coordinate, index, 'coordinate', name);
      const mods = modifiersOf(a.text, index);
      return [{ action: 'drag', path: [{ x: x0, y: y0 }, { x: x1, y: y1 }], button: 'left', ...(mods ? { modifiers: mods } : {}) }];
    }
    case 'scroll': {
      const direction = required(a.scroll_direction, index, 'scroll_direction', name);
      const amount = a.scroll_amount ?? 1;
      const sign = direction === 'up' || direction === 'left' ? -1 : 1;
      const mods = modifiersOf(a.text, index);
      const delta = direction === 'up' || direction === 'down' ? { dy: sign * amount } : { dx: sign * amount };
      return [{ action: 'scroll', ...at(a), ...delta, ...(mods ? { modifiers: mods } : {}) }];
    }
    case 'wait':
      return [{ action: 'wait', ms: Math.round((a.duration ?? 1) * 1000) }];
    case 'screenshot':
      return [{ action: 'screenshot' }];
    case 'zoom': {
      const region = required(a.region, index, 'region', name);
      if (region[2] <= region[0] || region[3] <= region[1]) throw invalidAction(index, 'region', 'must be [x0, y0, x1, y1] with x1 > x0 and y1 > y0');
      return [{ action: 'zoom', region }];
    }
  }
}
