/**
 * The Hyper-V backend: every operation is one call of one `.ps1` script through a pool of
 * long-lived PowerShell sessions. This file only maps the `Hypervisor` port onto the script
 * catalogue and normalises the answers; the PowerShell side lives in `scripts/`.
 * @module
 */
import path from 'node:path';
import { IMAGE_EXTENSIONS, validateFilePath, validateMemoryMb, validateName } from '../../domain/validation.js';
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
import { resolveHypervConfig, type HypervConfig, type HypervConfigInput } from './config.js';
import { chordsToWire, keysToWire, mouseButtonIndex, segmentText } from './console-input.js';
import { hvError } from './errors.js';
import {
  asArray,
  firstIPv4,
  heartbeatVerdict,
  isRecord,
  normaliseAdapter,
  normaliseHost,
  normaliseVm,
  toHvState,
  type NormalVm,
} from './normalise.js';
import { defaultScriptsDir } from './paths.js';
import type { CallOptions, ScriptRunner } from './powershell-session.js';
import type { VmRef } from './script-names.js';
import { SessionPool } from './session-pool.js';
import { thumbnailToFrame } from './screenshot.js';
import { checkScreenshotOptions, encodeScreenshot } from '../console/encode.js';
import type { GuestOps } from '../guest.js';
import { HypervGuest } from './guest.js';

const MIB = 1024 * 1024;
const SCREEN_SIZE_TTL_MS = 10_000;

/**
 * Wheel units per notch, and the sign: Windows' WHEEL_DELTA is 120 and a positive wheel delta
 * scrolls up, while hvkube's `scroll(delta)` scrolls down for positive deltas. Microsoft documents
 * only that scrollPositionDelta is relative; this mapping comes from public code and the
 * real-host suite (test/hyperv-real) checks it.
 */
export const WHEEL_UNITS_PER_NOTCH = 120;

export function wheelDelta(notches: number): number {
  return -notches * WHEEL_UNITS_PER_NOTCH;
}

/** Paths on the Hyper-V host are Windows paths; a stand-in on Linux may use POSIX ones. */
export function hostPathFlavour(p: string): path.PlatformPath {
  return /^[A-Za-z]:[\\/]|^\\\\/.test(p) || !p.startsWith('/') ? path.win32 : path.posix;
}

function toHvVm(vm: NormalVm): HvVm {
  return {
    name: vm.name,
    id: vm.id,
    state: vm.state,
    memoryMb: Math.round(vm.memoryStartupBytes / MIB),
    cpus: vm.processorCount,
    checkpoints: vm.checkpoints,
  };
}

function field(result: unknown, key: string): unknown {
  return isRecord(result) ? result[key] : undefined;
}

export class HypervHypervisor implements Hypervisor {
  readonly backend = 'hyperv' as const;
  readonly capabilities: HypervisorCapabilities;
  readonly config: HypervConfig;
  private readonly runner: ScriptRunner;
  /** The Hyper-V id last seen for each VM name, so scripts find a VM with `Get-VM -Id`. */
  private readonly ids = new Map<string, string>();
  /** PowerShell Direct and Copy-VMFile, with the guest credentials of each VM's template. */
  readonly guest: GuestOps;
  /** Where hvkube last put each VM's pointer (Hyper-V cannot be asked), for `cursor: true`. */
  readonly #pointers = new Map<string, { x: number; y: number }>();

  constructor(config: HypervConfig, runner?: ScriptRunner) {
    this.config = config;
    // Hyper-V refuses checkpoints of a VM with a GPU partition adapter (see restore-checkpoint.ps1).
    this.capabilities = { pause: true, scroll: true, gpu: config.gpu, gpuCheckpoints: false, savedUsesNoMemory: true };
    this.runner =
      runner ??
      new SessionPool(config.sessions, {
        executable: config.powershell,
        prefixArgs: config.powershellArgs,
        scriptsDir: config.scriptsDir ?? defaultScriptsDir(),
        startupTimeoutMs: config.startupTimeoutMs,
        defaultTimeoutMs: config.defaultTimeoutMs,
        slowTimeoutMs: config.slowTimeoutMs,
        timeouts: config.timeouts,
        ...(config.env ? { env: config.env } : {}),
        ...(config.onCall ? { onCall: config.onCall } : {}),
        ...(config.onLog ? { onLog: config.onLog } : {}),
      });
    this.guest = new HypervGuest(this.runner, (name) => this.ref(name), config.guestCredentials ?? (() => Promise.resolve(null)), config.defaultTimeoutMs);
  }

  /** The script runner, for the doctor and for tests. */
  get scripts(): ScriptRunner {
    return this.runner;
  }

  async hostInfo(): Promise<HostInfo> {
    const host = normaliseHost(await this.runner.call('host-info', { VmDirectory: this.config.vmDirectory }));
    return {
      backend: 'hyperv',
      hostname: host.hostname ?? 'unknown',
      cpus: host.logicalProcessorCount,
      totalMemoryMb: Math.round(host.memoryCapacityBytes / MIB),
      freeMemoryMb: host.freePhysicalMemoryKB === null ? 0 : Math.floor(host.freePhysicalMemoryKB / 1024),
      freeDiskMb: host.freeDiskBytes === null ? null : Math.floor(host.freeDiskBytes / MIB),
      notes: {
        powershell: this.config.powershell,
        ...(host.psVersion ? { psVersion: host.psVersion } : {}),
        ...(host.osVersion ? { osVersion: host.osVersion } : {}),
        ...(host.virtualHardDiskPath ? { virtualHardDiskPath: host.virtualHardDiskPath } : {}),
      },
    };
  }

  async listVms(prefix: string): Promise<HvVm[]> {
    const result = await this.runner.call('list-vms', { Prefix: prefix });
    return asArray(field(result, 'vms')).map((v) => toHvVm(this.remember(normaliseVm(v))));
  }

  async getVm(name: string): Promise<HvVm | null> {
    const vm = field(await this.runner.call('get-vm', this.ref(name)), 'vm');
    if (!isRecord(vm)) {
      this.ids.delete(name.toLowerCase());
      return null;
    }
    return toHvVm(this.remember(normaliseVm(vm)));
  }

  diskPathFor(vmName: string, templateDisk: string): string {
    const flavour = hostPathFlavour(templateDisk);
    const directory = this.config.vmDirectory ?? flavour.join(flavour.dirname(templateDisk), 'hvkube-vms');
    const extension = flavour.extname(templateDisk).toLowerCase() === '.vhd' ? '.vhd' : '.vhdx';
    return flavour.join(directory, `${validateName('vm', vmName)}${extension}`);
  }

  async createDifferencingDisk(parentPath: string, childPath: string): Promise<void> {
    await this.runner.call('new-differencing-disk', {
      // No extension rule for the parent: a wrong parent is the host's "not found", not a usage error.
      ParentPath: this.hostPath('template disk', parentPath, false),
      Path: this.hostPath('VM disk', childPath),
    });
  }

  async createVm(spec: CreateVmSpec): Promise<HvVm> {
    const name = validateName('vm', spec.name);
    const diskPath = this.hostPath('VM disk', spec.diskPath);
    if (spec.boot) throw hvError('HV_FAILED', 'Hyper-V boots from the VM disk; direct kernel boot is not supported', { vm: name });
    validateMemoryMb('hyperv', spec.memoryMb);
    if (spec.gpu && !this.capabilities.gpu) {
      throw hvError('HV_FAILED', `VM ${name} asks for a GPU but GPU partitioning is not enabled for this host`, { vm: name });
    }
    const flavour = hostPathFlavour(diskPath);
    const startup = spec.memoryMb * MIB;
    // GPU partitions need static memory (dynamic memory would need startup = minimum anyway).
    const dynamic = this.config.dynamicMemory && !spec.gpu;
    const result = await this.runner.call('new-vm', {
      Name: name,
      VhdPath: diskPath,
      Path: this.config.vmDirectory ?? flavour.dirname(diskPath),
      MemoryStartupBytes: startup,
      ProcessorCount: spec.cpus,
      DynamicMemory: dynamic,
      MemoryMinimumBytes: Math.min(startup, this.config.minimumMemoryMb * MIB),
      MemoryMaximumBytes: startup,
      ...(this.config.switchName ? { SwitchName: this.config.switchName } : {}),
      AutomaticStopAction: this.config.automaticStopAction,
      SecureBootTemplate: this.config.secureBootTemplate,
    });
    const created = field(result, 'vm');
    if (isRecord(created)) this.remember(normaliseVm(created));
    if (this.config.enhancedSession) await this.runner.call('set-enhanced-session', { ...this.ref(name), Enabled: true });
    if (spec.gpu) await this.runner.call('add-gpu-partition', this.ref(name));
    if (!spec.gpu && !this.config.enhancedSession && isRecord(created)) return toHvVm(normaliseVm(created));
    const vm = await this.getVm(name);
    if (!vm) throw hvError('HV_NOT_FOUND', `VM ${name} vanished right after it was created`, { vm: name });
    return vm;
  }

  async start(name: string, options: OperationOptions = {}): Promise<void> {
    await this.runner.call('start-vm', this.ref(name), callOptions(options));
  }

  async save(name: string, options: OperationOptions = {}): Promise<void> {
    await this.runner.call('save-vm', this.ref(name), callOptions(options));
  }

  async pause(name: string): Promise<void> {
    await this.runner.call('suspend-vm', this.ref(name));
  }

  async unpause(name: string): Promise<void> {
    await this.runner.call('resume-vm', this.ref(name));
  }

  async stop(name: string, options: { force?: boolean } & OperationOptions = {}): Promise<void> {
    await this.runner.call('stop-vm', { ...this.ref(name), TurnOff: options.force === true }, callOptions(options));
  }

  async remove(name: string): Promise<void> {
    // The merge of the VM's checkpoints is awaited inside the call: leave it most of the call's time.
    const mergeSeconds = Math.min(3600, Math.max(1, Math.floor((this.config.timeouts['remove-vm'] ?? this.config.slowTimeoutMs) / 1000) - 30));
    await this.runner.call('remove-vm', { ...this.ref(name), MergeTimeoutSeconds: mergeSeconds });
    this.ids.delete(name.toLowerCase());
  }

  async checkpoint(name: string, checkpointName: string): Promise<void> {
    await this.runner.call('checkpoint-vm', { ...this.ref(name), SnapshotName: validateName('checkpoint', checkpointName) });
  }

  async restoreCheckpoint(name: string, checkpointName: string): Promise<HvState> {
    const result = await this.runner.call('restore-checkpoint', {
      ...this.ref(name),
      SnapshotName: validateName('checkpoint', checkpointName),
    });
    return toHvState(field(result, 'state'));
  }

  async heartbeat(name: string): Promise<'ok' | 'no-contact' | 'unknown'> {
    return heartbeatVerdict(await this.runner.call('get-heartbeat', this.ref(name)));
  }

  async guestAddress(name: string): Promise<string | null> {
    const result = await this.runner.call('get-guest-address', this.ref(name));
    return firstIPv4(asArray(field(result, 'adapters')).map(normaliseAdapter));
  }

  async guestEndpoint(name: string, guestPort: number): Promise<{ host: string; port: number } | null> {
    // Hyper-V guests sit on a switch the host routes to: no port forwarding, the guest's own address.
    const address = await this.guestAddress(name);
    return address === null ? null : { host: address, port: guestPort };
  }

  async screenshot(name: string, options: ScreenshotOptions = {}): Promise<Buffer> {
    checkScreenshotOptions(options);
    // A plain scale to a width is asked of Hyper-V itself (a smaller thumbnail is cheaper to
    // make and to send); anything that needs native pixels (a region, a zoom, the pointer, a
    // height) gets the full-size thumbnail and the shared pipeline does the rest.
    const onlyWidth = options.width !== undefined && options.height === undefined && options.longestSide === undefined
      && !options.region && !options.zoom && !options.cursor;
    const result = await this.runner.call('get-screenshot', {
      ...this.ref(name),
      ...(onlyWidth ? { Width: options.width } : {}),
    });
    if (options.width === undefined) this.noteScreenSize(name, result);
    return encodeScreenshot(thumbnailToFrame(result), options, { pointer: this.#pointers.get(name) ?? null });
  }

  /** Native thumbnail sizes seen lately, so that mapping coordinates does not grab a thumbnail each time. */
  private readonly screenSizes = new Map<string, { size: ScreenSize; at: number }>();

  private noteScreenSize(name: string, result: unknown): ScreenSize | null {
    const raw = typeof result === 'object' && result !== null ? (result as Record<string, unknown>) : {};
    const width = Number(raw.width);
    const height = Number(raw.height);
    if (!Number.isInteger(width) || !Number.isInteger(height) || width < 1 || height < 1) return null;
    const size = { width, height };
    this.screenSizes.set(name, { size, at: Date.now() });
    return size;
  }

  async screenSize(name: string): Promise<ScreenSize> {
    const known = this.screenSizes.get(name);
    // The guest can change its resolution: a size older than this is read again.
    if (known && Date.now() - known.at < SCREEN_SIZE_TTL_MS) return { ...known.size };
    const size = this.noteScreenSize(name, await this.runner.call('get-screenshot', this.ref(name)));
    if (!size) throw hvError('HV_FAILED', `the thumbnail of ${name} did not say its size`);
    return { ...size };
  }

  async typeText(name: string, text: string): Promise<void> {
    const vm = this.ref(name);
    for (const segment of segmentText(text)) {
      if (segment.kind === 'text') await this.runner.call('type-text', { ...vm, Text: segment.text });
      else await this.runner.call('press-keys', { ...vm, Chords: segment.chords });
    }
  }

  async pressKeys(name: string, chords: string[]): Promise<void> {
    const vm = this.ref(name);
    if (chords.length === 0) return;
    await this.runner.call('press-keys', { ...vm, Chords: chordsToWire(chords) });
  }

  async mouseMove(name: string, x: number, y: number): Promise<void> {
    await this.runner.call('send-mouse', { ...this.ref(name), Action: 'move', ...coordinates(x, y) });
    this.#pointers.set(name, { x: Math.round(x), y: Math.round(y) });
  }

  async click(name: string, x: number, y: number, options: ClickOptions = {}): Promise<void> {
    const count = options.count ?? (options.double ? 2 : 1);
    await this.runner.call('send-mouse', {
      ...this.ref(name),
      Action: count === 3 ? 'triple' : count === 2 ? 'double' : 'click',
      ...coordinates(x, y),
      Button: mouseButtonIndex(options.button),
      SettleMilliseconds: this.config.mouseSettleMs,
    });
    this.#pointers.set(name, { x: Math.round(x), y: Math.round(y) });
  }

  async mouseDown(name: string, button: MouseButton): Promise<void> {
    await this.runner.call('send-mouse', { ...this.ref(name), Action: 'down', Button: mouseButtonIndex(button) });
  }

  async mouseUp(name: string, button: MouseButton): Promise<void> {
    await this.runner.call('send-mouse', { ...this.ref(name), Action: 'up', Button: mouseButtonIndex(button) });
  }

  async keyDown(name: string, keys: readonly string[]): Promise<void> {
    if (keys.length === 0) return;
    await this.runner.call('press-keys', { ...this.ref(name), Chords: keysToWire(keys), Mode: 'down' });
  }

  async keyUp(name: string, keys: readonly string[]): Promise<void> {
    if (keys.length === 0) return;
    await this.runner.call('press-keys', { ...this.ref(name), Chords: keysToWire(keys), Mode: 'up' });
  }

  async scroll(name: string, delta: number): Promise<void> {
    if (!Number.isInteger(delta)) throw hvError('HV_FAILED', `scroll delta must be a whole number, got ${delta}`);
    const units = wheelDelta(delta);
    if (Math.abs(units) > 2 ** 31 - 1) throw hvError('HV_FAILED', `scroll delta ${delta} is out of range`);
    await this.runner.call('send-mouse', { ...this.ref(name), Action: 'scroll', WheelDelta: units });
  }

  async console(name: string): Promise<ConsoleAccess> {
    const vm = validateName('vm', name);
    return {
      command: ['vmconnect.exe', 'localhost', vm],
      instructions:
        `Run "vmconnect.exe localhost ${vm}" on the Hyper-V host (Hyper-V Manager's console), ` +
        'or connect with Remote Desktop to the guest address (an .rdp file from `hvkube vm rdp`).',
    };
  }

  async close(): Promise<void> {
    await this.runner.close();
  }

  /** The script parameters that find a VM: its name, and its id when one was seen. */
  private ref(name: string): VmRef {
    const vm = validateName('vm', name);
    const id = this.ids.get(vm.toLowerCase());
    return id === undefined ? { Name: vm } : { Name: vm, Id: id };
  }

  private remember(vm: NormalVm): NormalVm {
    if (vm.name && /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(vm.id)) this.ids.set(vm.name.toLowerCase(), vm.id);
    return vm;
  }

  private hostPath(what: string, value: string, checkExtension = true): string {
    return validateFilePath(what, value, {
      flavour: hostPathFlavour(value),
      ...(checkExtension ? { extensions: IMAGE_EXTENSIONS.hyperv } : {}),
      mustExist: false,
    });
  }
}

function coordinates(x: number, y: number): { X: number; Y: number } {
  if (!Number.isInteger(x) || !Number.isInteger(y) || x < 0 || y < 0) {
    throw hvError('HV_FAILED', `mouse coordinates must be whole pixels >= 0, got ${x},${y}`);
  }
  return { X: x, Y: y };
}

function callOptions(options: OperationOptions): CallOptions {
  return options.signal ? { signal: options.signal } : {};
}

/** The front door: a Hyper-V backend with its session pool. */
export function createHypervHypervisor(config: HypervConfigInput = {}, runner?: ScriptRunner): HypervHypervisor {
  return new HypervHypervisor(resolveHypervConfig(config), runner);
}
