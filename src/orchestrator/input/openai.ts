/**
 * OpenAI's computer use: each `computer_call` action exactly as the model emits it (`type`
 * names it), translated into hvkube actions.
 *
 * `click` {button, x, y}, `double_click` {x, y}, `drag` {path: [{x, y}, …]}, `keypress` {keys},
 * `move` {x, y}, `scroll` {x, y, scroll_x, scroll_y}, `type` {text}, `wait`, `screenshot`.
 * Scroll amounts are pixels; hvkube turns them into wheel notches of 100 pixels (at least one).
 * `wait` has no duration in the tool; hvkube waits 2 s, or `ms` when given.
 * @module
 */
import { z } from 'zod';
import { actionName, invalidAction, MAX_COORDINATE, MAX_TEXT, MAX_WAIT_MS, parseWith, type HvkubeAction } from './actions.js';
import { chordKeys, openaiChord } from './keymap.js';

export const OPENAI_ACTIONS = ['click', 'double_click', 'drag', 'keypress', 'move', 'scroll', 'type', 'wait', 'screenshot'] as const;
export type OpenaiActionName = (typeof OPENAI_ACTIONS)[number];

/** Pixels per wheel notch when turning an OpenAI scroll into wheel turns. */
export const PIXELS_PER_NOTCH = 100;
export const OPENAI_WAIT_MS = 2000;

const coord = z.number().int().min(0).max(MAX_COORDINATE);
const keys = z.array(z.string().min(1).max(40)).max(8);
const pixels = z.number().int().min(-100 * PIXELS_PER_NOTCH).max(100 * PIXELS_PER_NOTCH);

const schemas = {
  click: z.object({ type: z.literal('click'), button: z.enum(['left', 'right', 'wheel', 'back', 'forward']).optional(), x: coord, y: coord, keys: keys.optional() }),
  double_click: z.object({ type: z.literal('double_click'), x: coord, y: coord, keys: keys.optional() }),
  drag: z.object({ type: z.literal('drag'), path: z.array(z.object({ x: coord, y: coord })).min(2).max(100), keys: keys.optional() }),
  keypress: z.object({ type: z.literal('keypress'), keys: keys.min(1) }),
  move: z.object({ type: z.literal('move'), x: coord, y: coord, keys: keys.optional() }),
  scroll: z.object({ type: z.literal('scroll'), x: coord, y: coord, scroll_x: pixels, scroll_y: pixels, keys: keys.optional() }),
  type: z.object({ type: z.literal('type'), text: z.string().max(MAX_TEXT) }),
  wait: z.object({ type: z.literal('wait'), ms: z.number().int().min(0).max(MAX_WAIT_MS).optional() }),
  screenshot: z.object({ type: z.literal('screenshot') }),
} as const;

function notches(pixelsMoved: number): number {
  if (pixelsMoved === 0) return 0;
  return Math.sign(pixelsMoved) * Math.max(1, Math.round(Math.abs(pixelsMoved) / PIXELS_PER_NOTCH));
}

function modifiersOf(list: readonly string[] | undefined, index: number): { modifiers?: string[] } {
  if (!list || list.length === 0) return {};
  try {
    return { modifiers: chordKeys(openaiChord(list, `actions[${index}].keys`)) };
  } catch (e) {
    throw invalidAction(index, 'keys', e instanceof Error ? e.message : String(e));
  }
}

/** One OpenAI action as hvkube actions. */
export function translateOpenai(value: unknown, index: number): HvkubeAction[] {
  const name = actionName(value, index, 'type', OPENAI_ACTIONS);
  switch (name) {
    case 'click': {
      const a = parseWith(schemas.click, value, index);
      const b = a.button ?? 'left';
      if (b === 'back' || b === 'forward') {
        throw invalidAction(index, 'button', `the ${b} mouse button is not on hvkube's virtual mouse`, `press keys instead: ${b === 'back' ? 'ALT+ARROWLEFT' : 'ALT+ARROWRIGHT'}`);
      }
      return [{ action: 'click', x: a.x, y: a.y, button: b === 'wheel' ? 'middle' : b, count: 1, ...modifiersOf(a.keys, index) }];
    }
    case 'double_click': {
      const a = parseWith(schemas.double_click, value, index);
      return [{ action: 'click', x: a.x, y: a.y, button: 'left', count: 2, ...modifiersOf(a.keys, index) }];
    }
    case 'drag': {
      const a = parseWith(schemas.drag, value, index);
      return [{ action: 'drag', path: a.path.map((p) => ({ x: p.x, y: p.y })), button: 'left', ...modifiersOf(a.keys, index) }];
    }
    case 'keypress': {
      const a = parseWith(schemas.keypress, value, index);
      try {
        return [{ action: 'keys', chords: [openaiChord(a.keys, `actions[${index}].keys`)] }];
      } catch (e) {
        throw invalidAction(index, 'keys', e instanceof Error ? e.message : String(e), 'use names such as ENTER, CTRL, ARROWLEFT, A-Z');
      }
    }
    case 'move': {
      const a = parseWith(schemas.move, value, index);
      if (a.keys && a.keys.length > 0) {
        const held = modifiersOf(a.keys, index).modifiers ?? [];
        return [{ action: 'key_down', keys: held }, { action: 'move', x: a.x, y: a.y }, { action: 'key_up', keys: [...held].reverse() }];
      }
      return [{ action: 'move', x: a.x, y: a.y }];
    }
    case 'scroll': {
      const a = parseWith(schemas.scroll, value, index);
      return [{ action: 'scroll', x: a.x, y: a.y, dx: notches(a.scroll_x), dy: notches(a.scroll_y), ...modifiersOf(a.keys, index) }];
    }
    case 'type':
      return [{ action: 'type', text: parseWith(schemas.type, value, index).text }];
    case 'wait':
      return [{ action: 'wait', ms: parseWith(schemas.wait, value, index).ms ?? OPENAI_WAIT_MS }];
    case 'screenshot':
      parseWith(schemas.screenshot, value, index);
      return [{ action: 'screenshot' }];
  }
}
