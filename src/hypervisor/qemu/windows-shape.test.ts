/**
 * The Windows-shaped machine on a real guest: the Linux demo guest booted by OVMF, with its TPM
 * from swtpm and its disk on AHCI. What the guest itself reads shows which firmware variables and
 * TPM state it has after each save, resume and reset; the host checks the files beside it. And
 * no swtpm outlives its VM, whichever way the VM or hvkube ends.
 */
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { readFileSync, utimesSync, writeFileSync, chmodSync, existsSync } from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, test } from 'vitest';
import { createQemuHypervisor, type QemuHypervisor } from './index.js';
import { machineFiles } from './machine/files.js';
import { findSwtpm, startSwtpm } from './machine/swtpm.js';
import { guestShell, SWTPM_AVAILABLE, SWTPM_MISSING_REASON } from './machine/machine-test-helpers.js';
import { demoImageForTests, killSpawnedQemus, processesMentioning, QEMU_AVAILABLE, QEMU_MISSING_REASON, tempDir, waitFor } from './qemu-test-helpers.js';
import { vmPaths } from './vm-definition.js';
import { isHvkubeError } from '../../domain/errors.js';
import type { GuestMachine } from '../../domain/types.js';

const BOOT_MS = 300_000;
const WINDOWS: GuestMachine = { os: 'windows', secureBoot: false, devices: 'stock', display: null };
const available = QEMU_AVAILABLE && SWTPM_AVAILABLE;
const EFI_GUID = '6f1d2c1e-8a41-4b52-9c0e-7d3a5b9e2f10';

/** The command that extends PCR 16 (SHA-256 bank) with 32 bytes of `fill`, for the guest's /dev/tpm0. */
function pcrExtendCommand(fill: string): string {
  const header = [0x80, 0x02, 0, 0, 0, 65, 0, 0, 0x01, 0x82];
  const body = [0, 0, 0, 16, 0, 0, 0, 9, 0x40, 0, 0, 9, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0x0b];
  const octal = [...header, ...body].map((b) => `\\${b.toString(8).padStart(3, '0')}`).join('');
  return `exec 3<>/dev/tpm0; printf '${octal}${fill.repeat(32)}' >&3; dd bs=64 count=1 <&3 2>/dev/null | od -An -tx1 | head -1; exec 3>&-`;
}

/** PCR 16 after extending a zero PCR with each fill in turn (32 bytes of it each time). */
function expectedPcr(...fills: string[]): string {
  let pcr = Buffer.alloc(32);
  for (const fill of fills) pcr = createHash('sha256').update(Buffer.concat([pcr, Buffer.from(fill.repeat(32))])).digest();
  return pcr.toString('hex').toUpperCase();
}

function sha256(file: string): string {
  return createHash('sha256').update(readFileSync(file)).digest('hex');
}

describe.skipIf(!available)('Windows-shaped machine on the demo guest', () => {
  const data = tempDir('hvk-qemu-winst-');
  let hv: QemuHypervisor | undefined;
  afterAll(async () => {
    await hv?.close();
    killSpawnedQemus();
    for (const pid of processesMentioning(data.dir)) process.kill(pid, 'SIGKILL');
    data.cleanup();
  });

  test('firmware variables and TPM state are those of each step: provision, save, resume, reset, resume', async () => {
    const image = await demoImageForTests();
    hv = createQemuHypervisor({ dataDir: data.dir, gracefulStopMs: 2_000 });
    const vm = 'hvkwin-state';
    const paths = vmPaths(hv.config.vmRoot, hv.config.runDir, vm);
    const files = machineFiles(paths);
    const shell = (command: string): Promise<string> => guestShell(paths.serialSocket, command);
    const pcr16 = async (): Promise<string> => (await shell('cat /sys/class/tpm/tpm0/pcr-sha256/16')).trim();
    const efiVar = async (name: string): Promise<string> =>
      (await shell(`tail -c +5 /sys/firmware/efi/efivars/${name}-${EFI_GUID} 2>/dev/null || echo absent`)).trim();
    const setEfiVar = (name: string, value: string): Promise<string> =>
      shell(`printf '\\007\\000\\000\\000${value}' > /sys/firmware/efi/efivars/${name}-${EFI_GUID}`);

    // Provision: create, boot, reach ready.
    await hv.createDifferencingDisk(image.diskPath, hv.diskPathFor(vm));
    await hv.createVm({ name: vm, diskPath: hv.diskPathFor(vm), memoryMb: 256, cpus: 1, gpu: false, guestPorts: [], boot: image, machine: WINDOWS });
    expect(existsSync(files.vars)).toBe(true);
    expect(existsSync(path.join(files.tpmDir, 'tpm2-00.permall'))).toBe(true);
    await hv.start(vm);
    await hv.waitUntilReady(vm, BOOT_MS);
    expect(await findSwtpm(files)).not.toBeNull();

    // The guest runs on UEFI with a TPM 2.0 and its disk on AHCI (sda), not virtio.
    const machine = await shell('cat /sys/class/tpm/tpm0/tpm_version_major; ls -d /sys/firmware/efi; grep -c sda /proc/partitions; grep -c vda /proc/partitions; ls /data');
    expect(machine.trim().split('\n').map((l) => l.trim())).toEqual(['2', '/sys/firmware/efi', '1', '0', expect.stringContaining('README')]);

    // Before the clean checkpoint: extend PCR 16 with A, set variable HvkBefore.
    expect(await shell(pcrExtendCommand('A'))).toContain('80 02 00 00 00 13 00 00 00 00');
    await setEfiVar('HvkBefore', 'before-clean');
    expect(await pcr16()).toBe(expectedPcr('A'));
    expect(await efiVar('HvkBefore')).toBe('before-clean');
    await hv.checkpoint(vm, 'clean');
    const cleanVars = sha256(files.vars);
    const cleanTpm = sha256(path.join(files.tpmDir, 'tpm2-00.permall'));
    await hv.save(vm);
    expect(await findSwtpm(files)).toBeNull();

    // Resume: the state of the save.
    await hv.start(vm);
    expect(await findSwtpm(files)).not.toBeNull();
    expect(await pcr16()).toBe(expectedPcr('A'));
    expect(await efiVar('HvkBefore')).toBe('before-clean');

    // After the clean checkpoint: extend with B, set HvkAfter; it reaches the VM's variable store.
    expect(await shell(pcrExtendCommand('B'))).toContain('80 02 00 00 00 13 00 00 00 00');
    await setEfiVar('HvkAfter', 'after-clean');
    expect(await pcr16()).toBe(expectedPcr('A', 'B'));
    expect(readFileSync(files.vars).includes('after-clean')).toBe(true);

    // Save and resume keep it; the saved size counts the variables and TPM state. This resume
    // goes through a pre-started process, which has its own swtpm waiting with it.
    await hv.save(vm);
    const stateOnly = readFileSync(paths.state).length;
    expect(await hv.savedStateBytes(vm)).toBeGreaterThan(stateOnly + readFileSync(files.vars).length);
    await hv.prepareResume([vm]);
    expect(hv.standbyNames()).toEqual([vm]);
    expect(await findSwtpm(files)).not.toBeNull();
    await hv.start(vm);
    expect(hv.standbyNames()).toEqual([]);
    expect(await pcr16()).toBe(expectedPcr('A', 'B'));
    expect(await efiVar('HvkAfter')).toBe('after-clean');

    // A standby that is not used (the reset below replaces the state it holds) ends with its swtpm.
    await hv.save(vm);
    await hv.prepareResume([vm]);
    expect(await findSwtpm(files)).not.toBeNull();

    // Reset (the clean checkpoint, as the orchestrator does): the files are the checkpoint's...
    expect(await hv.restoreCheckpoint(vm, 'clean')).toBe('saved');
    expect(await findSwtpm(files)).toBeNull();
    expect(sha256(files.vars)).toBe(cleanVars);
    expect(sha256(path.join(files.tpmDir, 'tpm2-00.permall'))).toBe(cleanTpm);
    expect(readFileSync(files.vars).includes('after-clean')).toBe(false);

    // ...and the resumed guest has the value written before clean, not the one written after.
    await hv.start(vm);
    expect(await pcr16()).toBe(expectedPcr('A'));
    expect(await efiVar('HvkBefore')).toBe('before-clean');
    expect(await efiVar('HvkAfter')).toBe('absent');

    // Removing the running VM ends its QEMU and its swtpm, and deletes the state.
    await hv.remove(vm);
    expect(processesMentioning(data.dir)).toEqual([]);
    expect(existsSync(paths.dir)).toBe(false);
  }, BOOT_MS * 2);

  test('a start that fails leaves no swtpm behind', async () => {
    const image = await demoImageForTests();
    const failing = path.join(data.dir, 'failing-qemu');
    writeFileSync(failing, '#!/bin/sh\necho "qemu-system-x86_64: could not start" >&2\nexit 1\n');
    chmodSync(failing, 0o755);
    const broken = createQemuHypervisor({ dataDir: path.join(data.dir, 'failing'), qemuBinary: failing });
    try {
      const vm = 'hvkwin-fail';
      await broken.createDifferencingDisk(image.diskPath, broken.diskPathFor(vm));
      await broken.createVm({ name: vm, diskPath: broken.diskPathFor(vm), memoryMb: 256, cpus: 1, gpu: false, guestPorts: [], boot: image, machine: WINDOWS });
      const error = await broken.start(vm).then(() => null, (e: unknown) => e);
      expect(isHvkubeError(error) && error.code.startsWith('HV_')).toBe(true);
      expect(processesMentioning(path.join(data.dir, 'failing'))).toEqual([]);
      expect((await broken.getVm(vm))?.state).toBe('off');
    } finally {
      await broken.close();
    }
  }, 60_000);

  test('after hvkube is killed with SIGKILL, a crashed swtpm or QEMU is seen and removal leaves no process', async () => {
    const image = await demoImageForTests();
    const dataDir = path.join(data.dir, 'killed');
    const vm = 'hvkwin-kill';
    // A separate hvkube process starts the VM, then is killed with SIGKILL.
    const script = path.join(data.dir, 'start-vm.mts');
    writeFileSync(script, `
import { createQemuHypervisor } from ${JSON.stringify(path.resolve('src/hypervisor/qemu/index.ts'))};
const hv = createQemuHypervisor({ dataDir: ${JSON.stringify(dataDir)} });
await hv.createDifferencingDisk(${JSON.stringify(image.diskPath)}, hv.diskPathFor('${vm}'));
await hv.createVm({ name: '${vm}', diskPath: hv.diskPathFor('${vm}'), memoryMb: 256, cpus: 1, gpu: false, guestPorts: [], boot: ${JSON.stringify(image)}, machine: ${JSON.stringify(WINDOWS)} });
await hv.start('${vm}');
console.log('STARTED');
setInterval(() => undefined, 1000);
`);
    const child = spawn(path.resolve('node_modules/.bin/tsx'), [script], { stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    child.stdout.on('data', (b: Buffer) => (out += b.toString()));
    await waitFor('the other process started the VM', 120_000, () => out.includes('STARTED'));
    child.kill('SIGKILL');
    await new Promise((r) => child.once('exit', r));

    const other = createQemuHypervisor({ dataDir });
    try {
      const paths = vmPaths(other.config.vmRoot, other.config.runDir, vm);
      const files = machineFiles(paths);
      // The VM outlives the process that started it, with its TPM.
      expect((await other.getVm(vm))?.state).toBe('running');
      const swtpm = await findSwtpm(files);
      expect(swtpm).not.toBeNull();

      // swtpm crashes: the VM is reported broken (reconcile marks it failed and replaces it).
      process.kill(swtpm as number, 'SIGKILL');
      await waitFor('swtpm is gone', 10_000, async () => (await findSwtpm(files)) === null);
      expect((await other.getVm(vm))?.state).toBe('other');

      // QEMU crashes: the VM is off.
      const qemuPid = Number(readFileSync(paths.pid, 'utf8'));
      process.kill(qemuPid, 'SIGKILL');
      await waitFor('QEMU is gone', 10_000, () => !processesMentioning(paths.qmpSocket).includes(qemuPid));
      expect((await other.getVm(vm))?.state).toBe('off');

      // hvkube killed between starting swtpm and QEMU: the lone swtpm is swept once it is
      // older than the grace period (its PID file is aged here instead of waiting).
      const lone = await startSwtpm('swtpm', files);
      expect((await other.getVm(vm))?.state).toBe('off');
      expect(await findSwtpm(files)).toBe(lone);
      const old = new Date(Date.now() - 120_000);
      utimesSync(files.swtpmPid, old, old);
      expect((await other.getVm(vm))?.state).toBe('off');
      expect(await findSwtpm(files)).toBeNull();

      // And what reconcile does with an orphan (remove) leaves nothing of the VM running.
      await startSwtpm('swtpm', files);
      await other.remove(vm);
      expect(processesMentioning(dataDir)).toEqual([]);
    } finally {
      await other.close();
    }
  }, 240_000);
});

if (!available) {
  describe('Windows-shaped machine on the demo guest', () => {
    test.skip(`skipped: ${QEMU_AVAILABLE ? SWTPM_MISSING_REASON : QEMU_MISSING_REASON}`, () => undefined);
  });
}
