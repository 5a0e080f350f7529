/**
 * How to start the stand-in from this checkout: the built `main.js` when there is one, else
 * `main.ts` through tsx, so tests work from a clean clone without a build.
 * @module
 */
import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));

function tsxLoader(): string {
  try {
    return import.meta.resolve('tsx');
  } catch {
    return 'tsx';
  }
}

export interface StandinLaunch {
  executable: string;
  prefixArgs: string[];
}

export function standinLaunch(): StandinLaunch {
  const js = path.join(here, 'main.js');
  if (existsSync(js)) return { executable: process.execPath, prefixArgs: [js] };
  return { executable: process.execPath, prefixArgs: ['--import', tsxLoader(), path.join(here, 'main.ts')] };
}
