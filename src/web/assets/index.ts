/**
 * The dashboard's style and script, shipped inside the package as string constants so
 * `hvkube serve` needs no asset folder, no build step and nothing from the network.
 * @module
 */
import { createHash } from 'node:crypto';
import { APP_CSS } from './app-css.js';
import { APP_JS } from './app-js.js';

export { APP_CSS, APP_JS };

/** Changes with the content, so browsers can cache the files and still see new versions. */
export const ASSET_VERSION = createHash('sha256')
  .update(APP_CSS)
  .update(APP_JS)
  .digest('hex')
  .slice(0, 12);
