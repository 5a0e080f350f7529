/**
 * The simulated guest console: a tiny shell on an 80×25 text screen. Just enough behaviour
 * (`echo`, `clear`, `hostname`) that typing has visible, checkable effects in screenshots.
 * Functions mutate the screen they are given; the caller owns copying for checkpoints.
 * @module
 */
import { chordToChar, type KeyChord } from '../../domain/keys.js';
import type { MouseButton } from '../hypervisor.js';
import { textScreenSize, type TextScreenOptions } from '../console/render-text-screen.js';

export const SCREEN_COLUMNS = 80;
export const SCREEN_ROWS = 25;
/** Row 0 is the title bar and the last row the status line; the shell gets the rest. */
const CONTENT_ROWS = SCREEN_ROWS - 2;
const PROMPT = '$ ';
const HISTORY_LIMIT = 500;
const LAST_KEYS_SHOWN = 6;
export const SCREEN_SIZE = textScreenSize(SCREEN_COLUMNS, SCREEN_ROWS);

export interface FakePointer {
  x: number;
  y: number;
  button: MouseButton | null;
  double: boolean;
  /** Clicks of the last click (3 for a triple click); absent in state files written before it. */
  count?: number;
}

export interface FakeScreen {
  /** Finished lines, oldest first. */
  lines: string[];
  /** What is typed on the prompt line so far. */
  input: string;
  /** How many rows the view is scrolled back from the bottom. */
  scroll: number;
  lastKeys: string[];
  pointer: FakePointer | null;
  /** Mouse buttons held down (mouseDown without mouseUp yet). */
  buttonsDown?: MouseButton[];
  /** Keys held down (keyDown without keyUp yet). */
  keysDown?: string[];
  /** The last input events, oldest first, as `move 10,20`, `down left`, `key-up ctrl`: tests read them. */
  events?: string[];
}

const EVENTS_KEPT = 200;

/** Notes one input event in the screen's log (kept short). */
export function noteEvent(screen: FakeScreen, event: string): void {
  const events = (screen.events ??= []);
  events.push(event);
  if (events.length > EVENTS_KEPT) events.splice(0, events.length - EVENTS_KEPT);
}

export function bootScreen(): FakeScreen {
  return {
    lines: ['fake guest booted. commands: echo TEXT, hostname, clear'],
    input: '',
    scroll: 0,
    lastKeys: [],
    pointer: null,
  };
}

export function copyScreen(screen: FakeScreen): FakeScreen {
  return {
    lines: [...screen.lines],
    input: screen.input,
    scroll: screen.scroll,
    lastKeys: [...screen.lastKeys],
    pointer: screen.pointer ? { ...screen.pointer } : null,
    buttonsDown: [...(screen.buttonsDown ?? [])],
    keysDown: [...(screen.keysDown ?? [])],
    events: [...(screen.events ?? [])],
  };
}

function pushLine(screen: FakeScreen, line: string): void {
  screen.lines.push(line);
  if (screen.lines.length > HISTORY_LIMIT)
    screen.lines.splice(0, screen.lines.length - HISTORY_LIMIT);
}

function runCommand(screen: FakeScreen, vmName: string): void {
  const command = screen.input.trim();
  pushLine(screen, PROMPT + screen.input);
  screen.input = '';
  if (command === '') return;
  const word = command.split(/\s+/)[0] ?? '';
  if (word === 'echo') pushLine(screen, command.slice(4).trim());
  else if (word === 'clear') screen.lines = [];
  else if (word === 'hostname') pushLine(screen, vmName);
  else pushLine(screen, `${word}: command not found`);
}

function backspace(screen: FakeScreen): void {
  screen.input = [...screen.input].slice(0, -1).join('');
}

function noteKey(screen: FakeScreen, label: string): void {
  screen.lastKeys.push(label);
  if (screen.lastKeys.length > LAST_KEYS_SHOWN) screen.lastKeys.shift();
}

/** Types text as a keyboard would: newlines run the line, `\b` erases. */
export function typeText(screen: FakeScreen, text: string, vmName: string): void {
  noteEvent(screen, `type ${text}`);
  screen.scroll = 0;
  let previous = '';
  for (const ch of text) {
    if (ch === '\n' && previous === '\r') {
      previous = ch;
      continue;
    }
    previous = ch;
    if (ch === '\n' || ch === '\r') runCommand(screen, vmName);
    else if (ch === '\b') backspace(screen);
    else if (ch === '\t') screen.input += ' ';
    else if (ch >= ' ') screen.input += ch;
  }
}

export function chordLabel(chord: KeyChord): string {
  return [...chord.modifiers, chord.key].join('+');
}

/** Presses one chord: editing keys act on the prompt line, the rest show in the status line. */
export function pressChord(screen: FakeScreen, chord: KeyChord, vmName: string): void {
  noteEvent(screen, `keys ${chordLabel(chord)}`);
  const ctrlOnly = chord.modifiers.length === 1 && chord.modifiers[0] === 'ctrl';
  if (chord.modifiers.length === 0 && chord.key === 'enter') {
    screen.scroll = 0;
    runCommand(screen, vmName);
  } else if (chord.modifiers.length === 0 && chord.key === 'backspace') {
    backspace(screen);
  } else if (ctrlOnly && chord.key === 'l') {
    screen.lines = [];
    screen.scroll = 0;
  } else if (ctrlOnly && chord.key === 'c') {
    pushLine(screen, `${PROMPT}${screen.input}^C`);
    screen.input = '';
  } else {
    const ch = chord.key === 'tab' ? undefined : chordToChar(chord);
    if (ch !== undefined) {
      screen.scroll = 0;
      screen.input += ch;
    } else {
      noteKey(screen, chordLabel(chord));
    }
  }
}

function clampPointer(x: number, y: number): { x: number; y: number } {
  const clamp = (v: number, max: number): number =>
    Number.isFinite(v) ? Math.min(max, Math.max(0, Math.round(v))) : 0;
  return { x: clamp(x, SCREEN_SIZE.width - 1), y: clamp(y, SCREEN_SIZE.height - 1) };
}

export function movePointer(screen: FakeScreen, x: number, y: number): void {
  const at = clampPointer(x, y);
  const held = screen.buttonsDown?.[0] ?? null;
  screen.pointer = { ...at, button: held, double: false };
  noteEvent(screen, `move ${at.x},${at.y}`);
}

export function clickPointer(
  screen: FakeScreen,
  x: number,
  y: number,
  button: MouseButton,
  count: number,
): void {
  const at = clampPointer(x, y);
  screen.pointer = { ...at, button, double: count === 2, count };
  noteEvent(screen, `click ${button}${count > 1 ? ` x${count}` : ''} ${at.x},${at.y}`);
}

/** A button goes down (`down`) or up where the pointer is. */
export function setButton(screen: FakeScreen, button: MouseButton, down: boolean): void {
  const held = (screen.buttonsDown ?? []).filter((b) => b !== button);
  screen.buttonsDown = down ? [...held, button] : held;
  const p = screen.pointer ?? { x: 0, y: 0, button: null, double: false };
  screen.pointer = { x: p.x, y: p.y, button: down ? button : (screen.buttonsDown[0] ?? null), double: false };
  noteEvent(screen, `${down ? 'down' : 'up'} ${button} ${p.x},${p.y}`);
}

/** Keys go down or up; a key pressed while others are held shows as a chord in the status line. */
export function setKeys(screen: FakeScreen, keys: readonly string[], down: boolean): void {
  for (const key of keys) {
    const held = (screen.keysDown ?? []).filter((k) => k !== key);
    screen.keysDown = down ? [...held, key] : held;
    noteEvent(screen, `key-${down ? 'down' : 'up'} ${key}`);
  }
}

/** Positive `delta` scrolls towards newer lines (a wheel turned down), negative back in history. */
export function scrollScreen(screen: FakeScreen, delta: number): void {
  noteEvent(screen, `scroll ${delta}`);
  const rows = allRows(screen).length;
  const maxBack = Math.max(0, rows - CONTENT_ROWS);
  screen.scroll = Math.min(maxBack, Math.max(0, screen.scroll - Math.trunc(delta)));
}

function wrap(line: string): string[] {
  const chars = [...line];
  if (chars.length <= SCREEN_COLUMNS) return [line];
  const parts: string[] = [];
  for (let i = 0; i < chars.length; i += SCREEN_COLUMNS)
    parts.push(chars.slice(i, i + SCREEN_COLUMNS).join(''));
  return parts;
}

function allRows(screen: FakeScreen): string[] {
  return [...screen.lines.flatMap(wrap), ...wrap(PROMPT + screen.input)];
}

function statusLine(screen: FakeScreen): string {
  const parts = [`keys: ${screen.lastKeys.length > 0 ? screen.lastKeys.join(' ') : '-'}`];
  const p = screen.pointer;
  if (p) {
    const count = p.count ?? (p.double ? 2 : 1);
    parts.push(`pointer ${p.x},${p.y}${p.button ? ` ${p.button}${count > 1 ? ` x${count}` : ''}` : ''}`);
  }
  if (screen.buttonsDown && screen.buttonsDown.length > 0) parts.push(`held ${screen.buttonsDown.join(',')}`);
  if (screen.keysDown && screen.keysDown.length > 0) parts.push(`keys held ${screen.keysDown.join('+')}`);
  if (screen.scroll > 0) parts.push(`scrolled back ${screen.scroll}`);
  return parts.join(' | ');
}

/** The 25 text rows as shown, plus how to draw them. */
export function screenView(
  screen: FakeScreen,
  vmName: string,
): { lines: string[]; options: TextScreenOptions } {
  const rows = allRows(screen);
  const end = rows.length - screen.scroll;
  const visible = rows.slice(Math.max(0, end - CONTENT_ROWS), end);
  const lines = [`hvkube fake console — ${vmName}`, ...visible];
  while (lines.length < SCREEN_ROWS - 1) lines.push('');
  lines.push(statusLine(screen));
  // Not scrolled back, the prompt is the last visible row (row 0 being the title bar).
  const promptChars = [...(rows[rows.length - 1] ?? '')].length;
  const cursor =
    screen.scroll === 0
      ? { row: visible.length, col: Math.min(SCREEN_COLUMNS - 1, promptChars) }
      : null;
  return {
    lines,
    options: {
      columns: SCREEN_COLUMNS,
      rows: SCREEN_ROWS,
      inverseRows: [0, SCREEN_ROWS - 1],
      cursor,
      pointer: screen.pointer ? { x: screen.pointer.x, y: screen.pointer.y } : null,
    },
  };
}
