/**
 * The simulated host: VMs, disk files and host facts, kept in one JSON file so that separate
 * processes (CLI invocations, several sessions of a pool) see the same host. A lock directory
 * serialises read-modify-write cycles between processes.
 * @module
 */
import { mkdirSync, readFileSync, renameSync, rmdirSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { FakeGuestFs } from '../../fake/fake-guest.js';

export interface SimScreen {
  lines: string[];
  mouseX: number;
  mouseY: number;
  buttonsDown: number[];
  /** Virtual-key codes held down by PressKey (absent in state written before keys could be held). */
  keysDown?: number[];
  scroll: number;
  clicks: number;
}

export interface SimCheckpoint {
  id: string;
  name: string;
  /** Taken while running or paused with checkpoint type Standard: restoring it yields Saved. */
  withMemory: boolean;
  screen: SimScreen;
  createdAt: number;
}

export interface SimVm {
  id: string;
  name: string;
  /** Microsoft.HyperV.PowerShell.VMState integer. */
  state: number;
  memoryStartupBytes: number;
  dynamicMemory: boolean;
  processorCount: number;
  generation: number;
  vhdPath: string;
  path: string;
  switchName: string | null;
  automaticStopAction: string;
  checkpointType: string;
  automaticCheckpointsEnabled: boolean;
  enhancedSessionTransport: string;
  gpuPartitions: number;
  /** Set-VM -Notes (the fresh-disk marker of VMs that cannot have checkpoints). */
  notes: string;
  secureBootTemplate: string;
  checkpoints: SimCheckpoint[];
  parentCheckpointName: string | null;
  /** When the current run began (ms), for Uptime; null when not running. */
  runningSince: number | null;
  uptimeBeforeSaveMs: number;
  /** When the guest's heartbeat turns OK after a cold boot (ms). */
  guestReadyAt: number | null;
  macAddress: string;
  ipv4: string;
  screen: SimScreen;
  /** Fault: the saved memory image no longer fits the host. */
  savedStateIncompatible: boolean;
  /** The simulated guest's files and clipboard (PowerShell Direct, Copy-VMFile); created on first use. */
  guest?: FakeGuestFs;
  createdAt: number;
}

export interface SimFile {
  path: string;
  kind: 'vhd' | 'avhd';
  parentPath: string | null;
}

export interface SimHost {
  hostname: string;
  logicalProcessorCount: number;
  memoryCapacityBytes: number;
  freeDiskBytes: number;
  switches: string[];
  vms: SimVm[];
  files: SimFile[];
  nextMac: number;
}

export function newHost(): SimHost {
  return {
    hostname: 'HVKUBE-STANDIN',
    logicalProcessorCount: 16,
    memoryCapacityBytes: 64 * 1024 ** 3,
    freeDiskBytes: 500 * 1024 ** 3,
    switches: ['Default Switch'],
    vms: [],
    files: [],
    nextMac: 0x10,
  };
}

export function newScreen(): SimScreen {
  return { lines: [''], mouseX: 0, mouseY: 0, buttonsDown: [], keysDown: [], scroll: 0, clicks: 0 };
}

const LOCK_STALE_MS = 15_000;
const LOCK_WAIT_MS = 30_000;
const pause = new Int32Array(new SharedArrayBuffer(4));

function sleepSync(ms: number): void {
  Atomics.wait(pause, 0, 0, ms);
}

export class StateStore {
  readonly dir: string;
  private readonly file: string;
  private readonly lockDir: string;

  constructor(dir: string) {
    this.dir = dir;
    this.file = path.join(dir, 'host.json');
    this.lockDir = path.join(dir, 'host.lock');
    mkdirSync(dir, { recursive: true });
  }

  /** Runs `fn` on the current host under the lock and writes back what it changed. */
  update<T>(fn: (host: SimHost) => T): T {
    this.lock();
    try {
      const host = this.read();
      const result = fn(host);
      this.write(host);
      return result;
    } finally {
      this.unlock();
    }
  }

  read(): SimHost {
    try {
      return JSON.parse(readFileSync(this.file, 'utf8')) as SimHost;
    } catch {
      return newHost();
    }
  }

  private write(host: SimHost): void {
    // Write-then-rename: a reader never sees half a file.
    const tmp = `${this.file}.${process.pid}.tmp`;
    writeFileSync(tmp, JSON.stringify(host));
    renameSync(tmp, this.file);
  }

  private lock(): void {
    const deadline = Date.now() + LOCK_WAIT_MS;
    for (;;) {
      try {
        mkdirSync(this.lockDir);
        return;
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
      }
      try {
        // A process killed while holding the lock leaves it behind.
        if (Date.now() - statSync(this.lockDir).mtimeMs > LOCK_STALE_MS) rmdirSync(this.lockDir);
      } catch {
        // Someone else removed it first.
      }
      if (Date.now() > deadline) throw new Error(`stand-in state is locked: ${this.lockDir}`);
      sleepSync(3);
    }
  }

  private unlock(): void {
    try {
      rmdirSync(this.lockDir);
    } catch {
      // Already gone (stale-lock cleanup by another process).
    }
  }
}
