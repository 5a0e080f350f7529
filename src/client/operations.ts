/**
 * What the CLI (and any program) can ask of hvkube, whether in-process or over HTTP. The CLI
 * runs every command against this interface: a local adapter over the Orchestrator implements
 * it, and so does `HvkubeClient`, so `--server URL` changes where a command runs, not what it
 * does.
 * @module
 */
import type { AcquireAnswer, ReleaseAnswer } from '../api/wire.js';
import type { Pool, ReleasePolicy, StateEvent, Template, Vm } from '../domain/types.js';
import type { ClickCount, ConsoleAccess, HostInfo, MouseButton, ScreenshotOptions } from '../hypervisor/hypervisor.js';
import type { GuestExecResult, GuestFileEntry } from '../hypervisor/guest.js';
import type { GuestExecInput } from '../orchestrator/guest-input.js';
import type { ActionsRequest, ActionsResponse } from '../orchestrator/input/run-actions.js';
import type { PoolInput, ScaleInput, TemplateInput } from '../orchestrator/catalog.js';
import type { ProgressEvent } from '../orchestrator/context.js';
import type { ConsoleOptions, PoolStatus, ProvisionReport } from '../orchestrator/orchestrator.js';
import type { ReconcileReport } from '../orchestrator/reconcile.js';
import type { EventQuery } from '../store/store.js';

export type { AcquireAnswer, ReleaseAnswer, GuestExecInput, GuestExecResult, GuestFileEntry };

/** A file copy's options: the size limit (refused whole beyond it) and progress in bytes. */
export interface GuestFileOptions extends ConsoleOptions {
  maxBytes?: number;
  onProgress?: (bytes: number) => void;
}

export interface AcquireRequest {
  pool: string;
  /** Seconds to wait for a VM when none is ready. Default 30. */
  timeoutS?: number;
  /** false: fail at once (NO_VM_AVAILABLE) when no VM is ready. Default true. */
  wait?: boolean;
  holder?: string;
  /** Lease length; the server's default (600 s) when omitted, none in-process. */
  leaseTtlS?: number;
  /**
   * The display size the agent sees (e.g. 1024x768): screenshots under the lease are scaled to it
   * and coordinates sent with the lease id mapped back to the real screen.
   */
  display?: { width: number; height: number };
}

/** The screen size, and where the pointer is (in the lease's display space when it declared one). */
export interface ScreenInfo {
  width: number;
  height: number;
  cursor: { x: number; y: number } | null;
  display: { width: number; height: number } | null;
}

export interface ReleaseRequest {
  /** Default: the pool's release policy. */
  policy?: ReleasePolicy;
  /** Only release if the VM is held under this lease. */
  leaseId?: string;
  /** Answer once the VM is back in the pool. Default false. */
  wait?: boolean;
}

export interface HvkubeOperations {
  registerTemplate(input: TemplateInput): Promise<Template>;
  listTemplates(): Promise<Template[]>;
  getTemplate(name: string): Promise<Template>;
  removeTemplate(name: string): Promise<void>;

  createPool(input: PoolInput): Promise<Pool>;
  listPools(): Promise<PoolStatus[]>;
  getPool(name: string): Promise<PoolStatus>;
  scalePool(name: string, input: ScaleInput): Promise<Pool>;
  /** Brings the pool to its size now; `onProgress` sees each VM's steps. */
  provisionPool(name: string, options?: { onProgress?: (e: ProgressEvent) => void }): Promise<ProvisionReport>;
  removePool(name: string, options?: { force?: boolean }): Promise<void>;

  listVms(filter?: { pool?: string }): Promise<Vm[]>;
  getVm(name: string): Promise<Vm>;
  acquire(request: AcquireRequest): Promise<AcquireAnswer>;
  release(name: string, request?: ReleaseRequest): Promise<ReleaseAnswer>;
  /** Extends a lease by `ttlS` (default: the server's lease length) from now. */
  renewLease(name: string, leaseId: string, ttlS?: number): Promise<Vm>;
  resumeVm(name: string): Promise<Vm>;
  saveVm(name: string): Promise<Vm>;
  resetVm(name: string, options?: { force?: boolean }): Promise<Vm>;
  stopVm(name: string, options?: { force?: boolean }): Promise<Vm>;
  removeVm(name: string, options?: { force?: boolean }): Promise<void>;

  /**
   * Console operations take the caller's lease id where it has one: a stale lease (expired,
   * released, the VM now someone else's) is refused with LEASE_MISMATCH and nothing is sent.
   * `screenshot` answers an image of the VM's screen (PNG unless `format` says otherwise).
   */
  screenshot(name: string, options?: ScreenshotOptions & ConsoleOptions): Promise<Uint8Array>;
  typeText(name: string, text: string, options?: ConsoleOptions): Promise<void>;
  pressKeys(name: string, chords: string[], options?: ConsoleOptions): Promise<void>;
  click(name: string, x: number, y: number, options?: { button?: MouseButton; double?: boolean; count?: ClickCount } & ConsoleOptions): Promise<void>;
  /** A mouse button goes down (and stays down) or up, where the pointer is or at (x, y). */
  mouseButton(name: string, down: boolean, options?: { button?: MouseButton; x?: number; y?: number } & ConsoleOptions): Promise<void>;
  /** Keys (`ctrl`, `shift`, `a`) go down in order and stay down, or go up in order. */
  keyState(name: string, keys: string[], down: boolean, options?: ConsoleOptions): Promise<void>;
  screenInfo(name: string, options?: ConsoleOptions): Promise<ScreenInfo>;
  /**
   * Runs actions in hvkube's, Anthropic's or OpenAI's form (`POST /vms/{name}/actions`): all are
   * checked first, then run in order; the answer's `reply` goes back to the model as it is.
   */
  runActions(name: string, request: ActionsRequest, options?: ConsoleOptions): Promise<ActionsResponse>;
  console(name: string): Promise<ConsoleAccess>;

  /**
   * Inside the guest, from the host (GUEST_UNAVAILABLE where the backend has no channel or the
   * guest does not answer). `exec` runs argv as data; a command past its time-out answers
   * `timedOut: true`. File copies beyond `maxBytes` (default 100 MiB) are refused whole.
   */
  exec(name: string, input: GuestExecInput, options?: ConsoleOptions): Promise<GuestExecResult>;
  readGuestFile(name: string, guestPath: string, options?: GuestFileOptions): Promise<Uint8Array>;
  writeGuestFile(name: string, guestPath: string, data: Uint8Array, options?: GuestFileOptions): Promise<void>;
  listGuestFiles(name: string, guestPath: string, options?: ConsoleOptions): Promise<GuestFileEntry[]>;
  getClipboard(name: string, options?: ConsoleOptions): Promise<string>;
  setClipboard(name: string, text: string, options?: ConsoleOptions): Promise<void>;

  reconcile(options?: { removeOrphans?: boolean }): Promise<ReconcileReport>;
  listEvents(query?: EventQuery): Promise<StateEvent[]>;
  hostInfo(): Promise<HostInfo>;
  /** Ends the session (closes the local runtime; nothing for HTTP). */
  close(): Promise<void>;
}
