/**
 * Configuration of the QEMU backend, with its defaults.
 * @module
 */
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { IncomingTransport } from './save-restore.js';
import type { Accel } from './vm-definition.js';

export interface QemuHypervisorConfig {
  /** hvkube's data directory; VM files go under `<dataDir>/qemu/<vm>/`. */
  dataDir: string;
  /**
   * Directory for the VMs' unix sockets. A socket path may have at most 107 bytes, so this must
   * be short. Default is `<tmpdir>/hvk-<hash of dataDir>`.
   */
  runDir?: string;
  /** Default is `qemu-system-x86_64` from PATH. */
  qemuBinary?: string;
  /** Default is `qemu-img` from PATH. */
  qemuImgBinary?: string;
  /** `auto` uses KVM when /dev/kvm exists, software emulation (TCG) otherwise. Default is `auto`. */
  accel?: 'auto' | Accel;
  /**
   * CPU model of new VMs; it must be the same on save and resume, so `host` is never used.
   * Default is `qemu64` under TCG and `Nehalem` (a model every x86-64 KVM host of the last decade runs) under KVM.
   */
  cpuModel?: string;
  /** Give new VMs a VNC server on a loopback port for people to watch. Default is false. */
  vnc?: boolean;
  /** How a resumed process reads its state: an inherited fd, or `exec:cat`. Default is `fd`. */
  incomingTransport?: IncomingTransport;
  /** How long a graceful stop waits for the guest to power off before killing. Default is 30 000 ms. */
  gracefulStopMs?: number;
  /** Limits for save, resume and checkpoint migrations. Default is 60 000 ms. */
  migrationTimeoutMs?: number;
  /** A QMP connection unused this long is closed, so another hvkube process can connect. Default is 1 000 ms. */
  qmpIdleMs?: number;
  /**
   * How many saved VMs may have their QEMU process pre-started, waiting for their state, when
   * the orchestrator names the next ones it will hand out (`prepareResume`); 0 turns it off.
   * Each costs a QEMU process with its guest RAM mapped but untouched. Default is 2.
   */
  standbys?: number;
  /** Called with each QMP command's duration, for metrics. */
  onCall?: (command: string, ms: number) => void;
}

export type ResolvedQemuConfig = Required<Omit<QemuHypervisorConfig, 'onCall' | 'accel' | 'cpuModel'>> & {
  accel: Accel;
  cpuModel: string;
  vmRoot: string;
  onCall: ((command: string, ms: number) => void) | undefined;
};

export function resolveConfig(config: QemuHypervisorConfig): ResolvedQemuConfig {
  const dataDir = path.resolve(config.dataDir);
  const accel: Accel = config.accel === 'kvm' || config.accel === 'tcg' ? config.accel : existsSync('/dev/kvm') ? 'kvm' : 'tcg';
  const hash = createHash('sha256').update(dataDir).digest('hex').slice(0, 10);
  return {
    dataDir,
    vmRoot: path.join(dataDir, 'qemu'),
    runDir: config.runDir ?? path.join(os.tmpdir(), `hvk-${hash}`),
    qemuBinary: config.qemuBinary ?? 'qemu-system-x86_64',
    qemuImgBinary: config.qemuImgBinary ?? 'qemu-img',
    accel,
    cpuModel: config.cpuModel ?? (accel === 'kvm' ? 'Nehalem' : 'qemu64'),
    vnc: config.vnc ?? false,
    incomingTransport: config.incomingTransport ?? 'fd',
    gracefulStopMs: config.gracefulStopMs ?? 30_000,
    migrationTimeoutMs: config.migrationTimeoutMs ?? 60_000,
    qmpIdleMs: config.qmpIdleMs ?? 1_000,
    standbys: Math.max(0, Math.floor(config.standbys ?? 2)),
    onCall: config.onCall,
  };
}
