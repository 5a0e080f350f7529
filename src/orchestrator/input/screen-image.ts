/**
 * The few image operations coordinate spaces need on a PNG screenshot: resize to an exact size
 * (an agent's declared display) and crop a region (zoom). Nearest-neighbour, through pngjs.
 * @module
 */
import { PNG } from 'pngjs';

export interface Size {
  width: number;
  height: number;
}

/** Width and height from the PNG header. */
export function pngSize(png: Buffer): Size {
  return { width: png.readUInt32BE(16), height: png.readUInt32BE(20) };
}

function resample(source: PNG, sx0: number, sy0: number, sw: number, sh: number, width: number, height: number): PNG {
  const target = new PNG({ width, height });
  for (let y = 0; y < height; y++) {
    const sy = sy0 + Math.min(sh - 1, Math.floor((y * sh) / height));
    for (let x = 0; x < width; x++) {
      const sx = sx0 + Math.min(sw - 1, Math.floor((x * sw) / width));
      const from = (sy * source.width + sx) * 4;
      source.data.copy(target.data, (y * width + x) * 4, from, from + 4);
    }
  }
  return target;
}

/** The PNG at exactly `size` (the same buffer when it already is). */
export function resizePng(png: Buffer, size: Size): Buffer {
  const now = pngSize(png);
  if (now.width === size.width && now.height === size.height) return png;
  const source = PNG.sync.read(png);
  return PNG.sync.write(resample(source, 0, 0, source.width, source.height, size.width, size.height));
}

/** The largest size with the region's aspect ratio that fits in `bounds`. */
export function fitInside(region: Size, bounds: Size): Size {
  const scale = Math.min(bounds.width / region.width, bounds.height / region.height);
  return { width: Math.max(1, Math.round(region.width * scale)), height: Math.max(1, Math.round(region.height * scale)) };
}

/** The region `[x0, y0, x1, y1)` of the PNG, scaled to `size`. */
export function cropPng(png: Buffer, region: readonly [number, number, number, number], size: Size): Buffer {
  const source = PNG.sync.read(png);
  const x0 = Math.max(0, Math.min(source.width - 1, region[0]));
  const y0 = Math.max(0, Math.min(source.height - 1, region[1]));
  const x1 = Math.max(x0 + 1, Math.min(source.width, region[2]));
  const y1 = Math.max(y0 + 1, Math.min(source.height, region[3]));
  return PNG.sync.write(resample(source, x0, y0, x1 - x0, y1 - y0, size.width, size.height));
}
