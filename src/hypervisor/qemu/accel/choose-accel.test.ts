import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createQemuHypervisor } from '../index.js';
import { readQemuVersion } from '../host-info.js';
import { processesMentioning, QEMU_AVAILABLE, tempDir, writeBrokenKvmQemu, type BrokenKvmMode } from '../qemu-test-helpers.js';
import { chooseAccel, type AccelChoiceOptions } from './choose-accel.js';
import { describeVerdict } from './verdict.js';
import { probeFirmware, PROBE_MARKER } from './probe-payload.js';

/** A host with a "KVM device" (a plain file: the probe only needs it to exist) and a stand-in QEMU. */
function brokenHost(root: string, mode: BrokenKvmMode, name: string = mode): { options: AccelChoiceOptions; starts(): number; dir: string } {
  const dir = path.join(root, name);
  rmSync(dir, { recursive: true, force: true });
  const bin = path.join(dir, 'bin');
  mkdirSync(bin, { recursive: true });
  const qemuBinary = writeBrokenKvmQemu(bin, mode);
  const kvmDevice = path.join(dir, 'kvm');
  writeFileSync(kvmDevice, '');
  const options: AccelChoiceOptions = {
    mode: 'auto', qemuBinary, kvmDevice, cpuModel: undefined, dir: path.join(dir, 'accel'), probeTimeoutMs: 2_000,
    qemuVersion: () => readQemuVersion(qemuBinary),
  };
  const starts = (): number => (existsSync(path.join(bin, 'starts')) ? readFileSync(path.join(bin, 'starts'), 'utf8').split('\n').filter((l) => l.includes('-accel kvm')).length : 0);
  return { options, starts, dir };
}

describe('the probe payload', () => {
  it('is a 64 KiB firmware image whose reset vector jumps into the code that prints the marker', () => {
    const image = probeFirmware();
    expect(image.length).toBe(0x10000);
    expect(image[0xfff0]).toBe(0xe9);
    expect(image.includes(Buffer.from([0xb0, PROBE_MARKER.charCodeAt(0), 0xee]))).toBe(true);
  });
});

describe.skipIf(!QEMU_AVAILABLE)('choosing the accelerator on a host whose KVM is present but unusable (stand-in QEMU)', () => {
  let root: { dir: string; cleanup(): void };

  beforeAll(() => {
    root = tempDir('hvk-accel-');
  });

  afterAll(() => root?.cleanup());

  it('falls back to TCG when the guest hangs after the decompressor, says why, and leaves no process', async () => {
    const host = brokenHost(root.dir, 'hang');
    const verdict = await chooseAccel(host.options);
    expect(verdict).toMatchObject({ accel: 'tcg', cpuModel: 'qemu64', kvm: 'unusable', cached: false });
    expect(verdict.reason).toContain('no progress');
    expect(verdict.reason).toContain('Physical KASLR disabled');
    // Every candidate CPU model was tried before giving up.
    expect(host.starts()).toBe(3);
    expect(describeVerdict(verdict)).toMatch(/^KVM present but unusable: .*; using software emulation$/);
    expect(processesMentioning(host.dir)).toEqual([]);
  });

  it('falls back to TCG when QEMU aborts on the MSR assertion', async () => {
    const host = brokenHost(root.dir, 'abort');
    const verdict = await chooseAccel(host.options);
    expect(verdict).toMatchObject({ accel: 'tcg', kvm: 'unusable' });
    expect(verdict.reason).toMatch(/killed by SIGABRT: .*failed to set MSR 0x10a/);
  });

  it('names the CPU features the host lacks', async () => {
    const host = brokenHost(root.dir, 'features');
    const verdict = await chooseAccel(host.options);
    expect(verdict.reason).toContain('the host CPU lacks features of -cpu Nehalem: CPUID.01H:ECX.pni, CPUID.01H:ECX.ssse3');
  });

  it('uses KVM with the first CPU model whose guest runs', async () => {
    const host = brokenHost(root.dir, 'works');
    const verdict = await chooseAccel(host.options);
    expect(verdict).toMatchObject({ accel: 'kvm', cpuModel: 'Nehalem', kvm: 'usable', reason: null });
    expect(host.starts()).toBe(1);
    expect(processesMentioning(host.dir)).toEqual([]);
  });

  it('reuses the cached verdict, and probes again when the QEMU version or device changes, or when asked', async () => {
    const host = brokenHost(root.dir, 'abort', 'cache');
    await chooseAccel(host.options);
    const probes = host.starts();
    const again = await chooseAccel(host.options);
    expect(again).toMatchObject({ kvm: 'unusable', cached: true });
    expect(host.starts()).toBe(probes);

    writeFileSync(path.join(path.dirname(host.options.qemuBinary), 'version'), '9.9.9');
    expect(await chooseAccel(host.options)).toMatchObject({ cached: false });
    expect(host.starts()).toBe(2 * probes);

    const otherDevice = path.join(host.dir, 'kvm2');
    writeFileSync(otherDevice, '');
    expect(await chooseAccel({ ...host.options, kvmDevice: otherDevice })).toMatchObject({ cached: false });
    expect(await chooseAccel({ ...host.options, kvmDevice: otherDevice })).toMatchObject({ cached: true });
    expect(await chooseAccel({ ...host.options, kvmDevice: otherDevice, force: true })).toMatchObject({ cached: false });
    expect(host.starts()).toBe(4 * probes);
  });

  it('forced KVM keeps KVM with the reason; TCG and a missing device never probe', async () => {
    const host = brokenHost(root.dir, 'hang', 'forced');
    const forced = await chooseAccel({ ...host.options, mode: 'kvm', probeTimeoutMs: 500 });
    expect(forced).toMatchObject({ accel: 'kvm', kvm: 'unusable' });
    expect(describeVerdict(forced)).toContain('KVM forced by qemu.accel but unusable');
    const probes = host.starts();
    expect(await chooseAccel({ ...host.options, mode: 'tcg' })).toMatchObject({ accel: 'tcg', kvm: 'not-tried' });
    expect(await chooseAccel({ ...host.options, kvmDevice: path.join(host.dir, 'none') })).toMatchObject({ accel: 'tcg', kvm: 'absent' });
    expect(host.starts()).toBe(probes);
  });

  it('a VM of a backend forced to a KVM that fails its probe is refused at once, with the reason', async () => {
    const host = brokenHost(root.dir, 'abort', 'backend');
    const hv = createQemuHypervisor({ dataDir: path.join(host.dir, 'data'), qemuBinary: host.options.qemuBinary, kvmDevice: host.options.kvmDevice, accel: 'kvm' });
    try {
      const disk = path.join(host.dir, 'disk.img');
      writeFileSync(disk, '');
      await expect(hv.createVm({ name: 'hvk-forced', diskPath: disk, memoryMb: 64, cpus: 1, gpu: false, guestPorts: [], boot: null }))
        .rejects.toMatchObject({ code: 'HV_UNAVAILABLE', message: expect.stringContaining('failed to set MSR') as unknown });
      expect((await hv.hostInfo()).notes).toMatchObject({ accel: 'kvm (unusable)' });
    } finally {
      await hv.close();
    }
  });
});
