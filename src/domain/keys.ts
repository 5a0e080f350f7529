/**
 * Key chords (`ctrl+l`, `alt+f4`, `enter`) parsed into canonical key names that every backend
 * maps to its own codes (QEMU qcodes, Windows virtual-key codes). US keyboard layout.
 * @module
 */
import { HvkubeError } from './errors.js';

export const MODIFIERS = ['ctrl', 'shift', 'alt', 'meta'] as const;
export type Modifier = (typeof MODIFIERS)[number];

const NAMED = [
  'enter', 'esc', 'tab', 'space', 'backspace', 'delete', 'insert', 'home', 'end', 'pageup', 'pagedown',
  'up', 'down', 'left', 'right', 'capslock', 'printscreen',
  'f1', 'f2', 'f3', 'f4', 'f5', 'f6', 'f7', 'f8', 'f9', 'f10', 'f11', 'f12',
  'minus', 'equal', 'bracketleft', 'bracketright', 'backslash', 'semicolon', 'apostrophe', 'grave',
  'comma', 'dot', 'slash',
] as const;

export type KeyName = (typeof NAMED)[number] | Modifier;

const ALIASES: Record<string, string> = {
  return: 'enter', escape: 'esc', del: 'delete', ins: 'insert', control: 'ctrl', ctl: 'ctrl',
  win: 'meta', super: 'meta', cmd: 'meta', windows: 'meta', option: 'alt', pgup: 'pageup', pgdn: 'pagedown',
  arrowup: 'up', arrowdown: 'down', arrowleft: 'left', arrowright: 'right', spacebar: 'space',
  '-': 'minus', '=': 'equal', '[': 'bracketleft', ']': 'bracketright', '\\': 'backslash', ';': 'semicolon',
  "'": 'apostrophe', '`': 'grave', ',': 'comma', '.': 'dot', '/': 'slash', period: 'dot',
};

const KNOWN = new Set<string>([...NAMED, ...MODIFIERS]);

export interface KeyChord {
  modifiers: Modifier[];
  key: string;
}

function canonical(part: string): string | undefined {
  const p = part.trim().toLowerCase();
  const name = ALIASES[p] ?? p;
  if (KNOWN.has(name)) return name;
  if (/^[a-z0-9]$/.test(name)) return name;
  return undefined;
}

/** Parses `ctrl+shift+t` into modifiers and one key; throws INVALID_INPUT for unknown keys. */
export function parseKeyChord(chord: string): KeyChord {
  const raw = chord.trim();
  // A lone "+" or a chord ending in "++" means the plus key itself.
  const parts = raw === '+' ? ['shift', 'equal'] : raw.endsWith('++') ? [...raw.slice(0, -2).split('+'), 'shift', 'equal'] : raw.split('+');
  const names = parts.map((p) => {
    const c = canonical(p);
    if (!c) {
      throw new HvkubeError('INVALID_INPUT', `unknown key ${JSON.stringify(p)} in ${JSON.stringify(chord)}`, {
        hint: 'use names like ctrl, shift, alt, meta, enter, esc, tab, f1-f12, a-z, 0-9, joined with "+"',
        details: { chord },
      });
    }
    return c;
  });
  const mods = names.filter((n): n is Modifier => (MODIFIERS as readonly string[]).includes(n));
  const keys = names.filter((n) => !(MODIFIERS as readonly string[]).includes(n));
  if (keys.length > 1) {
    throw new HvkubeError('INVALID_INPUT', `chord ${JSON.stringify(chord)} names ${keys.length} keys; give one key with modifiers`, {
      hint: 'send several chords instead, e.g. "ctrl+c" "ctrl+v"',
    });
  }
  // A chord of modifiers only ("ctrl") presses that modifier alone.
  const key = keys[0] ?? mods.pop();
  if (key === undefined) throw new HvkubeError('INVALID_INPUT', 'empty key chord', { hint: 'name a key, e.g. enter' });
  return { modifiers: [...new Set(mods)], key };
}

const SHIFTED: Record<string, string> = {
  '!': '1', '@': '2', '#': '3', $: '4', '%': '5', '^': '6', '&': '7', '*': '8', '(': '9', ')': '0',
  _: 'minus', '+': 'equal', '{': 'bracketleft', '}': 'bracketright', '|': 'backslash', ':': 'semicolon',
  '"': 'apostrophe', '~': 'grave', '<': 'comma', '>': 'dot', '?': 'slash',
};
const PLAIN: Record<string, string> = {
  ' ': 'space', '\n': 'enter', '\t': 'tab', '-': 'minus', '=': 'equal', '[': 'bracketleft', ']': 'bracketright',
  '\\': 'backslash', ';': 'semicolon', "'": 'apostrophe', '`': 'grave', ',': 'comma', '.': 'dot', '/': 'slash',
};

/** The chord that types `ch` on a US layout, or undefined for characters a keyboard cannot type. */
export function charToChord(ch: string): KeyChord | undefined {
  if (/^[a-z0-9]$/.test(ch)) return { modifiers: [], key: ch };
  if (/^[A-Z]$/.test(ch)) return { modifiers: ['shift'], key: ch.toLowerCase() };
  const plain = PLAIN[ch];
  if (plain) return { modifiers: [], key: plain };
  const shifted = SHIFTED[ch];
  if (shifted) return { modifiers: ['shift'], key: shifted };
  return undefined;
}

/** The character a chord types, for simulated screens; undefined for non-printing keys. */
export function chordToChar(chord: KeyChord): string | undefined {
  const mods = chord.modifiers.filter((m) => m !== 'shift');
  if (mods.length > 0) return undefined;
  const shift = chord.modifiers.includes('shift');
  if (/^[a-z]$/.test(chord.key)) return shift ? chord.key.toUpperCase() : chord.key;
  if (!shift) {
    if (/^[0-9]$/.test(chord.key)) return chord.key;
    const plain = Object.entries(PLAIN).find(([, k]) => k === chord.key);
    return plain?.[0];
  }
  const shifted = Object.entries(SHIFTED).find(([, k]) => k === chord.key);
  return shifted?.[0];
}

/**
 * The characters of `text` that no backend types faithfully from its keyboard: anything a US
 * layout cannot produce (Hyper-V's TypeText is ASCII-bound, QEMU sends US key codes). CR, LF and
 * tab are keys; backspace edits. Each character is named once, in order of appearance.
 */
export function untypeableCharacters(text: string): string[] {
  const seen = new Set<string>();
  for (const ch of text) {
    if (ch === '\r' || ch === '\b' || charToChord(ch) !== undefined) continue;
    seen.add(ch);
  }
  return [...seen];
}

/** How a character is named in an error: itself when printable, else its code point (U+0007). */
export function describeCharacter(ch: string): string {
  const cp = ch.codePointAt(0) ?? 0;
  const hex = `U+${cp.toString(16).toUpperCase().padStart(4, '0')}`;
  return /\p{L}|\p{N}|\p{P}|\p{S}/u.test(ch) ? `${JSON.stringify(ch)} (${hex})` : hex;
}

/**
 * Splits text into runs the keyboard types and runs that must be pasted: a run is pasted when
 * it holds a character the keyboard cannot type; newlines and tabs are always typed as keys.
 */
export function splitForPaste(text: string): { kind: 'type' | 'paste'; text: string }[] {
  const out: { kind: 'type' | 'paste'; text: string }[] = [];
  for (const piece of text.split(/([\r\n\t\b]+)/u)) {
    if (piece === '') continue;
    const kind = untypeableCharacters(piece).length > 0 ? 'paste' : 'type';
    const last = out[out.length - 1];
    if (last && last.kind === kind && kind === 'type') last.text += piece;
    else out.push({ kind, text: piece });
  }
  return out;
}
