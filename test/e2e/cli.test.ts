import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { parseJson, runCli, spawnCli } from '../helpers/cli.js';
import { cliFlow } from './cli-flow.case.js';
import { HOSTILE_NAMES } from '../helpers/hostile.js';

let dir: string;
const local = (): { globalArgs: string[] } => ({ globalArgs: ['--backend', 'fake', '--data-dir', dir] });
const hv = (args: string[], env?: Record<string, string>): ReturnType<typeof runCli> => runCli(args, { ...local(), env });

beforeEach(() => {
  dir = mkdtempSync(path.join(os.tmpdir(), 'hvk-e2e-'));
});
afterEach(() => {
  rmSync(dir, { recursive: true, force: true });
});

describe('hvkube CLI, end to end through real processes', () => {
  it('create template → create pool → provision → acquire → release → list', async () => {
    await cliFlow({ dataDir: dir, options: local() });
  });

  it('acquire --timeout 0 fails at once with exit 1 and says why and what to do', async () => {
    const image = path.join(dir, 'g.vhdx');
    writeFileSync(image, 'g');
    expect((await hv(['template', 'create', '--name', 't', '--vhdx', image])).code).toBe(0);
    expect((await hv(['pool', 'create', '--name', 'p', '--template', 't', '--count', '2'])).code).toBe(0);
    const r = await hv(['vm', 'acquire', '--pool', 'p', '--timeout', '0']);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/pool 'p' has no saved VM/);
    expect(r.stderr).toMatch(/--timeout 60|scale/);
    const j = await hv(['vm', 'acquire', '--pool', 'p', '--timeout', '0', '--json']);
    expect(parseJson<{ error: { code: string } }>(j).error.code).toBe('NO_VM_AVAILABLE');
  });

  it('hostile names exit 2, and nothing is created', async () => {
    const image = path.join(dir, 'g.vhdx');
    writeFileSync(image, 'g');
    for (const bad of HOSTILE_NAMES.filter((n) => n !== '' && !n.includes('\u0000')).slice(0, 12)) {
      const r = await hv(['template', 'create', '--name', bad, '--vhdx', image]);
      expect(r.code, bad).toBe(2);
      expect(r.stderr).toMatch(/template name .* is not allowed|template name is missing/);
    }
    const list = parseJson<unknown[]>(await hv(['template', 'list', '--json']));
    expect(list).toEqual([]);
    const bad = await hv(['pool', 'create', '--name', 'p', '--template', 't', '--count', 'lots']);
    expect(bad.code).toBe(2);
  });

  it('--version answers JSON with --json in either order; a negative acquire timeout is refused (exit 2)', async () => {
    for (const args of [['--json', '--version'], ['--version', '--json']]) {
      expect(parseJson<{ version: string }>(await runCli(args)).version).toMatch(/^\d+\.\d+\.\d+$/);
    }
    expect((await runCli(['--version'])).stdout.trim()).toMatch(/^\d+\.\d+\.\d+$/);
    const image = path.join(dir, 'g.vhdx');
    writeFileSync(image, 'g');
    expect((await hv(['template', 'create', '--name', 't', '--vhdx', image])).code).toBe(0);
    expect((await hv(['pool', 'create', '--name', 'p', '--template', 't', '--count', '1'])).code).toBe(0);
    expect((await hv(['pool', 'provision', 'p'])).code).toBe(0);
    for (const flag of ['--timeout', '--lease-ttl']) {
      const r = await hv(['vm', 'acquire', '--pool', 'p', flag, '-5']);
      expect(r.code, flag).toBe(2);
      expect(r.stderr).toMatch(/must be 0 or more seconds/);
    }
    const vms = parseJson<{ state: string; lease: unknown }[]>(await hv(['vm', 'list', '--json']));
    expect(vms.map((v) => [v.state, v.lease])).toEqual([['saved', null]]);
  });

  it('unknown commands and options are usage errors (exit 2)', async () => {
    expect((await hv(['frobnicate'])).code).toBe(2);
    expect((await hv(['vm', 'list', '--bogus'])).code).toBe(2);
    expect((await runCli(['--help'])).code).toBe(0);
  });

  it('an acquire killed mid-resume (SIGKILL) is repaired by reconcile; nothing leaks', async () => {
    const image = path.join(dir, 'g.vhdx');
    writeFileSync(image, 'g');
    expect((await hv(['template', 'create', '--name', 't', '--vhdx', image])).code).toBe(0);
    expect((await hv(['pool', 'create', '--name', 'p', '--template', 't', '--count', '1'])).code).toBe(0);
    expect((await hv(['pool', 'provision', 'p'])).code).toBe(0);

    const child = spawnCli(['vm', 'acquire', '--pool', 'p'], { ...local(), env: { HVKUBE_FAKE_LATENCY: '{"resume": 60000}' } });
    // Wait until the store shows the VM claimed and resuming, then kill the process outright.
    for (let i = 0; i < 200; i++) {
      const vms = parseJson<{ state: string }[]>(await hv(['vm', 'list', '--json']));
      if (vms[0]?.state === 'resuming') break;
      await new Promise((r) => setTimeout(r, 100));
    }
    child.kill('SIGKILL');
    await new Promise((r) => child.on('close', r));

    const before = parseJson<{ name: string; state: string; lease: unknown }[]>(await hv(['vm', 'list', '--json']));
    expect(before[0]?.state).toBe('resuming');
    const rec = await hv(['reconcile', '--json']);
    expect(rec.code, rec.stderr).toBe(0);
    const report = parseJson<{ fixed: string[]; orphans: string[]; missing: string[] }>(rec);
    expect(report.fixed).toEqual([before[0]?.name]);
    expect(report.orphans).toEqual([]);
    expect(report.missing).toEqual([]);
    const after = parseJson<{ state: string; lease: unknown }[]>(await hv(['vm', 'list', '--json']));
    expect(after[0]?.state).toBe('saved');
    expect(after[0]?.lease).toBeNull();
    const again = await hv(['vm', 'acquire', '--pool', 'p', '--timeout', '0', '--json']);
    expect(again.code, again.stderr).toBe(0);
    // A CLI lease ends by default as an API lease does: a killed CLI never keeps its VM forever.
    const answer = parseJson<{ lease_expires_at: string | null }>(again);
    expect(answer.lease_expires_at).not.toBeNull();
    expect(Date.parse(answer.lease_expires_at ?? '') - Date.now()).toBeGreaterThan(500_000);
  });

  it('screenshot writes a real PNG, and the simulated screen shows what was typed', async () => {
    const image = path.join(dir, 'g.vhdx');
    writeFileSync(image, 'g');
    await hv(['template', 'create', '--name', 't', '--vhdx', image]);
    await hv(['pool', 'create', '--name', 'p', '--template', 't', '--count', '1']);
    await hv(['pool', 'provision', 'p']);
    const got = parseJson<{ vm_name: string }>(await hv(['vm', 'acquire', '--pool', 'p', '--json']));
    const a = path.join(dir, 'a.png');
    const b = path.join(dir, 'b.png');
    const first = await hv(['vm', 'screenshot', got.vm_name, '-o', a]);
    expect(first.code, first.stderr).toBe(0);
    expect((await hv(['vm', 'keys', got.vm_name, 'ctrl+l'])).code).toBe(0);
    expect((await hv(['vm', 'type', got.vm_name, 'hello from hvkube'])).code).toBe(0);
    expect((await hv(['vm', 'screenshot', got.vm_name, '-o', b])).code).toBe(0);
    const pa = readFileSync(a);
    const pb = readFileSync(b);
    expect(pa.subarray(0, 8).toString('hex')).toBe('89504e470d0a1a0a');
    expect(pa.equals(pb)).toBe(false);
    expect((await hv(['vm', 'keys', got.vm_name, 'ctrl+bogus'])).code).toBe(2);
    expect(existsSync(path.join(dir, 'hvkube.db'))).toBe(true);
    expect(readdirSync(dir)).toContain('fake-host.json');
  });
});

describe('hvkube vm exec / cp / ls / clipboard (fake guest)', () => {
  it('passes the exit code through, copies both ways, refuses over the size limit and sets the clipboard', async () => {
    const image = path.join(dir, 'g.vhdx');
    writeFileSync(image, 'g');
    expect((await hv(['template', 'create', '--name', 't', '--vhdx', image])).code).toBe(0);
    expect((await hv(['pool', 'create', '--name', 'p', '--template', 't', '--count', '1'])).code).toBe(0);
    expect((await hv(['pool', 'provision', 'p'])).code).toBe(0);
    const vm = parseJson<{ vm_name: string }>(await hv(['vm', 'acquire', '--pool', 'p', '--json'])).vm_name;
    const echo = await hv(['vm', 'exec', vm, '--', 'echo', "it's", '$(whoami)', '--json-like']);
    expect(echo.code).toBe(0);
    expect(echo.stdout).toBe("it's $(whoami) --json-like\n");
    expect((await hv(['vm', 'exec', vm, '--', 'exit', '7'])).code).toBe(7);
    const local = path.join(dir, "in 'quoted'.txt");
    writeFileSync(local, 'payload\n');
    expect((await hv(['vm', 'cp', local, `${vm}:/tmp/`])).code).toBe(0);
    expect((await hv(['vm', 'ls', `${vm}:/tmp`])).stdout).toContain("in 'quoted'.txt");
    const out = path.join(dir, 'out.txt');
    expect((await hv(['vm', 'cp', `${vm}:/tmp/in 'quoted'.txt`, out])).code).toBe(0);
    expect(readFileSync(out, 'utf8')).toBe('payload\n');
    const tooBig = await hv(['vm', 'cp', local, `${vm}:/tmp/big`, '--max-size', '3']);
    expect(tooBig.code).toBe(1);
    expect(tooBig.stderr).toMatch(/over the limit of 3; nothing was copied/);
    expect((await hv(['vm', 'clipboard', vm, '--set', 'naïve ✓'])).code).toBe(0);
    expect((await hv(['vm', 'clipboard', vm])).stdout).toBe('naïve ✓\n');
  });
});
