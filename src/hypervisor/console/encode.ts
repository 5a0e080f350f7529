/**
 * The one screenshot pipeline every backend uses. A backend captures its screen as raw pixels
 * (QEMU's PPM dump, Hyper-V's RGB565 thumbnail, the fake's drawn text screen) or as an image
 * file, and `encodeScreenshot` does the rest the same way for all: checks the options against
 * the real screen size, draws the pointer in, crops (`region`/`zoom`), scales and encodes PNG,
 * JPEG or WebP with sharp. sharp works on libuv's thread pool, so a large encode never blocks the
 * event loop that serves other requests.
 * @module
 */
import sharp from 'sharp';
import { HvkubeError } from '../../domain/errors.js';
import type { ScreenPoint, ScreenRegion, ScreenshotOptions } from '../hypervisor.js';
import { checkScreenshotOptions, DEFAULT_QUALITY, invalid, outputSize } from './screenshot-options.js';

export { checkScreenshotOptions, extensionOf, IMAGE_FORMATS, mediaTypeOf, outputSize } from './screenshot-options.js';

/** Raw pixels, rows top-down with no padding. */
export interface RawFrame {
  width: number;
  height: number;
  /** 3 (RGB) or 4 (RGBA). */
  channels: 3 | 4;
  data: Buffer;
}

/** What a backend captured: raw pixels, or an encoded image sharp can read (PNG, JPEG, ...). */
export type ScreenCapture = RawFrame | { encoded: Buffer };

function checkFits(what: 'region' | 'zoom', r: ScreenRegion, screen: { width: number; height: number }): void {
  if (r.x + r.width > screen.width || r.y + r.height > screen.height) {
    throw invalid(
      `screenshot ${what} ${r.x},${r.y} ${r.width}x${r.height} reaches beyond the ${screen.width}x${screen.height} screen`,
      `keep x+width within ${screen.width} and y+height within ${screen.height}`,
      { [what]: r, screen },
    );
  }
}

// A classic arrow, hot spot at its tip (the top-left pixel): B outline, W fill, . transparent.
const ARROW = [
  'B...........',
  'BB..........',
  'BWB.........',
  'BWWB........',
  'BWWWB.......',
  'BWWWWB......',
  'BWWWWWB.....',
  'BWWWWWWB....',
  'BWWWWWWWB...',
  'BWWWWWWWWB..',
  'BWWWWWWWWWB.',
  'BWWWWWWBBBBB',
  'BWWWBWWB....',
  'BWWBBWWB....',
  'BWB..BWWB...',
  'BB...BWWB...',
  'B.....BWWB..',
  '......BWWB..',
  '.......BB...',
];

/** Draws the arrow into RGB(A) pixels with its tip at `at`, clipped to the frame. */
export function drawPointer(frame: RawFrame, at: ScreenPoint): void {
  const { width, height, channels, data } = frame;
  ARROW.forEach((row, dy) => {
    const y = at.y + dy;
    if (y < 0 || y >= height) return;
    for (let dx = 0; dx < row.length; dx++) {
      const c = row[dx];
      const x = at.x + dx;
      if (c === '.' || x < 0 || x >= width) continue;
      const v = c === 'B' ? 0 : 255;
      const i = (y * width + x) * channels;
      data[i] = v;
      data[i + 1] = v;
      data[i + 2] = v;
      if (channels === 4) data[i + 3] = 255;
    }
  });
}

export const POINTER_SIZE = { width: ARROW[0]?.length ?? 0, height: ARROW.length };

async function toRaw(capture: ScreenCapture): Promise<RawFrame> {
  if (!('encoded' in capture)) return capture;
  const { data, info } = await sharp(capture.encoded).raw().toBuffer({ resolveWithObject: true });
  if (info.channels !== 3 && info.channels !== 4) throw new HvkubeError('HV_FAILED', `the screen capture has ${info.channels} channels`);
  return { width: info.width, height: info.height, channels: info.channels, data };
}

export interface EncodeContext {
  /** Where the pointer is when `cursor: true` asks for it; the screen's centre when null. */
  pointer?: ScreenPoint | null;
}

/**
 * Turns a capture into the image `options` ask for. Throws INVALID_INPUT for a region or zoom
 * beyond the screen (the options' shape is checked first, with `checkScreenshotOptions`).
 */
export async function encodeScreenshot(capture: ScreenCapture, options: ScreenshotOptions = {}, context: EncodeContext = {}): Promise<Buffer> {
  checkScreenshotOptions(options);
  const size = 'encoded' in capture ? await imageSize(capture.encoded) : { width: capture.width, height: capture.height };
  if (options.region) checkFits('region', options.region, size);
  if (options.zoom) checkFits('zoom', options.zoom, size);

  let input: ScreenCapture = capture;
  if (options.cursor) {
    // Drawn at native resolution, before any crop or scaling, into a copy of the pixels.
    const raw = await toRaw(capture);
    const frame: RawFrame = 'encoded' in capture ? raw : { ...raw, data: Buffer.from(raw.data) };
    const at = typeof options.cursor === 'object' ? options.cursor : (context.pointer ?? { x: Math.floor(size.width / 2), y: Math.floor(size.height / 2) });
    drawPointer(frame, at);
    input = frame;
  }

  let image = 'encoded' in input ? sharp(input.encoded) : sharp(input.data, { raw: { width: input.width, height: input.height, channels: input.channels } });
  const crop = options.region ?? options.zoom;
  if (crop) image = image.extract({ left: crop.x, top: crop.y, width: crop.width, height: crop.height });
  const source = crop ?? size;
  const out = outputSize(size, options);
  if (out.width !== source.width || out.height !== source.height) {
    // Enlarging keeps each screen pixel a sharp block (text stays legible); shrinking averages.
    const enlarging = out.width > source.width;
    image = image.resize(out.width, out.height, { fit: 'fill', kernel: enlarging ? 'nearest' : 'lanczos3' });
  }
  const quality = options.quality ?? DEFAULT_QUALITY;
  switch (options.format ?? 'png') {
    case 'jpeg':
      return image.jpeg({ quality }).toBuffer();
    case 'webp':
      // libvips' default effort (4) costs several times as long for a few per cent less size.
      return image.webp({ quality, effort: 1 }).toBuffer();
    default:
      // A light deflate: screens compress well anyway and the encode stays a few milliseconds.
      return image.png({ compressionLevel: 3 }).toBuffer();
  }
}

/** Width, height and format of an encoded image, from its header. */
export async function imageSize(image: Buffer): Promise<{ width: number; height: number; format: string }> {
  try {
    const meta = await sharp(image).metadata();
    return { width: meta.width, height: meta.height, format: meta.format };
  } catch (e) {
    throw new HvkubeError('HV_FAILED', `the screen capture is not an image sharp can read: ${e instanceof Error ? e.message : String(e)}`);
  }
}

/**
 * Parses a binary PPM (P6, maxval 255) as QEMU's `screendump` writes it: a text header, then
 * RGB bytes. No decoding is needed, so the capture costs QEMU only a memory copy.
 */
export function parsePpm(file: Buffer): RawFrame {
  // Header: "P6", whitespace, width, whitespace, height, whitespace, maxval, one whitespace byte.
  const fields: string[] = [];
  let i = 0;
  while (fields.length < 4 && i < Math.min(file.length, 256)) {
    while (i < file.length && /\s/.test(String.fromCharCode(file[i] ?? 0))) i++;
    if (file[i] === 0x23) {
      while (i < file.length && file[i] !== 0x0a) i++;
      continue;
    }
    const start = i;
    while (i < file.length && !/\s/.test(String.fromCharCode(file[i] ?? 0))) i++;
    fields.push(file.subarray(start, i).toString('latin1'));
  }
  const [magic, w, h, max] = fields;
  const width = Number(w);
  const height = Number(h);
  const offset = i + 1;
  if (magic !== 'P6' || max !== '255' || !Number.isInteger(width) || !Number.isInteger(height) || width < 1 || height < 1 || file.length < offset + width * height * 3) {
    throw new HvkubeError('HV_FAILED', `the screen dump is not an 8-bit binary PPM (${fields.join(' ').slice(0, 40)})`);
  }
  return { width, height, channels: 3, data: file.subarray(offset, offset + width * height * 3) };
}
