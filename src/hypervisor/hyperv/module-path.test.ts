import { describe, expect, it } from 'vitest';
import { isPwsh, pwshModuleDir, windowsPowerShellEnv } from './module-path.js';

describe('PSModulePath for Windows PowerShell children', () => {
  const inherited = [
    'C:\\Users\\a\\Documents\\PowerShell\\Modules',
    'C:\\Program Files\\PowerShell\\Modules',
    'c:\\program files\\powershell\\7\\Modules',
    'C:\\Program Files\\WindowsPowerShell\\Modules',
    'C:\\WINDOWS\\system32\\WindowsPowerShell\\v1.0\\Modules',
    'D:\\tools\\modules',
  ].join(';');

  it("removes PowerShell 7's folders and keeps Windows PowerShell's and the user's own", () => {
    const env = windowsPowerShellEnv({ PSModulePath: inherited, PATH: 'x' });
    expect(env.PSModulePath).toBe('C:\\Program Files\\WindowsPowerShell\\Modules;C:\\WINDOWS\\system32\\WindowsPowerShell\\v1.0\\Modules;D:\\tools\\modules');
    expect(env.PATH).toBe('x');
    expect(pwshModuleDir(env.PSModulePath)).toBeNull();
    expect(pwshModuleDir(inherited)).toBe('C:\\Users\\a\\Documents\\PowerShell\\Modules');
  });

  it('drops the variable when only PowerShell 7 folders were in it, whatever the key case, so 5.1 builds its default', () => {
    expect(windowsPowerShellEnv({ PSMODULEPATH: 'C:\\Program Files\\PowerShell\\7\\Modules' })).toEqual({});
  });

  it('tells pwsh from Windows PowerShell and the stand-in', () => {
    expect(isPwsh('pwsh')).toBe(true);
    expect(isPwsh('C:\\Program Files\\PowerShell\\7\\pwsh.exe')).toBe(true);
    expect(isPwsh('powershell.exe')).toBe(false);
    expect(isPwsh('/usr/bin/node')).toBe(false);
  });
});
