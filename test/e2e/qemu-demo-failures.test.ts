/**
 * `hvkube demo` on a host whose KVM is present but unusable (a stand-in QEMU that aborts under
 * `-accel kvm`, as such hosts do): forced KVM fails at once with the reason, and Ctrl-C in the
 * middle of provisioning leaves no QEMU process of this data directory behind. Both say how to
 * remove what the demo created.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli, spawnCli } from '../helpers/cli.js';
import { processesMentioning, QEMU_AVAILABLE, waitFor, writeBrokenKvmQemu } from '../../src/hypervisor/qemu/qemu-test-helpers.js';

const env = { HVKUBE_DEMO_IMAGE_DIR: process.env.HVKUBE_DEMO_IMAGE_DIR ?? path.join(os.tmpdir(), 'hvkube-demo-image') };
let root: string;

/** A data directory whose config points QEMU at the stand-in and KVM at a device that exists. */
function dataDir(name: string, accel: 'auto' | 'kvm'): string {
  const dir = path.join(root, name);
  mkdirSync(path.join(dir, 'bin'), { recursive: true });
  const binary = writeBrokenKvmQemu(path.join(dir, 'bin'), 'abort');
  writeFileSync(path.join(dir, 'kvm'), '');
  writeFileSync(path.join(dir, 'config.json'), JSON.stringify({ backend: 'qemu', qemu: { binary, accel, kvmDevice: path.join(dir, 'kvm') } }));
  return dir;
}

/** This data directory's QEMU VM processes (not qemu-img, not other tests'). */
const vmProcesses = (dir: string): number[] => processesMentioning(path.join(dir, 'qemu'));

beforeAll(() => {
  root = mkdtempSync(path.join(os.tmpdir(), 'hvk-demo-fail-'));
});

afterAll(() => {
  for (const pid of processesMentioning(root)) process.kill(pid, 'SIGKILL');
  rmSync(root, { recursive: true, force: true });
});

describe.skipIf(!QEMU_AVAILABLE)('hvkube demo when KVM is present but unusable', () => {
  it('with qemu.accel kvm forced, fails at once with the probe\'s reason and says how to clean up', async () => {
    const dir = dataDir('forced', 'kvm');
    const r = await runCli(['--data-dir', dir, 'demo'], { env, timeoutMs: 600_000 });
    expect(r.code, `${r.stdout}\n${r.stderr}`).toBe(1);
    expect(r.stdout).toMatch(/accelerator: KVM forced by qemu.accel but unusable: QEMU was killed by SIGABRT/);
    expect(r.stderr).toMatch(/all \d+ of its VMs are in error and nothing is repairing them .*needs KVM, which is unusable on this host/);
    expect(r.stderr).toContain(`--data-dir ${dir} pool remove demo`);
    expect(vmProcesses(dir)).toEqual([]);
  });

  it('says it uses software emulation and why; Ctrl-C while provisioning stops every VM it started', async () => {
    const dir = dataDir('interrupted', 'auto');
    const child = spawnCli(['--data-dir', dir, 'demo'], { env });
    let stdout = '';
    let stderr = '';
    child.stdout?.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr?.on('data', (d: Buffer) => (stderr += d.toString()));
    const exited = new Promise<number | null>((resolve) => child.on('close', (code) => resolve(code)));
    await waitFor('the demo has started a VM', 600_000, () => vmProcesses(dir).length > 0);
    child.kill('SIGINT');
    expect(await exited).toBe(130);
    expect(stdout).toMatch(/accelerator: KVM present but unusable: QEMU was killed by SIGABRT: .*; using software emulation/);
    expect(stderr).toContain(`--data-dir ${dir} pool remove demo`);
    expect(vmProcesses(dir)).toEqual([]);
  });
});
