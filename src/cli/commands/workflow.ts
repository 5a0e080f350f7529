/**
 * `hvkube workflow ...`: the workflow files of the data directory. Needs no hypervisor or store.
 * @module
 */
import path from 'node:path';
import { Command } from '@commander-js/extra-typings';
import { loadConfig } from '../../config/load.js';
import { formatOf, loadWorkflowFile, WorkflowCatalog, type Workflow } from '../../orchestrator/workflows/index.js';
import { json, paint, processOut, table, type Out } from '../output.js';
import { globals, serverUrl } from '../runtime-scope.js';
import { HvkubeClient } from '../../client/client.js';

function catalogOf(command: { optsWithGlobals(): unknown }): { catalog: WorkflowCatalog; out: Out; asJson: boolean } {
  const g = globals(command);
  const dataDir = loadConfig({ dataDir: g.dataDir }).dataDir;
  return { catalog: new WorkflowCatalog(path.join(dataDir, 'workflows')), out: processOut(), asJson: g.json === true };
}

function describeWorkflow(w: Workflow): string {
  const rows: string[][] = [
    ['name', w.name],
    ['executor', w.executor],
    ['description', w.description ?? '-'],
    ['release', `${w.release} (after a failure: reset)`],
    ['timeout', w.timeoutS === null ? 'none' : `${w.timeoutS} s`],
    ['retries', String(w.retries)],
    ['needs gpu', w.needsGpu ? 'yes' : 'no'],
  ];
  for (const [name, d] of Object.entries(w.inputs)) {
    const dflt = Object.hasOwn(d, 'default') ? ` = ${JSON.stringify(d.default)}` : d.required ? ' (required)' : ' (optional)';
    rows.push([`input ${name}`, `${d.type}${dflt}${d.description ? ` — ${d.description}` : ''}`]);
  }
  if (w.executor === 'steps') w.steps.forEach((s, i) => rows.push([i === 0 ? 'steps' : '', `${i + 1}. ${JSON.stringify(s)}`]));
  if (w.executor === 'mcp') rows.push(['mcp tool', w.mcp.tool], ['mcp arguments', w.mcp.arguments === null ? '(the input)' : JSON.stringify(w.mcp.arguments)]);
  if (w.executor === 'command') rows.push(['command', JSON.stringify(w.command.argv)], ['cwd', w.command.cwd ?? '(workflows folder)']);
  return table(['FIELD', 'VALUE'], rows);
}

/** A path to a file (has a separator or a workflow extension), else a workflow name. */
function isFileArgument(target: string): boolean {
  return target.includes('/') || target.includes(path.sep) || formatOf(target) !== null;
}

export function workflowCommand(): Command {
  const cmd = new Command('workflow').description('workflow files: what agents run');

  cmd
    .command('list')
    .description('list the workflows of the data directory, valid or not')
    .action(async (_o, command) => {
      const { catalog, out, asJson } = catalogOf(command);
      const g = globals(command);
      const url = serverUrl(g);
      // With --server, the server's workflows folder is the one that counts.
      const all = url
        ? await new HvkubeClient({ url, token: g.token ?? (process.env.HVKUBE_API_TOKEN || undefined) }).listWorkflows()
        : await catalog.list();
      if (asJson) return json(out, all);
      if (all.length === 0) return out.error(`no workflows in ${catalog.dir} (see docs/agents.md)\n`);
      out.write(
        table(
          ['NAME', 'EXECUTOR', 'VALID', 'DESCRIPTION'],
          all.map((w) => [w.name, w.executor ?? '-', w.valid ? paint(out, 'green', 'yes') : paint(out, 'red', 'no'), w.valid ? (w.description ?? '') : (w.error ?? '')]),
        ),
      );
    });

  cmd
    .command('show')
    .description('show one workflow as hvkube reads it')
    .argument('<name>')
    .action(async (name, _o, command) => {
      const { catalog, out, asJson } = catalogOf(command);
      const g = globals(command);
      const url = serverUrl(g);
      // With --server, as `workflow list`: the server's workflows folder is the one that counts.
      const w = url
        ? await new HvkubeClient({ url, token: g.token ?? (process.env.HVKUBE_API_TOKEN || undefined) }).getWorkflow(name)
        : await catalog.get(name);
      if (asJson) json(out, w);
      else out.write(describeWorkflow(w));
    });

  cmd
    .command('validate')
    .description('check a workflow file (a path) or workflow (a name); all of them when none is given')
    .argument('[target]')
    .action(async (target, _o, command) => {
      const { catalog, out, asJson } = catalogOf(command);
      if (target !== undefined) {
        const w = isFileArgument(target) ? await loadWorkflowFile(path.resolve(target)) : await catalog.get(target);
        if (asJson) json(out, { valid: true, workflow: w });
        else out.write(`${w.name}: valid (${w.executor} executor)\n`);
        return;
      }
      const all = await catalog.list();
      if (asJson) json(out, all);
      else for (const w of all) out.write(w.valid ? `${w.name}: valid\n` : `${w.name}: ${paint(out, 'red', 'invalid')}: ${w.error ?? ''}\n`);
      if (all.some((w) => !w.valid)) process.exitCode = 2;
    });

  return cmd;
}
