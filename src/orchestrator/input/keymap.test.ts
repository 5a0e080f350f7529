import { describe, expect, it } from 'vitest';
import { parseKeyChord } from '../../domain/keys.js';
import { openaiChord, OPENAI_KEYS, xdotoolChord, xdotoolChords, XDOTOOL_KEYS } from './keymap.js';

/** What each name must become, written out by hand (not derived from the tables). */
const ANTHROPIC_EXPECTED: Record<string, string> = {
  Return: 'enter', KP_Enter: 'enter', Escape: 'esc', Tab: 'tab', ISO_Left_Tab: 'shift+tab', space: 'space',
  BackSpace: 'backspace', Delete: 'delete', Insert: 'insert', Home: 'home', End: 'end',
  Page_Up: 'pageup', Prior: 'pageup', Page_Down: 'pagedown', Next: 'pagedown',
  Up: 'up', Down: 'down', Left: 'left', Right: 'right', Caps_Lock: 'capslock', Print: 'printscreen',
  ctrl: 'ctrl', Control_L: 'ctrl', Control_R: 'ctrl', shift: 'shift', Shift_L: 'shift', alt: 'alt', Alt_R: 'alt',
  super: 'meta', Super_L: 'meta', Meta_L: 'meta', cmd: 'meta', win: 'meta',
  minus: 'minus', equal: 'equal', plus: 'shift+equal', period: 'dot', comma: 'comma', slash: 'slash', backslash: 'backslash',
  semicolon: 'semicolon', apostrophe: 'apostrophe', grave: 'grave', bracketleft: 'bracketleft', bracketright: 'bracketright',
  question: 'shift+slash', exclam: 'shift+1', at: 'shift+2', underscore: 'shift+minus', colon: 'shift+semicolon',
  KP_0: '0', KP_9: '9', KP_Add: 'shift+equal', KP_Subtract: 'minus',
  F1: 'f1', F5: 'f5', F12: 'f12', a: 'a', A: 'shift+a', z: 'z', '0': '0', '7': '7',
  'ctrl+s': 'ctrl+s', 'alt+Tab': 'alt+tab', 'ctrl+shift+t': 'ctrl+shift+t', 'shift+Tab': 'shift+tab', 'super+r': 'meta+r',
  'ctrl+plus': 'ctrl+shift+equal', 'ctrl+Page_Down': 'ctrl+pagedown', 'alt+F4': 'alt+f4', 'ctrl+alt+Delete': 'ctrl+alt+delete',
};

const OPENAI_EXPECTED: Record<string, string> = {
  ENTER: 'enter', RETURN: 'enter', ESC: 'esc', ESCAPE: 'esc', TAB: 'tab', SPACE: 'space', BACKSPACE: 'backspace',
  DELETE: 'delete', INSERT: 'insert', HOME: 'home', END: 'end', PAGEUP: 'pageup', PAGEDOWN: 'pagedown',
  ARROWUP: 'up', ARROWDOWN: 'down', ARROWLEFT: 'left', ARROWRIGHT: 'right', UP: 'up', LEFT: 'left',
  CAPSLOCK: 'capslock', CTRL: 'ctrl', CONTROL: 'ctrl', SHIFT: 'shift', ALT: 'alt', OPTION: 'alt',
  META: 'meta', CMD: 'meta', SUPER: 'meta', WIN: 'meta', F1: 'f1', F11: 'f11', A: 'a', a: 'a', '5': '5', '/': 'slash', '-': 'minus', '+': 'shift+equal',
};

const canonical = (chord: string): string => {
  const c = parseKeyChord(chord);
  return [...c.modifiers, c.key].join('+');
};

describe('Anthropic (xdotool) key names', () => {
  it.each(Object.entries(ANTHROPIC_EXPECTED))('%s → %s', (name, expected) => {
    expect(canonical(xdotoolChord(name, 'text'))).toBe(canonical(expected));
  });

  it.each(Object.keys(XDOTOOL_KEYS))('table entry %s maps to a key every backend knows, in any case', (name) => {
    const chord = xdotoolChord(name, 'text');
    expect(() => parseKeyChord(chord)).not.toThrow();
    expect(xdotoolChord(name.toUpperCase(), 'text')).toBe(chord);
    expect(parseKeyChord(chord).key).not.toBe('');
  });

  it('several chords separated by spaces are pressed in order', () => {
    expect(xdotoolChords('ctrl+a Delete', 'text')).toEqual(['ctrl+a', 'delete']);
  });

  it.each(['Hyper_L', 'XF86AudioMute', 'ctrl+', 'ctrl+a+b', 'ö', '$(reboot)', 'KP_10'])('%s is refused with the name said', (name) => {
    expect(() => xdotoolChord(name, 'actions[0].text')).toThrow(/actions\[0\]\.text/);
  });
});

describe('OpenAI key names', () => {
  it.each(Object.entries(OPENAI_EXPECTED))('%s → %s', (name, expected) => {
    expect(canonical(openaiChord([name], 'keys'))).toBe(canonical(expected));
  });

  it.each(Object.keys(OPENAI_KEYS))('table entry %s maps to a key every backend knows, in any case', (name) => {
    const chord = openaiChord([name], 'keys');
    expect(() => parseKeyChord(chord)).not.toThrow();
    expect(openaiChord([name.toUpperCase()], 'keys')).toBe(chord);
  });

  it('keys held together make one chord, modifiers first', () => {
    expect(canonical(openaiChord(['CTRL', 'SHIFT', 'T'], 'keys'))).toBe('ctrl+shift+t');
    expect(canonical(openaiChord(['S', 'CTRL'], 'keys'))).toBe('ctrl+s');
  });

  it.each([['HYPER'], ['CTRL', 'A', 'B'], ['MEDIA_PLAY'], ['ü']])('%j is refused', (...keys) => {
    expect(() => openaiChord(keys, 'actions[0].keys')).toThrow(/actions\[0\]\.keys/);
  });
});
