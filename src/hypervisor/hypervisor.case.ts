/**
 * The contract every hypervisor backend passes: the fake in memory and on a state file, QEMU,
 * and the Hyper-V stand-in. Real backends are slow, so the tests share one VM and each test
 * first brings it to the state it needs; a skipped test does not break the ones after it.
 * @module
 */
import * as fs from 'node:fs';
import { PNG } from 'pngjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isHvkubeError } from '../domain/errors.js';
import type { DirectBoot, GuestMachine } from '../domain/types.js';
import type { HvState, Hypervisor } from './hypervisor.js';

export interface ContractSubject {
  hv: Hypervisor;
  /** A golden image the backend can make differencing disks from. */
  templateDisk: string;
  cleanup(): Promise<void>;
}

export interface ContractOptions {
  /** Tests a backend cannot pass, with the reason: keys of `CONTRACT_TESTS` (or their titles). */
  skip?: { reason: string; tests: string[] }[];
  /** Per test; real backends need tens of seconds. Default 30 s. */
  timeoutMs?: number;
  /** How long a booted guest may take until its heartbeat says ok. Default: the test timeout. */
  readyTimeoutMs?: number;
  memoryMb?: number;
  cpus?: number;
  boot?: DirectBoot | null;
  /** The machine the VMs are built as (e.g. the Windows-shaped one); absent: the backend's default. */
  machine?: GuestMachine;
  /** Prefix of the VMs the suite creates, so leftovers are easy to spot. Default `hvkct-`. */
  vmPrefix?: string;
}

export const CONTRACT_TESTS = {
  create: 'a new VM is off and its disk exists',
  boot: 'start boots an off VM: running, heartbeat ok',
  save: 'save leaves the VM saved; saving again is HV_INVALID_STATE',
  resume: 'start resumes a saved VM',
  startRunning: 'start of a running VM is HV_INVALID_STATE',
  checkpoint: 'a checkpoint taken while running restores to saved, with the screen of that time',
  missingCheckpoint: 'restoring a missing checkpoint is HV_NOT_FOUND',
  pause: 'pause and unpause',
  stop: 'stop with force turns the VM off',
  screenshot: 'screenshot is a valid PNG and typing changes it',
  screenshotWidth: 'screenshot scales to the requested width',
  inputVocabulary: 'buttons and keys go down and up, triple clicks, and the screen size matches a screenshot',
  list: 'listVms filters by prefix',
  getMissing: 'getVm of a missing VM is null',
  missing: 'operations on a missing VM are HV_NOT_FOUND',
  missingParent: 'a differencing disk of a missing parent is HV_NOT_FOUND',
  removeRunning: 'remove of a running VM removes it',
  remove: 'remove deletes the VM and its disk, and removing again succeeds',
} as const;

const PNG_SIGNATURE = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);

export function decodePng(png: Buffer): PNG {
  expect(png.subarray(0, 8).equals(PNG_SIGNATURE)).toBe(true);
  return PNG.sync.read(png);
}

export function pngsDiffer(a: Buffer, b: Buffer): boolean {
  const x = decodePng(a);
  const y = decodePng(b);
  return x.width !== y.width || x.height !== y.height || !x.data.equals(y.data);
}

export async function expectHvError(promise: Promise<unknown>, code: string): Promise<void> {
  let caught: unknown;
  try {
    await promise;
  } catch (e) {
    caught = e;
  }
  expect(caught, `expected ${code}`).toBeDefined();
  expect(isHvkubeError(caught) ? caught.code : caught).toBe(code);
}

async function waitUntil(
  what: string,
  timeoutMs: number,
  check: () => Promise<boolean>,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (let delay = 5; ; delay = Math.min(1000, delay * 2)) {
    if (await check()) return;
    if (Date.now() > deadline)
      throw new Error(`timed out after ${timeoutMs} ms waiting until ${what}`);
    await new Promise((resolve) => setTimeout(resolve, delay));
  }
}

export function runHypervisorContract(
  name: string,
  setup: () => Promise<ContractSubject>,
  options: ContractOptions = {},
): void {
  const timeoutMs = options.timeoutMs ?? 30_000;
  const readyTimeoutMs = options.readyTimeoutMs ?? timeoutMs;
  const prefix = options.vmPrefix ?? 'hvkct-';
  const skipped = new Map<string, string>();
  const titles: Record<string, string> = CONTRACT_TESTS;
  for (const group of options.skip ?? [])
    for (const t of group.tests) skipped.set(titles[t] ?? t, group.reason);

  describe(`hypervisor contract: ${name}`, () => {
    let subject: ContractSubject;
    let hv: Hypervisor;
    const run = `${prefix}${Date.now().toString(36)}-${Math.floor(Math.random() * 1e6).toString(36)}`;
    const vm = `${run}-a`;
    const created: string[] = [];
    let disk = '';

    const test = (title: string, fn: () => Promise<void>): void => {
      const reason = skipped.get(title);
      if (reason !== undefined) it.skip(`${title} (skipped: ${reason})`, fn);
      else it(title, fn, timeoutMs);
    };

    const state = async (n = vm): Promise<HvState | undefined> => (await hv.getVm(n))?.state;

    const makeVm = async (n: string): Promise<string> => {
      const path = hv.diskPathFor(n, subject.templateDisk);
      await hv.createDifferencingDisk(subject.templateDisk, path);
      created.push(n);
      await hv.createVm({
        name: n,
        diskPath: path,
        memoryMb: options.memoryMb ?? 512,
        cpus: options.cpus ?? 1,
        gpu: false,
        guestPorts: [],
        boot: options.boot ?? null,
        ...(options.machine ? { machine: options.machine } : {}),
      });
      return path;
    };

    /** Gets the shared VM into `want`, whatever an earlier (possibly skipped) test left. */
    const bringTo = async (want: 'off' | 'running' | 'saved'): Promise<void> => {
      if ((await hv.getVm(vm)) === null) disk = await makeVm(vm);
      let now = await state();
      if (now === want) return;
      if (want === 'off') {
        await hv.stop(vm, { force: true });
        return;
      }
      if (now === 'paused') {
        await hv.unpause(vm);
        now = 'running';
      }
      if (now !== 'running') await hv.start(vm);
      if (want === 'saved') await hv.save(vm);
      else
        await waitUntil(
          `${vm} answers its heartbeat`,
          readyTimeoutMs,
          async () => (await hv.heartbeat(vm)) === 'ok',
        );
    };

    beforeAll(async () => {
      subject = await setup();
      hv = subject.hv;
    }, timeoutMs);

    afterAll(async () => {
      if (!subject) return;
      for (const n of created) await hv.remove(n).catch(() => undefined);
      await subject.cleanup();
    }, timeoutMs);

    test(CONTRACT_TESTS.create, async () => {
      disk = await makeVm(vm);
      expect(fs.existsSync(disk)).toBe(true);
      const info = await hv.getVm(vm);
      expect(info).toMatchObject({ name: vm, state: 'off' });
      expect(info?.id).toBeTruthy();
    });

    test(CONTRACT_TESTS.boot, async () => {
      await bringTo('off');
      await hv.start(vm);
      expect(await state()).toBe('running');
      await waitUntil(
        `${vm} answers its heartbeat`,
        readyTimeoutMs,
        async () => (await hv.heartbeat(vm)) === 'ok',
      );
    });

    test(CONTRACT_TESTS.save, async () => {
      await bringTo('running');
      await hv.save(vm);
      expect(await state()).toBe('saved');
      await expectHvError(hv.save(vm), 'HV_INVALID_STATE');
      expect(await state()).toBe('saved');
    });

    test(CONTRACT_TESTS.resume, async () => {
      await bringTo('saved');
      await hv.start(vm);
      expect(await state()).toBe('running');
    });

    test(CONTRACT_TESTS.startRunning, async () => {
      await bringTo('running');
      await expectHvError(hv.start(vm), 'HV_INVALID_STATE');
      expect(await state()).toBe('running');
    });

    test(CONTRACT_TESTS.checkpoint, async () => {
      await bringTo('running');
      await hv.checkpoint(vm, 'clean');
      expect((await hv.getVm(vm))?.checkpoints).toContain('clean');
      await hv.typeText(vm, 'echo contract-typed-after-checkpoint\n');
      const typed = await hv.screenshot(vm);
      expect(await hv.restoreCheckpoint(vm, 'clean')).toBe('saved');
      expect(await state()).toBe('saved');
      await hv.start(vm);
      expect(await state()).toBe('running');
      expect(pngsDiffer(typed, await hv.screenshot(vm))).toBe(true);
    });

    test(CONTRACT_TESTS.missingCheckpoint, async () => {
      await bringTo('running');
      await expectHvError(hv.restoreCheckpoint(vm, 'no-such-checkpoint'), 'HV_NOT_FOUND');
    });

    test(CONTRACT_TESTS.pause, async () => {
      await bringTo('running');
      await hv.pause(vm);
      expect(await state()).toBe('paused');
      await hv.unpause(vm);
      expect(await state()).toBe('running');
    });

    test(CONTRACT_TESTS.stop, async () => {
      await bringTo('running');
      await hv.stop(vm, { force: true });
      expect(await state()).toBe('off');
      expect(await hv.guestAddress(vm)).toBeNull();
    });

    test(CONTRACT_TESTS.screenshot, async () => {
      await bringTo('running');
      const before = await hv.screenshot(vm);
      const image = decodePng(before);
      expect(image.width).toBeGreaterThan(0);
      expect(image.height).toBeGreaterThan(0);
      await hv.typeText(vm, 'echo contract-screenshot\n');
      await waitUntil('the typed text shows', timeoutMs / 2, async () =>
        pngsDiffer(before, await hv.screenshot(vm)),
      );
    });

    test(CONTRACT_TESTS.screenshotWidth, async () => {
      await bringTo('running');
      const small = decodePng(await hv.screenshot(vm, { width: 320 }));
      expect(small.width).toBe(320);
    });

    test(CONTRACT_TESTS.inputVocabulary, async () => {
      await bringTo('running');
      const size = await hv.screenSize(vm);
      const shot = decodePng(await hv.screenshot(vm));
      expect(size).toEqual({ width: shot.width, height: shot.height });
      await hv.mouseMove(vm, 5, 5);
      await hv.mouseDown(vm, 'left');
      await hv.mouseMove(vm, 20, 20);
      await hv.mouseUp(vm, 'left');
      await hv.click(vm, 10, 10, { count: 3 });
      await hv.keyDown(vm, ['shift']);
      await hv.keyUp(vm, ['shift']);
      await expect(hv.keyDown(vm, ['nokey'])).rejects.toThrow();
    });

    test(CONTRACT_TESTS.list, async () => {
      await bringTo('off');
      expect((await hv.listVms(run)).map((v) => v.name)).toContain(vm);
      expect((await hv.listVms(prefix)).map((v) => v.name)).toContain(vm);
      expect(await hv.listVms(`${run}-no-such-vm`)).toEqual([]);
    });

    test(CONTRACT_TESTS.getMissing, async () => {
      expect(await hv.getVm(`${run}-missing`)).toBeNull();
    });

    test(CONTRACT_TESTS.missing, async () => {
      const missing = `${run}-missing`;
      await expectHvError(hv.start(missing), 'HV_NOT_FOUND');
      await expectHvError(hv.save(missing), 'HV_NOT_FOUND');
      await expectHvError(hv.stop(missing, { force: true }), 'HV_NOT_FOUND');
      await expectHvError(hv.pause(missing), 'HV_NOT_FOUND');
      await expectHvError(hv.checkpoint(missing, 'clean'), 'HV_NOT_FOUND');
      await expectHvError(hv.restoreCheckpoint(missing, 'clean'), 'HV_NOT_FOUND');
      await expectHvError(hv.screenshot(missing), 'HV_NOT_FOUND');
      await expectHvError(hv.typeText(missing, 'x'), 'HV_NOT_FOUND');
    });

    test(CONTRACT_TESTS.missingParent, async () => {
      const child = hv.diskPathFor(`${run}-orphan`, subject.templateDisk);
      await expectHvError(
        hv.createDifferencingDisk(`${subject.templateDisk}.missing`, child),
        'HV_NOT_FOUND',
      );
      expect(fs.existsSync(child)).toBe(false);
    });

    test(CONTRACT_TESTS.removeRunning, async () => {
      const other = `${run}-b`;
      const otherDisk = await makeVm(other);
      await hv.start(other);
      await hv.remove(other);
      expect(await hv.getVm(other)).toBeNull();
      expect(fs.existsSync(otherDisk)).toBe(false);
    });

    test(CONTRACT_TESTS.remove, async () => {
      await bringTo('off');
      await hv.remove(vm);
      expect(await hv.getVm(vm)).toBeNull();
      expect(fs.existsSync(disk)).toBe(false);
      await hv.remove(vm);
      expect(await hv.listVms(run)).toEqual([]);
    });
  });
}
