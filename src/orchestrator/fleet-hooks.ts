/**
 * What the orchestrator needs from a fleet (several hosts on one PostgreSQL) without knowing how
 * the fleet works: which VMs the controller weighs, where new VMs go, and how an operation on a
 * VM of another host reaches that host. Without hooks (one host, SQLite) nothing changes.
 * @module
 */
import type { Pool, ReleasePolicy, Vm } from '../domain/types.js';
import type { MouseButton, ScreenshotOptions, ScreenSize } from '../hypervisor/hypervisor.js';
import type { InputStep } from './input/steps.js';

export interface RemoteRelease {
  policy?: ReleasePolicy;
  leaseId?: string;
  actor?: string;
}

/** Operations carried out by the host that owns the VM (forwarded to its API). */
export interface RemoteVmOperations {
  /**
   * Resumes a VM that this process claimed (state `resuming`, lease `leaseId`) on its owner and
   * answers it running. On failure the VM is out of the pool (repaired by its owner, or marked
   * `error` when the owner could not be reached) and the error is rethrown.
   */
  resume(vm: Vm, fromHot: boolean): Promise<{ vm: Vm; resumeMs: number }>;
  release(vm: Vm, options: RemoteRelease): Promise<{ vm: Vm; policy: ReleasePolicy }>;
  screenshot(vm: Vm, options: ScreenshotOptions): Promise<Buffer>;
  typeText(vm: Vm, text: string): Promise<void>;
  pressKeys(vm: Vm, chords: string[]): Promise<void>;
  click(vm: Vm, x: number, y: number, options: { button?: MouseButton; double?: boolean }): Promise<void>;
  mouseMove(vm: Vm, x: number, y: number): Promise<void>;
  scroll(vm: Vm, delta: number): Promise<void>;
  /** Runs input steps (screen pixels, already checked) on the owner, in order. */
  input(vm: Vm, steps: InputStep[]): Promise<void>;
  screenSize(vm: Vm): Promise<ScreenSize>;
}

export interface FleetHooks {
  /**
   * The VMs of `pool` the controller counts: those on hosts that take work. VMs of draining or
   * lost hosts are left out, so their replacements are placed elsewhere.
   */
  poolVms(pool: string): Promise<Vm[]>;
  /** Of `missing` new VMs for `pool`, how many this host provisions now (the rest go elsewhere). */
  placeNew(pool: Pool, missing: number, live: readonly Vm[]): Promise<number>;
  /** Of `missing` new VMs for `pool`, how many the fleet's hosts have room for (autoscaling). */
  placeable?(pool: Pool, missing: number): Promise<number>;
  /** False while this host is fenced (its lease could not be renewed) or not registered. */
  acceptsWork(): boolean;
  remote: RemoteVmOperations;
}
