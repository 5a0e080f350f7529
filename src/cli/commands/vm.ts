import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { readFile } from 'node:fs/promises';
import { Argument, Command, Option } from '@commander-js/extra-typings';
import type { ActionsRequest } from '../../orchestrator/input/run-actions.js';
import { HvkubeError } from '../../domain/errors.js';
import type { Vm } from '../../domain/types.js';
import { ago, json, ms, paintState, table, type Out } from '../output.js';
import { withOps } from '../runtime-scope.js';
import { addGuestCommands } from './vm-guest.js';
import { extensionOf } from '../../hypervisor/console/screenshot-options.js';
import { screenshotOptionsFromQuery } from '../../hypervisor/console/screenshot-query.js';

/** The VM table; a HOST column once the VMs live on more than one host (a fleet). */
function vmRows(out: Out, vms: Vm[]): string {
  const fleet = new Set(vms.map((v) => v.host)).size > 1;
  return table(
    ['NAME', 'POOL', ...(fleet ? ['HOST'] : []), 'STATE', 'HOLDER', 'IP', 'LAST RESUME', 'SINCE'],
    vms.map((v) => [v.name, v.pool, ...(fleet ? [v.host] : []), paintState(out, v.state), v.lease?.holder ?? '-', v.ip ?? '-', ms(v.lastResumeMs), ago(v.stateSince)]),
  );
}

function vmInfo(v: Vm): string {
  return table(
    ['FIELD', 'VALUE'],
    [
      ['name', v.name],
      ['pool', v.pool],
      ['template', v.template],
      ['host', v.host],
      ['state', `${v.state} since ${v.stateSince}`],
      ['holder', v.lease ? `${v.lease.holder} (lease ${v.lease.id}${v.lease.expiresAt ? `, expires ${v.lease.expiresAt}` : ''})` : '-'],
      ['ip', v.ip ?? '-'],
      ['rdp port', v.rdpPort === null ? '-' : String(v.rdpPort)],
      ['mcp endpoint', v.mcpEndpoint ?? '-'],
      ['disk', v.diskPath ?? '-'],
      ['clean checkpoint', v.hasClean ? 'yes' : 'no'],
      ['first boot', ms(v.bootMs)],
      ['last resume', ms(v.lastResumeMs)],
      ['last save', ms(v.lastSaveMs)],
      ['last error', v.lastError ?? '-'],
      ['created', v.createdAt],
    ],
  );
}

const int = (what: string, v: string): number => {
  if (!/^-?\d+$/.test(v)) throw new HvkubeError('INVALID_INPUT', `${what} must be a whole number, got ${JSON.stringify(v)}`);
  return Number(v);
};
/** `1024x768` as a display size. */
const displaySize = (v: string): { width: number; height: number } => {
  const m = /^(\d{1,5})x(\d{1,5})$/i.exec(v.trim());
  if (!m) throw new HvkubeError('INVALID_INPUT', `--display must be WIDTHxHEIGHT, e.g. 1024x768, got ${JSON.stringify(v)}`);
  return { width: Number(m[1]), height: Number(m[2]) };
};
/** `x,y` as a point. */
const point = (what: string, v: string): { x: number; y: number } => {
  const m = /^(\d{1,5}),(\d{1,5})$/.exec(v.trim());
  if (!m) throw new HvkubeError('INVALID_INPUT', `${what} must be x,y (whole numbers), got ${JSON.stringify(v)}`);
  return { x: Number(m[1]), y: Number(m[2]) };
};

interface ActionsFile {
  format?: ActionsRequest['format'];
  actions: unknown[];
  call_id?: string;
  screenshot?: boolean;
  display?: { width: number; height: number };
}

/** A list of actions, one action, or a whole request body. */
async function readActionsFile(file: string): Promise<ActionsFile> {
  let parsed: unknown;
  try {
    parsed = JSON.parse(await readFile(file, 'utf8'));
  } catch (e) {
    throw new HvkubeError('INVALID_INPUT', `cannot read actions from ${file}: ${e instanceof Error ? e.message : String(e)}`, { hint: 'give a JSON file' });
  }
  if (Array.isArray(parsed)) return { actions: parsed };
  if (typeof parsed === 'object' && parsed !== null && Array.isArray((parsed as { actions?: unknown }).actions)) {
    const body = parsed as ActionsFile;
    const format = body.format;
    if (format !== undefined && format !== 'hvkube' && format !== 'anthropic' && format !== 'openai') {
      throw new HvkubeError('INVALID_INPUT', `format in ${file} must be hvkube, anthropic or openai`);
    }
    return body;
  }
  if (typeof parsed === 'object' && parsed !== null) return { actions: [parsed] };
  throw new HvkubeError('INVALID_INPUT', `${file} holds neither actions nor a request body`);
}

/** Seconds: a whole number, 0 or more. */
const seconds = (what: string, v: string): number => {
  const n = int(what, v);
  if (n < 0) throw new HvkubeError('INVALID_INPUT', `${what} must be 0 or more seconds, got ${n}`);
  return n;
};

const LEASE_HELP = 'the lease id the acquire answered: refused (exit 1) if the VM no longer holds it';

export function vmCommand(): Command {
  const cmd = new Command('vm').description('single VMs: acquire, release, lifecycle and console');

  cmd
    .command('list')
    .description('list VMs')
    .option('--pool <pool>', 'only this pool')
    .action(async (o, command) => {
      await withOps(command, async ({ ops, out, json: asJson }) => {
        const vms = await ops.listVms(o.pool ? { pool: o.pool } : {});
        if (asJson) json(out, vms);
        else out.write(vmRows(out, vms));
      });
    });

  cmd
    .command('info')
    .description('show one VM')
    .argument('<name>')
    .action(async (name, _o, command) => {
      await withOps(command, async ({ ops, out, json: asJson }) => {
        const vm = await ops.getVm(name);
        if (asJson) json(out, vm);
        else out.write(vmInfo(vm));
      });
    });

  cmd
    .command('acquire')
    .description('take a ready VM from a pool: resumed, probed, leased to you')
    .requiredOption('--pool <pool>', 'pool to take from')
    .option('--timeout <s>', 'seconds to wait when no VM is ready (0: fail at once)', '30')
    .option('--holder <name>', 'who holds it (shown in listings)')
    .option('--lease-ttl <s>', 'the lease ends after this many seconds unless renewed (default: api.leaseTtlS in config.json, else 600)')
    .option('--display <WxH>', 'the display size your agent sees, e.g. 1024x768: screenshots under the lease are scaled to it and coordinates mapped back')
    .action(async (o, command) => {
      await withOps(command, async ({ ops, out, json: asJson }) => {
        const answer = await ops.acquire({
          pool: o.pool,
          timeoutS: seconds('timeout', o.timeout),
          holder: o.holder ?? `cli:${process.env.USER ?? process.env.USERNAME ?? 'user'}`,
          leaseTtlS: o.leaseTtl === undefined ? undefined : seconds('lease TTL', o.leaseTtl),
          ...(o.display === undefined ? {} : { display: displaySize(o.display) }),
        });
        if (asJson) json(out, answer);
        else {
          const lease = answer.lease_expires_at ? `; lease ${answer.lease_id} until ${answer.lease_expires_at} (renew with: hvkube vm renew ${answer.vm_name} --lease ${answer.lease_id})` : '';
          out.write(`acquired ${answer.vm_name} (ip ${answer.ip_address ?? '-'}) — resumed in ${ms(answer.resume_ms)}${answer.hot ? ' from the hot tier' : ''}${lease}\nrelease it with: hvkube vm release ${answer.vm_name} --lease ${answer.lease_id}\n`);
        }
      });
    });

  cmd
    .command('release')
    .description('give a VM back: save it, reset it to clean, or destroy it')
    .argument('<name>')
    .addOption(new Option('--policy <policy>', "default: the pool's").choices(['save', 'reset', 'destroy'] as const))
    .option('--lease <id>', 'only if held under this lease')
    .action(async (name, o, command) => {
      await withOps(command, async ({ ops, out, json: asJson }) => {
        // Wait until the VM is back in the pool, so the exit status says whether it made it.
        const r = await ops.release(name, { policy: o.policy, leaseId: o.lease, wait: true });
        if (asJson) json(out, r);
        else out.write(`released ${name} (${r.policy}) — now ${r.state}\n`);
        if (r.state === 'error') process.exitCode = 1;
      });
    });

  cmd
    .command('renew')
    .description('extend the lease of an acquired VM')
    .argument('<name>')
    .requiredOption('--lease <id>', 'the lease id the acquire answered')
    .option('--ttl <s>', 'seconds from now (default: api.leaseTtlS in config.json, else 600)')
    .action(async (name, o, command) => {
      await withOps(command, async ({ ops, out, json: asJson }) => {
        const vm = await ops.renewLease(name, o.lease, o.ttl === undefined ? undefined : seconds('ttl', o.ttl));
        if (asJson) json(out, vm);
        else out.write(`${name}: lease ${o.lease} now ends ${vm.lease?.expiresAt ?? 'never'}\n`);
      });
    });

  const simple = (verb: 'resume' | 'save' | 'reset' | 'stop' | 'remove', description: string): void => {
    const sub = cmd.command(verb).description(description).argument('<name>');
    if (verb !== 'resume' && verb !== 'save') sub.option('--force', verb === 'stop' ? 'power off instead of shutting down (also when in use)' : 'even when in use');
    sub.action(async (name, o: { force?: boolean }, command) => {
      await withOps(command, async ({ ops, out, json: asJson }) => {
        const force = o.force === true;
        const vm =
          verb === 'resume'
            ? await ops.resumeVm(name)
            : verb === 'save'
              ? await ops.saveVm(name)
              : verb === 'reset'
                ? await ops.resetVm(name, { force })
                : verb === 'stop'
                  ? await ops.stopVm(name, { force })
                  : (await ops.removeVm(name, { force }), null);
        if (asJson) json(out, vm ?? { removed: name });
        else out.write(vm ? `${name}: ${vm.state}\n` : `${name} removed\n`);
      });
    });
  };
  simple('resume', 'resume (or boot) a VM without leasing it (the pool controller saves it after 10 minutes unleased)');
  simple('save', 'save a running VM');
  simple('reset', 'restore the clean checkpoint (the VM ends saved)');
  simple('stop', 'shut a VM down');
  simple('remove', 'remove a VM and its disk (the pool controller replaces it)');

  cmd
    .command('screenshot')
    .description("save an image of the VM's screen (PNG, JPEG or WebP; scaled, cropped or zoomed)")
    .argument('<name>')
    .option('-o, --output <file>', 'where to write it (default: NAME.png, .jpg or .webp)')
    .addOption(new Option('--format <format>', 'image format').choices(['png', 'jpeg', 'webp'] as const))
    .option('--quality <1-100>', 'JPEG/WebP quality (default 80)')
    .option('--width <px>', 'scale to fit this width (aspect kept)')
    .option('--height <px>', 'scale to fit this height (aspect kept)')
    .option('--longest-side <px>', 'scale so that the longer side is this long')
    .option('--region <x,y,w,h>', 'only this rectangle of the screen, in screen pixels')
    .option('--zoom <x,y,w,h>', 'this rectangle enlarged to the size of the whole screenshot')
    .option('--cursor [x,y]', 'draw the mouse pointer in (where hvkube last put it, or at x,y)')
    .option('--lease <id>', LEASE_HELP)
    .action(async (name, o, command) => {
      await withOps(command, async ({ ops, out, json: asJson }) => {
        const options = screenshotOptionsFromQuery({
          format: o.format,
          quality: o.quality,
          width: o.width,
          height: o.height,
          longest_side: o.longestSide,
          region: o.region,
          zoom: o.zoom,
          cursor: o.cursor === undefined ? undefined : o.cursor === true ? 'true' : o.cursor,
        });
        const image = await ops.screenshot(name, { ...options, leaseId: o.lease });
        const file = path.resolve(o.output ?? `${name}.${extensionOf(options.format)}`);
        await writeFile(file, image);
        if (asJson) json(out, { file, bytes: image.length, format: options.format ?? 'png' });
        else out.write(`${file} (${image.length} bytes)\n`);
      });
    });

  cmd
    .command('type')
    .description('type text into the VM')
    .argument('<name>')
    .argument('<text>')
    .option('--lease <id>', LEASE_HELP)
    .action(async (name, text, o, command) => {
      await withOps(command, async ({ ops }) => ops.typeText(name, text, { leaseId: o.lease }));
    });

  cmd
    .command('keys')
    .description('press key chords, e.g. ctrl+l enter alt+f4')
    .argument('<name>')
    .argument('<chords...>')
    .option('--lease <id>', LEASE_HELP)
    .action(async (name, chords, o, command) => {
      await withOps(command, async ({ ops }) => ops.pressKeys(name, chords, { leaseId: o.lease }));
    });

  cmd
    .command('click')
    .description('click at screen coordinates')
    .argument('<name>')
    .argument('<x>')
    .argument('<y>')
    .addOption(new Option('--button <button>').choices(['left', 'right', 'middle'] as const).default('left' as const))
    .option('--double', 'double-click')
    .option('--triple', 'triple-click (selects a line or paragraph)')
    .option('--lease <id>', LEASE_HELP)
    .action(async (name, x, y, o, command) => {
      await withOps(command, async ({ ops }) =>
        ops.click(name, int('x', x), int('y', y), { button: o.button, ...(o.triple === true ? { count: 3 as const } : { double: o.double === true }), leaseId: o.lease }),
      );
    });

  cmd
    .command('mouse')
    .description('press a mouse button and keep it down, or release it (a drag by hand: mouse down, move, mouse up)')
    .argument('<name>')
    .addArgument(new Argument('<state>', 'down or up').choices(['down', 'up'] as const))
    .addOption(new Option('--button <button>').choices(['left', 'right', 'middle'] as const).default('left' as const))
    .option('--at <x,y>', 'move there first')
    .option('--lease <id>', LEASE_HELP)
    .action(async (name, state, o, command) => {
      const at = o.at === undefined ? {} : point('--at', o.at);
      await withOps(command, async ({ ops }) => ops.mouseButton(name, state === 'down', { button: o.button, ...at, leaseId: o.lease }));
    });

  cmd
    .command('key')
    .description('press keys and keep them down, or release them, e.g. `key N down shift`')
    .argument('<name>')
    .addArgument(new Argument('<state>', 'down or up').choices(['down', 'up'] as const))
    .argument('<keys...>')
    .option('--lease <id>', LEASE_HELP)
    .action(async (name, state, keys, o, command) => {
      await withOps(command, async ({ ops }) => ops.keyState(name, keys, state === 'down', { leaseId: o.lease }));
    });

  cmd
    .command('hold')
    .description('hold a key chord down for a while, e.g. `hold N shift --ms 1500`')
    .argument('<name>')
    .argument('<chord>')
    .requiredOption('--ms <ms>', 'how long, in milliseconds (up to 60000)')
    .option('--lease <id>', LEASE_HELP)
    .action(async (name, chord, o, command) => {
      await withOps(command, async ({ ops }) => {
        await ops.runActions(name, { format: 'hvkube', actions: [{ action: 'hold', chord, duration_ms: int('--ms', o.ms) }] }, { leaseId: o.lease });
      });
    });

  cmd
    .command('drag')
    .description('drag with a button held along points, e.g. `drag N 10,10 200,150`')
    .argument('<name>')
    .argument('<points...>', 'two points or more, as x,y')
    .addOption(new Option('--button <button>').choices(['left', 'right', 'middle'] as const).default('left' as const))
    .option('--steps <n>', 'moves per segment (default 10)')
    .option('--step-delay <ms>', 'pause after each move (default 10)')
    .option('--lease <id>', LEASE_HELP)
    .action(async (name, points, o, command) => {
      const action = {
        action: 'drag',
        path: points.map((p) => point('point', p)),
        button: o.button,
        ...(o.steps === undefined ? {} : { steps: int('--steps', o.steps) }),
        ...(o.stepDelay === undefined ? {} : { step_delay_ms: int('--step-delay', o.stepDelay) }),
      };
      await withOps(command, async ({ ops }) => {
        await ops.runActions(name, { format: 'hvkube', actions: [action] }, { leaseId: o.lease });
      });
    });

  cmd
    .command('screen')
    .description('the screen size and where the pointer is')
    .argument('<name>')
    .option('--lease <id>', LEASE_HELP)
    .action(async (name, o, command) => {
      await withOps(command, async ({ ops, out, json: asJson }) => {
        const s = await ops.screenInfo(name, { leaseId: o.lease });
        if (asJson) return json(out, s);
        const display = s.display ? `; your lease sees ${s.display.width}x${s.display.height}` : '';
        out.write(`${s.width}x${s.height}${display}; pointer ${s.cursor ? `${s.cursor.x},${s.cursor.y}` : 'not known yet'}\n`);
      });
    });

  cmd
    .command('actions')
    .description('run a list of actions from a JSON file, in hvkube\'s, Anthropic\'s or OpenAI\'s form (see docs/actions.md)')
    .argument('<name>')
    .requiredOption('-f, --file <file>', 'JSON: a list of actions, one action, or a whole request body {"format", "actions", ...}')
    .addOption(new Option('--format <format>', 'the dialect of the actions').choices(['hvkube', 'anthropic', 'openai'] as const))
    .option('--display <WxH>', 'the display size the actions\' coordinates are in')
    .option('--screenshot <file>', 'take a screenshot after the last action and write it here (PNG)')
    .option('--lease <id>', LEASE_HELP)
    .action(async (name, o, command) => {
      const parsed = await readActionsFile(o.file);
      const request: ActionsRequest = {
        format: o.format ?? parsed.format ?? 'hvkube',
        actions: parsed.actions,
        ...(parsed.call_id === undefined ? {} : { call_id: parsed.call_id }),
        ...(o.screenshot !== undefined || parsed.screenshot === true ? { screenshot: true } : {}),
        ...(o.display !== undefined ? { display: displaySize(o.display) } : parsed.display ? { display: parsed.display } : {}),
      };
      await withOps(command, async ({ ops, out, json: asJson }) => {
        const answer = await ops.runActions(name, request, { leaseId: o.lease });
        if (o.screenshot !== undefined && answer.screenshot) await writeFile(o.screenshot, Buffer.from(answer.screenshot.data, 'base64'));
        // The image is in the file (or left out): the printed answer stays readable.
        const shown = { ...answer, ...(answer.screenshot ? { screenshot: { ...answer.screenshot, data: `<${answer.screenshot.data.length} base64 characters>` } } : {}) };
        delete shown.reply;
        if (asJson) return json(out, shown);
        for (const r of answer.results) {
          const extra = r.cursor !== undefined ? ` pointer ${r.cursor ? `${r.cursor.x},${r.cursor.y}` : 'not known'}` : r.image ? ` image ${r.image.width}x${r.image.height}` : '';
          out.write(`${r.index}: ${r.action} ok${extra}\n`);
        }
        if (o.screenshot !== undefined && answer.screenshot) out.write(`screenshot ${answer.screenshot.width}x${answer.screenshot.height} written to ${o.screenshot}\n`);
      });
    });

  cmd
    .command('console')
    .description("how to watch the VM's screen live")
    .argument('<name>')
    .action(async (name, _o, command) => {
      await withOps(command, async ({ ops, out, json: asJson }) => {
        const c = await ops.console(name);
        if (asJson) return json(out, c);
        out.write(`${c.instructions}\n`);
        if (c.command) out.write(`${c.command.join(' ')}\n`);
      });
    });

  cmd
    .command('rdp')
    .description("write an .rdp file for the VM's current address (and open it with mstsc on Windows)")
    .argument('<name>')
    .option('-o, --output <file>', 'where to write it (default: NAME.rdp)')
    .option('--open', 'start the Remote Desktop client with it (Windows)')
    .action(async (name, o, command) => {
      await withOps(command, async ({ ops, out, json: asJson }) => {
        const vm = await ops.getVm(name);
        const host = await ops.hostInfo();
        // NAT backends (QEMU) forward the guest's RDP port to this host's loopback.
        const address = host.backend === 'qemu' ? '127.0.0.1' : vm.ip;
        if (!address || vm.rdpPort === null) {
          throw new HvkubeError('VM_INVALID_STATE', `VM ${name} has no known address yet (it is ${vm.state})`, {
            hint: `acquire or resume it first: hvkube vm acquire --pool ${vm.pool}`,
          });
        }
        const { RDP_CONSOLE_WARNING, writeRdpFile } = await import('../../hypervisor/hyperv/rdp.js');
        const file = path.resolve(o.output ?? `${name}.rdp`);
        await writeRdpFile(file, address, vm.rdpPort);
        if (o.open) {
          if (process.platform !== 'win32') throw new HvkubeError('INVALID_INPUT', '--open starts mstsc, which exists on Windows only', { hint: `open ${file} with your RDP client` });
          const { spawn } = await import('node:child_process');
          spawn('mstsc', [file], { detached: true, stdio: 'ignore' }).unref();
        }
        // Console automation and an RDP logon share one session on Windows client guests (Hyper-V console).
        const warning = host.backend === 'hyperv' ? RDP_CONSOLE_WARNING : null;
        if (asJson) json(out, { file, address, port: vm.rdpPort, warning });
        else out.write(`${file} (${address}:${vm.rdpPort})\n${warning === null ? '' : `${warning}\n`}`);
      });
    });
  addGuestCommands(cmd);
  return cmd;
}
