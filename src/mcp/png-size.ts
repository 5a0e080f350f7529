/**
 * Width and height of a PNG from its IHDR chunk (bytes 16-23), without decoding it.
 * @module
 */
export function pngSize(png: Buffer): { width: number; height: number } {
  const signature = png.subarray(0, 8).toString('latin1');
  if (
    png.length < 24 ||
    signature !== '\x89PNG\r\n\x1a\n' ||
    png.subarray(12, 16).toString('latin1') !== 'IHDR'
  ) {
    throw new Error('not a PNG image');
  }
  return { width: png.readUInt32BE(16), height: png.readUInt32BE(20) };
}
