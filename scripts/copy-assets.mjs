// Copies files that tsc does not emit into dist/: the Hyper-V backend's PowerShell scripts.
// Run after `tsc -p tsconfig.build.json`. Plain node, no shell, works the same on Windows.
import { cpSync, existsSync, mkdirSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

const ASSETS = [{ from: 'src/hypervisor/hyperv/scripts', to: 'dist/hypervisor/hyperv/scripts', ext: '.ps1' }];

for (const { from, to, ext } of ASSETS) {
  const source = path.join(root, from);
  const target = path.join(root, to);
  if (!existsSync(source)) throw new Error(`missing asset folder ${from}`);
  mkdirSync(target, { recursive: true });
  const files = readdirSync(source).filter((f) => f.endsWith(ext));
  for (const file of files) cpSync(path.join(source, file), path.join(target, file));
  console.log(`copied ${files.length} ${ext} file(s) to ${to}`);
}

// npm marks bins executable only when the package is installed; a checkout's build does it here.
if (process.platform !== 'win32') {
  const { chmodSync } = await import('node:fs');
  for (const bin of ['dist/cli/main.js', 'dist/hypervisor/hyperv/standin/main.js']) {
    if (existsSync(path.join(root, bin))) chmodSync(path.join(root, bin), 0o755);
  }
}
