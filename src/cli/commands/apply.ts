/**
 * `hvkube apply`, `hvkube diff` and `hvkube export`: fleet documents (docs/apply.md), planned by
 * src/orchestrator/apply here or, with `--server`, by the server's planner.
 * @module
 */
import { readdir, readFile, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { Command } from '@commander-js/extra-typings';
import { HvkubeClient } from '../../client/client.js';
import { HvkubeError } from '../../domain/errors.js';
import {
  applyFleet,
  exportFleet,
  fleetToYaml,
  type ApplyOptions,
  type ApplyResult,
  type FleetFile,
  type FleetObject,
  type PlanEntry,
} from '../../orchestrator/apply/index.js';
import { WorkflowCatalog } from '../../orchestrator/workflows/workflow-catalog.js';
import { json, paint, processOut, type Out } from '../output.js';
import { reportError } from '../report-error.js';
import { globals, serverUrl, withRuntime } from '../runtime-scope.js';

type CommandLike = { optsWithGlobals(): unknown };

const EXTENSIONS = new Set(['.yaml', '.yml', '.json']);
/** Far beyond any fleet file; stops a stray large file from being read. */
const MAX_FILE_BYTES = 4 * 1024 * 1024;

async function readStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

/** The files named by `-f`: a file, every .yaml/.yml/.json of a folder (sorted), or `-` for stdin. */
export async function readFleetFiles(paths: readonly string[]): Promise<FleetFile[]> {
  const out: FleetFile[] = [];
  const readOne = async (file: string): Promise<void> => {
    if ((await stat(file)).size > MAX_FILE_BYTES)
      throw new HvkubeError('INVALID_INPUT', `${file} is larger than 4 MiB`, {
        hint: 'split it into several files',
      });
    out.push({ name: file, text: await readFile(file, 'utf8') });
  };
  for (const p of paths) {
    if (p === '-') {
      out.push({ name: '(stdin)', text: await readStdin() });
      continue;
    }
    let isDir: boolean;
    try {
      isDir = (await stat(p)).isDirectory();
    } catch {
      throw new HvkubeError('INVALID_INPUT', `${p} does not exist`, {
        hint: 'pass a fleet file or a folder of them with -f',
      });
    }
    if (!isDir) {
      await readOne(p);
      continue;
    }
    const names = (await readdir(p))
      .filter((f) => EXTENSIONS.has(path.extname(f).toLowerCase()))
      .sort();
    if (names.length === 0)
      throw new HvkubeError('INVALID_INPUT', `${p} holds no .yaml, .yml or .json file`);
    for (const f of names) await readOne(path.join(p, f));
  }
  return out;
}

function remoteClient(command: CommandLike): HvkubeClient | null {
  const g = globals(command);
  const url = serverUrl(g);
  return url === undefined
    ? null
    : new HvkubeClient({ url, token: g.token ?? (process.env.HVKUBE_API_TOKEN || undefined) });
}

async function runApply(
  command: CommandLike,
  files: FleetFile[],
  options: ApplyOptions,
): Promise<ApplyResult> {
  const client = remoteClient(command);
  if (client) return client.apply({ files, prune: options.prune, dryRun: options.dryRun });
  return withRuntime(command, ({ rt }) =>
    applyFleet(
      {
        orch: rt.orchestrator,
        workflows: new WorkflowCatalog(path.join(rt.config.dataDir, 'workflows')),
      },
      { files },
      options,
    ),
  );
}

async function runExport(command: CommandLike): Promise<FleetObject[]> {
  const client = remoteClient(command);
  if (client) return client.exportFleet();
  return withRuntime(command, ({ rt }) =>
    exportFleet({
      orch: rt.orchestrator,
      workflows: new WorkflowCatalog(path.join(rt.config.dataDir, 'workflows')),
    }),
  );
}

const PAST: Record<PlanEntry['action'], string> = {
  create: 'created',
  update: 'configured',
  unchanged: 'unchanged',
  delete: 'pruned',
};
const show = (v: unknown): string => (v === undefined ? '(none)' : JSON.stringify(v));
const where = (e: PlanEntry): string =>
  e.source ? ` (${e.source.file}${e.source.line === null ? '' : `:${e.source.line}`})` : '';

function applyLines(out: Out, r: ApplyResult): string {
  const colour = { create: 'green', update: 'yellow', unchanged: 'gray', delete: 'red' } as const;
  const suffix = r.dryRun ? ' (dry run)' : '';
  return r.entries
    .map((e) => {
      const changes =
        e.changes.length > 0
          ? `: ${e.changes.map((c) => `${c.field} ${show(c.from)} → ${show(c.to)}`).join(', ')}`
          : '';
      return `${e.kind.toLowerCase()}/${e.name} ${paint(out, colour[e.action], PAST[e.action])}${changes}${suffix}\n`;
    })
    .join('');
}

function diffLines(out: Out, r: ApplyResult): string {
  const mark = {
    create: paint(out, 'green', '+'),
    update: paint(out, 'yellow', '~'),
    delete: paint(out, 'red', '-'),
    unchanged: ' ',
  };
  return r.entries
    .filter((e) => e.action !== 'unchanged')
    .map(
      (e) =>
        `${mark[e.action]} ${e.kind}/${e.name}${where(e)}\n${e.changes.map((c) => `    ${c.field}: ${show(c.from)} → ${show(c.to)}\n`).join('')}`,
    )
    .join('');
}

const filenameHelp =
  'a fleet file, a folder of them (.yaml, .yml, .json), or - for stdin; repeatable';

export function applyCommand(): Command {
  return new Command('apply')
    .description(
      'create, change (and with --prune remove) templates, pools and workflows to match fleet files',
    )
    .requiredOption('-f, --filename <path...>', filenameHelp)
    .option(
      '--prune',
      'remove templates, pools and workflows the files do not name (never a VM in use)',
    )
    .option('--dry-run', 'show what would change, change nothing')
    .action(async (o, command) => {
      const out = processOut();
      const r = await runApply(command, await readFleetFiles(o.filename), {
        prune: o.prune === true,
        dryRun: o.dryRun === true,
      });
      if (globals(command).json === true) return json(out, r);
      out.write(applyLines(out, r));
    });
}

export function diffCommand(): Command {
  return new Command('diff')
    .description(
      'show what `apply` would change; exits 0 when nothing would, 1 when something would, 2 on error',
    )
    .requiredOption('-f, --filename <path...>', filenameHelp)
    .option('--prune', 'include what --prune would remove')
    .action(async (o, command) => {
      const out = processOut();
      const asJson = globals(command).json === true;
      try {
        const r = await runApply(command, await readFleetFiles(o.filename), {
          prune: o.prune === true,
          dryRun: true,
        });
        if (asJson) json(out, r);
        else out.write(diffLines(out, r));
        process.exitCode = r.changed ? 1 : 0;
      } catch (e) {
        // As `kubectl diff`: 1 means "there are differences", so every failure is above it.
        reportError(e, asJson);
        process.exitCode = 2;
      }
    });
}

export function exportCommand(): Command {
  return new Command('export')
    .description(
      'write the current templates, pools and workflows as fleet documents (YAML; JSON with --json or a .json file)',
    )
    .option('-o, --output <file>', 'write to this file instead of stdout')
    .action(async (o, command) => {
      const out = processOut();
      const objects = await runExport(command);
      const asJson =
        globals(command).json === true ||
        (o.output !== undefined && path.extname(o.output).toLowerCase() === '.json');
      const text = asJson ? `${JSON.stringify(objects, null, 2)}\n` : fleetToYaml(objects);
      if (o.output === undefined) return out.write(text);
      await writeFile(o.output, text, 'utf8');
      out.error(
        `wrote ${objects.length} document${objects.length === 1 ? '' : 's'} to ${o.output}\n`,
      );
    });
}
