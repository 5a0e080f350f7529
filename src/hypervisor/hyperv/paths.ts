/**
 * Where the PowerShell scripts live at run time. They sit next to this module in `scripts/`,
 * both in `src/` (run through tsx) and in `dist/` (copied there by `scripts/copy-assets.mjs`).
 * A build without the copy step falls back to the source tree of a repository checkout.
 * @module
 */
import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));

export function defaultScriptsDir(): string {
  const beside = path.join(here, 'scripts');
  if (existsSync(path.join(beside, 'host-loop.ps1'))) return beside;
  // dist/hypervisor/hyperv -> src/hypervisor/hyperv/scripts in a checkout.
  const source = path.resolve(here, '..', '..', '..', 'src', 'hypervisor', 'hyperv', 'scripts');
  if (existsSync(path.join(source, 'host-loop.ps1'))) return source;
  return beside;
}

export function hostLoopPath(scriptsDir: string): string {
  return path.join(scriptsDir, 'host-loop.ps1');
}
