/**
 * The port every hypervisor backend implements. The orchestrator sees only this interface; a
 * backend knows nothing of pools, leases or agents.
 *
 * Rules every backend follows (the contract suite in `hypervisor.case.ts` checks them):
 * - `start` boots an off VM and resumes a saved one; starting a running VM is HV_INVALID_STATE.
 * - `save` of a VM that is not running (or paused) is HV_INVALID_STATE.
 * - a checkpoint taken while running holds memory: restoring it leaves the VM `saved`.
 * - `remove` of a VM that does not exist succeeds (idempotent), and removes the VM's files.
 * - errors are `HypervisorError` with an `HV_*` code.
 * @module
 */
import type { BackendName, DirectBoot, GuestMachine } from '../domain/types.js';
import type { GuestOps } from './guest.js';

/** What the hypervisor says a VM is doing. */
export type HvState = 'off' | 'running' | 'saved' | 'paused' | 'starting' | 'saving' | 'stopping' | 'other';

export interface HvVm {
  name: string;
  /** The hypervisor's own id (Hyper-V GUID, QEMU process definition id). */
  id: string;
  state: HvState;
  memoryMb: number;
  cpus: number;
  checkpoints: string[];
}

export interface HostInfo {
  backend: BackendName;
  hostname: string;
  cpus: number;
  totalMemoryMb: number;
  freeMemoryMb: number;
  freeDiskMb: number | null;
  /** Free-form facts worth showing (versions, acceleration). */
  notes: Record<string, string>;
}

export interface CreateVmSpec {
  name: string;
  /** The VM's own (differencing) disk, made by `createDifferencingDisk`. */
  diskPath: string;
  memoryMb: number;
  cpus: number;
  gpu: boolean;
  /** Guest ports the host must reach (RDP, MCP, ...); backends with NAT forward them. */
  guestPorts: number[];
  boot: DirectBoot | null;
  /** The machine the guest expects; absent: `LINUX_GUEST`. Backends that build one machine ignore it. */
  machine?: GuestMachine;
}

export interface BootProgress {
  /** The VM's process is gone, in the hypervisor's words; null while it runs. */
  exited: string | null;
  /** Milliseconds since the guest last wrote to its console; null when it has written nothing. */
  silentMs: number | null;
  /** The last lines the guest printed on its console, oldest first. */
  lastLines: string[];
  /** The guest runs under software emulation, where boots take several times longer. */
  emulated: boolean;
}

export type MouseButton = 'left' | 'right' | 'middle';

/** How a screenshot is encoded. */
export type ImageFormat = 'png' | 'jpeg' | 'webp';

/** A rectangle of the screen in native screen pixels, from its top-left corner. */
export interface ScreenRegion {
  x: number;
  y: number;
  width: number;
  height: number;
}

/** How many clicks one `click` makes: 1, 2 (a double click) or 3 (a triple click, selecting a line). */
export type ClickCount = 1 | 2 | 3;

export interface ClickOptions {
  button?: MouseButton;
  /** Same as `count: 2`; kept for callers of the first API. */
  double?: boolean;
  count?: ClickCount;
}

export interface ScreenSize {
  width: number;
  height: number;
}

export interface ScreenPoint {
  x: number;
  y: number;
}

/**
 * What a screenshot looks like. Everything is optional: the default is a PNG of the whole screen
 * at its native size. Every backend hands its pixels to one pipeline (console/encode.ts), so the
 * options mean the same everywhere; bad values are refused (INVALID_INPUT) before anything is taken.
 */
export interface ScreenshotOptions {
  /** Default `png`. */
  format?: ImageFormat;
  /** JPEG/WebP quality, 1-100 (default 80). Refused with `png`. */
  quality?: number;
  /**
   * Scale so that the image fits this width (the aspect ratio is kept). With `height` as well,
   * the image fits inside both. 16-7680.
   */
  width?: number;
  /** Scale so that the image fits this height (aspect kept). 16-7680. */
  height?: number;
  /** Scale so that the longer side is this long (aspect kept). Not with width/height. 16-7680. */
  longestSide?: number;
  /** Only this part of the screen, at native resolution unless a size above scales it. */
  region?: ScreenRegion;
  /**
   * Only this part of the screen, enlarged to the size the whole screen would have had (with the
   * size options above, or native): a magnifier for small text. Not with `region`.
   */
  zoom?: ScreenRegion;
  /**
   * Draw a mouse pointer in: `true` where hvkube last put it (the screen's centre when it never
   * moved it), or at this point of the screen. Screen captures do not show the guest's own pointer.
   */
  cursor?: boolean | ScreenPoint;
}

export interface ConsoleAccess {
  /** A command a person can run to see the screen, when there is one. */
  command: string[] | null;
  /** How to attach, in words. */
  instructions: string;
}

/** Capability flags; the orchestrator applies policy from these, never from backend names. */
export interface HypervisorCapabilities {
  /** Pause/unpause in memory (the pool's hot tier). Default true. */
  pause: boolean;
  /** `scroll` is implemented. */
  scroll: boolean;
  /** GPU partitions can be attached. */
  gpu: boolean;
  /**
   * A VM with a GPU can have checkpoints. When false, the backend resets such a VM to a fresh
   * disk instead and answers it off, so every reset of a GPU VM is a cold boot and a save.
   */
  gpuCheckpoints: boolean;
  /** A saved VM holds no host memory (so capacity checks count only running/paused VMs). */
  savedUsesNoMemory: boolean;
}

export interface OperationOptions {
  signal?: AbortSignal;
}

export interface Hypervisor {
  readonly backend: BackendName;
  readonly capabilities: HypervisorCapabilities;

  hostInfo(): Promise<HostInfo>;
  /** VMs whose name starts with `prefix` (hvkube's own). */
  listVms(prefix: string): Promise<HvVm[]>;
  /** The VM, or null when the hypervisor does not have it. */
  getVm(name: string): Promise<HvVm | null>;
  /** Where the VM's own disk should live, next to the backend's other files. */
  diskPathFor(vmName: string, templateDisk: string): string;
  createDifferencingDisk(parentPath: string, childPath: string): Promise<void>;
  createVm(spec: CreateVmSpec): Promise<HvVm>;
  /** Boots an off VM, resumes a saved one. */
  start(name: string, options?: OperationOptions): Promise<void>;
  /**
   * Optional: get ready to resume these saved VMs faster (the next ones the orchestrator will
   * hand out), and stop preparing any other. A hint only: `start` works the same without it.
   */
  prepareResume?(names: readonly string[]): Promise<void>;
  save(name: string, options?: OperationOptions): Promise<void>;
  pause(name: string): Promise<void>;
  unpause(name: string): Promise<void>;
  /** Graceful shutdown, or power off with `force`. */
  stop(name: string, options?: { force?: boolean } & OperationOptions): Promise<void>;
  /** Removes the VM and its files (disk, saved state, checkpoints). Succeeds if it is gone. */
  remove(name: string): Promise<void>;
  checkpoint(name: string, checkpointName: string): Promise<void>;
  /** Restores a checkpoint and answers the VM's resulting state (saved when it held memory). */
  restoreCheckpoint(name: string, checkpointName: string): Promise<HvState>;
  /** The hypervisor's readiness signal: 'ok' once the guest reports in. */
  heartbeat(name: string): Promise<'ok' | 'no-contact' | 'unknown'>;
  /**
   * How a booting guest is getting on, so that readiness tells a stuck guest from a slow one
   * (optional: backends that cannot see the guest's console leave it out).
   */
  bootProgress?(name: string): Promise<BootProgress>;
  /** The guest's IPv4 address, or null while unknown. */
  guestAddress(name: string): Promise<string | null>;
  /** Where the host reaches a guest port: NAT backends answer a forwarded loopback port. */
  guestEndpoint(name: string, guestPort: number): Promise<{ host: string; port: number } | null>;

  /** An image of the VM's screen, PNG unless `options.format` says otherwise. */
  screenshot(name: string, options?: ScreenshotOptions): Promise<Buffer>;
  typeText(name: string, text: string): Promise<void>;
  /** Key chords such as `ctrl+l`, `enter`, `alt+f4`, pressed in order. */
  pressKeys(name: string, chords: string[]): Promise<void>;
  mouseMove(name: string, x: number, y: number): Promise<void>;
  /** Moves to (x, y), then clicks `count` times (default 1; `double` means 2). */
  click(name: string, x: number, y: number, options?: ClickOptions): Promise<void>;
  /** Presses a mouse button where the pointer is, and keeps it down (a drag moves, then `mouseUp`). */
  mouseDown(name: string, button: MouseButton): Promise<void>;
  mouseUp(name: string, button: MouseButton): Promise<void>;
  /**
   * Presses keys (canonical names from `domain/keys.ts`: `ctrl`, `shift`, `a`, `f5`) in the order
   * given and keeps them down until `keyUp`; a hold is `keyDown`, a wait, `keyUp`.
   */
  keyDown(name: string, keys: readonly string[]): Promise<void>;
  /** Releases keys in the order given (callers pass the reverse of the presses). */
  keyUp(name: string, keys: readonly string[]): Promise<void>;
  /** The size of the VM's screen in pixels, the space every coordinate above is in. */
  screenSize(name: string): Promise<ScreenSize>;
  /**
   * Where the pointer is, when the backend can tell (the fake can); hvkube tracks the position it
   * last sent for the others.
   */
  cursorPosition?(name: string): Promise<{ x: number; y: number } | null>;
  scroll(name: string, delta: number): Promise<void>;
  console(name: string): Promise<ConsoleAccess>;

  /** Inside the guest from the host (exec, files, clipboard): absent where the backend has no channel. */
  readonly guest?: GuestOps;

  /** Releases processes and sockets held by the backend object (not the VMs). */
  close(): Promise<void>;
}

export const DEFAULT_CAPABILITIES: HypervisorCapabilities = {
  pause: true,
  scroll: false,
  gpu: false,
  gpuCheckpoints: true,
  savedUsesNoMemory: true,
};
