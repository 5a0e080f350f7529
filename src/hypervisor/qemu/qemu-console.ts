/**
 * Screen, keyboard and mouse over QMP: `screendump` for screenshots (raw PPM pixels, encoded by
 * the shared pipeline in console/encode.ts), `send-key` for keys (one
 * call per chord: qemu.md found that batched `input-send-event` keys overflow the PS/2 queue),
 * and `input-send-event` on the USB tablet for an absolute mouse.
 * @module
 */
import { readFile, rm } from 'node:fs/promises';
import { setTimeout as sleep } from 'node:timers/promises';
import { HvkubeError } from '../../domain/errors.js';
import { charToChord, parseKeyChord, type KeyChord } from '../../domain/keys.js';
import type { MouseButton } from '../hypervisor.js';
import { parsePpm, type RawFrame } from '../console/encode.js';
import type { QmpObject, QmpValue } from './qmp-client.js';

/** Runs one QMP command on the VM's connection. */
export type QmpExecute = (command: string, args?: QmpObject) => Promise<QmpValue>;

/** Canonical key names (domain/keys.ts) that differ from QEMU's qcodes. */
const QCODES: Record<string, string> = {
  enter: 'ret', space: 'spc', pageup: 'pgup', pagedown: 'pgdn', capslock: 'caps_lock', printscreen: 'print',
  grave: 'grave_accent', ctrl: 'ctrl', shift: 'shift', alt: 'alt', meta: 'meta_l',
};

/**
 * QEMU releases each key of a `send-key` after its default 10 ms delay per event, queued behind
 * earlier calls; waiting this long per key lets the guest consume them before we answer.
 */
const KEY_EVENT_MS = 10;

export function toQcode(key: string): string {
  return QCODES[key] ?? key;
}

function chordKeys(chord: KeyChord): QmpObject[] {
  return [...chord.modifiers, chord.key].map((k) => ({ type: 'qcode', data: toQcode(k) }));
}

/** Presses chords in order; answers after the queued key events have had time to reach the guest. */
export async function sendChords(execute: QmpExecute, chords: KeyChord[]): Promise<void> {
  let events = 0;
  for (const chord of chords) {
    const keys = chordKeys(chord);
    await execute('send-key', { keys });
    events += keys.length * 2;
  }
  await sleep(events * KEY_EVENT_MS);
}

/** Chords that type `text` on a US layout; throws INVALID_INPUT for characters no key types. */
export function chordsForText(text: string): KeyChord[] {
  return [...text].map((ch) => {
    const chord = charToChord(ch === '\r' ? '\n' : ch);
    if (!chord) {
      throw new HvkubeError('INVALID_INPUT', `cannot type ${JSON.stringify(ch)} on a US keyboard`, {
        hint: 'type ASCII text; use pressKeys for special keys',
      });
    }
    return chord;
  });
}

export function chordsForKeys(chords: string[]): KeyChord[] {
  return chords.map((c) => parseKeyChord(c));
}

/**
 * The screen's pixels: QEMU writes a PPM into `file` (a path in our run dir), read back and
 * removed. PPM rather than PNG: QEMU then only copies memory instead of compressing on its
 * main loop, and the encode happens once, in the shared pipeline, off our event loop.
 */
export async function screendump(execute: QmpExecute, file: string): Promise<RawFrame> {
  try {
    await execute('screendump', { filename: file, format: 'ppm' });
    return parsePpm(await readFile(file));
  } finally {
    await rm(file, { force: true });
  }
}

/** The tablet's axes run 0-32767 whatever the screen size. */
const ABS_MAX = 32767;

export async function moveMouse(execute: QmpExecute, screen: { width: number; height: number }, x: number, y: number): Promise<void> {
  const scale = (v: number, size: number) => Math.round((Math.min(Math.max(v, 0), size - 1) * ABS_MAX) / Math.max(1, size - 1));
  await execute('input-send-event', {
    events: [
      { type: 'abs', data: { axis: 'x', value: scale(x, screen.width) } },
      { type: 'abs', data: { axis: 'y', value: scale(y, screen.height) } },
    ],
  });
}

export async function pressButton(execute: QmpExecute, button: MouseButton | 'wheel-up' | 'wheel-down'): Promise<void> {
  await setButton(execute, button, true);
  await setButton(execute, button, false);
}

/** One button goes down or up, where the pointer is. */
export async function setButton(execute: QmpExecute, button: MouseButton | 'wheel-up' | 'wheel-down', down: boolean): Promise<void> {
  await execute('input-send-event', { events: [{ type: 'btn', data: { down, button } }] });
}

/**
 * Keys go down (or up) one event per call, in the order given, as qcodes; answers after the
 * guest has had time to take them (one call per key for the PS/2 queue, as for `send-key`).
 */
export async function setKeys(execute: QmpExecute, keys: readonly string[], down: boolean): Promise<void> {
  const qcodes = keys.map((k) => toQcode(parseKeyChord(k).key));
  for (const data of qcodes) {
    await execute('input-send-event', { events: [{ type: 'key', data: { down, key: { type: 'qcode', data } } }] });
  }
  await sleep(qcodes.length * KEY_EVENT_MS);
}
