/**
 * A Windows 11 guest on the QEMU backend, end to end through the CLI as a user types it. Skipped
 * unless HVKUBE_WINDOWS_QCOW2 names a Windows qcow2 (for example the one infra/packer/qemu builds:
 * UEFI, virtio-win drivers, qemu-ga, auto-logon). Linux only; KVM makes it take minutes rather
 * than hours. Run it with `npm run test:qemu-windows`; see docs/windows-image.md.
 *
 * Checked: the template registers as a Windows one; provisioning cold-boots it in the Windows
 * machine shape (UEFI firmware, a TPM from swtpm); acquire resumes it; the screen shows a desktop;
 * the guest agent answers guest-ping and says it is Windows; release with reset returns it to its
 * clean checkpoint and the agent answers again after the next resume; removal leaves no QEMU or
 * swtpm process behind.
 */
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { PNG } from 'pngjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Hypervisor } from '../../src/hypervisor/hypervisor.js';
import { createQemuHypervisor } from '../../src/hypervisor/qemu/index.js';
import { resolveConfig } from '../../src/hypervisor/qemu/qemu-hypervisor-config.js';
import { parseJson, runCli } from '../helpers/cli.js';

const qcow2 = process.env.HVKUBE_WINDOWS_QCOW2 ?? '';
const enabled = process.platform === 'linux' && qcow2 !== '' && existsSync(qcow2);
const MINUTE = 60_000;
/** A Windows boot under software emulation takes far longer than under KVM. */
const bootMinutes = Number(process.env.HVKUBE_WINDOWS_BOOT_MINUTES ?? (existsSync('/dev/kvm') ? 15 : 120));
const memoryMb = process.env.HVKUBE_WINDOWS_MEMORY_MB ?? '4096';
/** How readiness is judged; the guest agent answers `heartbeat` for a Windows template. */
const probe = process.env.HVKUBE_WINDOWS_PROBE ?? 'heartbeat';

const dir = enabled ? mkdtempSync(path.join(process.env.HVKUBE_WINDOWS_DATA_DIR ?? os.tmpdir(), 'hvk-win-')) : '';
const cli = (args: string[], minutes = 5): ReturnType<typeof runCli> =>
  runCli(args, { globalArgs: ['--backend', 'qemu', '--data-dir', dir], timeoutMs: minutes * MINUTE });

/** PIDs and argv of the processes (QEMU, swtpm) whose command line names this data directory or its socket directory. */
function processesOfDir(): { pid: number; argv: string[] }[] {
  const { dataDir, runDir } = resolveConfig({ dataDir: dir });
  const found: { pid: number; argv: string[] }[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const argv = readFileSync(`/proc/${entry}/cmdline`, 'utf8').split('\0');
      if (!/qemu-system|swtpm/.test(argv[0] ?? '')) continue;
      if (argv.some((a) => a.includes(dataDir) || a.includes(runDir))) found.push({ pid: Number(entry), argv });
    } catch {
      // the process ended while we looked
    }
  }
  return found;
}

function qemuOf(vm: string): string[] | undefined {
  return processesOfDir().find((p) => p.argv[0]?.includes('qemu-system') && p.argv.some((a) => a.includes(`/${vm}/`)))?.argv;
}

/** Distinct colours in a PNG: a desktop has many, a black or single-colour screen has one or two. */
function colours(png: Buffer): { width: number; height: number; distinct: number } {
  const image = PNG.sync.read(png);
  const seen = new Set<number>();
  for (let i = 0; i < image.data.length && seen.size < 1000; i += 4 * 7) {
    seen.add(((image.data[i] ?? 0) << 16) | ((image.data[i + 1] ?? 0) << 8) | (image.data[i + 2] ?? 0));
  }
  return { width: image.width, height: image.height, distinct: seen.size };
}

describe.skipIf(!enabled)('a Windows 11 guest on the QEMU backend (HVKUBE_WINDOWS_QCOW2)', () => {
  /** The backend's own view of the same data directory, for its guest agent channel (Hypervisor.guest). */
  let hv: Hypervisor;
  let vmName = '';
  let leaseId = '';

  beforeAll(() => {
    hv = createQemuHypervisor({ dataDir: dir });
  });

  afterAll(async () => {
    await cli(['pool', 'remove', 'win', '--force'], 10).catch(() => undefined);
    await hv?.close();
    for (const p of processesOfDir()) process.kill(p.pid, 'SIGKILL');
    rmSync(dir, { recursive: true, force: true });
  }, 15 * MINUTE);

  it('registers the qcow2 as a Windows template', async () => {
    const t = await cli(['template', 'create', '--name', 'win11', '--vhdx', qcow2, '--os', 'windows', '--memory', memoryMb, '--cpus', '2', '--probe', probe, '--ready-timeout', String(bootMinutes * 60), '--json']);
    expect(t.code, t.stderr).toBe(0);
    expect(parseJson<{ name: string; os: string }>(t)).toMatchObject({ name: 'win11', os: 'windows' });
    const p = await cli(['pool', 'create', '--name', 'win', '--template', 'win11', '--count', '1', '--warm', '1']);
    expect(p.code, p.stderr).toBe(0);
  });

  it('provisions: a cold boot in the Windows machine shape (UEFI, TPM) until ready, then saved', async () => {
    const prov = await cli(['pool', 'provision', 'win', '--json'], bootMinutes + 10);
    expect(prov.code, `${prov.stdout}\n${prov.stderr}`).toBe(0);
    const report = parseJson<{ provisioned: string[]; status: { ready: number } }>(prov);
    expect(report.provisioned).toHaveLength(1);
    expect(report.status.ready).toBe(1);
    vmName = report.provisioned[0] ?? '';
    const vms = parseJson<{ name: string; state: string }[]>(await cli(['vm', 'list', '--pool', 'win', '--json']));
    expect(vms.map((v) => v.state)).toEqual([expect.stringMatching(/^(saved|paused)$/)]);
  }, (bootMinutes + 15) * MINUTE);

  it('acquires (a resume) with UEFI firmware and a TPM attached, and the screen shows a desktop', async () => {
    const acq = await cli(['vm', 'acquire', '--pool', 'win', '--timeout', '600', '--json'], 15);
    expect(acq.code, acq.stderr).toBe(0);
    const got = parseJson<{ vm_name: string; resume_ms: number; lease_id: string }>(acq);
    expect(got.vm_name).toBe(vmName);
    expect(got.resume_ms).toBeGreaterThan(0);
    leaseId = got.lease_id;
    console.table({ resume: { ms: got.resume_ms } });

    const argv = qemuOf(vmName) ?? [];
    expect(argv.join(' ')).toMatch(/if=pflash/);
    expect(argv.join(' ')).toMatch(/-tpmdev\s+emulator/);
    expect(processesOfDir().some((p) => p.argv[0]?.includes('swtpm'))).toBe(true);

    const shot = path.join(dir, 'desktop.png');
    const s = await cli(['vm', 'screenshot', vmName, '-o', shot, '--lease', leaseId]);
    expect(s.code, s.stderr).toBe(0);
    const screen = colours(readFileSync(shot));
    expect(screen.width).toBeGreaterThanOrEqual(800);
    expect(screen.distinct, 'a Windows desktop, not a blank or single-colour screen').toBeGreaterThan(16);
  }, 20 * MINUTE);

  it('reaches qemu-ga inside the guest: guest-ping answers and the guest says it is Windows', async () => {
    const guest = hv.guest;
    expect(guest, 'the QEMU backend has no guest agent channel (Hypervisor.guest)').toBeDefined();
    if (!guest) return;
    expect(await guest.ping(vmName, { timeoutMs: 10_000 })).toBe(true);
    const info = await guest.info(vmName);
    expect(info.os).toBe('mswindows');
  }, 5 * MINUTE);

  it('release with reset goes back to the clean checkpoint, and the agent answers after the next resume', async () => {
    const rel = await cli(['vm', 'release', vmName, '--policy', 'reset', '--json'], 15);
    expect(rel.code, rel.stderr).toBe(0);
    expect(parseJson<{ state: string }>(rel).state).toBe('saved');
    expect(qemuOf(vmName), 'a saved VM has no QEMU process').toBeUndefined();

    const again = await cli(['vm', 'acquire', '--pool', 'win', '--timeout', '600', '--json'], 15);
    expect(again.code, again.stderr).toBe(0);
    expect(parseJson<{ vm_name: string }>(again).vm_name).toBe(vmName);
    expect(await hv.guest?.ping(vmName, { timeoutMs: 10_000 })).toBe(true);
    const back = await cli(['vm', 'release', vmName, '--policy', 'reset', '--json'], 15);
    expect(back.code, back.stderr).toBe(0);
  }, 35 * MINUTE);

  it('removing the pool leaves no QEMU or swtpm process of it', async () => {
    const r = await cli(['pool', 'remove', 'win', '--force'], 10);
    expect(r.code, r.stderr).toBe(0);
    expect(processesOfDir()).toEqual([]);
  }, 15 * MINUTE);
});

describe.runIf(qcow2 !== '' && !enabled)('HVKUBE_WINDOWS_QCOW2 set where the suite cannot run', () => {
  it('says why instead of skipping silently', () => {
    expect.fail(
      process.platform !== 'linux'
        ? `the Windows-on-QEMU suite runs on Linux only (this is ${process.platform})`
        : `HVKUBE_WINDOWS_QCOW2=${qcow2} names no file: point it at a Windows qcow2 (docs/windows-image.md)`,
    );
  });
});
