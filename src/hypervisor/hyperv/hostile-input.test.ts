import { readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { validateFilePath, validateName } from '../../domain/validation.js';
import { PowerShellSession } from './powershell-session.js';
import { standinHost, type StandinHost } from './standin/testing.js';

/** Strings that would run code if they were ever spliced into PowerShell text. */
const HOSTILE = [
  "it's",
  'say "hi"',
  '‘left’ ‚low‛ quotes',
  "'; Remove-VM -Name * -Force; '",
  'a;b',
  '$(Stop-Computer -Force)',
  '${env:PATH}',
  '`whoami`',
  'tick`n`0',
  'line1\nline2\r\nline3',
  '-Force',
  '-Name',
  '@params',
  '& calc.exe',
  '| Out-Host',
  '<<<HVK:0:END>>>',
  '*',
  '[a-z]?',
  'C:\\Windows\\System32\\..\\evil.ps1',
  'naïve – ünïcödé 🙂',
  '..',
  '../../etc/passwd',
  '..\\..\\Windows\\win.ini',
  '"; Remove-Item C:\\ -Recurse; "',
  '“curly” „low“ «guillemets»',
  '$(Get-Content C:\\secret.txt)',
  '%SystemRoot%\\x',
  '\r\n-Force\r\n',
  '\u0000nul',
  ' ',
  '',
];

describe('hostile names and paths', () => {
  it('are all rejected by validation', () => {
    for (const value of HOSTILE) {
      expect(() => validateName('vm', value), JSON.stringify(value)).toThrow();
      expect(() => validateFilePath('disk', value, { flavour: path.win32, mustExist: false, extensions: ['.vhdx'] }), JSON.stringify(value)).toThrow();
    }
  });

  describe('with validation bypassed, they reach PowerShell as inert data', () => {
    let host: StandinHost;
    let session: PowerShellSession;
    const log = path.join(os.tmpdir(), `hvkube-hostile-${process.pid}-${Date.now()}.jsonl`);

    beforeAll(() => {
      host = standinHost({ logFile: log });
      session = new PowerShellSession(host.sessionOptions());
    });

    afterAll(async () => {
      await session.close();
      host.dispose();
    });

    it('echoes each value back unchanged', async () => {
      for (const value of HOSTILE) {
        const result = (await session.call('ping', { Echo: value })) as { echo: string };
        expect(result.echo).toBe(value);
      }
    });

    it('looks each up as a literal name (no wildcard, no code) and finds nothing', async () => {
      for (const value of HOSTILE.filter((v) => v !== '')) {
        expect(await session.call('get-vm', { Name: value })).toEqual({ vm: null });
      }
      const received = readFileSync(log, 'utf8')
        .trim()
        .split('\n')
        .map((l) => JSON.parse(l) as { script: string; params: Record<string, unknown> })
        .filter((r) => r.script === 'get-vm')
        .map((r) => r.params.Name);
      expect(received).toEqual(HOSTILE.filter((v) => v !== ''));
    });

    it('reach the guest scripts as data: each is looked up as a literal VM name and as a guest path', async () => {
      for (const value of HOSTILE.filter((v) => v !== '')) {
        await expect(
          session.call('guest-file', { Name: value, GuestUser: value, GuestPassword: value, Action: 'list', GuestPath: value }),
          JSON.stringify(value),
        ).rejects.toMatchObject({ code: 'HV_NOT_FOUND', details: { vm: value } });
      }
      const sent = readFileSync(log, 'utf8')
        .trim()
        .split('\n')
        .map((l) => JSON.parse(l) as { script: string; params: Record<string, unknown> })
        .filter((r) => r.script === 'guest-file');
      expect(sent.map((r) => r.params.GuestPath)).toEqual(HOSTILE.filter((v) => v !== ''));
    });

    it('keeps "-Force" a value, never a switch', async () => {
      await expect(session.call('start-vm', { Name: '-Force' })).rejects.toMatchObject({ code: 'HV_NOT_FOUND', details: { vm: '-Force' } });
    });
  });
});
