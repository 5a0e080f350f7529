/**
 * The CLI end to end, as a user types it: template → pool → provision → acquire → release → list.
 * Shared by the local run (cli.test.ts) and the run through `--server`.
 */
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { expect } from 'vitest';
import { parseJson, runCli, type CliOptions } from '../helpers/cli.js';

export interface FlowContext {
  dataDir: string;
  /** How to run a command: local (--data-dir) or remote (--server). */
  options: CliOptions;
}

export async function cliFlow(ctx: FlowContext): Promise<void> {
  const hv = (args: string[]): ReturnType<typeof runCli> => runCli(args, ctx.options);
  const image = path.join(ctx.dataDir, 'golden.vhdx');
  writeFileSync(image, 'golden');

  const t = await hv(['template', 'create', '--name', 'win11', '--vhdx', image, '--memory', '1024', '--cpus', '2']);
  expect(t.code, t.stderr).toBe(0);
  expect(t.stdout).toContain('template win11 registered');

  const p = await hv(['pool', 'create', '--name', 'desk', '--template', 'win11', '--count', '3', '--warm', '3', '--hot', '1']);
  expect(p.code, p.stderr).toBe(0);

  const prov = await hv(['pool', 'provision', 'desk', '--json']);
  expect(prov.code, prov.stderr).toBe(0);
  const report = parseJson<{ provisioned: string[]; status: { ready: number } }>(prov);
  expect(report.provisioned).toHaveLength(3);
  expect(report.status.ready).toBe(3);

  const acq = await hv(['vm', 'acquire', '--pool', 'desk', '--json']);
  expect(acq.code, acq.stderr).toBe(0);
  const got = parseJson<{ vm_name: string; ip_address: string | null; resume_ms: number; lease_id: string }>(acq);
  expect(got.vm_name).toMatch(/^hvk-desk-/);
  expect(got.ip_address).toMatch(/^\d+\.\d+\.\d+\.\d+$/);
  expect(typeof got.resume_ms).toBe('number');

  const list1 = parseJson<{ name: string; state: string; lease: { holder: string } | null }[]>(await hv(['vm', 'list', '--json']));
  const held = list1.find((v) => v.name === got.vm_name);
  expect(held?.state).toBe('running');
  expect(held?.lease).not.toBeNull();

  const shot = path.join(ctx.dataDir, 'shot.png');
  const typed = await hv(['vm', 'type', got.vm_name, 'echo hi']);
  expect(typed.code, typed.stderr).toBe(0);
  const s = await hv(['vm', 'screenshot', got.vm_name, '-o', shot]);
  expect(s.code, s.stderr).toBe(0);

  const rel = await hv(['vm', 'release', got.vm_name, '--policy', 'reset', '--json']);
  expect(rel.code, rel.stderr).toBe(0);
  expect(parseJson<{ state: string }>(rel).state).toBe('saved');

  const list2 = parseJson<{ name: string; state: string; lease: unknown }[]>(await hv(['vm', 'list', '--pool', 'desk', '--json']));
  expect(list2).toHaveLength(3);
  for (const v of list2) {
    expect(['saved', 'paused']).toContain(v.state);
    expect(v.lease).toBeNull();
  }
  const human = await hv(['pool', 'list']);
  expect(human.stdout).toMatch(/desk\s+win11\s+3\/3/);
}
