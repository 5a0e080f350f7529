/**
 * Console input for Msvm_Keyboard / Msvm_SyntheticMouse: key chords as Windows virtual-key codes,
 * text split into what TypeText can take, mouse buttons as Hyper-V's 1-based indexes.
 * @module
 */
import { parseKeyChord, type KeyChord, type Modifier } from '../../domain/keys.js';
import type { MouseButton } from '../hypervisor.js';

/** Left-hand modifier codes: Msvm_Keyboard maps the generic ones (16/17/18) to these anyway. */
const MODIFIER_VK: Readonly<Record<Modifier, number>> = { ctrl: 0xa2, shift: 0xa0, alt: 0xa4, meta: 0x5b };

const NAMED_VK: Readonly<Record<string, number>> = {
  enter: 0x0d, esc: 0x1b, tab: 0x09, space: 0x20, backspace: 0x08, delete: 0x2e, insert: 0x2d,
  home: 0x24, end: 0x23, pageup: 0x21, pagedown: 0x22, left: 0x25, up: 0x26, right: 0x27, down: 0x28,
  capslock: 0x14, printscreen: 0x2c,
  minus: 0xbd, equal: 0xbb, bracketleft: 0xdb, bracketright: 0xdd, backslash: 0xdc, semicolon: 0xba,
  apostrophe: 0xde, grave: 0xc0, comma: 0xbc, dot: 0xbe, slash: 0xbf,
  ctrl: 0xa2, shift: 0xa0, alt: 0xa4, meta: 0x5b,
};

export function keyToVk(key: string): number {
  if (/^[a-z]$/.test(key)) return key.toUpperCase().charCodeAt(0);
  if (/^[0-9]$/.test(key)) return key.charCodeAt(0);
  const f = /^f([1-9]|1[0-2])$/.exec(key);
  if (f?.[1]) return 0x6f + Number(f[1]);
  const named = NAMED_VK[key];
  if (named === undefined) throw new RangeError(`no virtual-key code for ${JSON.stringify(key)}`);
  return named;
}

/** `ctrl+alt+delete` goes through TypeCtrlAltDel: Windows does not take it as ordinary keys. */
function isCtrlAltDel(chord: KeyChord): boolean {
  return chord.key === 'delete' && chord.modifiers.includes('ctrl') && chord.modifiers.includes('alt') && chord.modifiers.length === 2;
}

/** One chord as press-keys.ps1 reads it: codes joined by ",", modifiers first; or `cad`. */
export function chordToWire(chord: KeyChord): string {
  if (isCtrlAltDel(chord)) return 'cad';
  return [...chord.modifiers.map((m) => MODIFIER_VK[m]), keyToVk(chord.key)].join(',');
}

/** Parses user chords (throws INVALID_INPUT for unknown keys) into wire form. */
export function chordsToWire(chords: readonly string[]): string[] {
  return chords.map((c) => chordToWire(parseKeyChord(c)));
}

/** Single keys (`ctrl`, `a`, `f5`) as virtual-key codes, one per entry, for PressKey/ReleaseKey. */
export function keysToWire(keys: readonly string[]): string[] {
  return keys.map((k) => {
    const chord = parseKeyChord(k);
    return String(chord.modifiers.length === 0 && (chord.key as Modifier) in MODIFIER_VK ? MODIFIER_VK[chord.key as Modifier] : keyToVk(chord.key));
  });
}

export type TextSegment = { kind: 'text'; text: string } | { kind: 'keys'; chords: string[] };

/** TypeText takes at most 512 characters (256 on hosts that accept Unicode). */
const MAX_TYPE_TEXT = 256;

/**
 * Splits text into TypeText runs and key presses: newlines become Enter and tabs Tab, since what
 * TypeText does with control characters is not documented.
 */
export function segmentText(text: string): TextSegment[] {
  const segments: TextSegment[] = [];
  const normalised = text.replace(/\r\n?/g, '\n');
  let run = '';
  const flush = (): void => {
    for (let i = 0; i < run.length; i += MAX_TYPE_TEXT) segments.push({ kind: 'text', text: run.slice(i, i + MAX_TYPE_TEXT) });
    run = '';
  };
  for (const ch of normalised) {
    if (ch === '\n' || ch === '\t') {
      flush();
      const code = ch === '\n' ? '13' : '9';
      const last = segments[segments.length - 1];
      if (last?.kind === 'keys') last.chords.push(code);
      else segments.push({ kind: 'keys', chords: [code] });
    } else {
      run += ch;
    }
  }
  flush();
  return segments;
}

export function mouseButtonIndex(button: MouseButton = 'left'): number {
  return button === 'left' ? 1 : button === 'right' ? 2 : 3;
}
