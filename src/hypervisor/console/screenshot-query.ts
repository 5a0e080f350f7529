/**
 * Screenshot options as URL query parameters, both ways: `format`, `quality`, `width`, `height`,
 * `longest_side`, `region=X,Y,W,H`, `zoom=X,Y,W,H`, `cursor=true|false|X,Y`. The API, the client,
 * the CLI and a fleet's hop to a VM's owner all use these, so the text forms are defined once.
 * @module
 */
import { HvkubeError } from '../../domain/errors.js';
import type { ImageFormat, ScreenPoint, ScreenRegion, ScreenshotOptions } from '../hypervisor.js';
import { checkScreenshotOptions, IMAGE_FORMATS } from './screenshot-options.js';

/** `X,Y,W,H` (whole numbers) as it appears in a query or on a command line. */
export const REGION_PATTERN = /^\s*\d{1,5}\s*,\s*\d{1,5}\s*,\s*\d{1,5}\s*,\s*\d{1,5}\s*$/;
/** `X,Y`, or `true`/`false`. */
export const CURSOR_PATTERN = /^(true|false|\s*\d{1,5}\s*,\s*\d{1,5}\s*)$/;

function bad(what: string, value: string, form: string): HvkubeError {
  return new HvkubeError('INVALID_INPUT', `screenshot ${what} must be ${form}, got ${JSON.stringify(value)}`, {
    hint: `e.g. ${what}=${form === 'X,Y,WIDTH,HEIGHT' ? '0,0,640,480' : 'true'}`,
    details: { what },
  });
}

export function parseRegion(what: 'region' | 'zoom', value: string): ScreenRegion {
  if (!REGION_PATTERN.test(value)) throw bad(what, value, 'X,Y,WIDTH,HEIGHT');
  const [x = 0, y = 0, width = 0, height = 0] = value.split(',').map((v) => Number(v.trim()));
  return { x, y, width, height };
}

export function parseCursor(value: string): boolean | ScreenPoint {
  if (value === 'true') return true;
  if (value === 'false') return false;
  if (!CURSOR_PATTERN.test(value)) throw bad('cursor', value, 'true, false or X,Y');
  const [x = 0, y = 0] = value.split(',').map((v) => Number(v.trim()));
  return { x, y };
}

function whole(what: string, value: string): number {
  if (!/^\s*\d{1,6}\s*$/.test(value)) throw bad(what, value, 'a whole number');
  return Number(value);
}

/** Query values (strings, as they arrive) → checked options. Unknown keys are not looked at. */
export function screenshotOptionsFromQuery(query: Readonly<Record<string, string | undefined>>): ScreenshotOptions {
  const options: ScreenshotOptions = {};
  const { format, quality, width, height, longest_side: longestSide, region, zoom, cursor } = query;
  if (format !== undefined) {
    if (!IMAGE_FORMATS.includes(format as ImageFormat)) throw bad('format', format, IMAGE_FORMATS.join(', '));
    options.format = format as ImageFormat;
  }
  if (quality !== undefined) options.quality = whole('quality', quality);
  if (width !== undefined) options.width = whole('width', width);
  if (height !== undefined) options.height = whole('height', height);
  if (longestSide !== undefined) options.longestSide = whole('longest_side', longestSide);
  if (region !== undefined) options.region = parseRegion('region', region);
  if (zoom !== undefined) options.zoom = parseRegion('zoom', zoom);
  if (cursor !== undefined) options.cursor = parseCursor(cursor);
  checkScreenshotOptions(options);
  return options;
}

const rect = (r: ScreenRegion): string => `${r.x},${r.y},${r.width},${r.height}`;

/** Options → query values (only those set). */
export function screenshotQuery(options: ScreenshotOptions): Record<string, string> {
  const q: Record<string, string> = {};
  if (options.format !== undefined) q.format = options.format;
  if (options.quality !== undefined) q.quality = String(options.quality);
  if (options.width !== undefined) q.width = String(options.width);
  if (options.height !== undefined) q.height = String(options.height);
  if (options.longestSide !== undefined) q.longest_side = String(options.longestSide);
  if (options.region !== undefined) q.region = rect(options.region);
  if (options.zoom !== undefined) q.zoom = rect(options.zoom);
  if (options.cursor !== undefined) q.cursor = typeof options.cursor === 'boolean' ? String(options.cursor) : `${options.cursor.x},${options.cursor.y}`;
  return q;
}
