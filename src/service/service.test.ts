import { describe, expect, it } from 'vitest';
import { HvkubeError } from '../domain/errors.js';
import {
  installPlan,
  statusCommand,
  systemdUnit,
  uninstallPlan,
  windowsCommandLine,
  winswXml,
  type ServiceOptions,
} from './index.js';

const linux: ServiceOptions = {
  name: 'hvkube',
  nodePath: '/usr/bin/node',
  cliPath: '/opt/hvkube/dist/cli/main.js',
  dataDir: '/var/lib/hvkube data',
  listen: '0.0.0.0:8080',
  account: 'hvkube',
  logDir: '/var/log/hvkube',
  env: { HVKUBE_POWERSHELL: 'pwsh' },
};

const windows: ServiceOptions = {
  name: 'hvkube',
  nodePath: 'C:\\Program Files\\nodejs\\node.exe',
  cliPath: 'C:\\Program Files\\nodejs\\node_modules\\hvkube\\dist\\cli\\main.js',
  dataDir: 'C:\\hvkube\\data',
  listen: null,
  account: '.\\hvkube-svc',
  logDir: 'C:\\hvkube\\logs',
  env: {},
};
const wrapper = { exe: 'C:\\hvkube\\hvkube-service.exe' };

/** ExecStart= split as systemd does: double-quoted words, backslash escapes, %% and $$. */
function systemdWords(line: string): string[] {
  const words: string[] = [];
  const re = /"((?:[^"\\]|\\.)*)"|(\S+)/g;
  for (const m of line.matchAll(re))
    words.push(
      (m[1] ?? m[2] ?? '').replace(/\\(.)/g, '$1').replace(/%%/g, '%').replace(/\$\$/g, '$'),
    );
  return words;
}

/** A command line split by CommandLineToArgvW's rules (the ones node.exe's C runtime uses). */
function windowsArgv(line: string): string[] {
  const out: string[] = [];
  let cur = '';
  let quoted = false;
  let any = false;
  for (let i = 0; i < line.length; i++) {
    const c = line[i];
    if (c === '\\') {
      let n = 0;
      while (line[i] === '\\') {
        n++;
        i++;
      }
      if (line[i] === '"') {
        cur += '\\'.repeat(Math.floor(n / 2));
        if (n % 2 === 1) cur += '"';
        else {
          quoted = !quoted;
          any = true;
        }
      } else {
        cur += '\\'.repeat(n);
        i--;
      }
    } else if (c === '"') {
      quoted = !quoted;
      any = true;
    } else if (c === ' ' && !quoted) {
      if (cur !== '' || any) out.push(cur);
      cur = '';
      any = false;
    } else cur += c;
  }
  if (cur !== '' || any) out.push(cur);
  return out;
}

describe('systemd unit', () => {
  it('runs node hvkube serve with the data dir, as the account, restarting on failure, logging to the journal', () => {
    const unit = systemdUnit(linux);
    const exec =
      unit
        .split('\n')
        .find((l) => l.startsWith('ExecStart='))
        ?.slice('ExecStart='.length) ?? '';
    expect(systemdWords(exec)).toEqual([
      '/usr/bin/node',
      '/opt/hvkube/dist/cli/main.js',
      '--data-dir',
      '/var/lib/hvkube data',
      'serve',
      '--listen',
      '0.0.0.0:8080',
    ]);
    expect(unit).toContain('\nUser=hvkube\n');
    expect(unit).toContain('\nRestart=on-failure\n');
    expect(unit).toContain('\nStandardError=journal\n');
    expect(unit).toContain('\nEnvironment="HVKUBE_POWERSHELL=pwsh"\n');
    expect(unit).toContain('\nWantedBy=multi-user.target\n');
  });

  it('keeps % and $ and quotes as data: no specifier, variable or extra word', () => {
    const tricky = { ...linux, dataDir: '/srv/a "b" %h $HOME\\x' };
    const exec =
      systemdUnit(tricky)
        .split('\n')
        .find((l) => l.startsWith('ExecStart='))
        ?.slice('ExecStart='.length) ?? '';
    expect(systemdWords(exec)[3]).toBe('/srv/a "b" %h $HOME\\x');
  });

  it('refuses a value with a line break (a new directive) and writes nothing', () => {
    const bads: Partial<ServiceOptions>[] = [
      { dataDir: '/srv/x\nExecStartPre=/bin/rm -rf /' },
      { account: 'root\nUser=root' },
      { env: { X: 'a\nb' } },
      { env: { 'A B': 'x' } },
      { name: '../evil' },
      { listen: '0.0.0.0:80 --x' },
    ];
    for (const bad of bads) {
      expect(() => installPlan('linux', { ...linux, ...bad })).toThrow(HvkubeError);
    }
    expect(() => installPlan('linux', { ...linux, nodePath: 'node' })).toThrow(
      /not an absolute path/,
    );
  });

  it('install and uninstall are systemctl commands as argument lists', () => {
    const plan = installPlan('linux', linux);
    expect(plan.files.map((f) => f.path)).toEqual(['/etc/systemd/system/hvkube.service']);
    expect(plan.commands).toEqual([
      ['systemctl', 'daemon-reload'],
      ['systemctl', 'enable', '--now', 'hvkube.service'],
    ]);
    expect(uninstallPlan('linux', 'hvkube')).toMatchObject({
      remove: ['/etc/systemd/system/hvkube.service'],
      commands: [
        ['systemctl', 'disable', '--now', 'hvkube.service'],
        ['systemctl', 'daemon-reload'],
      ],
    });
    expect(statusCommand('linux', 'hvkube')[0]).toBe('systemctl');
  });
});

describe('Windows service (WinSW definition)', () => {
  it('runs node.exe with hvkube serve as the account, restarts on failure, depends on vmms, rolls log files', () => {
    const xml = winswXml(windows);
    const args =
      /<arguments>(.*)<\/arguments>/
        .exec(xml)?.[1]
        ?.replace(/&quot;/g, '"')
        .replace(/&amp;/g, '&') ?? '';
    expect(windowsArgv(args)).toEqual([windows.cliPath, '--data-dir', 'C:\\hvkube\\data', 'serve']);
    expect(xml).toContain('<executable>C:\\Program Files\\nodejs\\node.exe</executable>');
    expect(xml).toContain('<username>.\\hvkube-svc</username>');
    expect(xml).toContain('<prompt>console</prompt>'); // the password is asked at install, never stored
    expect(xml).toContain('<onfailure action="restart" delay="10 sec"/>');
    expect(xml).toContain('<depend>vmms</depend>');
    expect(xml).toContain('<logpath>C:\\hvkube\\logs</logpath>');
    expect(xml).toContain('\r\n');
  });

  it('escapes XML and quotes arguments so a value stays one argument', () => {
    const xml = winswXml({
      ...windows,
      dataDir: 'C:\\a & b\\<x> "q"\\',
      env: { NOTE: '</env><executable>evil.exe' },
    });
    expect(xml.match(/<executable>/g)).toHaveLength(1);
    expect(xml).toContain('value="&lt;/env&gt;&lt;executable&gt;evil.exe"');
    const args =
      /<arguments>(.*)<\/arguments>/
        .exec(xml)?.[1]
        ?.replace(/&quot;/g, '"')
        .replace(/&lt;/g, '<')
        .replace(/&gt;/g, '>')
        .replace(/&amp;/g, '&') ?? '';
    expect(windowsArgv(args)[2]).toBe('C:\\a & b\\<x> "q"\\');
    for (const arg of ['plain', 'with space', 'trailing\\', 'quote"in', 'back\\\\"slash', ''])
      expect(windowsArgv(windowsCommandLine([arg, 'next']))).toEqual([arg, 'next']);
  });

  it('needs the wrapper, and installs and removes through it with argument lists', () => {
    expect(() => installPlan('win32', windows)).toThrow(/WinSW/);
    const plan = installPlan('win32', windows, wrapper);
    expect(plan.files.map((f) => f.path)).toEqual(['C:\\hvkube\\hvkube-service.xml']);
    expect(plan.commands).toEqual([
      [wrapper.exe, 'install'],
      [wrapper.exe, 'start'],
    ]);
    expect(uninstallPlan('win32', 'hvkube', wrapper).commands).toEqual([
      [wrapper.exe, 'stop'],
      [wrapper.exe, 'uninstall'],
    ]);
    expect(statusCommand('win32', 'hvkube')).toEqual(['sc.exe', 'query', 'hvkube']);
    expect(() => installPlan('win32', { ...windows, dataDir: '/var/lib/hvkube' }, wrapper)).toThrow(
      /absolute/,
    );
  });
});
