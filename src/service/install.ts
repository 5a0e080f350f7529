/**
 * `hvkube service install|uninstall|status` as a plan — files to write and commands to run, each
 * command a program with its arguments (run without a shell) — so a dry run prints exactly what
 * install would do, and tests check it without touching the host.
 * @module
 */
import { mkdir, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { execa } from 'execa';
import { HvkubeError } from '../domain/errors.js';
import { validateServiceOptions, type ServiceOptions } from './definition.js';
import { systemdUnit, systemdUnitPath } from './systemd.js';
import { winswXml } from './winsw.js';

export type ServicePlatform = 'linux' | 'win32';

export interface ServicePlan {
  platform: ServicePlatform;
  files: { path: string; content: string }[];
  /** Files removed (uninstall). */
  remove: string[];
  commands: string[][];
}

export interface WindowsWrapper {
  /** The WinSW executable, copied or renamed next to its XML (WinSW reads `<exe name>.xml`). */
  exe: string;
}

function wrapperXmlPath(w: WindowsWrapper): string {
  return path.win32.join(
    path.win32.dirname(w.exe),
    `${path.win32.basename(w.exe, path.win32.extname(w.exe))}.xml`,
  );
}

function requireWrapper(w: WindowsWrapper | null): WindowsWrapper {
  if (!w || !path.win32.isAbsolute(w.exe) || !/\.exe$/i.test(w.exe)) {
    throw new HvkubeError(
      'INVALID_INPUT',
      'a Windows service needs the WinSW wrapper: pass --wrapper C:\\path\\hvkube-service.exe',
      {
        hint: 'download WinSW (github.com/winsw/winsw, one .exe), rename it e.g. hvkube-service.exe; node.exe alone cannot answer the Service Control Manager',
      },
    );
  }
  return w;
}

export function installPlan(
  platform: ServicePlatform,
  options: ServiceOptions,
  wrapper: WindowsWrapper | null = null,
): ServicePlan {
  const o = validateServiceOptions(options, platform);
  if (platform === 'linux') {
    return {
      platform,
      files: [{ path: systemdUnitPath(o.name), content: systemdUnit(o) }],
      remove: [],
      commands: [
        ['systemctl', 'daemon-reload'],
        ['systemctl', 'enable', '--now', `${o.name}.service`],
      ],
    };
  }
  const w = requireWrapper(wrapper);
  return {
    platform,
    files: [{ path: wrapperXmlPath(w), content: winswXml(o) }],
    remove: [],
    commands: [
      [w.exe, 'install'],
      [w.exe, 'start'],
    ],
  };
}

export function uninstallPlan(
  platform: ServicePlatform,
  name: string,
  wrapper: WindowsWrapper | null = null,
): ServicePlan {
  if (!/^[A-Za-z][A-Za-z0-9_.-]{0,63}$/.test(name))
    throw new HvkubeError('INVALID_INPUT', `service name ${JSON.stringify(name)} is not allowed`);
  if (platform === 'linux') {
    return {
      platform,
      files: [],
      remove: [systemdUnitPath(name)],
      commands: [
        ['systemctl', 'disable', '--now', `${name}.service`],
        ['systemctl', 'daemon-reload'],
      ],
    };
  }
  const w = requireWrapper(wrapper);
  return {
    platform,
    files: [],
    remove: [wrapperXmlPath(w)],
    commands: [
      [w.exe, 'stop'],
      [w.exe, 'uninstall'],
    ],
  };
}

export function statusCommand(platform: ServicePlatform, name: string): string[] {
  return platform === 'linux'
    ? [
        'systemctl',
        'show',
        `${name}.service`,
        '--property=LoadState,ActiveState,SubState,UnitFileState',
      ]
    : ['sc.exe', 'query', name];
}

async function run(argv: string[]): Promise<string> {
  const [file, ...args] = argv;
  try {
    const r = await execa(file ?? '', args, {
      reject: true,
      stripFinalNewline: true,
      windowsHide: true,
    });
    return r.stdout;
  } catch (e) {
    const err = e as { shortMessage?: string; stderr?: string; code?: string };
    const reason = (err.stderr || err.shortMessage || String(e)).split('\n')[0] ?? '';
    const hint =
      err.code === 'ENOENT'
        ? `${file} is not installed here`
        : /not been booted with systemd/.test(reason)
          ? 'systemd is not running on this host (a container?); `--dry-run` prints the unit to install elsewhere'
          : 'run as root (Linux) or an administrator (Windows); `--dry-run` shows the plan';
    throw new HvkubeError('SERVICE_MANAGER_FAILED', `${argv.join(' ')} failed: ${reason}`, {
      hint,
    });
  }
}

/** Carries a plan out: writes, then runs the commands in order; stops at the first failure. */
export async function executePlan(plan: ServicePlan): Promise<void> {
  for (const f of plan.files) {
    await mkdir(path.dirname(f.path), { recursive: true });
    await writeFile(f.path, f.content, { encoding: 'utf8', mode: 0o644 });
  }
  for (const argv of plan.commands) await run(argv);
  for (const f of plan.remove) await rm(f, { force: true });
}

export interface ServiceStatus {
  name: string;
  installed: boolean;
  running: boolean;
  /** What the service manager said. */
  raw: string;
}

/** sc.exe's answer for a service that does not exist. */
const SC_NO_SUCH_SERVICE = 1060;

export async function serviceStatus(
  platform: ServicePlatform,
  name: string,
): Promise<ServiceStatus> {
  if (platform === 'win32') {
    const [file, ...args] = statusCommand(platform, name);
    const r = await execa(file ?? '', args, { reject: false, windowsHide: true });
    if (r.exitCode === SC_NO_SUCH_SERVICE)
      return { name, installed: false, running: false, raw: r.stdout };
  }
  const raw = await run(statusCommand(platform, name));
  if (platform === 'linux') {
    const props = Object.fromEntries(
      raw.split(/\r?\n/).map((l) => [l.slice(0, l.indexOf('=')), l.slice(l.indexOf('=') + 1)]),
    );
    return {
      name,
      installed: props.LoadState === 'loaded',
      running: props.ActiveState === 'active',
      raw,
    };
  }
  return { name, installed: true, running: /STATE\s*:\s*4\s+RUNNING/.test(raw), raw };
}
