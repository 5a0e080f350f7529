/**
 * Workflow documents are the files of the workflows folder: read raw (so `export` writes what the
 * user wrote, defaults left out), written whole and replaced atomically.
 * @module
 */
import { randomBytes } from 'node:crypto';
import { mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import YAML from 'yaml';
import type { WorkflowCatalog } from '../workflows/workflow-catalog.js';

export interface CurrentWorkflow {
  name: string;
  file: string;
  /** The file's content without its name; null when it does not parse as a mapping. */
  spec: Record<string, unknown> | null;
}

function specOf(text: string): Record<string, unknown> | null {
  try {
    const raw: unknown = YAML.parse(text, { maxAliasCount: 100 });
    if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) return null;
    const { name: _name, ...spec } = raw as Record<string, unknown>;
    return spec;
  } catch {
    return null;
  }
}

export async function readWorkflowSpecs(
  catalog: WorkflowCatalog,
): Promise<Map<string, CurrentWorkflow>> {
  const out = new Map<string, CurrentWorkflow>();
  for (const w of await catalog.list())
    out.set(w.name, { name: w.name, file: w.file, spec: specOf(await readFile(w.file, 'utf8')) });
  return out;
}

/** Writes workflow `name` into `file` (default `NAME.yaml`), in the file's own format. */
export async function writeWorkflow(
  catalog: WorkflowCatalog,
  name: string,
  spec: Record<string, unknown>,
  file: string | null,
): Promise<string> {
  const target = file ?? path.join(catalog.dir, `${name}.yaml`);
  const content = { name, ...spec };
  const text =
    path.extname(target).toLowerCase() === '.json'
      ? `${JSON.stringify(content, null, 2)}\n`
      : YAML.stringify(content, { lineWidth: 0 });
  await mkdir(path.dirname(target), { recursive: true });
  // A reader (an agent starting now) sees the old file or the new one, never half of one.
  const tmp = `${target}.${randomBytes(4).toString('hex')}.tmp`;
  await writeFile(tmp, text, 'utf8');
  await rename(tmp, target);
  return target;
}

export async function removeWorkflow(file: string): Promise<void> {
  await rm(file, { force: true });
}
