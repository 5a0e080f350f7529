import { Command, Option } from '@commander-js/extra-typings';
import { HvkubeError } from '../../domain/errors.js';
import type { GuestDevices, GuestMachine, GuestOs, ReadinessProbe, Template } from '../../domain/types.js';
import { GUEST_DEVICE_SETS, GUEST_OSES } from '../../domain/types.js';
import { json, table } from '../output.js';
import { withOps } from '../runtime-scope.js';

function parseProbe(spec: string): ReadinessProbe {
  if (spec === 'heartbeat' || spec === 'ip') return { type: spec };
  const tcp = /^tcp:(\d{1,5})$/.exec(spec);
  if (tcp) return { type: 'tcp', port: Number(tcp[1]) };
  const http = /^http:(\d{1,5})(\/[A-Za-z0-9._~/-]*)$/.exec(spec);
  if (http) return { type: 'http', port: Number(http[1]), path: http[2] ?? '/' };
  throw new HvkubeError('INVALID_INPUT', `probe ${JSON.stringify(spec)} is not understood`, {
    hint: 'use heartbeat, ip, tcp:PORT or http:PORT/path',
  });
}

function describeGuest(g: GuestMachine | undefined): string {
  if (!g) return 'linux';
  const parts: string[] = [g.os, `${g.devices} devices`];
  if (g.os === 'windows') parts.push(`UEFI + TPM 2.0, Secure Boot ${g.secureBoot ? 'on' : 'off'}`);
  if (g.display) parts.push(`display ${g.display.width}x${g.display.height}`);
  return parts.join(', ');
}

function showTemplate(t: Template): string {
  return table(
    ['FIELD', 'VALUE'],
    [
      ['name', t.name],
      ['disk', t.diskPath],
      ['memory', `${t.memoryMb} MB`],
      ['cpus', String(t.cpus)],
      ['gpu', t.gpu ? 'yes' : 'no'],
      ['software', t.software.join(', ') || '-'],
      ['probes', t.probes.map((p) => (p.type === 'tcp' ? `tcp:${p.port}` : p.type === 'http' ? `http:${p.port}${p.path}` : p.type)).join(', ')],
      ['credentials', t.credentialsRef ?? '-'],
      ['mcp', t.mcp ? `port ${t.mcp.port} ${t.mcp.path}` : '-'],
      ['rdp port', String(t.rdpPort)],
      ['boot', t.boot ? `kernel ${t.boot.kernel}` : 'firmware'],
      ['ready timeout', t.readyTimeoutS === null ? 'default (by accelerator)' : `${t.readyTimeoutS} s`],
      ['guest', describeGuest(t.guest)],
      ['created', t.createdAt],
    ],
  );
}

export function templateCommand(): Command {
  const cmd = new Command('template').description('golden images VMs are cloned from');

  for (const verb of ['create', 'register'] as const) {
    cmd
      .command(verb)
      .description(verb === 'create' ? 'register a golden image as a template' : 'same as create')
      .requiredOption('--name <name>', 'template name')
      .addOption(new Option('--vhdx <path>', 'golden image (.vhdx/.vhd for Hyper-V, .qcow2/.img for QEMU)'))
      .addOption(new Option('--disk <path>', 'same as --vhdx').hideHelp())
      .option('--memory <mb>', 'memory in MB', '2048')
      .option('--cpus <n>', 'virtual CPUs', '2')
      .option('--gpu', 'attach a GPU partition')
      .option('--software <list>', 'comma-separated software installed in the image')
      .option('--probe <spec...>', 'readiness probes: heartbeat, ip, tcp:PORT, http:PORT/path', ['heartbeat'])
      .option('--mcp-port <port>', 'port of the in-guest MCP automation server')
      .option('--mcp-path <path>', 'path of the in-guest MCP endpoint', '/mcp')
      .option('--rdp-port <port>', "guest's RDP port", '3389')
      .option('--credentials <ref>', 'where the guest password comes from: env:NAME or file:PATH')
      .option('--kernel <path>', 'boot this kernel directly (QEMU)')
      .option('--initrd <path>', 'initrd for --kernel')
      .option('--cmdline <text>', 'kernel command line for --kernel', '')
      .option('--ready-timeout <s>', 'seconds a boot or resume may take to become ready (default: 120, or 300 under software emulation)')
      .addOption(new Option('--os <os>', 'the guest operating system; QEMU builds UEFI + TPM + Windows devices for windows').choices([...GUEST_OSES]))
      .option('--secure-boot', 'UEFI Secure Boot on (default for --os windows)')
      .option('--no-secure-boot', 'UEFI Secure Boot off')
      .addOption(new Option('--devices <set>', 'stock: AHCI + e1000e (drivers every Windows has); virtio: the image has virtio drivers').choices([...GUEST_DEVICE_SETS]))
      .option('--display <WxH>', 'resolution the display offers the guest first, e.g. 1920x1080')
      .action(async (o, command) => {
        await withOps(command, async ({ ops, out, json: asJson }) => {
          const diskPath = o.vhdx ?? o.disk;
          if (!diskPath) throw new HvkubeError('INVALID_INPUT', 'no disk image given', { hint: 'pass --vhdx PATH' });
          const t = await ops.registerTemplate({
            name: o.name,
            diskPath,
            memoryMb: Number(o.memory),
            cpus: Number(o.cpus),
            gpu: o.gpu === true,
            software: o.software ? o.software.split(',').map((s) => s.trim()).filter(Boolean) : [],
            probes: o.probe.map(parseProbe),
            mcp: o.mcpPort ? { port: Number(o.mcpPort), path: o.mcpPath } : null,
            rdpPort: Number(o.rdpPort),
            credentialsRef: o.credentials ?? null,
            boot: o.kernel ? { kernel: o.kernel, initrd: o.initrd ?? null, cmdline: o.cmdline } : null,
            readyTimeoutS: o.readyTimeout === undefined ? null : Number(o.readyTimeout),
            guest: guestOptions(o),
          });
          if (asJson) json(out, t);
          else out.write(`template ${t.name} registered (${t.memoryMb} MB, ${t.cpus} CPU)\n`);
        });
      });
  }

  cmd
    .command('list')
    .description('list templates')
    .action(async (_o, command) => {
      await withOps(command, async ({ ops, out, json: asJson }) => {
        const ts = await ops.listTemplates();
        if (asJson) return json(out, ts);
        out.write(table(['NAME', 'MEMORY', 'CPUS', 'GPU', 'DISK'], ts.map((t) => [t.name, `${t.memoryMb} MB`, String(t.cpus), t.gpu ? 'yes' : 'no', t.diskPath])));
      });
    });

  cmd
    .command('show')
    .description('show one template')
    .argument('<name>')
    .action(async (name, _o, command) => {
      await withOps(command, async ({ ops, out, json: asJson }) => {
        const t = await ops.getTemplate(name);
        if (asJson) json(out, t);
        else out.write(showTemplate(t));
      });
    });

  cmd
    .command('remove')
    .description('remove a template no pool uses')
    .argument('<name>')
    .action(async (name, _o, command) => {
      await withOps(command, async ({ ops, out, json: asJson }) => {
        await ops.removeTemplate(name);
        if (asJson) json(out, { removed: name });
        else out.write(`template ${name} removed\n`);
      });
    });
  return cmd;
}

/** The `guest` of a template from `--os`, `--secure-boot`, `--devices` and `--display`; null when none is given. */
function guestOptions(o: { os?: GuestOs; secureBoot?: boolean; devices?: GuestDevices; display?: string }): Partial<GuestMachine> | null {
  if (o.os === undefined && o.secureBoot === undefined && o.devices === undefined && o.display === undefined) return null;
  const guest: Partial<GuestMachine> = {};
  if (o.os !== undefined) guest.os = o.os;
  if (o.secureBoot !== undefined) guest.secureBoot = o.secureBoot;
  if (o.devices !== undefined) guest.devices = o.devices;
  if (o.display !== undefined) {
    const match = /^(\d{3,4})x(\d{3,4})$/.exec(o.display.trim());
    if (!match) throw new HvkubeError('INVALID_INPUT', `--display ${JSON.stringify(o.display)} is not WIDTHxHEIGHT`, { hint: 'e.g. --display 1920x1080' });
    guest.display = { width: Number(match[1]), height: Number(match[2]) };
  }
  return guest;
}
