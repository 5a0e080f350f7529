/**
 * The simulated console: an RGB565 frame (1024×768 unless the test asks for another size) with a title bar, the text typed so far and the
 * mouse pointer, so typing, clicking and moving all change the screenshot.
 * @module
 */
import { GLYPH_HEIGHT, GLYPH_WIDTH, glyphFor } from '../../console/bitmap-font.js';
import type { SimScreen } from './state.js';

export const SCREEN_WIDTH = 1024;
export const SCREEN_HEIGHT = 768;
const SCALE = 2;
const CELL_W = (GLYPH_WIDTH + 1) * SCALE;
const CELL_H = (GLYPH_HEIGHT + 3) * SCALE;
const MAX_LINES = 40;
const MAX_COLUMNS = Math.floor((SCREEN_WIDTH - 16) / CELL_W);

function rgb565(r: number, g: number, b: number): number {
  return ((r >> 3) << 11) | ((g >> 2) << 5) | (b >> 3);
}

const DESKTOP = rgb565(0, 90, 158);
const TITLE = rgb565(32, 32, 32);
const TEXT = rgb565(255, 255, 255);
const POINTER = rgb565(255, 200, 0);

class Frame {
  readonly data: Buffer;
  constructor(
    readonly width: number,
    readonly height: number,
  ) {
    this.data = Buffer.alloc(width * height * 2);
  }

  fill(x: number, y: number, w: number, h: number, color: number): void {
    const x0 = Math.max(0, x);
    const y0 = Math.max(0, y);
    const x1 = Math.min(this.width, x + w);
    const y1 = Math.min(this.height, y + h);
    for (let yy = y0; yy < y1; yy++) {
      for (let xx = x0; xx < x1; xx++) this.data.writeUInt16LE(color, (yy * this.width + xx) * 2);
    }
  }

  text(x: number, y: number, s: string, color: number): void {
    let cx = x;
    for (const ch of s) {
      const glyph = glyphFor(ch);
      for (let row = 0; row < GLYPH_HEIGHT; row++) {
        const bits = glyph[row] ?? 0;
        for (let col = 0; col < GLYPH_WIDTH; col++) {
          if (bits & (1 << (GLYPH_WIDTH - 1 - col))) this.fill(cx + col * SCALE, y + row * SCALE, SCALE, SCALE, color);
        }
      }
      cx += CELL_W;
    }
  }
}

/** Wraps long lines and keeps the last lines that fit. */
export function visibleLines(lines: readonly string[]): string[] {
  const wrapped: string[] = [];
  for (const line of lines) {
    if (line.length === 0) wrapped.push('');
    for (let i = 0; i < line.length; i += MAX_COLUMNS) wrapped.push(line.slice(i, i + MAX_COLUMNS));
  }
  return wrapped.slice(-MAX_LINES);
}

export function renderScreen(title: string, screen: SimScreen, width = SCREEN_WIDTH, height = SCREEN_HEIGHT): Buffer {
  const frame = new Frame(width, height);
  frame.fill(0, 0, width, height, DESKTOP);
  frame.fill(0, 0, width, 28, TITLE);
  frame.text(8, 7, title.slice(0, MAX_COLUMNS), TEXT);
  visibleLines(screen.lines).forEach((line, i) => frame.text(8, 40 + i * CELL_H, line, TEXT));
  frame.fill(screen.mouseX - 3, screen.mouseY - 3, 7, 7, POINTER);
  return frame.data;
}

/** Nearest-neighbour scaling, standing in for the WMI thumbnail's own scaling. */
export function scaleRgb565(data: Buffer, width: number, height: number, toWidth: number, toHeight: number): Buffer {
  const out = Buffer.alloc(toWidth * toHeight * 2);
  for (let y = 0; y < toHeight; y++) {
    const sy = Math.floor((y * height) / toHeight);
    for (let x = 0; x < toWidth; x++) {
      const sx = Math.floor((x * width) / toWidth);
      out.writeUInt16LE(data.readUInt16LE((sy * width + sx) * 2), (y * toWidth + x) * 2);
    }
  }
  return out;
}
