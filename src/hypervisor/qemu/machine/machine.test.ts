import { describe, expect, it } from 'vitest';
import { HypervisorError } from '../../../domain/errors.js';
import { validateGuest } from '../../../orchestrator/catalog.js';
import { qemuArgs } from '../qemu-command-line.js';
import { vmPaths, type VmDefinition } from '../vm-definition.js';
import { machineFiles } from './files.js';
import { MIGRATABLE_HYPERV, resolveMachineShape, resolveMachineTools } from './shape.js';

const def: VmDefinition = {
  version: 1, id: 'id', name: 'win1', accel: 'tcg', machine: 'q35', cpuModel: 'qemu64', memoryMb: 2048, cpus: 2,
  diskPath: '/data/qemu/win1/disk.qcow2', diskFormat: 'qcow2', boot: null,
  forwards: [], vncDisplay: null, createdAt: '',
};
const paths = vmPaths('/data/qemu', '/tmp/hvk-x', 'win1');
const tools = resolveMachineTools({});

async function argsFor(guest: Parameters<typeof resolveMachineShape>[0], accel: 'kvm' | 'tcg' = 'tcg'): Promise<string> {
  const shape = await resolveMachineShape(guest, accel, tools);
  return qemuArgs({ ...def, accel, ...(shape ? { shape } : {}) }, paths, { incoming: false }).join(' ');
}

describe('machine shape on the command line', () => {
  it('leaves the Linux machine exactly as VMs saved before shapes had it', async () => {
    expect(await resolveMachineShape(undefined, 'tcg', tools)).toBeNull();
    expect(await resolveMachineShape({ os: 'linux', secureBoot: false, devices: 'virtio', display: null }, 'kvm', tools)).toBeNull();
    const args = qemuArgs(def, paths, { incoming: false }).join(' ');
    expect(args).toContain('-vga std');
    expect(args).toContain('-device virtio-blk-pci,drive=d0,id=vd0');
    expect(args).toContain('-device virtio-net-pci,netdev=net0,id=nic0,romfile=');
    expect(args).not.toMatch(/pflash|tpm|hv-/);
  });

  it('builds a Windows guest with UEFI, its own variables, a swtpm TPM and stock devices', async () => {
    const args = await argsFor({ os: 'windows', secureBoot: false, devices: 'stock', display: { width: 1920, height: 1080 } });
    expect(args).toContain('-drive if=pflash,format=raw,unit=0,readonly=on,file=/usr/share/OVMF/OVMF_CODE_4M.fd');
    expect(args).toContain(`-drive if=pflash,format=raw,unit=1,file=${machineFiles(paths).vars}`);
    expect(args).toContain(`-chardev socket,id=chrtpm,path=/tmp/hvk-x/win1.tpm -tpmdev emulator,id=tpm0,chardev=chrtpm -device tpm-tis,tpmdev=tpm0`);
    expect(args).toContain('-device ide-hd,drive=d0,bus=ide.0,id=vd0');
    expect(args).toContain('-device e1000e,netdev=net0,id=nic0,romfile=');
    expect(args).toContain('-device usb-tablet,id=tablet,bus=xhci.0');
    expect(args).toContain('-device VGA,id=video0,vgamem_mb=64,edid=on,xres=1920,yres=1080');
    expect(args).not.toContain('-vga std');
    expect(args).not.toMatch(/smm=on|secure,value=on/);
    // No enlightenments under TCG.
    expect(args).toContain('-cpu qemu64 ');
  });

  it('turns on Secure Boot with the firmware that has the Microsoft keys, behind SMM', async () => {
    const args = await argsFor({ os: 'windows', secureBoot: true, devices: 'stock', display: null });
    expect(args).toContain('-machine q35,memory-backend=ram0,smm=on');
    expect(args).toContain('file=/usr/share/OVMF/OVMF_CODE_4M.ms.fd');
    expect(args).toContain('-global driver=cfi.pflash01,property=secure,value=on');
    const shape = await resolveMachineShape({ os: 'windows', secureBoot: true, devices: 'stock', display: null }, 'tcg', tools);
    expect(shape?.uefi?.varsTemplate).toBe('/usr/share/OVMF/OVMF_VARS_4M.ms.fd');
  });

  it('adds only migratable Hyper-V enlightenments, and only under KVM', async () => {
    const args = await argsFor({ os: 'windows', secureBoot: false, devices: 'virtio', display: null }, 'kvm');
    expect(args).toContain(`-cpu qemu64,${MIGRATABLE_HYPERV.join(',')} `);
    for (const blocker of ['hv-passthrough', 'hv-evmcs', 'hv-reenlightenment', 'hv-invtsc', 'hv-frequencies']) expect(args).not.toContain(blocker);
    expect(args).toContain('-device virtio-blk-pci,drive=d0,id=vd0');
    expect(args).toContain('-device virtio-net-pci,netdev=net0,id=nic0,romfile=');
  });

  it('gives a Linux guest with a display resolution an EDID display and nothing else new', async () => {
    const args = await argsFor({ os: 'linux', secureBoot: false, devices: 'virtio', display: { width: 1280, height: 800 } });
    expect(args).toContain('-device VGA,id=video0,vgamem_mb=64,edid=on,xres=1280,yres=800');
    expect(args).not.toMatch(/pflash|tpm|e1000e|ide-hd/);
  });

  it('refuses a Windows guest when the firmware is missing, saying what to install', async () => {
    const error = await resolveMachineShape(
      { os: 'windows', secureBoot: false, devices: 'stock', display: null }, 'tcg', resolveMachineTools({ firmwareDir: '/nonexistent' }),
    ).catch((e: unknown) => e as HypervisorError);
    expect(error).toBeInstanceOf(HypervisorError);
    expect((error as HypervisorError).code).toBe('HV_UNAVAILABLE');
    expect((error as HypervisorError).hint).toContain('ovmf');
  });
});

describe('validateGuest', () => {
  it('defaults to Linux, and Windows to stock devices with Secure Boot', () => {
    expect(validateGuest(undefined)).toEqual({ os: 'linux', secureBoot: false, devices: 'virtio', display: null });
    expect(validateGuest({ os: 'windows' })).toEqual({ os: 'windows', secureBoot: true, devices: 'stock', display: null });
    expect(validateGuest({ os: 'windows', secureBoot: false, devices: 'virtio', display: { width: 1920, height: 1080 } })).toEqual({
      os: 'windows', secureBoot: false, devices: 'virtio', display: { width: 1920, height: 1080 },
    });
  });

  it('refuses what the machine cannot be', () => {
    expect(() => validateGuest({ os: 'macos' as 'linux' })).toThrow(/guest os "macos" is unknown/);
    expect(() => validateGuest({ os: 'linux', secureBoot: true })).toThrow(/only Windows guests/);
    expect(() => validateGuest({ os: 'linux', devices: 'stock' })).toThrow(/virtio device set/);
    expect(() => validateGuest({ os: 'windows', devices: 'ide' as 'stock' })).toThrow(/device set "ide" is unknown/);
    expect(() => validateGuest({ os: 'windows', display: { width: 100, height: 100 } })).toThrow(/display width/);
  });
});
