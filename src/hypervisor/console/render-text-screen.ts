/**
 * Renders a text-mode screen to a real PNG, for backends whose screen is simulated and for tests
 * that need two distinguishable screenshots without a guest.
 * @module
 */
import { GLYPH_HEIGHT, GLYPH_WIDTH, glyphFor } from './bitmap-font.js';
import { encodeScreenshot, type RawFrame } from './encode.js';

/** One character cell in native pixels. Glyph rows are drawn twice as tall, like a VGA text mode. */
export const CELL_WIDTH = 8;
export const CELL_HEIGHT = 16;
const GLYPH_X = 1;
const GLYPH_Y = 1;
const GLYPH_ROW_SCALE = 2;

export type Rgb = readonly [number, number, number];

export interface TextScreenPalette {
  background: Rgb;
  foreground: Rgb;
  inverseBackground: Rgb;
  inverseForeground: Rgb;
  cursor: Rgb;
  pointer: Rgb;
}

export const DEFAULT_PALETTE: TextScreenPalette = {
  background: [16, 24, 32],
  foreground: [200, 208, 216],
  inverseBackground: [42, 111, 219],
  inverseForeground: [255, 255, 255],
  cursor: [120, 220, 120],
  pointer: [240, 64, 64],
};

export interface TextScreenOptions {
  /** Default 80. Longer lines are cut. */
  columns?: number;
  /** Default 25. Missing lines are blank; extra lines are not drawn. */
  rows?: number;
  /** Scale the image to this width (height follows); `renderTextScreen` only. */
  width?: number;
  /** Rows drawn in inverse colours (title bars, status lines). */
  inverseRows?: readonly number[];
  /** A block cursor under this cell. */
  cursor?: { row: number; col: number } | null;
  /** A mouse pointer marker at these native pixel coordinates. */
  pointer?: { x: number; y: number } | null;
  palette?: Partial<TextScreenPalette>;
}

/** Native image size of a text screen. */
export function textScreenSize(columns = 80, rows = 25): { width: number; height: number } {
  return { width: columns * CELL_WIDTH, height: rows * CELL_HEIGHT };
}

class Canvas {
  readonly data: Buffer;
  constructor(
    readonly width: number,
    readonly height: number,
  ) {
    this.data = Buffer.alloc(width * height * 4);
  }

  fillRect(x: number, y: number, w: number, h: number, [r, g, b]: Rgb): void {
    const x0 = Math.max(0, x);
    const y0 = Math.max(0, y);
    const x1 = Math.min(this.width, x + w);
    const y1 = Math.min(this.height, y + h);
    for (let py = y0; py < y1; py++) {
      let i = (py * this.width + x0) * 4;
      for (let px = x0; px < x1; px++, i += 4) {
        this.data[i] = r;
        this.data[i + 1] = g;
        this.data[i + 2] = b;
        this.data[i + 3] = 255;
      }
    }
  }
}

function drawGlyph(canvas: Canvas, ch: string, cellX: number, cellY: number, color: Rgb): void {
  const glyph = glyphFor(ch);
  for (let gy = 0; gy < GLYPH_HEIGHT; gy++) {
    const bits = glyph[gy] ?? 0;
    if (bits === 0) continue;
    for (let gx = 0; gx < GLYPH_WIDTH; gx++) {
      if (bits & (1 << (GLYPH_WIDTH - 1 - gx))) {
        canvas.fillRect(
          cellX + GLYPH_X + gx,
          cellY + GLYPH_Y + gy * GLYPH_ROW_SCALE,
          1,
          GLYPH_ROW_SCALE,
          color,
        );
      }
    }
  }
}

function drawPointer(canvas: Canvas, x: number, y: number, color: Rgb): void {
  // A small arrow-like wedge whose tip is the hot spot, so tests can find the exact pixel.
  for (let i = 0; i < 9; i++) canvas.fillRect(x, y + i, Math.ceil((i + 1) / 2), 1, color);
}

/** Draws `lines` as a text screen: raw RGBA pixels at native size (`width` is not applied). */
export function drawTextScreen(lines: readonly string[], options: TextScreenOptions = {}): RawFrame {
  const columns = options.columns ?? 80;
  const rows = options.rows ?? 25;
  const palette = { ...DEFAULT_PALETTE, ...options.palette };
  const size = textScreenSize(columns, rows);
  const canvas = new Canvas(size.width, size.height);
  canvas.fillRect(0, 0, size.width, size.height, palette.background);
  const inverse = new Set(options.inverseRows ?? []);

  for (let row = 0; row < rows; row++) {
    const y = row * CELL_HEIGHT;
    const isInverse = inverse.has(row);
    if (isInverse) canvas.fillRect(0, y, size.width, CELL_HEIGHT, palette.inverseBackground);
    const color = isInverse ? palette.inverseForeground : palette.foreground;
    const chars = [...(lines[row] ?? '')].slice(0, columns);
    chars.forEach((ch, col) => {
      if (ch !== ' ') drawGlyph(canvas, ch, col * CELL_WIDTH, y, color);
    });
  }
  const cursor = options.cursor;
  if (cursor && cursor.row >= 0 && cursor.row < rows && cursor.col >= 0 && cursor.col < columns) {
    canvas.fillRect(
      cursor.col * CELL_WIDTH + GLYPH_X,
      cursor.row * CELL_HEIGHT + CELL_HEIGHT - 3,
      GLYPH_WIDTH,
      2,
      palette.cursor,
    );
  }
  if (options.pointer)
    drawPointer(
      canvas,
      Math.round(options.pointer.x),
      Math.round(options.pointer.y),
      palette.pointer,
    );

  return { width: canvas.width, height: canvas.height, channels: 4, data: canvas.data };
}

/** Draws `lines` as a text screen and encodes it as PNG (scaled to `width` when given). */
export function renderTextScreen(lines: readonly string[], options: TextScreenOptions = {}): Promise<Buffer> {
  const frame = drawTextScreen(lines, options);
  return encodeScreenshot(frame, options.width === undefined ? {} : { width: options.width });
}
