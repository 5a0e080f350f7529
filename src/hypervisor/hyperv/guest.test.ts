/**
 * Hyper-V's guest channel through the real session protocol and the strict stand-in: PowerShell
 * Direct with the template's credentials (passed as data, never in script text), Copy-VMFile
 * without them, and the refusals a host gives.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HvkubeError } from '../../domain/errors.js';
import { readGuestCredential, type GuestCredential } from '../guest-credentials.js';
import { createHypervHypervisor, type HypervHypervisor } from './backend.js';
import { defaultScriptsDir } from './paths.js';
import { standinHost, type StandinHost } from './standin/testing.js';

const GOOD: GuestCredential = { user: 'Administrator', password: "p@ss'; $(Stop-Computer) \"x\"" };
const HOSTILE_PATHS = ["/tmp/it's", '/tmp/say "hi"', '/tmp/‘left’ ‚low‛', '/tmp/$(Stop-Computer -Force)', '/tmp/a`b', '/tmp/line1\nline2', '/tmp/../tmp/dots', '/tmp/${env:PATH}', '/tmp/*'];

async function expectCode(p: Promise<unknown>, code: string): Promise<HvkubeError> {
  const e = await p.then(
    () => null,
    (err: unknown) => err,
  );
  expect(e, `expected ${code}`).toBeInstanceOf(HvkubeError);
  expect((e as HvkubeError).code).toBe(code);
  return e as HvkubeError;
}

describe('hyperv guest channel (stand-in)', () => {
  let host: StandinHost;
  let hv: HypervHypervisor;
  let noCreds: HypervHypervisor;
  let dir: string;
  const log = path.join(os.tmpdir(), `hvkube-guest-log-${process.pid}-${Date.now()}.jsonl`);
  const vm = 'hvk-guest-1';

  beforeAll(async () => {
    host = standinHost({ logFile: log, faults: { guestCredential: `${GOOD.user}:${GOOD.password}`, guestServiceInterface: [vm] } });
    dir = mkdtempSync(path.join(os.tmpdir(), 'hvkube-guest-'));
    const disk = path.join(dir, 'win11.vhdx');
    writeFileSync(disk, 'golden');
    hv = createHypervHypervisor(host.backendConfig({ sessions: 1, guestCredentials: async (name) => (name === vm ? GOOD : null) }));
    noCreds = createHypervHypervisor(host.backendConfig({ sessions: 1 }));
    const own = hv.diskPathFor(vm, disk);
    await hv.createDifferencingDisk(disk, own);
    await hv.createVm({ name: vm, diskPath: own, memoryMb: 2048, cpus: 2, gpu: false, guestPorts: [], boot: null });
  });

  afterAll(async () => {
    await hv.close();
    await noCreds.close();
    host.dispose();
    rmSync(dir, { recursive: true, force: true });
    rmSync(log, { force: true });
  });

  it('refuses while the VM is not running, with the reason', async () => {
    const e = await expectCode(hv.guest.exec(vm, { argv: ['echo', 'x'], timeoutMs: 1000 }), 'GUEST_UNAVAILABLE');
    expect(e.message).toMatch(/the virtual machine is Off/);
    expect(await hv.guest.ping(vm)).toBe(false);
  });

  it('runs commands with argv, cwd, env and stdin as data, and passes the exit code', async () => {
    await hv.start(vm);
    const r = await hv.guest.exec(vm, { argv: ['echo', '$(Stop-Computer)', "it's"], timeoutMs: 5000 });
    expect(r.stdout.toString()).toBe("$(Stop-Computer) it's\n");
    expect((await hv.guest.exec(vm, { argv: ['exit', '3'], timeoutMs: 5000 })).exitCode).toBe(3);
    expect((await hv.guest.exec(vm, { argv: ['cat'], stdin: Buffer.from('in\n'), timeoutMs: 5000 })).stdout.toString()).toBe('in\n');
    expect((await hv.guest.exec(vm, { argv: ['env'], env: { A_B: "x'y" }, timeoutMs: 5000 })).stdout.toString()).toContain("A_B=x'y\n");
    expect((await hv.guest.exec(vm, { argv: ['pwd'], cwd: '/tmp', timeoutMs: 5000 })).stdout.toString()).toBe('/tmp\n');
    const slow = await hv.guest.exec(vm, { argv: ['sleep', '5'], timeoutMs: 100 });
    expect(slow).toMatchObject({ timedOut: true, exitCode: null });
  });

  it('copies files in and out through a host temp file, hostile names included, and lists them', async () => {
    for (const p of HOSTILE_PATHS) {
      const data = Buffer.from(`content of ${p}`);
      await hv.guest.writeFile(vm, p, data);
      expect(Buffer.compare(await hv.guest.readFile(vm, p, { maxBytes: 1024 }), data), p).toBe(0);
    }
    const names = (await hv.guest.listFiles(vm, '/tmp')).map((e) => e.name);
    expect(names).toEqual(expect.arrayContaining(["it's", 'say "hi"', '$(Stop-Computer -Force)', 'line1\nline2', 'dots', '*']));
    await expectCode(hv.guest.readFile(vm, '/tmp/no such file', { maxBytes: 10 }), 'GUEST_PATH_NOT_FOUND');
    await expectCode(hv.guest.readFile(vm, "/tmp/it's", { maxBytes: 3 }), 'GUEST_FILE_TOO_LARGE');
    // No temp file is left behind on the host.
    expect((await import('node:fs')).readdirSync(os.tmpdir()).filter((f) => f.startsWith(`hvkube-guest-${process.pid}-`))).toEqual([]);
  });

  it('sets and reads the clipboard as data', async () => {
    await hv.guest.setClipboard(vm, "naïve ✓ '; $(x) \"q\"\nline");
    expect(await hv.guest.getClipboard(vm)).toBe("naïve ✓ '; $(x) \"q\"\nline");
  });

  it('refuses without credentials and with wrong ones, naming PowerShell Direct', async () => {
    await expectCode(noCreds.guest.exec(vm, { argv: ['echo'], timeoutMs: 1000 }), 'GUEST_UNAVAILABLE');
    const wrong = createHypervHypervisor(host.backendConfig({ sessions: 1, guestCredentials: async () => ({ user: 'Administrator', password: 'nope' }) }));
    try {
      const e = await expectCode(wrong.guest.listFiles(vm, '/tmp'), 'GUEST_UNAVAILABLE');
      expect(e.message).toMatch(/PowerShell Direct .* failed: The credential is invalid/);
      expect(e.message).not.toContain('nope');
    } finally {
      await wrong.close();
    }
  });

  it('writes with Copy-VMFile when there are no credentials, and refuses it with guest services off', async () => {
    await noCreds.guest.writeFile(vm, '/tmp/by-copy-vmfile', Buffer.from('gsi'));
    expect((await hv.guest.readFile(vm, '/tmp/by-copy-vmfile', { maxBytes: 10 })).toString()).toBe('gsi');
    await expectCode(noCreds.guest.writeFile(vm, '/tmp/%USERPROFILE%', Buffer.from('x')), 'GUEST_UNAVAILABLE');
    const other = 'hvk-guest-2';
    const disk = path.join(dir, 'win11.vhdx');
    const own = hv.diskPathFor(other, disk);
    await hv.createDifferencingDisk(disk, own);
    await hv.createVm({ name: other, diskPath: own, memoryMb: 2048, cpus: 2, gpu: false, guestPorts: [], boot: null });
    await hv.start(other);
    const e = await expectCode(noCreds.guest.writeFile(other, '/tmp/x', Buffer.from('x')), 'GUEST_UNAVAILABLE');
    expect(e.message).toMatch(/Guest Service Interface .* disabled/);
  });

  it('sends the password only as a request parameter: never in a script file, never in an error', () => {
    for (const f of ['guest-exec.ps1', 'guest-file.ps1', 'guest-clipboard.ps1', 'guest-ping.ps1', '_lib.ps1']) {
      expect(readFileSync(path.join(defaultScriptsDir(), f), 'utf8')).not.toContain(GOOD.password);
    }
    const requests = readFileSync(log, 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { script: string; params: Record<string, unknown> });
    const guest = requests.filter((r) => r.script.startsWith('guest-'));
    expect(guest.length).toBeGreaterThan(0);
    for (const r of guest.filter((g) => g.params.GuestUser !== undefined)) expect(typeof r.params.GuestPassword).toBe('string');
  });
});

describe('guest credentials references', () => {
  it('reads USER:PASSWORD from an env var or a file, splitting at the first colon', async () => {
    expect(await readGuestCredential('env:HVK_T', { HVK_T: '.\\hvkube:a:b' })).toEqual({ user: '.\\hvkube', password: 'a:b' });
    const dir = mkdtempSync(path.join(os.tmpdir(), 'hvkube-cred-'));
    try {
      writeFileSync(path.join(dir, 'c'), '\uFEFFDOM\\u:pw\r\n');
      expect(await readGuestCredential(`file:${path.join(dir, 'c')}`)).toEqual({ user: 'DOM\\u', password: 'pw' });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('refuses what is missing or malformed without echoing the secret', async () => {
    await expectCode(readGuestCredential('env:HVK_MISSING', {}), 'GUEST_UNAVAILABLE');
    const e = await expectCode(readGuestCredential('env:HVK_T', { HVK_T: 'secretwithoutcolon' }), 'GUEST_UNAVAILABLE');
    expect(e.message).not.toContain('secretwithoutcolon');
    await expectCode(readGuestCredential('file:/nonexistent/hvkube/creds'), 'GUEST_UNAVAILABLE');
  });
});
