/**
 * The README's first command for real: `hvkube demo` on QEMU (KVM or software emulation), then
 * a QEMU process killed by its PID and repaired by `hvkube reconcile`, then everything removed.
 */
import { existsSync, readFileSync, readdirSync, rmSync, mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { parseJson, runCli } from '../helpers/cli.js';
import { QEMU_AVAILABLE, QEMU_MISSING_REASON } from '../../src/hypervisor/qemu/qemu-test-helpers.js';

const dir = mkdtempSync(path.join(os.tmpdir(), 'hvk-demo-e2e-'));
const env = { HVKUBE_DEMO_IMAGE_DIR: process.env.HVKUBE_DEMO_IMAGE_DIR ?? path.join(os.tmpdir(), 'hvkube-demo-image') };
const hv = (args: string[]): ReturnType<typeof runCli> => runCli(args, { globalArgs: ['--data-dir', dir], env, timeoutMs: 600_000 });

/** PIDs of QEMU processes running a VM of this data directory. */
function qemuPids(vmName?: string): number[] {
  const pids: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const cmdline = readFileSync(`/proc/${entry}/cmdline`, 'utf8').split('\0');
      if (!cmdline[0]?.includes('qemu-system')) continue;
      if (!cmdline.some((a) => a.includes(dir))) continue;
      if (vmName && !cmdline.some((a) => a.includes(`/${vmName}/`))) continue;
      pids.push(Number(entry));
    } catch {
      // the process ended while we looked
    }
  }
  return pids;
}

afterAll(async () => {
  if (QEMU_AVAILABLE) await hv(['pool', 'remove', 'demo', '--force']);
  for (const pid of qemuPids()) process.kill(pid, 'SIGKILL');
  rmSync(dir, { recursive: true, force: true });
});

describe.skipIf(!QEMU_AVAILABLE)(`hvkube demo on QEMU${QEMU_AVAILABLE ? '' : ` (skipped: ${QEMU_MISSING_REASON})`}`, () => {
  it('provisions, resumes much faster than a cold boot, types, screenshots and resets', async () => {
    const r = await hv(['demo']);
    expect(r.code, `${r.stdout}\n${r.stderr}`).toBe(0);
    expect(r.stdout).toContain('backend: qemu');
    expect(r.stdout).toMatch(/accelerator: (KVM|software emulation|KVM present but unusable)/);
    const recorded = JSON.parse(readFileSync(path.join(dir, 'demo-result.json'), 'utf8')) as Record<string, unknown>;
    expect(recorded).toMatchObject({ backend: 'qemu', accel: expect.stringMatching(/^(kvm|tcg)/) as unknown, cpuModel: expect.any(String) as unknown });
    const m = /cold boot ([\d.]+) (s|ms) → resume ([\d.]+) (s|ms)/.exec(r.stdout);
    expect(m, r.stdout).not.toBeNull();
    const toMs = (v: string | undefined, unit: string | undefined): number => Number(v) * (unit === 's' ? 1000 : 1);
    expect(toMs(m?.[3], m?.[4])).toBeLessThan(toMs(m?.[1], m?.[2]));
    const shot = path.join(dir, 'demo-screenshot.png');
    expect(existsSync(shot)).toBe(true);
    expect(readFileSync(shot).subarray(0, 8).toString('hex')).toBe('89504e470d0a1a0a');
    const vms = parseJson<{ state: string }[]>(await hv(['vm', 'list', '--json']));
    expect(vms).toHaveLength(3);
    expect(vms.filter((v) => v.state === 'saved').length).toBeGreaterThanOrEqual(2);
  });

  it('reconcile settles a VM whose QEMU process was killed by its PID', async () => {
    const got = parseJson<{ vm_name: string }>(await hv(['vm', 'acquire', '--pool', 'demo', '--json']));
    const pids = qemuPids(got.vm_name);
    expect(pids).toHaveLength(1);
    process.kill(pids[0] ?? 0, 'SIGKILL');
    await new Promise((r) => setTimeout(r, 500));
    const rec = await hv(['reconcile', '--json']);
    expect(rec.code, rec.stderr).toBe(0);
    const report = parseJson<{ fixed: string[]; orphans: string[] }>(rec);
    expect(report.fixed).toContain(got.vm_name);
    expect(report.orphans).toEqual([]);
    const vm = parseJson<{ state: string; lease: unknown }>(await hv(['vm', 'info', got.vm_name, '--json']));
    expect(vm.lease).toBeNull();
    expect(['off', 'saved']).toContain(vm.state);
  });

  it('removing the pool leaves no QEMU process and no VM files behind', async () => {
    const r = await hv(['pool', 'remove', 'demo', '--force']);
    expect(r.code, r.stderr).toBe(0);
    expect(qemuPids()).toEqual([]);
    const vmDir = path.join(dir, 'qemu');
    expect(existsSync(vmDir) ? readdirSync(vmDir) : []).toEqual([]);
  });
});
