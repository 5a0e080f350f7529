/**
 * RGB565 thumbnails → raw RGB pixels for the shared screenshot pipeline (console/encode.ts). The
 * WMI thumbnail is raw 16-bit pixels, little-endian, rows top-down; converting in Node is
 * milliseconds where a PowerShell loop would take seconds.
 * @module
 */
import type { RawFrame } from '../console/encode.js';
import { hvError } from './errors.js';
import { int, isRecord, optionalString } from './normalise.js';

export function rgb565ToRgb(data: Buffer, width: number, height: number): RawFrame {
  if (data.length !== width * height * 2) {
    throw hvError('HV_FAILED', `thumbnail has ${data.length} bytes, expected ${width * height * 2} for ${width}x${height}`);
  }
  const rgb = Buffer.alloc(width * height * 3);
  for (let i = 0, o = 0; i < data.length; i += 2, o += 3) {
    const p = data.readUInt16LE(i);
    const r = (p >> 11) & 0x1f;
    const g = (p >> 5) & 0x3f;
    const b = p & 0x1f;
    // Replicate the high bits into the low ones so that full scale maps to 255.
    rgb[o] = (r << 3) | (r >> 2);
    rgb[o + 1] = (g << 2) | (g >> 4);
    rgb[o + 2] = (b << 3) | (b >> 2);
  }
  return { width, height, channels: 3, data: rgb };
}

/** The reply of get-screenshot.ps1 → raw pixels. */
export function thumbnailToFrame(result: unknown): RawFrame {
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
  return rgb565ToRgb(data, w, h);
}
