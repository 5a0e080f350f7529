/**
 * Key names of the agent dialects mapped to hvkube's canonical names (`domain/keys.ts`).
 *
 * Anthropic's computer tool speaks xdotool keysyms (`Return`, `ctrl+s`, `Page_Down`, `KP_0`),
 * OpenAI's computer use speaks upper-case names (`ENTER`, `CTRL`, `ARROWLEFT`). Each table lists
 * every name hvkube accepts besides the plain letters, digits and punctuation; a name in neither
 * is refused with the name said, never guessed.
 * @module
 */
import { HvkubeError } from '../../domain/errors.js';
import { parseKeyChord } from '../../domain/keys.js';

/** xdotool keysyms (compared case-insensitively) → canonical chord. */
export const XDOTOOL_KEYS: Readonly<Record<string, string>> = {
  return: 'enter', enter: 'enter', kp_enter: 'enter', linefeed: 'enter',
  escape: 'esc', esc: 'esc',
  tab: 'tab', iso_left_tab: 'shift+tab',
  space: 'space',
  backspace: 'backspace',
  delete: 'delete', kp_delete: 'delete',
  insert: 'insert', kp_insert: 'insert',
  home: 'home', kp_home: 'home', end: 'end', kp_end: 'end',
  page_up: 'pageup', prior: 'pageup', kp_page_up: 'pageup', kp_prior: 'pageup',
  page_down: 'pagedown', next: 'pagedown', kp_page_down: 'pagedown', kp_next: 'pagedown',
  up: 'up', down: 'down', left: 'left', right: 'right',
  kp_up: 'up', kp_down: 'down', kp_left: 'left', kp_right: 'right',
  caps_lock: 'capslock', print: 'printscreen',
  ctrl: 'ctrl', control: 'ctrl', control_l: 'ctrl', control_r: 'ctrl',
  shift: 'shift', shift_l: 'shift', shift_r: 'shift',
  alt: 'alt', alt_l: 'alt', alt_r: 'alt', option: 'alt',
  super: 'meta', super_l: 'meta', super_r: 'meta', meta: 'meta', meta_l: 'meta', meta_r: 'meta',
  cmd: 'meta', command: 'meta', win: 'meta', windows: 'meta',
  minus: 'minus', kp_subtract: 'minus', equal: 'equal', plus: 'shift+equal', kp_add: 'shift+equal',
  bracketleft: 'bracketleft', bracketright: 'bracketright', backslash: 'backslash',
  semicolon: 'semicolon', apostrophe: 'apostrophe', grave: 'grave', comma: 'comma',
  period: 'dot', kp_decimal: 'dot', slash: 'slash', kp_divide: 'slash', asterisk: 'shift+8', kp_multiply: 'shift+8',
  exclam: 'shift+1', at: 'shift+2', numbersign: 'shift+3', dollar: 'shift+4', percent: 'shift+5',
  asciicircum: 'shift+6', ampersand: 'shift+7', parenleft: 'shift+9', parenright: 'shift+0',
  underscore: 'shift+minus', braceleft: 'shift+bracketleft', braceright: 'shift+bracketright',
  bar: 'shift+backslash', colon: 'shift+semicolon', quotedbl: 'shift+apostrophe', asciitilde: 'shift+grave',
  less: 'shift+comma', greater: 'shift+dot', question: 'shift+slash',
  ...Object.fromEntries(Array.from({ length: 12 }, (_, i) => [`f${i + 1}`, `f${i + 1}`])),
  // The numeric keypad's digits type the same characters as the top row (hvkube has no keypad keys).
  ...Object.fromEntries(Array.from({ length: 10 }, (_, i) => [`kp_${i}`, `${i}`])),
};

/** OpenAI computer-use key names (compared case-insensitively) → canonical chord. */
export const OPENAI_KEYS: Readonly<Record<string, string>> = {
  enter: 'enter', return: 'enter',
  esc: 'esc', escape: 'esc',
  tab: 'tab', space: 'space', backspace: 'backspace',
  delete: 'delete', del: 'delete', insert: 'insert',
  home: 'home', end: 'end', pageup: 'pageup', pagedown: 'pagedown',
  arrowup: 'up', arrowdown: 'down', arrowleft: 'left', arrowright: 'right',
  up: 'up', down: 'down', left: 'left', right: 'right',
  capslock: 'capslock', printscreen: 'printscreen',
  ctrl: 'ctrl', control: 'ctrl', shift: 'shift', alt: 'alt', option: 'alt',
  meta: 'meta', cmd: 'meta', command: 'meta', super: 'meta', win: 'meta',
  ...Object.fromEntries(Array.from({ length: 12 }, (_, i) => [`f${i + 1}`, `f${i + 1}`])),
};

function unknownKey(dialect: string, name: string, field: string): HvkubeError {
  return new HvkubeError('INVALID_INPUT', `unknown ${dialect} key ${JSON.stringify(name)} in ${field}`, {
    hint: dialect === 'Anthropic'
      ? 'use xdotool names such as Return, Escape, ctrl+s, Page_Down, F5, a-z, 0-9'
      : 'use names such as ENTER, ESC, CTRL, SHIFT, ALT, ARROWLEFT, PAGEDOWN, F5, A-Z, 0-9',
    details: { key: name, field },
  });
}

/** A single key name: the table first, then one printable character (upper case adds shift). */
function mapOne(table: Readonly<Record<string, string>>, dialect: string, name: string, field: string): string[] {
  const mapped = table[name.toLowerCase()];
  const chord = mapped ?? (/^[A-Z]$/.test(name) && dialect === 'Anthropic' ? `shift+${name.toLowerCase()}` : [...name].length === 1 ? name.toLowerCase() : undefined);
  if (chord === undefined) throw unknownKey(dialect, name, field);
  try {
    const parsed = parseKeyChord(chord);
    return [...parsed.modifiers, parsed.key];
  } catch {
    throw unknownKey(dialect, name, field);
  }
}

/** Joins key names held together into one canonical chord (`ctrl+shift+t`); refuses two non-modifier keys. */
function toChord(parts: string[], source: string, field: string): string {
  const chord = [...new Set(parts)].join('+');
  try {
    parseKeyChord(chord);
  } catch (e) {
    throw new HvkubeError('INVALID_INPUT', `${JSON.stringify(source)} in ${field} is not one key with modifiers`, {
      hint: e instanceof HvkubeError ? e.hint : undefined,
      details: { key: source, field },
    });
  }
  return chord;
}

/**
 * One xdotool chord (`ctrl+s`, `Return`, `shift+Tab`) as a canonical chord. A lone `+` or a
 * chord ending in `++` names the plus key.
 */
export function xdotoolChord(text: string, field: string): string {
  const raw = text.trim();
  if (raw === '') throw new HvkubeError('INVALID_INPUT', `${field} names no key`, { details: { field } });
  const names = raw === '+' ? ['plus'] : raw.endsWith('++') ? [...raw.slice(0, -2).split('+'), 'plus'] : raw.split('+');
  return toChord(names.flatMap((n) => mapOne(XDOTOOL_KEYS, 'Anthropic', n.trim(), field)), raw, field);
}

/** xdotool's `key` takes several chords separated by spaces, pressed one after another. */
export function xdotoolChords(text: string, field: string): string[] {
  const chords = text.trim().split(/\s+/).filter((c) => c !== '');
  if (chords.length === 0) throw new HvkubeError('INVALID_INPUT', `${field} names no key`, { details: { field } });
  return chords.map((c) => xdotoolChord(c, field));
}

/** OpenAI's `keypress.keys`: names held together, as one canonical chord. */
export function openaiChord(keys: readonly string[], field: string): string {
  const parts = keys.flatMap((k, i) => mapOne(OPENAI_KEYS, 'OpenAI', k, `${field}[${i}]`));
  return toChord(parts, keys.join('+'), field);
}

/** The keys of a canonical chord in the order they go down (modifiers first). */
export function chordKeys(chord: string): string[] {
  const parsed = parseKeyChord(chord);
  return [...parsed.modifiers, parsed.key];
}
