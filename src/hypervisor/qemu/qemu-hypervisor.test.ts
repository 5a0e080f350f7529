import { existsSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { PNG } from 'pngjs';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createQemuHypervisor, type DemoImage, type QemuHypervisor } from './index.js';
import { demoImageForTests, killSpawnedQemus, QEMU_AVAILABLE, QEMU_MISSING_REASON, tempDir, waitFor } from './qemu-test-helpers.js';

const STEP_MS = 180_000;

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** Pixels that differ between two screenshots; a blinking cursor changes a few dozen at most. */
function changedPixels(a: Buffer, b: Buffer): number {
  const x = PNG.sync.read(a);
  const y = PNG.sync.read(b);
  if (x.width !== y.width || x.height !== y.height) return Number.POSITIVE_INFINITY;
  let changed = 0;
  for (let i = 0; i < x.data.length; i += 4) if (x.data.readUInt32BE(i) !== y.data.readUInt32BE(i)) changed++;
  return changed;
}

describe.skipIf(!QEMU_AVAILABLE)('QEMU backend lifecycle (demo guest, 128 MiB)', () => {
  const vm = 'hvk-life-1';
  let data: { dir: string; cleanup(): void };
  let hv: QemuHypervisor;
  let image: DemoImage;
  let serialLog = '';
  let probe = 0;

  /** Types a test on the VGA shell whose answer goes to the serial log, and reads the answer. */
  const fileOnData = async (file: string): Promise<boolean> => {
    const token = `T${++probe}`;
    await hv.typeText(vm, `test -e /data/${file} && echo ${token}-PRESENT >/dev/ttyS0 || echo ${token}-ABSENT >/dev/ttyS0\n`);
    let answer = '';
    await waitFor(`the guest answers probe ${token}`, 30_000, () => {
      const log = readFileSync(serialLog, 'utf8');
      answer = log.includes(`${token}-PRESENT`) ? 'PRESENT' : log.includes(`${token}-ABSENT`) ? 'ABSENT' : '';
      return answer !== '';
    });
    return answer === 'PRESENT';
  };

  beforeAll(async () => {
    image = await demoImageForTests();
    data = tempDir('hvk-qemu-life-');
    hv = createQemuHypervisor({ dataDir: data.dir, qmpIdleMs: 300 });
    serialLog = path.join(data.dir, 'qemu', vm, 'serial.log');
  }, STEP_MS);

  afterAll(async () => {
    await hv?.remove(vm).catch(() => undefined);
    await hv?.close();
    killSpawnedQemus();
    data?.cleanup();
  }, STEP_MS);

  it('creates a VM on a differencing disk, with a stable forwarded port', async () => {
    const disk = hv.diskPathFor(vm, image.diskPath);
    await hv.createDifferencingDisk(image.diskPath, disk);
    expect(statSync(disk).size).toBeLessThan(1024 * 1024);
    await hv.createVm({ name: vm, diskPath: disk, memoryMb: 128, cpus: 1, gpu: false, guestPorts: [22], boot: image });
    expect(await hv.getVm(vm)).toMatchObject({ name: vm, state: 'off', memoryMb: 128, cpus: 1, checkpoints: [] });
    const endpoint = await hv.guestEndpoint(vm, 22);
    expect(endpoint?.host).toBe('127.0.0.1');
    expect(endpoint?.port).toBeGreaterThan(0);
    expect(await hv.guestEndpoint(vm, 3389)).toBeNull();
    expect(await hv.heartbeat(vm)).toBe('unknown');
  });

  it('boots and reports ready through the ready port', async () => {
    await hv.start(vm);
    expect((await hv.getVm(vm))?.state).toBe('running');
    await hv.waitUntilReady(vm, STEP_MS);
    expect(await hv.heartbeat(vm)).toBe('ok');
    expect(await hv.guestAddress(vm)).toBe('10.0.2.15');
    await waitFor('the serial marker', 10_000, () => readFileSync(serialLog, 'utf8').includes('HVKUBE-READY'));
  }, STEP_MS);

  it('takes the "clean" checkpoint while running and stays running', async () => {
    await hv.checkpoint(vm, 'clean');
    expect(await hv.getVm(vm)).toMatchObject({ state: 'running', checkpoints: ['clean'] });
    expect(await hv.heartbeat(vm)).toBe('ok');
  }, STEP_MS);

  it('saves to a small state file and ends the process', async () => {
    await hv.save(vm);
    expect((await hv.getVm(vm))?.state).toBe('saved');
    const state = path.join(data.dir, 'qemu', vm, 'state.bin');
    expect(statSync(state).size).toBeLessThan(4 * 1024 * 1024);
    expect(existsSync(path.join(data.dir, 'qemu', vm, 'qemu.pid'))).toBe(false);
  }, STEP_MS);

  it('resumes ready at once, shows the screen and takes typing', async () => {
    await hv.start(vm);
    expect((await hv.getVm(vm))?.state).toBe('running');
    expect(await hv.heartbeat(vm)).toBe('ok');
    const before = await hv.screenshot(vm);
    const png = PNG.sync.read(before);
    expect([png.width, png.height]).toEqual([720, 400]);
    expect(PNG.sync.read(await hv.screenshot(vm, { width: 360 })).width).toBe(360);
    // The same screen as JPEG and WebP, scaled and zoomed, through the shared pipeline.
    const jpeg = await sharp(await hv.screenshot(vm, { format: 'jpeg', quality: 70, longestSide: 360 })).metadata();
    expect([jpeg.format, jpeg.width, jpeg.height]).toEqual(['jpeg', 360, 200]);
    const webp = await sharp(await hv.screenshot(vm, { format: 'webp', zoom: { x: 0, y: 0, width: 180, height: 100 } })).metadata();
    expect([webp.format, webp.width, webp.height]).toEqual(['webp', 720, 400]);
    await expect(hv.screenshot(vm, { region: { x: 700, y: 0, width: 40, height: 10 } })).rejects.toMatchObject({ code: 'INVALID_INPUT' });
    await hv.typeText(vm, 'echo hello from hvkube\n');
    await waitFor('the typed line shows', 30_000, async () => changedPixels(before, await hv.screenshot(vm)) > 200);
  }, STEP_MS);

  it('writes a file to /data that a restore of "clean" takes away', async () => {
    await hv.typeText(vm, 'echo x > /data/session-file && sync\n');
    expect(await fileOnData('session-file')).toBe(true);
    expect(await hv.restoreCheckpoint(vm, 'clean')).toBe('saved');
    expect((await hv.getVm(vm))?.state).toBe('saved');
    await hv.start(vm);
    expect(await hv.heartbeat(vm)).toBe('ok');
    expect(await fileOnData('session-file')).toBe(false);
    expect(await fileOnData('README')).toBe(true);
  }, STEP_MS);

  it('resumes in a pre-started process; a standby is invisible and never outlives what it was for', async () => {
    const dir = path.join(data.dir, 'qemu', vm);
    const standbyPid = (): number => Number(readFileSync(path.join(dir, 'standby.pid'), 'utf8'));
    await hv.save(vm);
    await hv.prepareResume([vm]);
    expect(hv.standbyNames()).toEqual([vm]);
    const first = standbyPid();
    expect(alive(first)).toBe(true);
    // The VM is still saved, to this backend object and to any other hvkube process.
    expect((await hv.getVm(vm))?.state).toBe('saved');
    const other = createQemuHypervisor({ dataDir: data.dir });
    expect((await other.getVm(vm))?.state).toBe('saved');
    await other.close();
    expect(alive(first)).toBe(true);

    await hv.start(vm);
    expect(Number(readFileSync(path.join(dir, 'qemu.pid'), 'utf8'))).toBe(first);
    expect(existsSync(path.join(dir, 'standby.pid'))).toBe(false);
    expect(hv.standbyNames()).toEqual([]);
    expect(await hv.heartbeat(vm)).toBe('ok');
    expect(await fileOnData('README')).toBe(true);

    // Any other operation ends it first: a restore replaces the state file it holds open.
    await hv.save(vm);
    await hv.prepareResume([vm]);
    const second = standbyPid();
    expect(await hv.restoreCheckpoint(vm, 'clean')).toBe('saved');
    expect(alive(second)).toBe(false);
    expect(hv.standbyNames()).toEqual([]);

    // Naming no VM ends them all.
    await hv.prepareResume([vm]);
    const third = standbyPid();
    await hv.prepareResume([]);
    expect(alive(third)).toBe(false);

    // One left by a crashed process is ended by the next resume, which starts its own.
    const crashed = createQemuHypervisor({ dataDir: data.dir });
    await crashed.prepareResume([vm]);
    const stale = standbyPid();
    await hv.start(vm);
    expect(alive(stale)).toBe(false);
    expect(Number(readFileSync(path.join(dir, 'qemu.pid'), 'utf8'))).not.toBe(stale);
    expect(await hv.heartbeat(vm)).toBe('ok');
    expect(await fileOnData('README')).toBe(true);
  }, STEP_MS);

  it('pauses and unpauses; another backend object (a new hvkube process) drives the same VM', async () => {
    await hv.pause(vm);
    expect((await hv.getVm(vm))?.state).toBe('paused');
    expect(await hv.heartbeat(vm)).toBe('no-contact');
    await hv.unpause(vm);
    const other = createQemuHypervisor({ dataDir: data.dir });
    try {
      expect((await other.getVm(vm))?.state).toBe('running');
      expect(PNG.sync.read(await other.screenshot(vm)).width).toBe(720);
    } finally {
      await other.close();
    }
  }, STEP_MS);

  it('notices a QEMU that died: the VM is off', async () => {
    const pid = Number(readFileSync(path.join(data.dir, 'qemu', vm, 'qemu.pid'), 'utf8'));
    process.kill(pid, 'SIGKILL');
    await waitFor('the VM reads as off', 10_000, async () => (await hv.getVm(vm))?.state === 'off');
    expect(await hv.heartbeat(vm)).toBe('unknown');
  }, STEP_MS);

  it('removes the VM and its files, twice', async () => {
    await hv.remove(vm);
    expect(await hv.getVm(vm)).toBeNull();
    expect(existsSync(path.join(data.dir, 'qemu', vm))).toBe(false);
    await hv.remove(vm);
  }, STEP_MS);
});

if (!QEMU_AVAILABLE) {
  describe('QEMU backend lifecycle', () => {
    it.skip(`skipped: ${QEMU_MISSING_REASON}`, () => undefined);
  });
}
