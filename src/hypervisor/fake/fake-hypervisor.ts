/**
 * The fake backend: an in-process simulation of a Hyper-V host with the same state rules,
 * configurable latencies, fault injection and a text console rendered to real PNGs.
 *
 * Choices where the brief or Hyper-V leave room:
 * - `remove` of a running VM turns it off first (the orchestrator may remove VMs in any state);
 *   it also succeeds while another operation is under way, which then fails with HV_NOT_FOUND.
 * - `stop` of an off VM succeeds; a graceful stop of a saved or paused VM is HV_INVALID_STATE
 *   (there is no running guest to shut down), `force` discards the saved state.
 * - a checkpoint with an existing name replaces it.
 * - `screenshot` works while paused (the frame buffer is still there); input needs running.
 * - with a latency or a hang, the VM shows a transient state (`starting`, `saving`, ...) and
 *   refuses other operations until done; an aborted wait puts the VM back where it was.
 * @module
 */
import { randomUUID } from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { HvkubeError, HypervisorError } from '../../domain/errors.js';
import { parseKeyChord } from '../../domain/keys.js';
import type { BackendName } from '../../domain/types.js';
import { IMAGE_EXTENSIONS, validateName } from '../../domain/validation.js';
import { drawTextScreen } from '../console/render-text-screen.js';
import { checkScreenshotOptions, encodeScreenshot } from '../console/encode.js';
import type { GuestExecRequest, GuestExecResult, GuestFileEntry, GuestInfo, GuestOps } from '../guest.js';
import {
  copyGuestFs,
  guestPath,
  listGuestDir,
  newGuestFs,
  readGuestFile,
  runFakeCommand,
  writeGuestFile,
  type FakeGuestFs,
} from './fake-guest.js';
import type {
  ClickOptions,
  ConsoleAccess,
  CreateVmSpec,
  HostInfo,
  HvState,
  HvVm,
  Hypervisor,
  HypervisorCapabilities,
  MouseButton,
  OperationOptions,
  ScreenSize,
  ScreenshotOptions,
} from '../hypervisor.js';
import { realClock, type FakeClock } from './fake-clock.js';
import { createFaults, HangRegistry, takeFault, type FakeFaults } from './fake-faults.js';
import { OperationRunner, type Plan } from './fake-operation-runner.js';
import type { FakeHypervisorOptions, FakeOperation } from './fake-hypervisor-config.js';
import {
  fakeGuestAddress,
  holdsMemory,
  invalidState,
  requireIdle,
  requireState,
  requireVm,
  seededRandom,
} from './fake-rules.js';
import * as screens from './fake-screen.js';
import type { FakeHostState, FakeVmRecord } from './fake-state.js';
import { FileStateStore, MemoryStateStore, type FakeStateStore } from './state-store.js';

const DEFAULT_STALE_LOCK_MS = 5000;

function toHvVm(vm: FakeVmRecord): HvVm {
  return {
    name: vm.name,
    id: vm.id,
    state: vm.state,
    memoryMb: vm.memoryMb,
    cpus: vm.cpus,
    checkpoints: vm.checkpoints.map((c) => c.name),
  };
}

export class FakeHypervisor implements Hypervisor {
  readonly backend: BackendName = 'fake';
  readonly capabilities: HypervisorCapabilities;
  readonly faults: FakeFaults;
  /** Folder holding `disks/`. */
  readonly dataDir: string;
  readonly stateFile: string | null;

  private readonly store: FakeStateStore;
  private readonly clock: FakeClock;
  private readonly runner: OperationRunner;
  private readonly random: () => number;
  private readonly ownsDataDir: boolean;
  /** The simulated guest channel; absent with `guestChannel: false`. */
  readonly guest?: GuestOps;

  constructor(private readonly options: FakeHypervisorOptions = {}) {
    this.capabilities = {
      pause: true,
      scroll: true,
      gpu: true,
      gpuCheckpoints: options.gpuCheckpoints ?? true,
      savedUsesNoMemory: true,
    };
    this.stateFile = options.stateFile ? path.resolve(options.stateFile) : null;
    this.store = this.stateFile
      ? new FileStateStore(this.stateFile, options.staleLockMs ?? DEFAULT_STALE_LOCK_MS)
      : new MemoryStateStore();
    this.clock = options.clock ?? realClock;
    this.random = seededRandom(options.randomSeed ?? 1);
    const dataDir = options.dataDir ?? (this.stateFile ? path.dirname(this.stateFile) : null);
    // In memory, nothing touches the disk until a disk is created; the folder is ours to clean.
    this.ownsDataDir = dataDir === null;
    this.dataDir = dataDir
      ? path.resolve(dataDir)
      : path.join(os.tmpdir(), `hvkube-fake-${process.pid}-${randomUUID().slice(0, 8)}`);
    const hangs = new HangRegistry();
    this.runner = new OperationRunner(this.store, this.clock, hangs, (op) => this.latency(op));
    this.faults = createFaults((fn) => this.store.mutate(fn), hangs, deleteFile);
    if (options.guestChannel !== false) this.guest = this.guestOps();
  }

  // ---- host and inventory -------------------------------------------------------------------

  async hostInfo(): Promise<HostInfo> {
    const used = await this.query(null, (s) =>
      Object.values(s.vms).reduce((sum, vm) => sum + (holdsMemory(vm.state) ? vm.memoryMb : 0), 0),
    );
    const total = this.options.hostMemoryMb ?? 65536;
    return {
      backend: 'fake',
      hostname: this.options.hostname ?? 'fake-host',
      cpus: this.options.hostCpus ?? 16,
      totalMemoryMb: total,
      freeMemoryMb: Math.max(0, total - used),
      freeDiskMb: this.options.freeDiskMb ?? null,
      notes: { simulated: 'true', state: this.stateFile ?? 'in memory' },
    };
  }

  listVms(prefix: string): Promise<HvVm[]> {
    return this.query(null, (s) =>
      Object.values(s.vms)
        .filter((vm) => vm.name.startsWith(prefix))
        .map(toHvVm),
    );
  }

  getVm(name: string): Promise<HvVm | null> {
    return this.query(name, (s) => {
      const vm = s.vms[name];
      return vm ? toHvVm(vm) : null;
    });
  }

  diskPathFor(vmName: string, templateDisk: string): string {
    const ext = path.extname(templateDisk).toLowerCase();
    const known: readonly string[] = IMAGE_EXTENSIONS.fake;
    return path.join(this.dataDir, 'disks', `${vmName}${known.includes(ext) ? ext : '.vhdx'}`);
  }

  createDifferencingDisk(parentPath: string, childPath: string): Promise<void> {
    const child = path.resolve(childPath);
    const parent = path.resolve(parentPath);
    const check = (s: FakeHostState): Plan => {
      if (!s.disks[parent] && !fs.existsSync(parent)) {
        throw new HypervisorError('HV_NOT_FOUND', `parent disk ${parent} does not exist`, {
          details: { path: parent },
        });
      }
      if (fs.existsSync(child)) {
        throw new HypervisorError('HV_FAILED', `disk ${child} already exists`, {
          hint: 'remove the leftover file or pick another path',
          details: { path: child },
        });
      }
      return { operation: 'createDisk', transient: null };
    };
    return this.runner.run({
      vmName: null,
      plan: check,
      finish: (s) => {
        fs.mkdirSync(path.dirname(child), { recursive: true });
        // A real (tiny) file, so tests can check on the filesystem that no disk leaks.
        fs.writeFileSync(
          child,
          `${JSON.stringify({ format: 'hvkube-fake-differencing-disk', parent })}\n`,
          { flag: 'wx' },
        );
        s.disks[child] = { parent };
      },
    });
  }

  async createVm(spec: CreateVmSpec): Promise<HvVm> {
    validateName('vm', spec.name);
    const diskPath = path.resolve(spec.diskPath);
    return this.runner.run({
      vmName: spec.name,
      plan: (s) => {
        if (s.vms[spec.name]) {
          throw new HypervisorError(
            'HV_INVALID_STATE',
            `a VM named ${spec.name} already exists on the fake host`,
            {
              details: { vm: spec.name },
            },
          );
        }
        if (!s.disks[diskPath] && !fs.existsSync(diskPath)) {
          throw new HypervisorError(
            'HV_NOT_FOUND',
            `disk ${diskPath} of VM ${spec.name} does not exist`,
            { details: { path: diskPath } },
          );
        }
        return { operation: 'create', transient: null };
      },
      finish: (s) => {
        const vm: FakeVmRecord = {
          name: spec.name,
          id: randomUUID(),
          state: 'off',
          memoryMb: spec.memoryMb,
          cpus: spec.cpus,
          gpu: spec.gpu,
          diskPath,
          guestPorts: [...spec.guestPorts],
          checkpoints: [],
          screen: screens.bootScreen(),
          bootedAt: null,
          savedStateCorrupt: false,
          busy: null,
        };
        s.vms[spec.name] = vm;
        return toHvVm(vm);
      },
    });
  }

  // ---- lifecycle ------------------------------------------------------------------------------

  start(name: string, options: OperationOptions = {}): Promise<void> {
    return this.runner.run({
      vmName: name,
      signal: options.signal,
      plan: (s) => {
        const vm = requireIdle(requireVm(s, name));
        if (vm.state === 'off') return { operation: 'boot', transient: 'starting' };
        if (vm.state === 'saved') return { operation: 'resume', transient: 'starting' };
        throw invalidState(
          vm,
          'start',
          vm.state === 'paused' ? 'unpause it instead' : 'it is already on',
        );
      },
      finish: (s, operation) => {
        const vm = requireVm(s, name);
        if (operation === 'boot') {
          vm.state = 'running';
          vm.bootedAt = this.clock.now();
          vm.screen = screens.bootScreen();
          vm.savedStateCorrupt = false;
          // Files are on the disk and survive a reboot; the clipboard does not.
          if (vm.guest) vm.guest.clipboard = '';
          return;
        }
        this.resumeOrFail(s, vm);
      },
    });
  }

  private resumeOrFail(s: FakeHostState, vm: FakeVmRecord): void {
    if (vm.savedStateCorrupt) {
      vm.state = 'off';
      vm.savedStateCorrupt = false;
      vm.bootedAt = null;
      throw new HypervisorError(
        'HV_SAVED_STATE_INCOMPATIBLE',
        `the saved state of VM ${vm.name} cannot be restored and was discarded`,
        {
          hint: 'the VM is off now; boot it again',
          details: { vm: vm.name },
        },
      );
    }
    const armed = takeFault(s.faults.failNextResume, vm.name) !== undefined;
    const rate = this.options.resumeFailureRate ?? 0;
    if (armed || (rate > 0 && this.random() < rate)) {
      throw new HypervisorError('HV_FAILED', `resume of VM ${vm.name} failed (simulated)`, {
        details: { vm: vm.name },
      });
    }
    vm.state = 'running';
  }

  save(name: string, options: OperationOptions = {}): Promise<void> {
    return this.transition(name, options.signal, 'save', ['running', 'paused'], 'saving', 'saved');
  }

  pause(name: string): Promise<void> {
    return this.transition(name, undefined, 'pause', ['running'], 'other', 'paused');
  }

  unpause(name: string): Promise<void> {
    return this.transition(name, undefined, 'unpause', ['paused'], 'other', 'running');
  }

  private transition(
    name: string,
    signal: AbortSignal | undefined,
    operation: FakeOperation,
    from: HvState[],
    transient: HvState,
    to: HvState,
  ): Promise<void> {
    return this.runner.run({
      vmName: name,
      signal,
      plan: (s) => {
        requireState(requireIdle(requireVm(s, name)), from, operation);
        return { operation, transient };
      },
      finish: (s) => {
        requireVm(s, name).state = to;
      },
    });
  }

  stop(name: string, options: { force?: boolean } & OperationOptions = {}): Promise<void> {
    const force = options.force ?? false;
    return this.runner.run({
      vmName: name,
      signal: options.signal,
      plan: (s) => {
        const vm = requireIdle(requireVm(s, name));
        if (vm.state === 'off') return { operation: 'stop', transient: null };
        if (!force && vm.state !== 'running')
          throw invalidState(
            vm,
            'shut down',
            'no guest is running to shut down; use force to turn it off',
          );
        return { operation: 'stop', transient: 'stopping' };
      },
      finish: (s) => powerOff(requireVm(s, name)),
    });
  }

  remove(name: string): Promise<void> {
    return this.runner.run({
      vmName: name,
      plan: () => ({ operation: 'remove', transient: null }),
      finish: (s) => {
        const vm = s.vms[name];
        if (!vm) return;
        delete s.vms[name];
        if (s.disks[vm.diskPath]) {
          delete s.disks[vm.diskPath];
          deleteFile(vm.diskPath);
        }
      },
    });
  }

  checkpoint(name: string, checkpointName: string): Promise<void> {
    return this.runner.run({
      vmName: name,
      plan: (s) => {
        requireState(
          requireIdle(requireVm(s, name)),
          ['off', 'running', 'paused', 'saved'],
          'checkpoint',
        );
        return { operation: 'checkpoint', transient: null };
      },
      finish: (s) => {
        const vm = requireVm(s, name);
        vm.checkpoints = vm.checkpoints.filter((c) => c.name !== checkpointName);
        vm.checkpoints.push({
          name: checkpointName,
          // Without GPU checkpoints, restoring one means a fresh disk: nothing of memory survives.
          withMemory: vm.state !== 'off' && (this.capabilities.gpuCheckpoints || !vm.gpu),
          screen: screens.copyScreen(vm.screen),
          guest: vm.guest ? copyGuestFs(vm.guest) : undefined,
        });
      },
    });
  }

  restoreCheckpoint(name: string, checkpointName: string): Promise<HvState> {
    const find = (vm: FakeVmRecord) => {
      const cp = vm.checkpoints.find((c) => c.name === checkpointName);
      if (!cp) {
        throw new HypervisorError(
          'HV_NOT_FOUND',
          `VM ${name} has no checkpoint ${checkpointName}`,
          {
            details: {
              vm: name,
              checkpoint: checkpointName,
              checkpoints: vm.checkpoints.map((c) => c.name),
            },
          },
        );
      }
      return cp;
    };
    return this.runner.run({
      vmName: name,
      plan: (s) => {
        find(requireIdle(requireVm(s, name)));
        return { operation: 'restore', transient: 'other' };
      },
      finish: (s) => {
        const vm = requireVm(s, name);
        const cp = find(vm);
        vm.state = cp.withMemory ? 'saved' : 'off';
        vm.screen = screens.copyScreen(cp.screen);
        vm.guest = cp.guest ? copyGuestFs(cp.guest) : undefined;
        vm.savedStateCorrupt = false;
        return vm.state;
      },
    });
  }

  // ---- guest ----------------------------------------------------------------------------------

  heartbeat(name: string): Promise<'ok' | 'no-contact' | 'unknown'> {
    return this.query(name, (s) => {
      const vm = requireVm(s, name);
      if (vm.state !== 'running')
        return vm.state === 'off' || vm.state === 'saved' ? 'unknown' : 'no-contact';
      const ready =
        vm.bootedAt === null || this.clock.now() - vm.bootedAt >= this.latency('guestReady');
      return ready ? 'ok' : 'no-contact';
    });
  }

  guestAddress(name: string): Promise<string | null> {
    return this.query(name, (s) => addressOf(requireVm(s, name)));
  }

  async guestEndpoint(
    name: string,
    guestPort: number,
  ): Promise<{ host: string; port: number } | null> {
    const host = await this.guestAddress(name);
    return host === null ? null : { host, port: guestPort };
  }

  // ---- console --------------------------------------------------------------------------------

  async screenshot(name: string, options: ScreenshotOptions = {}): Promise<Buffer> {
    checkScreenshotOptions(options);
    const view = await this.runner.run({
      vmName: name,
      plan: (s) => {
        requireState(requireVm(s, name), ['running', 'paused'], 'take a screenshot of');
        return { operation: 'screenshot', transient: null };
      },
      finish: (s) => screens.screenView(requireVm(s, name).screen, name),
    });
    // Drawing and encoding happen outside the state lock: they are the slowest part of the operation.
    const pointer = view.options.pointer ?? null;
    return encodeScreenshot(drawTextScreen(view.lines, view.options), options, { pointer });
  }

  typeText(name: string, text: string): Promise<void> {
    return this.input(name, (vm) => screens.typeText(vm.screen, text, vm.name));
  }

  async pressKeys(name: string, chords: string[]): Promise<void> {
    const parsed = chords.map(parseKeyChord);
    return this.input(name, (vm) => {
      for (const chord of parsed) {
        // The paste chord types the guest clipboard, as a desktop's text field would.
        const paste = chord.key === 'v' && chord.modifiers.includes('ctrl') && !chord.modifiers.includes('alt');
        if (paste && this.guest && vm.guest) screens.typeText(vm.screen, vm.guest.clipboard, vm.name);
        else screens.pressChord(vm.screen, chord, vm.name);
      }
    });
  }

  mouseMove(name: string, x: number, y: number): Promise<void> {
    return this.input(name, (vm) => screens.movePointer(vm.screen, x, y));
  }

  click(name: string, x: number, y: number, options: ClickOptions = {}): Promise<void> {
    const count = options.count ?? (options.double ? 2 : 1);
    return this.input(name, (vm) =>
      screens.clickPointer(vm.screen, x, y, options.button ?? 'left', count),
    );
  }

  mouseDown(name: string, button: MouseButton): Promise<void> {
    return this.input(name, (vm) => screens.setButton(vm.screen, button, true));
  }

  mouseUp(name: string, button: MouseButton): Promise<void> {
    return this.input(name, (vm) => screens.setButton(vm.screen, button, false));
  }

  async keyDown(name: string, keys: readonly string[]): Promise<void> {
    for (const key of keys) parseKeyChord(key);
    return this.input(name, (vm) => screens.setKeys(vm.screen, keys, true));
  }

  async keyUp(name: string, keys: readonly string[]): Promise<void> {
    for (const key of keys) parseKeyChord(key);
    return this.input(name, (vm) => screens.setKeys(vm.screen, keys, false));
  }

  async screenSize(name: string): Promise<ScreenSize> {
    await this.query(name, (s) => requireVm(s, name));
    return { ...screens.SCREEN_SIZE };
  }

  cursorPosition(name: string): Promise<{ x: number; y: number } | null> {
    return this.query(name, (s) => {
      const p = requireVm(s, name).screen.pointer;
      return p ? { x: p.x, y: p.y } : null;
    });
  }

  /** The last input events the VM received, oldest first (`move 10,20`, `down left 10,20`, `key-down ctrl`). */
  inputEvents(name: string): Promise<string[]> {
    return this.query(name, (s) => [...(requireVm(s, name).screen.events ?? [])]);
  }

  scroll(name: string, delta: number): Promise<void> {
    return this.input(name, (vm) => screens.scrollScreen(vm.screen, delta));
  }

  async console(name: string): Promise<ConsoleAccess> {
    await this.query(name, (s) => requireVm(s, name));
    return {
      command: null,
      instructions: 'the fake backend has no viewer; use `hvkube vm screenshot`',
    };
  }

  /** The console's text rows as a screenshot would show them (tests read this instead of pixels). */
  screenText(name: string): Promise<string[]> {
    return this.query(name, (s) => screens.screenView(requireVm(s, name).screen, name).lines);
  }

  async close(): Promise<void> {
    if (this.ownsDataDir) fs.rmSync(this.dataDir, { recursive: true, force: true });
  }

  // ---- inside the guest ------------------------------------------------------------------------

  private guestOps(): GuestOps {
    const now = (): Date => new Date(this.clock.now());
    return {
      ping: async (name) => {
        try {
          await this.inGuest(name, () => true);
          return true;
        } catch (e) {
          if (e instanceof HvkubeError && e.code === 'GUEST_UNAVAILABLE') return false;
          throw e;
        }
      },
      info: (name): Promise<GuestInfo> =>
        this.inGuest(name, (vm) => ({ os: 'linux', prettyName: 'hvkube fake guest', hostname: vm.name, addresses: [fakeGuestAddress(vm.name)] })),
      exec: (name, request) => this.execInGuest(name, request, now),
      readFile: async (name, p, options) => {
        const data = await this.inGuest(name, (vm, fs) => readGuestFile(fs, vm.name, guestPath(vm.name, p), options.maxBytes));
        options.onProgress?.(data.length);
        return data;
      },
      writeFile: async (name, p, data, options = {}) => {
        await this.inGuest(name, (vm, fs) => writeGuestFile(fs, vm.name, guestPath(vm.name, p), data, now()));
        options.onProgress?.(data.length);
      },
      listFiles: (name, p): Promise<GuestFileEntry[]> => this.inGuest(name, (vm, fs) => listGuestDir(fs, vm.name, guestPath(vm.name, p))),
      getClipboard: (name) => this.inGuest(name, (_vm, fs) => fs.clipboard),
      setClipboard: async (name, text) => {
        await this.inGuest(name, (_vm, fs) => {
          fs.clipboard = text;
        });
      },
    };
  }

  private async execInGuest(name: string, request: GuestExecRequest, now: () => Date): Promise<GuestExecResult> {
    const started = this.clock.now();
    const outcome = await this.inGuest(name, (vm, fs) => runFakeCommand(fs, vm.name, request, now()));
    let timedOut = false;
    if (outcome.sleepMs > 0) {
      timedOut = outcome.sleepMs > request.timeoutMs;
      await abortableSleep(Math.min(outcome.sleepMs, request.timeoutMs), request.signal);
    }
    return {
      exitCode: timedOut ? null : outcome.exitCode,
      stdout: Buffer.from(outcome.stdout, 'utf8'),
      stderr: Buffer.from(outcome.stderr, 'utf8'),
      timedOut,
      truncated: false,
      durationMs: Math.max(0, this.clock.now() - started),
    };
  }

  /** Runs `fn` on a running VM's guest state; the guest answers only once it has booted. */
  private inGuest<T>(name: string, fn: (vm: FakeVmRecord, fs: FakeGuestFs) => T): Promise<T> {
    return this.runner.run({
      vmName: name,
      plan: (s) => {
        const vm = requireVm(s, name);
        const ready = vm.state === 'running' && (vm.bootedAt === null || this.clock.now() - vm.bootedAt >= this.latency('guestReady'));
        if (!ready) {
          throw new HvkubeError('GUEST_UNAVAILABLE', `the guest of VM ${name} does not answer: the VM is ${vm.state}${vm.state === 'running' ? ' and still booting' : ''}`, {
            hint: vm.state === 'running' ? 'wait until it is ready' : 'acquire or resume it first',
            details: { vm: name, state: vm.state },
          });
        }
        return { operation: 'guest', transient: null };
      },
      finish: (s) => {
        const vm = requireVm(s, name);
        vm.guest ??= newGuestFs(vm.name, new Date(this.clock.now()));
        return fn(vm, vm.guest);
      },
    });
  }

  // ---- machinery ------------------------------------------------------------------------------

  private latency(operation: FakeOperation): number {
    return this.options.latencies?.[operation] ?? 0;
  }

  private input(name: string, apply: (vm: FakeVmRecord) => void): Promise<void> {
    return this.runner.run({
      vmName: name,
      plan: (s) => {
        requireState(requireIdle(requireVm(s, name)), ['running'], 'send input to');
        return { operation: 'input', transient: null };
      },
      finish: (s) => apply(requireVm(s, name)),
    });
  }

  private query<T>(vmName: string | null, read: (state: FakeHostState) => T): Promise<T> {
    return this.runner.run({
      vmName,
      plan: () => ({ operation: 'query', transient: null }),
      finish: read,
    });
  }
}

function powerOff(vm: FakeVmRecord): void {
  vm.state = 'off';
  vm.bootedAt = null;
  vm.savedStateCorrupt = false;
}

function addressOf(vm: FakeVmRecord): string | null {
  return vm.state === 'running' || vm.state === 'paused' ? fakeGuestAddress(vm.name) : null;
}

function abortableSleep(ms: number, signal: AbortSignal | undefined): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(done, ms);
    function done(): void {
      clearTimeout(timer);
      signal?.removeEventListener('abort', done);
      resolve();
    }
    signal?.addEventListener('abort', done, { once: true });
  });
}

function deleteFile(file: string): void {
  fs.rmSync(file, { force: true });
}

/** The fake backend's front door. */
export function createFakeHypervisor(options: FakeHypervisorOptions = {}): FakeHypervisor {
  return new FakeHypervisor(options);
}
