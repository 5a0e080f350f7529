/**
 * Builds the package once before the tests, so end-to-end tests run the CLI as users do
 * (`node dist/cli/main.js`) — much faster per process than compiling TypeScript on every start.
 * Type errors do not stop the build here; `npm run typecheck` is where they fail.
 */
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export default function setup(): void {
  if (process.env.HVKUBE_TEST_SKIP_BUILD === '1') return;
  const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
  const tsc = path.join(root, 'node_modules', 'typescript', 'bin', 'tsc');
  const r = spawnSync(process.execPath, [tsc, '-p', 'tsconfig.build.json'], { cwd: root, encoding: 'utf8' });
  const assets = path.join(root, 'scripts', 'copy-assets.mjs');
  if (existsSync(assets)) spawnSync(process.execPath, [assets], { cwd: root, stdio: 'inherit' });
  if (!existsSync(path.join(root, 'dist', 'cli', 'main.js'))) {
    throw new Error(`the build produced no dist/cli/main.js:\n${r.stdout}\n${r.stderr}`);
  }
}
