/**
 * Human output: aligned tables with state colours (NO_COLOR and non-TTY honoured), and `--json`.
 * Results go to stdout; progress and errors to stderr.
 * @module
 */
import type { VmState } from '../domain/vm-state.js';

export interface Out {
  write(text: string): void;
  error(text: string): void;
  isTTY: boolean;
  color: boolean;
}

export function processOut(): Out {
  const color = process.stdout.isTTY === true && !process.env.NO_COLOR && process.env.TERM !== 'dumb';
  return {
    write: (t) => void process.stdout.write(t),
    error: (t) => void process.stderr.write(t),
    isTTY: process.stderr.isTTY === true,
    color,
  };
}

const CODES = { red: 31, green: 32, yellow: 33, blue: 34, magenta: 35, cyan: 36, gray: 90, bold: 1 } as const;
export type Colour = keyof typeof CODES;

export function paint(out: Out, colour: Colour, text: string): string {
  return out.color ? `\u001b[${CODES[colour]}m${text}\u001b[0m` : text;
}

const STATE_COLOUR: Partial<Record<VmState, Colour>> = {
  saved: 'green',
  paused: 'cyan',
  running: 'blue',
  off: 'gray',
  error: 'red',
  provisioning: 'yellow',
  booting: 'yellow',
  saving: 'yellow',
  resuming: 'yellow',
  resetting: 'yellow',
  pausing: 'yellow',
  stopping: 'yellow',
  deleting: 'magenta',
};

export function paintState(out: Out, state: VmState): string {
  const c = STATE_COLOUR[state];
  return c ? paint(out, c, state) : state;
}

// eslint-disable-next-line no-control-regex
const ANSI = /\u001b\[[0-9;]*m/g;
const visible = (s: string): number => s.replace(ANSI, '').length;

/** An aligned table; cells may carry colour codes. */
export function table(headers: string[], rows: string[][]): string {
  const widths = headers.map((h, i) => Math.max(h.length, ...rows.map((r) => visible(r[i] ?? ''))));
  const line = (cells: string[]): string =>
    cells.map((c, i) => (i === cells.length - 1 ? c : c + ' '.repeat((widths[i] ?? 0) - visible(c)))).join('  ').trimEnd();
  return [line(headers), ...rows.map(line)].join('\n') + '\n';
}

export function json(out: Out, value: unknown): void {
  out.write(JSON.stringify(value, null, 2) + '\n');
}

export function ms(value: number | null | undefined): string {
  if (value === null || value === undefined) return '-';
  return value < 1000 ? `${Math.round(value)} ms` : `${(value / 1000).toFixed(2)} s`;
}

export function ago(iso: string, now = Date.now()): string {
  const s = Math.max(0, Math.round((now - Date.parse(iso)) / 1000));
  if (s < 60) return `${s}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m`;
  if (s < 86400) return `${Math.floor(s / 3600)}h`;
  return `${Math.floor(s / 86400)}d`;
}
