/**
 * The real CLI with `--backend hyperv` on Linux: the Hyper-V backend drives its PowerShell
 * sessions against the stand-in (HVKUBE_POWERSHELL), which answers like Windows PowerShell 5.1.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { parseJson, ROOT, runCli } from '../helpers/cli.js';
import { cliFlow } from './cli-flow.case.js';

let dir: string;
const standin = path.join(ROOT, 'dist', 'hypervisor', 'hyperv', 'standin', 'main.js');
const options = (): { globalArgs: string[]; env: Record<string, string> } => ({
  globalArgs: ['--backend', 'hyperv', '--data-dir', dir],
  env: { HVKUBE_POWERSHELL: standin },
});

beforeEach(() => {
  dir = mkdtempSync(path.join(os.tmpdir(), 'hvk-hyperv-cli-'));
});
afterEach(() => {
  rmSync(dir, { recursive: true, force: true });
});

describe('hvkube --backend hyperv against the PowerShell stand-in', () => {
  it('template → pool → provision → acquire → release → list; then rdp file, reconcile, doctor', async () => {
    await cliFlow({ dataDir: dir, options: options() });
    const got = parseJson<{ vm_name: string; ip_address: string }>(await runCli(['vm', 'acquire', '--pool', 'desk', '--json'], options()));
    const rdp = path.join(dir, 'x.rdp');
    const r = await runCli(['vm', 'rdp', got.vm_name, '-o', rdp], options());
    expect(r.code, r.stderr).toBe(0);
    expect(readFileSync(rdp, 'utf8')).toContain(`full address:s:${got.ip_address}:3389`);
    // An RDP logon takes the console that screenshots and input use: the command says so.
    expect(r.stdout).toMatch(/Remote Desktop logon takes the console session/);
    const rec = parseJson<{ fixed: string[]; orphans: string[]; missing: string[] }>(await runCli(['reconcile', '--json'], options()));
    expect(rec).toMatchObject({ fixed: [], orphans: [], missing: [] });
    const doctor = await runCli(['doctor', '--json'], options());
    expect(doctor.code, doctor.stderr).toBe(0);
    const checks = parseJson<{ checks: { check: string; ok: boolean }[] }>(doctor).checks.map((c) => c.check);
    expect(checks).toEqual(expect.arrayContaining(['hyperv-module', 'rights', 'round-trip']));
  });
});
