/**
 * Configuration of the QEMU backend, with its defaults.
 * @module
 */
import { createHash } from 'node:crypto';
import os from 'node:os';
import path from 'node:path';
import type { AccelVerdict } from './accel/index.js';
import { resolveMachineTools, type MachineTools } from './machine/shape.js';
import { resolveNetwork, type NetworkConfig } from './network/network.js';
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
  /**
   * `auto` uses KVM when a probe shows a guest runs under it (see accel/), software emulation
   * (TCG) otherwise; `kvm` forces KVM (VMs fail to start, with the probe's reason, when it does
   * not work); `tcg` never tries KVM. Default is `auto`.
   */
  accel?: 'auto' | Accel;
  /**
   * CPU model of new VMs; it must be the same on save and resume, so `host` is never used.
   * Default: under KVM the first of `Nehalem`, `qemu64`, `kvm64` that the probe runs; `qemu64` under TCG.
   */
  cpuModel?: string;
  /** The KVM device. Default is `/dev/kvm`. */
  kvmDevice?: string;
  /** How long the KVM probe waits for its guest's marker, per CPU model. Default is 3 000 ms. */
  probeTimeoutMs?: number;
  /** Called once with the accelerator verdict when this backend first needs it (for the log). */
  onAccel?: (verdict: AccelVerdict) => void;
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
  /** Where UEFI firmware, swtpm and swtpm_setup come from (for Windows guests). */
  machine?: MachineTools;
  /** Called with each QMP command's duration, for metrics. */
  onCall?: (command: string, ms: number) => void;
  /**
   * How new VMs are networked: `{ mode: 'user' }` (NAT, forwarded loopback ports) or
   * `{ mode: 'bridge', bridge: 'br0' }` (a tap on an existing bridge through qemu-bridge-helper;
   * the guest gets a real address). Default is user mode. See network/network.ts.
   */
  network?: NetworkConfig;
  /**
   * Give new VMs a guest agent channel (a virtio-serial port for qemu-ga). Default is true.
   */
  guestAgent?: boolean;
  /**
   * How long a guest agent has to answer before the guest counts as having none (GUEST_UNAVAILABLE).
   * Default is 2 000 ms.
   */
  guestAgentTimeoutMs?: number;
  /**
   * Whether `start` of a saved VM waits until the guest agent has set the guest clock (`wait`,
   * only for guests whose agent has answered before, at most `clockSyncTimeoutMs`) or returns
   * at once while it is set (`background`; guest operations still queue behind it). Under KVM
   * it takes milliseconds; under TCG on a loaded host it took 0.6-2 s. Default is `background`.
   */
  clockSync?: 'wait' | 'background';
  /** How long setting the clock after a resume may take. Default is 2 000 ms. */
  clockSyncTimeoutMs?: number;
  /** Bytes per guest-file-read / guest-file-write in file copies. Default is 1 MiB. */
  guestAgentChunkBytes?: number;
}

export type ResolvedQemuConfig = Required<Omit<QemuHypervisorConfig, 'onCall' | 'onAccel' | 'accel' | 'cpuModel' | 'machine' | 'network'>> & {
  machine: Required<MachineTools>;
  network: NetworkConfig;
  accel: 'auto' | Accel;
  cpuModel: string | undefined;
  vmRoot: string;
  /** Where the accelerator verdict and the probe payload live. */
  accelDir: string;
  onCall: ((command: string, ms: number) => void) | undefined;
  onAccel: ((verdict: AccelVerdict) => void) | undefined;
};

export function resolveConfig(config: QemuHypervisorConfig): ResolvedQemuConfig {
  const dataDir = path.resolve(config.dataDir);
  const hash = createHash('sha256').update(dataDir).digest('hex').slice(0, 10);
  return {
    dataDir,
    vmRoot: path.join(dataDir, 'qemu'),
    runDir: config.runDir ?? path.join(os.tmpdir(), `hvk-${hash}`),
    qemuBinary: config.qemuBinary ?? 'qemu-system-x86_64',
    qemuImgBinary: config.qemuImgBinary ?? 'qemu-img',
    accelDir: path.join(dataDir, 'accel'),
    accel: config.accel ?? 'auto',
    cpuModel: config.cpuModel,
    kvmDevice: config.kvmDevice ?? '/dev/kvm',
    probeTimeoutMs: config.probeTimeoutMs ?? 3_000,
    vnc: config.vnc ?? false,
    incomingTransport: config.incomingTransport ?? 'fd',
    gracefulStopMs: config.gracefulStopMs ?? 30_000,
    migrationTimeoutMs: config.migrationTimeoutMs ?? 60_000,
    qmpIdleMs: config.qmpIdleMs ?? 1_000,
    standbys: Math.max(0, Math.floor(config.standbys ?? 2)),
    machine: resolveMachineTools(config.machine),
    onCall: config.onCall,
    onAccel: config.onAccel,
    network: resolveNetwork(config.network),
    guestAgent: config.guestAgent ?? true,
    guestAgentTimeoutMs: config.guestAgentTimeoutMs ?? 2_000,
    clockSync: config.clockSync ?? 'background',
    clockSyncTimeoutMs: config.clockSyncTimeoutMs ?? 2_000,
    guestAgentChunkBytes: config.guestAgentChunkBytes ?? 1024 * 1024,
  };
}
