/**
 * The workflows folder of the data directory: one file per workflow, `NAME.yaml`, `NAME.yml` or
 * `NAME.json`. Files are read on every lookup, so an edit applies to the next agent without a
 * restart.
 * @module
 */
import { lstat, readdir, readFile, realpath, stat } from 'node:fs/promises';
import type { Stats } from 'node:fs';
import path from 'node:path';
import { HvkubeError, isHvkubeError } from '../../domain/errors.js';
import { validateName } from '../../domain/validation.js';
import { parseWorkflow, type WorkflowFormat } from './workflow-parse.js';
import type { ExecutorName, Workflow } from './workflow-schema.js';

const EXTENSIONS: Record<string, WorkflowFormat> = { '.yaml': 'yaml', '.yml': 'yaml', '.json': 'json' };
/** Far beyond any real workflow; stops a stray large file from being parsed. */
const MAX_FILE_BYTES = 1024 * 1024;

export interface WorkflowSummary {
  name: string;
  file: string;
  valid: boolean;
  executor: ExecutorName | null;
  description: string | null;
  /** Why it does not load, when it does not. */
  error: string | null;
}

export function formatOf(file: string): WorkflowFormat | null {
  return EXTENSIONS[path.extname(file).toLowerCase()] ?? null;
}

/** Reads and validates one workflow file; `expectedName` defaults to the file's base name. */
export async function loadWorkflowFile(file: string, expectedName?: string): Promise<Workflow> {
  const format = formatOf(file);
  if (!format) {
    throw new HvkubeError('WORKFLOW_INVALID', `workflow file ${file} must end in .yaml, .yml or .json`, { details: { file } });
  }
  let info: Stats;
  try {
    info = await stat(file);
  } catch {
    throw new HvkubeError('WORKFLOW_NOT_FOUND', `workflow file ${file} does not exist`, { details: { file } });
  }
  // A directory, a device or a pipe named x.yaml is never read (a pipe would block forever).
  if (!info.isFile()) {
    throw new HvkubeError('WORKFLOW_INVALID', `workflow file ${file} is not a regular file`, { hint: 'a workflow is one .yaml, .yml or .json file', details: { file } });
  }
  if (info.size > MAX_FILE_BYTES) {
    throw new HvkubeError('WORKFLOW_INVALID', `workflow file ${file} is larger than 1 MiB`, { details: { file } });
  }
  const text = await readFile(file, 'utf8');
  return parseWorkflow(text, { label: file, format, expectedName: expectedName ?? path.basename(file, path.extname(file)) });
}

/**
 * Refuses a file of the workflows folder that is a link to somewhere outside it: the catalog is
 * reachable over the API, and its errors must never show a host file's content.
 */
async function requireInside(dir: string, file: string): Promise<void> {
  if (!(await lstat(file)).isSymbolicLink()) return;
  const [root, target] = await Promise.all([realpath(dir), realpath(file).catch(() => null)]);
  if (target !== null && !path.relative(root, target).startsWith('..') && !path.isAbsolute(path.relative(root, target))) return;
  throw new HvkubeError('WORKFLOW_INVALID', `workflow file ${file} is a link to a file outside the workflows folder`, {
    hint: `copy the workflow into ${dir} instead of linking it`,
    details: { file },
  });
}

/** A file's error for the list: the typed message, never a stack or the file's content. */
function listedError(e: unknown): string {
  if (isHvkubeError(e)) return e.message;
  const code = (e as NodeJS.ErrnoException | null)?.code;
  return `the file could not be read${typeof code === 'string' ? ` (${code})` : ''}`;
}

export class WorkflowCatalog {
  constructor(readonly dir: string) {}

  async #files(): Promise<string[]> {
    try {
      return (await readdir(this.dir)).filter((f) => formatOf(f) !== null).sort();
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') return [];
      throw e;
    }
  }

  /** The file holding workflow `name`; WORKFLOW_NOT_FOUND when there is none. */
  async fileOf(name: string): Promise<string> {
    validateName('workflow', name);
    const matches = (await this.#files()).filter((f) => path.basename(f, path.extname(f)) === name);
    if (matches.length === 0) {
      const known = (await this.#files()).map((f) => path.basename(f, path.extname(f)));
      throw new HvkubeError('WORKFLOW_NOT_FOUND', `workflow ${name} does not exist in ${this.dir}`, {
        hint: known.length > 0 ? `known workflows: ${[...new Set(known)].join(', ')}` : `create ${path.join(this.dir, `${name}.yaml`)} (see docs/agents.md)`,
        details: { workflow: name },
      });
    }
    if (matches.length > 1) {
      throw new HvkubeError('WORKFLOW_INVALID', `workflow ${name} is defined twice: ${matches.join(', ')}`, {
        hint: 'keep one file per workflow',
        details: { workflow: name, files: matches },
      });
    }
    return path.join(this.dir, matches[0] ?? '');
  }

  async get(name: string): Promise<Workflow> {
    const file = await this.fileOf(name);
    await requireInside(this.dir, file);
    return loadWorkflowFile(file, name);
  }

  /** Every workflow file, valid or not, so a broken one shows up with its error. */
  async list(): Promise<WorkflowSummary[]> {
    const out: WorkflowSummary[] = [];
    for (const f of await this.#files()) {
      const file = path.join(this.dir, f);
      const name = path.basename(f, path.extname(f));
      try {
        await requireInside(this.dir, file);
        const w = await loadWorkflowFile(file, name);
        out.push({ name, file, valid: true, executor: w.executor, description: w.description, error: null });
      } catch (e) {
        // One bad file shows up with its error; it never breaks the list.
        out.push({ name, file, valid: false, executor: null, description: null, error: listedError(e) });
      }
    }
    return out;
  }
}
