/**
 * PSModulePath for Windows PowerShell 5.1 children. PowerShell 7 prepends its own module folders
 * and removes them only for a powershell.exe it starts itself; a process started by Node inherits
 * them, and 5.1 then resolves core modules (Microsoft.PowerShell.Utility, with ConvertTo-Json) to
 * 7.x builds it cannot load (about_PSModulePath; PowerShell/PowerShell #12997, #20804, #27774).
 * @module
 */
import path from 'node:path';

/** `...\PowerShell\Modules`, `...\PowerShell\7\Modules`, `Documents\PowerShell\Modules`; never `WindowsPowerShell`. */
const PWSH_MODULE_DIR = /(^|\\)PowerShell\\(7[^\\]*\\)?Modules\\?$/i;

export function isPwshModuleDir(entry: string): boolean {
  return PWSH_MODULE_DIR.test(entry.trim());
}

/** The first PowerShell 7 folder in a PSModulePath value, or null. */
export function pwshModuleDir(value: string | undefined): string | null {
  return (value ?? '').split(';').find(isPwshModuleDir) ?? null;
}

/** Whether the executable is PowerShell 7 (which manages its own module path). */
export function isPwsh(executable: string): boolean {
  return /^pwsh(\.exe)?$/i.test(path.win32.basename(executable));
}

/**
 * The environment for a Windows PowerShell child: PSModulePath without PowerShell 7's folders
 * (dropped entirely when nothing else is left, so 5.1 builds its default path).
 */
export function windowsPowerShellEnv(env: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  const out: NodeJS.ProcessEnv = { ...env };
  for (const key of Object.keys(out)) {
    if (key.toLowerCase() !== 'psmodulepath') continue;
    const kept = (out[key] ?? '').split(';').filter((entry) => entry.trim() !== '' && !isPwshModuleDir(entry));
    if (kept.length > 0) out[key] = kept.join(';');
    else delete out[key];
  }
  return out;
}
