/**
 * The few image operations coordinate spaces need on a PNG screenshot: resize to an exact size
 * (an agent's declared display) and crop a region (zoom). Nearest-neighbour, through sharp.
 * @module
 */
import sharp from 'sharp';

export interface Size {
  width: number;
  height: number;
}

/** Width and height from the PNG header. */
export function pngSize(png: Buffer): Size {
  return { width: png.readUInt32BE(16), height: png.readUInt32BE(20) };
}

/** The PNG at exactly `size` (the same buffer when it already is); sharp, off the event loop. */
export async function resizePng(png: Buffer, size: Size): Promise<Buffer> {
  const now = pngSize(png);
  if (now.width === size.width && now.height === size.height) return png;
  return sharp(png).resize(size.width, size.height, { fit: 'fill', kernel: 'nearest' }).png().toBuffer();
}

/** The largest size with the region's aspect ratio that fits in `bounds`. */
export function fitInside(region: Size, bounds: Size): Size {
  const scale = Math.min(bounds.width / region.width, bounds.height / region.height);
  return { width: Math.max(1, Math.round(region.width * scale)), height: Math.max(1, Math.round(region.height * scale)) };
}

/** The region `[x0, y0, x1, y1)` of the PNG, scaled to `size` (nearest neighbour, as a zoom shows pixels). */
export async function cropPng(png: Buffer, region: readonly [number, number, number, number], size: Size): Promise<Buffer> {
  const whole = pngSize(png);
  const x0 = Math.max(0, Math.min(whole.width - 1, region[0]));
  const y0 = Math.max(0, Math.min(whole.height - 1, region[1]));
  const x1 = Math.max(x0 + 1, Math.min(whole.width, region[2]));
  const y1 = Math.max(y0 + 1, Math.min(whole.height, region[3]));
  return sharp(png)
    .extract({ left: x0, top: y0, width: x1 - x0, height: y1 - y0 })
    .resize(size.width, size.height, { fit: 'fill', kernel: 'nearest' })
    .png()
    .toBuffer();
}
