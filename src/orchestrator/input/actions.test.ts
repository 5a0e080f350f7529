import { readFileSync } from 'node:fs';
import { PNG } from 'pngjs';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { harness, type Harness } from '../../../test/helpers/harness.js';
import { isHvkubeError } from '../../domain/errors.js';
import type { ActionsResponse } from './run-actions.js';

interface ToolUse {
  id: string;
  input: Record<string, unknown>;
}
interface ComputerCall {
  call_id: string;
  action: Record<string, unknown>;
}
const fixture = <T>(name: string): T[] => JSON.parse(readFileSync(new URL(`./fixtures/${name}`, import.meta.url), 'utf8')) as T[];
const anthropicCalls = fixture<ToolUse>('anthropic-tool-calls.json');
const openaiCalls = fixture<ComputerCall>('openai-computer-calls.json');

// The fake's screen is 640x400; the agent declares twice that, so every coordinate halves.
const DISPLAY = { width: 1280, height: 800 };

let h: Harness;
let vm: string;
let leaseId: string;
beforeEach(async () => {
  h = await harness();
  await h.pool('p', 1);
  const lease = await h.orch.acquire({ pool: 'p', holder: 'agent' });
  vm = lease.vm.name;
  leaseId = lease.leaseId;
});
afterEach(async () => {
  await h.orch.controller.idle();
  await h.close();
});

/** Runs one call and answers the answer and the input events the VM received for it. */
async function run(format: 'anthropic' | 'openai' | 'hvkube', action: Record<string, unknown>, callId?: string): Promise<{ res: ActionsResponse; events: string[] }> {
  const before = (await h.hv.inputEvents(vm)).length;
  const res = await h.orch.actions(vm, { format, actions: [action], display: DISPLAY, ...(callId ? { call_id: callId } : {}) }, { leaseId });
  return { res, events: (await h.hv.inputEvents(vm)).slice(before) };
}

const call = (id: string): ToolUse => {
  const found = anthropicCalls.find((c) => c.id === id);
  if (!found) throw new Error(`no fixture ${id}`);
  return found;
};
const ocall = (id: string): ComputerCall => {
  const found = openaiCalls.find((c) => c.call_id === id);
  if (!found) throw new Error(`no fixture ${id}`);
  return found;
};

function decoded(res: ActionsResponse): PNG {
  if (!res.screenshot) throw new Error('no screenshot in the answer');
  return PNG.sync.read(Buffer.from(res.screenshot.data, 'base64'));
}

describe('Anthropic computer-tool actions on the fake backend (recorded tool calls)', () => {
  it('covers every action of the tool', () => {
    const actions = new Set(anthropicCalls.map((c) => c.input.action));
    for (const a of ['key', 'hold_key', 'type', 'cursor_position', 'mouse_move', 'left_mouse_down', 'left_mouse_up', 'left_click', 'left_click_drag', 'right_click', 'middle_click', 'double_click', 'triple_click', 'scroll', 'wait', 'screenshot', 'zoom']) {
      expect(actions.has(a), a).toBe(true);
    }
  });

  it('screenshot: an image at the declared display size, handed back as a tool_result', async () => {
    const c = call('toolu_01screenshot');
    const { res, events } = await run('anthropic', c.input, c.id);
    expect(events).toEqual([]);
    const png = decoded(res);
    expect([png.width, png.height]).toEqual([1280, 800]);
    expect(res.results).toEqual([{ index: 0, action: 'screenshot', ok: true, image: { width: 1280, height: 800 } }]);
    expect(res.reply).toMatchObject({ type: 'tool_result', tool_use_id: c.id, content: [{ type: 'image', source: { type: 'base64', media_type: 'image/png', data: res.screenshot?.data } }] });
  });

  it('mouse_move and the clicks land at the mapped screen pixel, with the right button and count', async () => {
    expect((await run('anthropic', call('toolu_02move').input)).events).toEqual(['move 100,50']);
    expect((await run('anthropic', call('toolu_03click').input)).events).toEqual(['click left 150,100']);
    expect((await run('anthropic', call('toolu_04clickmod').input)).events).toEqual(['key-down shift', 'click left 155,105', 'key-up shift']);
    expect((await run('anthropic', call('toolu_05right').input)).events).toEqual(['click right 200,150']);
    expect((await run('anthropic', call('toolu_06middle').input)).events).toEqual(['click middle 250,150']);
    expect((await run('anthropic', call('toolu_07double').input)).events).toEqual(['click left x2 300,200']);
    const triple = await run('anthropic', call('toolu_08triple').input);
    expect(triple.events).toEqual(['click left x3 350,250']);
    expect(triple.res.cursor).toEqual({ x: 700, y: 500 });
  });

  it('left_click_drag presses at the start, moves in steps and releases at the end', async () => {
    const { events, res } = await run('anthropic', call('toolu_09drag').input);
    expect(events[0]).toBe('move 50,50');
    expect(events[1]).toBe('down left 50,50');
    expect(events.at(-1)).toBe('up left 150,250');
    const moves = events.filter((e) => e.startsWith('move'));
    expect(moves.length).toBe(11);
    expect(moves.at(-1)).toBe('move 150,250');
    expect(res.cursor).toEqual({ x: 300, y: 500 });
  });

  it('left_mouse_down and left_mouse_up act where the pointer is and the button stays down between calls', async () => {
    await run('anthropic', call('toolu_02move').input);
    expect((await run('anthropic', call('toolu_10down').input)).events).toEqual(['down left 100,50']);
    expect((await h.hv.screenText(vm)).join('\n')).toContain('held left');
    expect((await run('anthropic', call('toolu_11up').input)).events).toEqual(['up left 100,50']);
    expect((await h.hv.screenText(vm)).join('\n')).not.toContain('held left');
  });

  it('key, hold_key and type reach the keyboard with xdotool names mapped', async () => {
    expect((await run('anthropic', call('toolu_12key').input)).events).toEqual(['keys ctrl+s']);
    expect((await run('anthropic', call('toolu_13return').input)).events).toEqual(['keys enter']);
    expect((await run('anthropic', call('toolu_14hold').input)).events).toEqual(['key-down shift', 'key-up shift']);
    expect((await run('anthropic', call('toolu_15type').input)).events).toEqual(['type echo hello']);
    await run('anthropic', call('toolu_13return').input);
    expect((await h.hv.screenText(vm)).join('\n')).toMatch(/^hello$/m);
  });

  it('scroll moves to the coordinate first; left and right go as Shift + wheel', async () => {
    expect((await run('anthropic', call('toolu_16scroll').input)).events).toEqual(['move 320,200', 'scroll 3']);
    expect((await run('anthropic', call('toolu_17scrollleft').input)).events).toEqual(['move 320,200', 'key-down shift', 'scroll -2', 'key-up shift']);
  });

  it('wait sends nothing; cursor_position answers in display space as the tool says it', async () => {
    await run('anthropic', call('toolu_16scroll').input);
    expect((await run('anthropic', call('toolu_18wait').input)).events).toEqual([]);
    const c = call('toolu_19cursor');
    const { res } = await run('anthropic', c.input, c.id);
    expect(res.results[0]?.cursor).toEqual({ x: 640, y: 400 });
    expect(res.reply).toEqual({ type: 'tool_result', tool_use_id: c.id, content: [{ type: 'text', text: 'X=640,Y=400' }] });
  });

  it('zoom answers the region scaled up to the display', async () => {
    const { res } = await run('anthropic', call('toolu_20zoom').input);
    const png = decoded(res);
    // [0,0,640,400] of a 1280x800 display is the screen's top-left quarter (320x200), shown at 1280x800.
    expect([png.width, png.height]).toEqual([1280, 800]);
    const full = PNG.sync.read(await h.orch.screenshot(vm));
    // Each screen pixel of the region becomes a 4x4 block.
    const at = (img: PNG, x: number, y: number): number => img.data.readUInt32BE((y * img.width + x) * 4);
    for (const [x, y] of [[0, 0], [10, 5], [319, 199], [100, 150]] as const) expect(at(png, x * 4, y * 4)).toBe(at(full, x, y));
  });
});

describe('OpenAI computer-use actions on the fake backend (recorded computer_call items)', () => {
  it('covers every action of the tool', () => {
    const actions = new Set(openaiCalls.map((c) => c.action.type));
    for (const a of ['click', 'double_click', 'drag', 'keypress', 'move', 'scroll', 'type', 'wait', 'screenshot']) expect(actions.has(a), a).toBe(true);
  });

  it('every call answers a computer_call_output with a screenshot, as the tool requires', async () => {
    const c = ocall('call_01screenshot');
    const { res } = await run('openai', c.action, c.call_id);
    expect(res.reply).toEqual({ type: 'computer_call_output', call_id: c.call_id, output: { type: 'computer_screenshot', image_url: `data:image/png;base64,${res.screenshot?.data}` } });
    const click = await run('openai', ocall('call_02click').action, 'call_02click');
    expect(click.res.screenshot?.media_type).toBe('image/png');
    expect(click.res.reply).toMatchObject({ type: 'computer_call_output', call_id: 'call_02click' });
  });

  it('click, double_click and move land at the mapped pixel; the wheel button is the middle one', async () => {
    expect((await run('openai', ocall('call_02click').action)).events).toEqual(['click left 150,100']);
    expect((await run('openai', ocall('call_03right').action)).events).toEqual(['click right 200,150']);
    expect((await run('openai', ocall('call_04wheel').action)).events).toEqual(['click middle 250,150']);
    expect((await run('openai', ocall('call_05double').action)).events).toEqual(['click left x2 300,200']);
    expect((await run('openai', ocall('call_09move').action)).events).toEqual(['move 100,50']);
  });

  it('drag follows every point of the path with the button down', async () => {
    const { events } = await run('openai', ocall('call_06drag').action);
    expect(events.slice(0, 2)).toEqual(['move 50,50', 'down left 50,50']);
    expect(events).toContain('move 100,150');
    expect(events.at(-2)).toBe('move 150,250');
    expect(events.at(-1)).toBe('up left 150,250');
  });

  it('keypress holds the keys together as one chord; type and scroll (pixels to notches)', async () => {
    expect((await run('openai', ocall('call_07keypress').action)).events).toEqual(['keys ctrl+s']);
    expect((await run('openai', ocall('call_08enter').action)).events).toEqual(['keys enter']);
    expect((await run('openai', ocall('call_10scroll').action)).events).toEqual(['move 320,200', 'scroll 3']);
    expect((await run('openai', ocall('call_11type').action)).events).toEqual(['type echo hello']);
  });

  it('wait (no duration in the tool) sends nothing and answers a screenshot', async () => {
    const { res, events } = await run('openai', ocall('call_12wait').action);
    expect(events).toEqual([]);
    expect(res.screenshot).toBeDefined();
  });
});

describe('an action list', () => {
  it('runs in order and answers one result per action', async () => {
    const res = await h.orch.actions(vm, {
      format: 'hvkube',
      actions: [
        { action: 'type', text: 'echo one' },
        { action: 'keys', chords: ['enter'] },
        { action: 'drag', path: [{ x: 10, y: 10 }, { x: 30, y: 10 }], steps: 2, step_delay_ms: 0 },
        { action: 'hold', chord: 'ctrl', duration_ms: 1 },
        { action: 'key_down', keys: ['alt'] },
        { action: 'key_up', keys: ['alt'] },
        { action: 'mouse_down', button: 'right', x: 5, y: 6 },
        { action: 'mouse_up', button: 'right' },
        { action: 'click', x: 1, y: 2, count: 3 },
        { action: 'cursor_position' },
      ],
      screenshot: true,
    }, { leaseId });
    expect(res.results.map((r) => r.action)).toEqual(['type', 'keys', 'drag', 'hold', 'key_down', 'key_up', 'mouse_down', 'mouse_up', 'click', 'cursor_position']);
    expect(res.results.at(-1)?.cursor).toEqual({ x: 1, y: 2 });
    expect(res.display).toEqual({ width: 640, height: 400 });
    expect(decoded(res).width).toBe(640);
    expect(await h.hv.inputEvents(vm)).toEqual([
      'type echo one', 'keys enter',
      'move 10,10', 'down left 10,10', 'move 20,10', 'move 30,10', 'up left 30,10',
      'key-down ctrl', 'key-up ctrl', 'key-down alt', 'key-up alt',
      'move 5,6', 'down right 5,6', 'up right 5,6', 'click left x3 1,2',
    ]);
    expect(await h.orch.cursorPosition(vm)).toEqual({ x: 1, y: 2 });
  });

  it('with one bad action runs none, and the error names the index and the field', async () => {
    const cases: [string, unknown[], string][] = [
      ['anthropic', [{ action: 'type', text: 'x' }, { action: 'left_click', coordinate: [1] }], 'actions[1].coordinate'],
      ['anthropic', [{ action: 'type', text: 'x' }, { action: 'teleport' }], 'actions[1].action'],
      ['anthropic', [{ action: 'key', text: 'Hyper_Q' }], 'actions[0].text'],
      ['anthropic', [{ action: 'scroll', coordinate: [1, 1] }], 'actions[0].scroll_direction'],
      ['anthropic', [{ action: 'hold_key', text: 'shift' }], 'actions[0].duration'],
      ['anthropic', [{ action: 'left_click_drag', coordinate: [1, 1] }], 'actions[0].start_coordinate'],
      ['anthropic', [{ action: 'mouse_move', coordinate: [5000, 1] }], 'actions[0].coordinate'],
      ['anthropic', [{ action: 'zoom', region: [10, 10, 5, 5] }], 'actions[0].region'],
      ['openai', [{ type: 'type', text: 'x' }, { type: 'click', x: 1 }], 'actions[1].y'],
      ['openai', [{ type: 'keypress', keys: ['CTRL', 'HYPER'] }], 'actions[0].keys'],
      ['openai', [{ type: 'click', button: 'back', x: 1, y: 1 }], 'actions[0].button'],
      ['openai', [{ action: 'click' }], 'actions[0].type'],
      ['hvkube', [{ action: 'type', text: 'x' }, { action: 'click', x: 1, y: 1, extra: true }], 'actions[1]'],
      ['hvkube', [{ action: 'keys', chords: ['ctrl+bogus'] }], 'actions[0].chords[0]'],
      ['hvkube', [{ action: 'wait', ms: 60_001 }], 'actions[0].ms'],
      ['hvkube', ['click'], 'actions[0]'],
    ];
    for (const [format, actions, field] of cases) {
      const err = await h.orch.actions(vm, { format: format as 'hvkube', actions }, { leaseId }).catch((e: unknown) => e);
      expect(isHvkubeError(err, 'INVALID_INPUT'), `${format} ${JSON.stringify(actions)}`).toBe(true);
      expect((err as { details: { field: string } }).details.field, JSON.stringify(actions)).toBe(field);
    }
    expect(await h.hv.inputEvents(vm)).toEqual([]);
  });

  it('a click with no coordinate before any move is refused: the pointer position is not known', async () => {
    // The fake knows its pointer only after a move; a fresh VM has none.
    const err = await h.orch.actions(vm, { format: 'anthropic', actions: [{ action: 'left_click' }] }, { leaseId }).catch((e: unknown) => e);
    expect(isHvkubeError(err, 'INVALID_INPUT')).toBe(true);
    expect(String((err as Error).message)).toMatch(/pointer position is not known/);
  });

  it('is refused whole with a stale lease (LEASE_MISMATCH), before anything is sent', async () => {
    await (await h.orch.release(vm, { leaseId })).done;
    const err = await h.orch.actions(vm, { format: 'hvkube', actions: [{ action: 'type', text: 'stale' }] }, { leaseId }).catch((e: unknown) => e);
    expect(isHvkubeError(err, 'LEASE_MISMATCH')).toBe(true);
    expect(await h.hv.inputEvents(vm)).toEqual([]);
  });

  it('bounds waits: a list waiting more than 300 s in all is refused', async () => {
    const waits = Array.from({ length: 6 }, () => ({ action: 'wait', ms: 60_000 }));
    const err = await h.orch.actions(vm, { format: 'hvkube', actions: waits }, { leaseId }).catch((e: unknown) => e);
    expect(isHvkubeError(err, 'INVALID_INPUT')).toBe(true);
    expect((err as { details: { field: string } }).details.field).toBe('actions[5]');
  });

  it('a lease that declared its display gets screenshots at that size and its coordinates mapped', async () => {
    await (await h.orch.release(vm, { leaseId })).done;
    const lease = await h.orch.acquire({ pool: 'p', holder: 'scaled', display: DISPLAY });
    expect((await h.orch.getVm(lease.vm.name)).lease?.display).toEqual(DISPLAY);
    const mine = { leaseId: lease.leaseId };
    const png = PNG.sync.read(await h.orch.screenshot(lease.vm.name, mine));
    expect([png.width, png.height]).toEqual([1280, 800]);
    // An operator (no lease id) sees the real screen.
    expect(PNG.sync.read(await h.orch.screenshot(lease.vm.name)).width).toBe(640);
    const before = (await h.hv.inputEvents(lease.vm.name)).length;
    await h.orch.click(lease.vm.name, 1000, 600, mine);
    await h.orch.mouseMove(lease.vm.name, 10, 20, mine);
    const res = await h.orch.actions(lease.vm.name, { format: 'anthropic', actions: [{ action: 'left_click', coordinate: [1278, 798] }] }, mine);
    expect((await h.hv.inputEvents(lease.vm.name)).slice(before)).toEqual(['click left 500,300', 'move 5,10', 'click left 639,399']);
    expect(res.display).toEqual(DISPLAY);
    expect(await h.orch.cursorPosition(lease.vm.name, mine)).toEqual({ x: 1278, y: 798 });
    const outside = await h.orch.click(lease.vm.name, 1280, 10, mine).catch((e: unknown) => e);
    expect(isHvkubeError(outside, 'INVALID_INPUT')).toBe(true);
  });

  it('refuses a display size out of range', async () => {
    const err = await h.orch.actions(vm, { format: 'hvkube', actions: [{ action: 'screenshot' }], display: { width: 0, height: 10 } }).catch((e: unknown) => e);
    expect(isHvkubeError(err, 'INVALID_INPUT')).toBe(true);
  });
});
