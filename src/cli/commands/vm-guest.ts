/**
 * `hvkube vm exec|cp|ls|clipboard`: work inside a guest from the host (like `docker exec` and
 * `docker cp`), through whatever channel the backend has into its guests.
 * @module
 */
import { readFile, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import cliProgress from 'cli-progress';
import type { Command } from '@commander-js/extra-typings';
import { HvkubeError } from '../../domain/errors.js';
import { json, table, type Out } from '../output.js';
import { withOps } from '../runtime-scope.js';

const LEASE_HELP = 'the lease id the acquire answered: refused (exit 1) if the VM no longer holds it';

/** `NAME:PATH` names a guest path; `C:\…` / `C:/…` is a host drive path, not a VM called C. */
export function parseGuestSpec(value: string): { vm: string; path: string } | null {
  if (/^[A-Za-z]:[\\/]/.test(value)) return null;
  const m = /^([A-Za-z0-9][A-Za-z0-9._-]{0,62}):(.+)$/s.exec(value);
  return m?.[1] && m[2] ? { vm: m[1], path: m[2] } : null;
}

/** `100M`, `1G`, `512K` or plain bytes. */
export function parseSize(value: string): number {
  const m = /^(\d+)([KMG]i?B?)?$/i.exec(value.trim());
  if (!m?.[1]) throw new HvkubeError('INVALID_INPUT', `size ${JSON.stringify(value)} is not a number of bytes`, { hint: 'e.g. 104857600, 100M or 1G' });
  const unit = (m[2] ?? '').charAt(0).toUpperCase();
  const factor = unit === 'K' ? 1024 : unit === 'M' ? 1024 ** 2 : unit === 'G' ? 1024 ** 3 : 1;
  return Number(m[1]) * factor;
}

function progressBar(out: Out, label: string, total: number | null): { update(bytes: number): void; stop(): void } {
  if (!out.isTTY) return { update: () => undefined, stop: () => undefined };
  const bar = new cliProgress.SingleBar(
    { format: ` ${label} [{bar}] {value}/{total} bytes`, hideCursor: true, barsize: 24, stream: process.stderr },
    cliProgress.Presets.shades_classic,
  );
  bar.start(total ?? 0, 0);
  return {
    update: (bytes) => {
      if (total === null) bar.setTotal(Math.max(bytes, 1));
      bar.update(bytes);
    },
    stop: () => bar.stop(),
  };
}

function envPairs(values: string[]): Record<string, string> {
  const env: Record<string, string> = {};
  for (const v of values) {
    const eq = v.indexOf('=');
    if (eq <= 0) throw new HvkubeError('INVALID_INPUT', `--env ${JSON.stringify(v)} is not NAME=VALUE`);
    env[v.slice(0, eq)] = v.slice(eq + 1);
  }
  return env;
}

async function readStdin(): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

export function addGuestCommands(cmd: Command): void {
  cmd
    .command('exec')
    .description('run a program inside the guest: hvkube vm exec NAME -- PROGRAM ARGS… (exits with its exit code)')
    .argument('<name>')
    .argument('<argv...>', 'the program and its arguments, each passed as data (put them after --)')
    .option('--cwd <dir>', 'working directory in the guest')
    .option('-e, --env <NAME=VALUE>', 'add to the environment (repeatable)', (v: string, prev: string[]) => [...prev, v], [] as string[])
    .option('-i, --stdin', 'pass this command\u2019s stdin to the program')
    .option('--shell', "run the one argument through the guest's shell instead")
    .option('--timeout <ms>', 'kill it after this long (default 60000)')
    .option('--lease <id>', LEASE_HELP)
    .action(async (name, argv, o, command) => {
      await withOps(command, async ({ ops, out, json: asJson }) => {
        const timeoutMs = o.timeout === undefined ? undefined : Number(o.timeout);
        if (timeoutMs !== undefined && !Number.isInteger(timeoutMs)) throw new HvkubeError('INVALID_INPUT', '--timeout must be whole milliseconds');
        const stdin = o.stdin ? await readStdin() : undefined;
        const r = await ops.exec(
          name,
          {
            argv: o.shell ? [argv.join(' ')] : argv,
            ...(o.shell ? { shell: true } : {}),
            ...(o.cwd === undefined ? {} : { cwd: o.cwd }),
            ...(o.env.length > 0 ? { env: envPairs(o.env) } : {}),
            ...(stdin === undefined ? {} : { stdin }),
            ...(timeoutMs === undefined ? {} : { timeoutMs }),
          },
          { leaseId: o.lease },
        );
        if (asJson) {
          json(out, { exitCode: r.exitCode, stdout: r.stdout.toString('utf8'), stderr: r.stderr.toString('utf8'), timedOut: r.timedOut, truncated: r.truncated, durationMs: r.durationMs });
        } else {
          out.write(r.stdout.toString('utf8'));
          out.error(r.stderr.toString('utf8'));
          if (r.timedOut) out.error(`hvkube: the command ran past its time-out (${timeoutMs ?? 60000} ms)\n`);
          if (r.truncated) out.error('hvkube: the guest cut the output\n');
        }
        // Like timeout(1): 124 for a time-out; the program's own code otherwise.
        process.exitCode = r.timedOut ? 124 : (r.exitCode ?? 1);
      });
    });

  cmd
    .command('cp')
    .description('copy a file into or out of a guest: hvkube vm cp ./a.txt NAME:/tmp/a.txt, or NAME:/tmp/a.txt ./a.txt')
    .argument('<src>')
    .argument('<dst>')
    .option('--max-size <bytes>', 'refuse (whole) a file larger than this, e.g. 100M (default 100M)')
    .option('--lease <id>', LEASE_HELP)
    .action(async (src, dst, o, command) => {
      const from = parseGuestSpec(src);
      const to = parseGuestSpec(dst);
      if ((from === null) === (to === null)) {
        throw new HvkubeError('INVALID_INPUT', 'give exactly one side as NAME:PATH (the guest) and the other as a host path', { hint: 'e.g. hvkube vm cp ./a.txt hvk-demo-abc123:/tmp/a.txt' });
      }
      const maxBytes = o.maxSize === undefined ? undefined : parseSize(o.maxSize);
      await withOps(command, async ({ ops, out, json: asJson }) => {
        if (from) {
          let file = path.resolve(dst);
          const existing = await stat(file).catch(() => null);
          if (existing?.isDirectory()) file = path.join(file, path.posix.basename(from.path.replace(/\\/g, '/')));
          const bar = progressBar(out, `${from.vm}:${from.path}`, null);
          let data: Uint8Array;
          try {
            data = await ops.readGuestFile(from.vm, from.path, { maxBytes, leaseId: o.lease, onProgress: (b) => bar.update(b) });
          } finally {
            bar.stop();
          }
          await writeFile(file, data);
          if (asJson) json(out, { from: src, to: file, bytes: data.byteLength });
          else out.error(`${src} -> ${file} (${data.byteLength} bytes)\n`);
          return;
        }
        if (!to) return;
        const local = path.resolve(src);
        const info = await stat(local).catch(() => null);
        if (!info?.isFile()) throw new HvkubeError('INVALID_INPUT', `${local} is not a file on this host`);
        if (maxBytes !== undefined && info.size > maxBytes) {
          throw new HvkubeError('GUEST_FILE_TOO_LARGE', `${local} is ${info.size} bytes, over the limit of ${maxBytes}; nothing was copied`, { hint: 'raise --max-size' });
        }
        const target = /[\\/]$/.test(to.path) ? `${to.path}${path.basename(local)}` : to.path;
        const data = await readFile(local);
        const bar = progressBar(out, `${to.vm}:${target}`, data.length);
        try {
          await ops.writeGuestFile(to.vm, target, data, { maxBytes, leaseId: o.lease, onProgress: (b) => bar.update(b) });
        } finally {
          bar.stop();
        }
        if (asJson) json(out, { from: local, to: `${to.vm}:${target}`, bytes: data.length });
        else out.error(`${local} -> ${to.vm}:${target} (${data.length} bytes)\n`);
      });
    });

  cmd
    .command('ls')
    .description('list a folder inside a guest: hvkube vm ls NAME:/path')
    .argument('<target>', 'NAME:PATH')
    .option('--lease <id>', LEASE_HELP)
    .action(async (target, o, command) => {
      const spec = parseGuestSpec(target);
      if (!spec) throw new HvkubeError('INVALID_INPUT', `${JSON.stringify(target)} is not NAME:PATH`, { hint: 'e.g. hvkube vm ls hvk-demo-abc123:/tmp' });
      await withOps(command, async ({ ops, out, json: asJson }) => {
        const entries = await ops.listGuestFiles(spec.vm, spec.path, { leaseId: o.lease });
        if (asJson) return json(out, entries);
        out.write(`${table(['NAME', 'TYPE', 'SIZE', 'MODIFIED'], entries.map((e) => [e.name, e.type, String(e.size), e.modified ?? '-']))}\n`);
      });
    });

  cmd
    .command('clipboard')
    .description("print the guest clipboard's text, or set it with --set")
    .argument('<name>')
    .option('--set <text>', 'put this text on the guest clipboard')
    .option('--lease <id>', LEASE_HELP)
    .action(async (name, o, command) => {
      await withOps(command, async ({ ops, out, json: asJson }) => {
        if (o.set !== undefined) {
          await ops.setClipboard(name, o.set, { leaseId: o.lease });
          if (asJson) json(out, { ok: true });
          return;
        }
        const text = await ops.getClipboard(name, { leaseId: o.lease });
        if (asJson) json(out, { text });
        else out.write(text.endsWith('\n') || text === '' ? text : `${text}\n`);
      });
    });
}
