import { describe, expect, it } from 'vitest';
import { charToChord, chordToChar, parseKeyChord } from './keys.js';

describe('key chords', () => {
  it.each([
    ['ctrl+l', { modifiers: ['ctrl'], key: 'l' }],
    ['Ctrl+Shift+T', { modifiers: ['ctrl', 'shift'], key: 't' }],
    ['enter', { modifiers: [], key: 'enter' }],
    ['Return', { modifiers: [], key: 'enter' }],
    ['alt+f4', { modifiers: ['alt'], key: 'f4' }],
    ['win+r', { modifiers: ['meta'], key: 'r' }],
    ['ctrl', { modifiers: [], key: 'ctrl' }],
    ['ctrl+alt+delete', { modifiers: ['ctrl', 'alt'], key: 'delete' }],
  ])('parses %s', (chord, expected) => {
    expect(parseKeyChord(chord)).toEqual(expected);
  });

  it.each(['ctrl+nope', 'a+b', '', 'ctrl+$(x)', 'f13'])('rejects %j', (chord) => {
    expect(() => parseKeyChord(chord)).toThrow();
  });

  it('maps every printable ASCII character to a chord and back', () => {
    for (let c = 32; c < 127; c++) {
      const ch = String.fromCharCode(c);
      const chord = charToChord(ch);
      expect(chord, ch).toBeDefined();
      if (chord) expect(chordToChar(chord)).toBe(ch);
    }
    expect(charToChord('é')).toBeUndefined();
  });
});
