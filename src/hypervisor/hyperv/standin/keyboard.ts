/**
 * What the simulated guest does with keys: printable keys add text, Enter starts a line,
 * Backspace deletes, Win+R opens a "Run" line, Ctrl+Alt+Del is shown as such.
 * @module
 */
import { chordToChar, type KeyChord, type Modifier } from '../../../domain/keys.js';
import { keyToVk } from '../console-input.js';
import type { SimScreen } from './state.js';

const MODIFIER_BY_VK = new Map<number, Modifier>([
  [0xa2, 'ctrl'], [0xa3, 'ctrl'], [0x11, 'ctrl'],
  [0xa0, 'shift'], [0xa1, 'shift'], [0x10, 'shift'],
  [0xa4, 'alt'], [0xa5, 'alt'], [0x12, 'alt'],
  [0x5b, 'meta'], [0x5c, 'meta'],
]);

const KEY_NAMES = [
  ...'abcdefghijklmnopqrstuvwxyz0123456789'.split(''),
  'enter', 'esc', 'tab', 'space', 'backspace', 'delete', 'insert', 'home', 'end', 'pageup', 'pagedown',
  'left', 'up', 'right', 'down', 'capslock', 'printscreen', 'minus', 'equal', 'bracketleft', 'bracketright',
  'backslash', 'semicolon', 'apostrophe', 'grave', 'comma', 'dot', 'slash',
  ...Array.from({ length: 12 }, (_, i) => `f${i + 1}`),
];
const KEY_BY_VK = new Map<number, string>(KEY_NAMES.map((k) => [keyToVk(k), k]));

const MAX_SCREEN_LINES = 200;

function append(screen: SimScreen, text: string): void {
  for (const ch of text) {
    if (ch === '\n') screen.lines.push('');
    else screen.lines[screen.lines.length - 1] += ch;
  }
  if (screen.lines.length > MAX_SCREEN_LINES) screen.lines.splice(0, screen.lines.length - MAX_SCREEN_LINES);
}

export function typeText(screen: SimScreen, text: string): void {
  append(screen, text);
}

/** One chord in wire form ("162,65" or "cad"); throws RangeError for a code it cannot read. */
export function pressChord(screen: SimScreen, wire: string): void {
  if (wire === 'cad') {
    append(screen, '\n[Ctrl+Alt+Del]\n');
    return;
  }
  const codes = wire.split(',').map((c) => {
    if (!/^\d+$/.test(c)) throw new RangeError(`not a key code: ${c}`);
    return Number(c);
  });
  const keyCode = codes[codes.length - 1] ?? 0;
  const modifiers = codes.slice(0, -1).map((c) => MODIFIER_BY_VK.get(c)).filter((m): m is Modifier => m !== undefined);
  const key = KEY_BY_VK.get(keyCode) ?? MODIFIER_BY_VK.get(keyCode);
  if (key === undefined) return;
  const chord: KeyChord = { modifiers, key };
  if (modifiers.includes('meta') && key === 'r') {
    append(screen, '\n[Run] ');
    return;
  }
  if (key === 'enter' && modifiers.length === 0) return append(screen, '\n');
  if (key === 'tab' && modifiers.length === 0) return append(screen, '    ');
  if (key === 'backspace') {
    const last = screen.lines.length - 1;
    screen.lines[last] = (screen.lines[last] ?? '').slice(0, -1);
    return;
  }
  const ch = key === 'space' && modifiers.length === 0 ? ' ' : chordToChar(chord);
  if (ch !== undefined) append(screen, ch);
}
