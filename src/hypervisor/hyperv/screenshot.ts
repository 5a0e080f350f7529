/**
 * RGB565 thumbnails → PNG. The WMI thumbnail is raw 16-bit pixels, little-endian, rows top-down;
 * converting in Node is milliseconds where a PowerShell loop would take seconds.
 * @module
 */
import { PNG } from 'pngjs';
import { hvError } from './errors.js';
import { int, isRecord, optionalString } from './normalise.js';

export interface RawImage {
  width: number;
  height: number;
  /** RGBA, 4 bytes per pixel. */
  rgba: Buffer;
}

export function rgb565ToRgba(data: Buffer, width: number, height: number): RawImage {
  if (data.length !== width * height * 2) {
    throw hvError('HV_FAILED', `thumbnail has ${data.length} bytes, expected ${width * height * 2} for ${width}x${height}`);
  }
  const rgba = Buffer.alloc(width * height * 4);
  for (let i = 0, o = 0; i < data.length; i += 2, o += 4) {
    const p = data.readUInt16LE(i);
    const r = (p >> 11) & 0x1f;
    const g = (p >> 5) & 0x3f;
    const b = p & 0x1f;
    // Replicate the high bits into the low ones so that full scale maps to 255.
    rgba[o] = (r << 3) | (r >> 2);
    rgba[o + 1] = (g << 2) | (g >> 4);
    rgba[o + 2] = (b << 3) | (b >> 2);
    rgba[o + 3] = 255;
  }
  return { width, height, rgba };
}

/** Area-average scaling to `width` (height keeps the aspect ratio). */
export function resize(image: RawImage, width: number): RawImage {
  if (width >= image.width || width < 1) return image;
  const height = Math.max(1, Math.round((image.height * width) / image.width));
  const out = Buffer.alloc(width * height * 4);
  const sx = image.width / width;
  const sy = image.height / height;
  for (let y = 0; y < height; y++) {
    const y0 = Math.floor(y * sy);
    const y1 = Math.max(y0 + 1, Math.floor((y + 1) * sy));
    for (let x = 0; x < width; x++) {
      const x0 = Math.floor(x * sx);
      const x1 = Math.max(x0 + 1, Math.floor((x + 1) * sx));
      let r = 0;
      let g = 0;
      let b = 0;
      for (let yy = y0; yy < y1; yy++) {
        for (let xx = x0; xx < x1; xx++) {
          const i = (yy * image.width + xx) * 4;
          r += image.rgba[i] ?? 0;
          g += image.rgba[i + 1] ?? 0;
          b += image.rgba[i + 2] ?? 0;
        }
      }
      const n = (y1 - y0) * (x1 - x0);
      const o = (y * width + x) * 4;
      out[o] = Math.round(r / n);
      out[o + 1] = Math.round(g / n);
      out[o + 2] = Math.round(b / n);
      out[o + 3] = 255;
    }
  }
  return { width, height, rgba: out };
}

export function encodePng(image: RawImage): Buffer {
  const png = new PNG({ width: image.width, height: image.height });
  image.rgba.copy(png.data);
  return PNG.sync.write(png);
}

/** The reply of get-screenshot.ps1 → PNG, scaled to `width` when asked. */
export function thumbnailToPng(result: unknown, width?: number): Buffer {
  const raw = isRecord(result) ? result : {};
  const w = int(raw.width);
  const h = int(raw.height);
  const format = optionalString(raw.format) ?? 'rgb565le';
  // The bytes come outside the JSON (`binary`); older hosts' scripts sent Base64 inside it.
  const base64 = optionalString(raw.dataBase64);
  const data = Buffer.isBuffer(raw.binary) ? raw.binary : base64 === null ? null : Buffer.from(base64, 'base64');
  if (format !== 'rgb565le' || w < 1 || h < 1 || data === null) {
    throw hvError('HV_FAILED', `unexpected thumbnail (${format}, ${w}x${h})`);
  }
  const image = rgb565ToRgba(data, w, h);
  return encodePng(width === undefined ? image : resize(image, width));
}
