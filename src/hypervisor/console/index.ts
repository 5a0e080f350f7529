/**
 * Text-screen rendering shared by simulated consoles and tests.
 * @module
 */
export {
  renderTextScreen,
  textScreenSize,
  CELL_WIDTH,
  CELL_HEIGHT,
  DEFAULT_PALETTE,
} from './render-text-screen.js';
export type { TextScreenOptions, TextScreenPalette, Rgb } from './render-text-screen.js';
export { glyphFor, hasGlyph, GLYPH_WIDTH, GLYPH_HEIGHT } from './bitmap-font.js';
export { drawTextScreen } from './render-text-screen.js';
export { encodeScreenshot, imageSize, parsePpm, drawPointer, type RawFrame, type ScreenCapture, type EncodeContext } from './encode.js';
export { checkScreenshotOptions, outputSize, mediaTypeOf, extensionOf, IMAGE_FORMATS } from './screenshot-options.js';
export { screenshotOptionsFromQuery, screenshotQuery } from './screenshot-query.js';
