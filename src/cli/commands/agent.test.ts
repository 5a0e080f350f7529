import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseJson, runCli, type CliResult } from '../../../test/helpers/cli.js';
import type { Agent } from '../../domain/types.js';
import { HELLO } from '../../../test/helpers/hello-workflow.js';

let dir: string;
const hv = (...args: string[]): Promise<CliResult> => runCli(['--backend', 'fake', '--data-dir', dir, ...args], { timeoutMs: 60_000 });

beforeAll(async () => {
  dir = mkdtempSync(path.join(os.tmpdir(), 'hvk-cli-agent-'));
  writeFileSync(path.join(dir, 'golden.vhdx'), 'golden');
  mkdirSync(path.join(dir, 'workflows'));
  writeFileSync(path.join(dir, 'workflows', 'hello.yaml'), HELLO);
  writeFileSync(path.join(dir, 'workflows', 'stuck.yaml'), 'name: stuck\nexecutor: steps\nsteps:\n  - wait_for_change: { timeout: 0.2, interval_ms: 50 }\n');
  writeFileSync(path.join(dir, 'workflows', 'broken.yaml'), 'name: broken\nexecutor: robot\n');
  expect((await hv('template', 'create', '--name', 't', '--vhdx', path.join(dir, 'golden.vhdx'), '--memory', '512', '--cpus', '1')).code).toBe(0);
  expect((await hv('pool', 'create', '--name', 'p', '--template', 't', '--count', '1')).code).toBe(0);
  expect((await hv('pool', 'provision', 'p')).code).toBe(0);
}, 120_000);

afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('hvkube agent (real process, fake backend)', () => {
  it('submit --wait runs the agent in-process when no server runs, and exits 0 when it completes', async () => {
    const r = await hv('--json', 'agent', 'submit', '--pool', 'p', '--workflow', 'hello', '--input', '{"who":"cli"}', '--wait');
    expect(r.code, r.stderr).toBe(0);
    const agent = parseJson<Agent>(r);
    expect(agent.status).toBe('completed');
    expect(agent.result?.screenshots).toEqual([path.join('artifacts', agent.id, '001.png')]);
    expect(r.stderr).toContain('step 1/3: type_text');

    const logs = await hv('agent', 'logs', agent.id);
    expect(logs.stdout).toMatch(/step 2\/3: press_keys enter/);
    const shown = await hv('agent', 'show', agent.id);
    expect(shown.stdout).toMatch(/status\s+completed/);
    expect(shown.stdout).toContain(path.join(dir, 'artifacts', agent.id, '001.png'));
    const listed = await hv('agent', 'list', '--status', 'completed');
    expect(listed.stdout).toContain(agent.id);
  }, 120_000);

  it('submit --wait exits 1 when the agent fails', async () => {
    const r = await hv('agent', 'submit', '--pool', 'p', '--workflow', 'stuck', '--wait');
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(/failed/);
    expect(r.stdout).toMatch(/the screen did not change/);
  }, 60_000);

  it('refuses bad input and bad workflows at submit with exit 2, naming the field', async () => {
    const input = await hv('agent', 'submit', '--pool', 'p', '--workflow', 'hello', '--input', '{"who": 3}');
    expect(input.code).toBe(2);
    expect(input.stderr).toMatch(/input\.who must be a string/);
    const broken = await hv('agent', 'submit', '--pool', 'p', '--workflow', 'broken');
    expect(broken.code).toBe(2);
    expect(broken.stderr).toMatch(/executor: must be one of steps, mcp, command, external, got "robot"/);
    const validate = await hv('workflow', 'validate');
    expect(validate.code).toBe(2);
    expect(validate.stdout).toMatch(/hello: valid/);
    expect(validate.stdout).toMatch(/broken: invalid/);
  }, 60_000);
});
