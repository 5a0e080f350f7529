/**
 * File helpers for VM directories: sparse (or reflinked) copies of RAM files and disks, and
 * checkpoint metadata.
 * @module
 */
import { readdir, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import { execa } from 'execa';
import { HypervisorError } from '../../domain/errors.js';

/**
 * Copies `from` to `to` (through a temporary name) keeping holes, or as a reflink when the file
 * system supports it. Node's copyFile would fill a sparse RAM file's holes with zeros.
 */
export async function copySparse(from: string, to: string): Promise<void> {
  const tmp = `${to}.copy`;
  try {
    await execa('cp', ['--reflink=auto', '--sparse=always', '--', from, tmp]);
    await rename(tmp, to);
  } catch (e) {
    await rm(tmp, { force: true });
    throw new HypervisorError('HV_FAILED', `cannot copy ${from} to ${to}: ${(e as Error).message.split('\n')[0]}`, { cause: e });
  }
}

export async function exists(file: string): Promise<boolean> {
  return stat(file).then(
    () => true,
    () => false,
  );
}

export async function fileContains(file: string, text: string): Promise<boolean> {
  return (await readFile(file, 'utf8').catch(() => '')).includes(text);
}

export interface CheckpointMeta {
  name: string;
  createdAt: string;
  /** True when the checkpoint holds memory (restoring it leaves the VM saved). */
  withMemory: boolean;
}

export async function writeCheckpointMeta(file: string, meta: CheckpointMeta): Promise<void> {
  await writeFile(file, `${JSON.stringify(meta, null, 2)}\n`);
}

export async function readCheckpointMeta(file: string): Promise<CheckpointMeta | null> {
  try {
    return JSON.parse(await readFile(file, 'utf8')) as CheckpointMeta;
  } catch {
    return null;
  }
}

/** Checkpoint names, oldest first; directories still being written (`.tmp-*`) are skipped. */
export async function listCheckpoints(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { withFileTypes: true }).catch(() => []);
  const named: { name: string; at: string }[] = [];
  for (const entry of entries) {
    if (!entry.isDirectory() || entry.name.startsWith('.')) continue;
    const meta = await readCheckpointMeta(`${dir}/${entry.name}/checkpoint.json`);
    if (meta) named.push({ name: entry.name, at: meta.createdAt });
  }
  return named.sort((a, b) => a.at.localeCompare(b.at)).map((c) => c.name);
}

export async function tail(file: string, chars = 600): Promise<string> {
  const text = await readFile(file, 'utf8').catch(() => '');
  return text.slice(-chars).trim();
}
