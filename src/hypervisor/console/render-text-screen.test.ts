import { PNG } from 'pngjs';
import { describe, expect, it } from 'vitest';
import { glyphFor, hasGlyph, renderTextScreen, textScreenSize, DEFAULT_PALETTE } from './index.js';

function pixel(png: PNG, x: number, y: number): number[] {
  const i = (y * png.width + x) * 4;
  return [...png.data.subarray(i, i + 3)];
}

function differingPixels(a: PNG, b: PNG): number {
  let n = 0;
  for (let i = 0; i < a.data.length; i += 4)
    if (a.data[i] !== b.data[i] || a.data[i + 1] !== b.data[i + 1]) n++;
  return n;
}

describe('renderTextScreen', () => {
  it('has a distinct glyph for every printable ASCII character', () => {
    const seen = new Map<string, string>();
    for (let code = 32; code <= 126; code++) {
      const ch = String.fromCharCode(code);
      expect(hasGlyph(ch)).toBe(true);
      const key = [...glyphFor(ch)].join(',');
      expect(seen.get(key), `${ch} looks like ${seen.get(key)}`).toBeUndefined();
      seen.set(key, ch);
    }
    expect(hasGlyph('—')).toBe(true);
    expect(hasGlyph('é')).toBe(false);
  });

  it('writes a PNG of the native size with background and text pixels', async () => {
    const png = PNG.sync.read(await renderTextScreen(['Hello'], { columns: 80, rows: 25 }));
    expect(textScreenSize(80, 25)).toEqual({ width: 640, height: 400 });
    expect([png.width, png.height]).toEqual([640, 400]);
    expect(pixel(png, 600, 300)).toEqual([...DEFAULT_PALETTE.background]);
    // "H" has its left column lit: cell x=1, glyph rows from y=1.
    expect(pixel(png, 1, 1)).toEqual([...DEFAULT_PALETTE.foreground]);
  });

  it('differs only where the text differs', async () => {
    const a = PNG.sync.read(await renderTextScreen(['same line', 'alpha']));
    const b = PNG.sync.read(await renderTextScreen(['same line', 'omega']));
    const c = PNG.sync.read(await renderTextScreen(['same line', 'alpha']));
    expect(differingPixels(a, c)).toBe(0);
    expect(differingPixels(a, b)).toBeGreaterThan(10);
    // The first row (identical text) is identical.
    expect(a.data.subarray(0, 640 * 16 * 4).equals(b.data.subarray(0, 640 * 16 * 4))).toBe(true);
  });

  it('draws inverse rows, the cursor and the pointer', async () => {
    const png = PNG.sync.read(
      await renderTextScreen(['title'], {
        inverseRows: [0],
        cursor: { row: 2, col: 3 },
        pointer: { x: 200, y: 100 },
      }),
    );
    expect(pixel(png, 630, 8)).toEqual([...DEFAULT_PALETTE.inverseBackground]);
    expect(pixel(png, 3 * 8 + 2, 2 * 16 + 13)).toEqual([...DEFAULT_PALETTE.cursor]);
    expect(pixel(png, 200, 100)).toEqual([...DEFAULT_PALETTE.pointer]);
  });

  it('scales keeping the aspect ratio and refuses silly widths', async () => {
    const png = PNG.sync.read(await renderTextScreen(['x'], { width: 1280 }));
    expect([png.width, png.height]).toEqual([1280, 800]);
    await expect(renderTextScreen([], { width: 3.5 })).rejects.toThrow(/width/);
    await expect(renderTextScreen([], { width: 100_000 })).rejects.toThrow(/width/);
  });
});
