/**
 * Screenshot options on their own, with no image code: the checks every face runs before anything
 * is captured, the output size they lead to, and media types. The client imports this (and not
 * the encoder), so it stays free of native image libraries.
 * @module
 */
import { HvkubeError } from '../../domain/errors.js';
import type { ImageFormat, ScreenRegion, ScreenshotOptions } from '../hypervisor.js';

export const IMAGE_FORMATS: readonly ImageFormat[] = ['png', 'jpeg', 'webp'];
export const MIN_SIDE = 16;
export const MAX_SIDE = 7680;
export const DEFAULT_QUALITY = 80;
/** The largest region side accepted: larger than any screen hvkube drives. */
const MAX_REGION_SIDE = 16384;

const MEDIA_TYPES: Record<ImageFormat, string> = { png: 'image/png', jpeg: 'image/jpeg', webp: 'image/webp' };

export function mediaTypeOf(format: ImageFormat | undefined): string {
  return MEDIA_TYPES[format ?? 'png'];
}

/** The file extension for a format (`jpg` for JPEG). */
export function extensionOf(format: ImageFormat | undefined): string {
  return format === 'jpeg' ? 'jpg' : (format ?? 'png');
}

export function invalid(message: string, hint: string, details: Record<string, unknown> = {}): HvkubeError {
  return new HvkubeError('INVALID_INPUT', message, { hint, details });
}

function wholeIn(what: string, value: unknown, min: number, max: number): void {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) {
    throw invalid(`screenshot ${what} must be a whole number from ${min} to ${max}, got ${JSON.stringify(value)}`, `pass a ${what} between ${min} and ${max}, or leave it out`, { what, min, max });
  }
}

function checkRegionShape(what: 'region' | 'zoom', r: unknown): void {
  if (typeof r !== 'object' || r === null) throw invalid(`screenshot ${what} must be {x, y, width, height}`, 'give the rectangle in screen pixels');
  const { x, y, width, height } = r as Partial<ScreenRegion>;
  wholeIn(`${what} x`, x, 0, MAX_REGION_SIDE);
  wholeIn(`${what} y`, y, 0, MAX_REGION_SIDE);
  wholeIn(`${what} width`, width, 1, MAX_REGION_SIDE);
  wholeIn(`${what} height`, height, 1, MAX_REGION_SIDE);
}

/**
 * Refuses options that are wrong whatever the screen (INVALID_INPUT): called before anything is
 * captured. Whether a region fits the screen is checked once its size is known (`encodeScreenshot`).
 */
export function checkScreenshotOptions(options: ScreenshotOptions): void {
  const { format, quality, width, height, longestSide, region, zoom, cursor } = options;
  if (format !== undefined && !IMAGE_FORMATS.includes(format)) {
    throw invalid(`screenshot format must be one of ${IMAGE_FORMATS.join(', ')}, got ${JSON.stringify(format)}`, 'png is lossless; jpeg and webp are smaller');
  }
  if (quality !== undefined) {
    if ((format ?? 'png') === 'png') throw invalid('screenshot quality applies to jpeg and webp only', 'leave quality out for png, or ask for format jpeg or webp');
    wholeIn('quality', quality, 1, 100);
  }
  if (width !== undefined) wholeIn('width', width, MIN_SIDE, MAX_SIDE);
  if (height !== undefined) wholeIn('height', height, MIN_SIDE, MAX_SIDE);
  if (longestSide !== undefined) {
    wholeIn('longest side', longestSide, MIN_SIDE, MAX_SIDE);
    if (width !== undefined || height !== undefined) throw invalid('give a screenshot longest side or a width/height, not both', 'the longest side scales whichever side is longer');
  }
  if (region !== undefined) checkRegionShape('region', region);
  if (zoom !== undefined) {
    checkRegionShape('zoom', zoom);
    if (region !== undefined) throw invalid('give a screenshot region or a zoom, not both', 'region crops at native size; zoom crops and enlarges');
  }
  if (cursor !== undefined && typeof cursor !== 'boolean') {
    if (typeof cursor !== 'object' || cursor === null) throw invalid('screenshot cursor must be true, false or {x, y}', 'pass true to draw the pointer where it is');
    wholeIn('cursor x', cursor.x, 0, MAX_REGION_SIDE);
    wholeIn('cursor y', cursor.y, 0, MAX_REGION_SIDE);
  }
}

/** Scales (w, h) to fit inside the box the options give; unchanged when they give none. */
function fitInside(w: number, h: number, box: { width?: number; height?: number; longestSide?: number }): { width: number; height: number } {
  let factor: number | null = null;
  if (box.longestSide !== undefined) factor = box.longestSide / Math.max(w, h);
  else if (box.width !== undefined || box.height !== undefined) {
    factor = Math.min(box.width !== undefined ? box.width / w : Infinity, box.height !== undefined ? box.height / h : Infinity);
  }
  if (factor === null) return { width: w, height: h };
  return { width: Math.max(1, Math.round(w * factor)), height: Math.max(1, Math.round(h * factor)) };
}

/** The size of the image `options` ask for, from a screen of `screen` size (after the checks). */
export function outputSize(screen: { width: number; height: number }, options: ScreenshotOptions): { width: number; height: number } {
  const box = { width: options.width, height: options.height, longestSide: options.longestSide };
  if (options.zoom) {
    // The zoomed region fills the box the whole screen would have filled.
    const whole = fitInside(screen.width, screen.height, box);
    return fitInside(options.zoom.width, options.zoom.height, { width: whole.width, height: whole.height });
  }
  const source = options.region ?? screen;
  return fitInside(source.width, source.height, box);
}

