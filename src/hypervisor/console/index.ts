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
