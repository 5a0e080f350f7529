/**
 * `hvkube service install|uninstall|status`: run `hvkube serve` as a systemd unit (Linux) or a
 * Windows service (through the WinSW wrapper). See docs/service.md.
 * @module
 */
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Command, Option } from '@commander-js/extra-typings';
import { loadConfig } from '../../config/load.js';
import { HvkubeError } from '../../domain/errors.js';
import {
  executePlan,
  installPlan,
  serviceStatus,
  uninstallPlan,
  type ServicePlan,
  type ServicePlatform,
} from '../../service/index.js';
import { json, processOut, type Out } from '../output.js';
import { globals } from '../runtime-scope.js';

function platformOf(choice: string | undefined): ServicePlatform {
  const p = choice ?? (process.platform === 'win32' ? 'windows' : process.platform);
  if (p === 'windows' || p === 'win32') return 'win32';
  if (p === 'linux') return 'linux';
  throw new HvkubeError(
    'INVALID_INPUT',
    `services are installed on Linux (systemd) and Windows, not ${p}`,
  );
}

function printPlan(out: Out, plan: ServicePlan): void {
  for (const f of plan.files)
    out.write(`# would write ${f.path}\n${f.content.replace(/\r\n/g, '\n')}\n`);
  for (const f of plan.remove) out.write(`# would remove ${f}\n`);
  for (const c of plan.commands) out.write(`# would run: ${JSON.stringify(c)}\n`);
}

const platformOption = (): Option<
  '--platform <platform>',
  undefined,
  undefined,
  'linux' | 'windows'
> =>
  new Option('--platform <platform>', 'the service manager to target (default: this host)').choices(
    ['linux', 'windows'] as const,
  );

export function serviceCommand(): Command {
  const cmd = new Command('service').description(
    'run `hvkube serve` as a system service (systemd on Linux, a Windows service)',
  );

  cmd
    .command('install')
    .description('install and start the service (as root / an administrator)')
    .option('--name <name>', 'service name', 'hvkube')
    .option(
      '--user <account>',
      'account to run as (Linux: a user; Windows: e.g. .\\hvkube-svc, its password is asked at install)',
    )
    .option('--listen <address>', 'HOST:PORT for the API (default: api.listen of config.json)')
    .option(
      '--log-dir <dir>',
      'Windows: where the log files go (default: <data dir>\\logs); Linux logs to the journal',
    )
    .option(
      '--env <NAME=value...>',
      'extra environment for the service (never secrets: put tokens in config.json)',
    )
    .option('--wrapper <exe>', 'Windows: the WinSW executable that hosts the service')
    .option('--node <path>', 'node executable (default: the one running this command)')
    .option('--cli <path>', "hvkube CLI script (default: this installation's dist/cli/main.js)")
    .addOption(platformOption())
    .option('--dry-run', 'print the files and commands, change nothing')
    .action(async (o, command) => {
      const out = processOut();
      const g = globals(command);
      const platform = platformOf(o.platform);
      const flavour = platform === 'win32' ? path.win32 : path.posix;
      // A path for another platform (a unit or service file made elsewhere) is taken as written.
      const dataDir =
        g.dataDir !== undefined && flavour.isAbsolute(g.dataDir)
          ? g.dataDir
          : loadConfig({ dataDir: g.dataDir }).dataDir;
      const env = Object.fromEntries(
        (o.env ?? []).map((pair) => {
          const i = pair.indexOf('=');
          if (i <= 0)
            throw new HvkubeError(
              'INVALID_INPUT',
              `--env ${JSON.stringify(pair)} must be NAME=value`,
            );
          return [pair.slice(0, i), pair.slice(i + 1)];
        }),
      );
      const plan = installPlan(
        platform,
        {
          name: o.name,
          nodePath: o.node ?? process.execPath,
          cliPath: o.cli ?? fileURLToPath(new URL('../main.js', import.meta.url)),
          dataDir,
          listen: o.listen ?? null,
          account: o.user ?? null,
          logDir: o.logDir ?? flavour.join(dataDir, 'logs'),
          env,
        },
        o.wrapper ? { exe: o.wrapper } : null,
      );
      if (o.dryRun) return g.json ? json(out, plan) : printPlan(out, plan);
      await executePlan(plan);
      out.write(`service ${o.name} installed and started\n`);
    });

  cmd
    .command('uninstall')
    .description('stop and remove the service (VMs and data stay)')
    .option('--name <name>', 'service name', 'hvkube')
    .option('--wrapper <exe>', 'Windows: the WinSW executable that hosts the service')
    .addOption(platformOption())
    .option('--dry-run', 'print the commands, change nothing')
    .action(async (o, command) => {
      const out = processOut();
      const plan = uninstallPlan(
        platformOf(o.platform),
        o.name,
        o.wrapper ? { exe: o.wrapper } : null,
      );
      if (o.dryRun) return globals(command).json ? json(out, plan) : printPlan(out, plan);
      await executePlan(plan);
      out.write(`service ${o.name} removed\n`);
    });

  cmd
    .command('status')
    .description('whether the service is installed and running')
    .option('--name <name>', 'service name', 'hvkube')
    .action(async (o, command) => {
      const out = processOut();
      const s = await serviceStatus(platformOf(undefined), o.name);
      if (globals(command).json) return json(out, s);
      out.write(
        `service ${s.name}: ${s.installed ? (s.running ? 'running' : 'installed, not running') : 'not installed'}\n`,
      );
    });

  return cmd;
}
