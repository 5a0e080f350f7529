/**
 * Runs a list of actions in one of the dialects (hvkube, Anthropic, OpenAI) and answers what the
 * agent's tool expects back. Every action is checked and compiled (coordinates mapped from the
 * agent's display to the screen, keys named, waits bounded) before the first one runs: a list with
 * one bad action runs none.
 * @module
 */
import { HvkubeError } from '../../domain/errors.js';
import { chordKeys } from './keymap.js';
import {
  invalidAction,
  MAX_ACTIONS,
  MAX_TOTAL_WAIT_MS,
  parseHvkubeAction,
  type ActionFormat,
  type HvkubeAction,
} from './actions.js';
import { translateAnthropic } from './anthropic.js';
import { translateOpenai } from './openai.js';
import { cropPng, fitInside, pngSize, resizePng, type Size } from './screen-image.js';
import type { InputStep } from './steps.js';

export interface Point {
  x: number;
  y: number;
}

export interface ActionsRequest {
  format: ActionFormat;
  actions: unknown[];
  /** Take a screenshot after the last action (OpenAI's form always does). */
  screenshot?: boolean;
  /** The display size the agent sees; default the lease's, else the real screen. */
  display?: Size | null;
  /** The tool call's id (Anthropic `tool_use.id`, OpenAI `computer_call.call_id`), echoed in `reply`. */
  call_id?: string;
}

export interface ActionImage {
  media_type: 'image/png';
  data: string;
  width: number;
  height: number;
}

export interface ActionResult {
  index: number;
  action: string;
  ok: true;
  /** `cursor_position`: where the pointer is, in the agent's display space (null: not known, hvkube has not moved it yet). */
  cursor?: Point | null;
  /** `screenshot` / `zoom`: the image's size (the image itself is `screenshot` of the answer when last). */
  image?: { width: number; height: number };
}

export interface ActionsResponse {
  results: ActionResult[];
  /** Where the pointer is after the last action (display space); null until hvkube has moved it. */
  cursor: Point | null;
  screenshot?: ActionImage;
  /** The display space coordinates were read in. */
  display: Size;
  /** The block to hand back to the model as it is: Anthropic `tool_result`, OpenAI `computer_call_output`. */
  reply?: Record<string, unknown>;
}

/** What running actions needs from the VM (the orchestrator provides it, local or forwarded). */
export interface ActionDriver {
  screenSize(): Promise<Size>;
  /** Where the pointer is in screen pixels, when known. */
  cursor(): Promise<Point | null>;
  setCursor(p: Point): void;
  input(steps: InputStep[]): Promise<void>;
  /** The one screenshot path (scaled to `width` when given). */
  screenshot(width?: number): Promise<Buffer>;
  canScroll: boolean;
}

/** Translates the body's actions to hvkube actions, one list per original action. */
export function translateActions(format: ActionFormat, actions: readonly unknown[]): HvkubeAction[][] {
  if (!Array.isArray(actions) || actions.length === 0 || actions.length > MAX_ACTIONS) {
    throw new HvkubeError('INVALID_INPUT', `actions must be a list of 1 to ${MAX_ACTIONS} actions; nothing was run`, {
      hint: 'send the tool call\'s input (Anthropic) or action (OpenAI) objects in "actions"',
    });
  }
  return actions.map((a, i) =>
    format === 'anthropic' ? translateAnthropic(a, i) : format === 'openai' ? translateOpenai(a, i) : [parseHvkubeAction(a, i)],
  );
}

type Planned =
  | { kind: 'input'; steps: InputStep[] }
  | { kind: 'screenshot' }
  | { kind: 'zoom'; region: [number, number, number, number] }
  | { kind: 'cursor' };

const DRAG_STEPS = 10;
const DRAG_STEP_DELAY_MS = 10;

class Space {
  constructor(
    readonly screen: Size,
    readonly display: Size,
  ) {}

  toScreen(x: number, y: number, index: number, field: string): Point {
    if (x >= this.display.width || y >= this.display.height) {
      throw invalidAction(index, field, `(${x}, ${y}) is outside the ${this.display.width}x${this.display.height} display`);
    }
    const sx = Math.round((x * this.screen.width) / this.display.width);
    const sy = Math.round((y * this.screen.height) / this.display.height);
    return { x: Math.min(this.screen.width - 1, sx), y: Math.min(this.screen.height - 1, sy) };
  }

  toDisplay(p: Point): Point {
    return {
      x: Math.min(this.display.width - 1, Math.round((p.x * this.display.width) / this.screen.width)),
      y: Math.min(this.display.height - 1, Math.round((p.y * this.display.height) / this.screen.height)),
    };
  }
}

interface PlanState {
  cursor: Point | null;
  waitMs: number;
}

function withModifiers(modifiers: readonly string[] | undefined, steps: InputStep[]): InputStep[] {
  if (!modifiers || modifiers.length === 0) return steps;
  return [{ kind: 'key', keys: [...modifiers], down: true }, ...steps, { kind: 'key', keys: [...modifiers].reverse(), down: false }];
}

function pointerAt(action: { x?: number; y?: number }, space: Space, state: PlanState, index: number): Point {
  if (action.x !== undefined && action.y !== undefined) return space.toScreen(action.x, action.y, index, 'coordinate');
  if (state.cursor === null) throw invalidAction(index, 'coordinate', 'the pointer position is not known yet; give a coordinate');
  return state.cursor;
}

function addWait(state: PlanState, ms: number, index: number): void {
  state.waitMs += ms;
  if (state.waitMs > MAX_TOTAL_WAIT_MS) throw invalidAction(index, '', `the list waits more than ${MAX_TOTAL_WAIT_MS / 1000} s in all; split it`);
}

function plan(action: HvkubeAction, space: Space, state: PlanState, index: number, canScroll: boolean): Planned {
  const input = (steps: InputStep[]): Planned => ({ kind: 'input', steps });
  switch (action.action) {
    case 'move': {
      const p = space.toScreen(action.x, action.y, index, 'coordinate');
      state.cursor = p;
      return input([{ kind: 'move', ...p }]);
    }
    case 'click': {
      const p = pointerAt(action, space, state, index);
      state.cursor = p;
      return input(withModifiers(action.modifiers, [{ kind: 'click', ...p, button: action.button ?? 'left', count: action.count ?? 1 }]));
    }
    case 'mouse_down':
    case 'mouse_up': {
      const steps: InputStep[] = [];
      if (action.x !== undefined && action.y !== undefined) {
        const p = space.toScreen(action.x, action.y, index, 'coordinate');
        state.cursor = p;
        steps.push({ kind: 'move', ...p });
      }
      steps.push({ kind: 'button', button: action.button ?? 'left', down: action.action === 'mouse_down' });
      return input(steps);
    }
    case 'drag': {
      const points = action.path.map((p, i) => space.toScreen(p.x, p.y, index, `path[${i}]`));
      const perSegment = action.steps ?? DRAG_STEPS;
      const delay = action.step_delay_ms ?? DRAG_STEP_DELAY_MS;
      const button = action.button ?? 'left';
      const first = points[0] as Point;
      const steps: InputStep[] = [{ kind: 'move', ...first }, { kind: 'button', button, down: true }];
      for (let i = 1; i < points.length; i++) {
        const from = points[i - 1] as Point;
        const to = points[i] as Point;
        for (let s = 1; s <= perSegment; s++) {
          steps.push({ kind: 'move', x: Math.round(from.x + ((to.x - from.x) * s) / perSegment), y: Math.round(from.y + ((to.y - from.y) * s) / perSegment) });
          if (delay > 0) steps.push({ kind: 'wait', ms: delay });
        }
      }
      steps.push({ kind: 'button', button, down: false });
      addWait(state, delay * perSegment * (points.length - 1), index);
      state.cursor = points[points.length - 1] as Point;
      return input(withModifiers(action.modifiers, steps));
    }
    case 'type':
      return input(action.text === '' ? [] : [{ kind: 'type', text: action.text }]);
    case 'keys':
      return input([{ kind: 'keys', chords: action.chords }]);
    case 'key_down':
    case 'key_up':
      return input([{ kind: 'key', keys: action.keys.flatMap(chordKeys), down: action.action === 'key_down' }]);
    case 'hold': {
      addWait(state, action.duration_ms, index);
      const keys = chordKeys(action.chord);
      return input([{ kind: 'key', keys, down: true }, { kind: 'wait', ms: action.duration_ms }, { kind: 'key', keys: [...keys].reverse(), down: false }]);
    }
    case 'scroll': {
      if (!canScroll) throw invalidAction(index, '', 'this backend cannot scroll', 'use keys such as Page_Down instead');
      const steps: InputStep[] = [];
      if (action.x !== undefined && action.y !== undefined) {
        const p = space.toScreen(action.x, action.y, index, 'coordinate');
        state.cursor = p;
        steps.push({ kind: 'move', ...p });
      }
      if (action.dy) steps.push({ kind: 'scroll', delta: action.dy });
      if (action.dx) steps.push({ kind: 'key', keys: ['shift'], down: true }, { kind: 'scroll', delta: action.dx }, { kind: 'key', keys: ['shift'], down: false });
      return input(withModifiers(action.modifiers, steps));
    }
    case 'wait':
      addWait(state, action.ms, index);
      return input([{ kind: 'wait', ms: action.ms }]);
    case 'screenshot':
      return { kind: 'screenshot' };
    case 'zoom': {
      const [x0, y0, x1, y1] = action.region;
      const a = space.toScreen(x0, y0, index, 'region');
      // The far corner is exclusive: map it as a size, not as a pixel that must be on screen.
      if (x1 > space.display.width || y1 > space.display.height) {
        throw invalidAction(index, 'region', `[${action.region.join(', ')}] reaches outside the ${space.display.width}x${space.display.height} display`);
      }
      const b = { x: Math.round((x1 * space.screen.width) / space.display.width), y: Math.round((y1 * space.screen.height) / space.display.height) };
      return { kind: 'zoom', region: [a.x, a.y, Math.max(a.x + 1, b.x), Math.max(a.y + 1, b.y)] };
    }
    case 'cursor_position':
      return { kind: 'cursor' };
  }
}

function image(png: Buffer): ActionImage {
  const size = pngSize(png);
  return { media_type: 'image/png', data: png.toString('base64'), ...size };
}

function originalName(format: ActionFormat, value: unknown): string {
  const record = value as Record<string, unknown>;
  const name = format === 'openai' ? record.type : record.action;
  return typeof name === 'string' ? name : '?';
}

function replyFor(request: ActionsRequest, results: ActionResult[], shot: ActionImage | undefined, cursor: Point | null): Record<string, unknown> | undefined {
  const last = results[results.length - 1];
  if (request.format === 'anthropic') {
    const content: Record<string, unknown>[] = [];
    if (last?.cursor) content.push({ type: 'text', text: `X=${last.cursor.x},Y=${last.cursor.y}` });
    if (last?.cursor === null) content.push({ type: 'text', text: 'the pointer position is not known yet: no action has moved it' });
    if (shot) content.push({ type: 'image', source: { type: 'base64', media_type: shot.media_type, data: shot.data } });
    if (content.length === 0) content.push({ type: 'text', text: cursor ? `done; the pointer is at X=${cursor.x},Y=${cursor.y}` : 'done' });
    return { type: 'tool_result', ...(request.call_id === undefined ? {} : { tool_use_id: request.call_id }), content };
  }
  if (request.format === 'openai' && shot) {
    return {
      type: 'computer_call_output',
      ...(request.call_id === undefined ? {} : { call_id: request.call_id }),
      output: { type: 'computer_screenshot', image_url: `data:${shot.media_type};base64,${shot.data}` },
    };
  }
  return undefined;
}

/** Checks and compiles every action, then runs them in order. */
export async function runActions(request: ActionsRequest, driver: ActionDriver): Promise<ActionsResponse> {
  const translated = translateActions(request.format, request.actions);
  const screen = await driver.screenSize();
  const display = request.display ?? screen;
  const space = new Space(screen, display);
  const state: PlanState = { cursor: await driver.cursor(), waitMs: 0 };
  const plans = translated.map((list, index) => list.map((a) => plan(a, space, state, index, driver.canScroll)));

  const takeScreenshot = async (): Promise<Buffer> => {
    if (display.width === screen.width && display.height === screen.height) return driver.screenshot();
    return resizePng(await driver.screenshot(display.width), display);
  };
  const results: ActionResult[] = [];
  let cursor = state.cursor === null ? null : space.toDisplay(state.cursor);
  let lastImage: Buffer | undefined;
  let tracked = await driver.cursor();
  for (const [index, list] of plans.entries()) {
    const result: ActionResult = { index, action: originalName(request.format, request.actions[index]), ok: true };
    lastImage = undefined;
    try {
      for (const p of list) {
        if (p.kind === 'input') {
          await driver.input(p.steps);
          for (const s of p.steps) if (s.kind === 'move' || s.kind === 'click') tracked = { x: s.x, y: s.y };
          if (tracked) driver.setCursor(tracked);
        } else if (p.kind === 'screenshot') {
          lastImage = await takeScreenshot();
          result.image = pngSize(lastImage);
        } else if (p.kind === 'zoom') {
          const [x0, y0, x1, y1] = p.region;
          const size = fitInside({ width: x1 - x0, height: y1 - y0 }, display);
          lastImage = await cropPng(await driver.screenshot(), p.region, size);
          result.image = size;
        } else {
          result.cursor = tracked ? space.toDisplay(tracked) : null;
        }
      }
    } catch (e) {
      const err = e instanceof HvkubeError ? e : new HvkubeError('INTERNAL', e instanceof Error ? e.message : String(e));
      throw new HvkubeError(err.code, `actions[${index}] (${result.action}) failed: ${err.message}; actions before it ran, none after it`, {
        hint: err.hint,
        details: { ...err.details, index, completed: index },
        cause: e,
      });
    }
    results.push(result);
    cursor = tracked ? space.toDisplay(tracked) : null;
  }
  const wantShot = request.screenshot ?? request.format === 'openai';
  const shot = lastImage ? image(lastImage) : wantShot ? image(await takeScreenshot()) : undefined;
  const response: ActionsResponse = { results, cursor, display, ...(shot ? { screenshot: shot } : {}) };
  const reply = replyFor(request, results, shot, cursor);
  return reply ? { ...response, reply } : response;
}
