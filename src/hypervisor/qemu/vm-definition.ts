/**
 * The stored definition of a QEMU VM (`vm.json`) and the files that belong to it. Everything that
 * shapes the QEMU command line is fixed here at creation, so a resumed process gets the identical
 * command line the saved one had (an incoming migration requires it).
 * @module
 */
import { readFile, rename, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { HypervisorError } from '../../domain/errors.js';
import type { DirectBoot } from '../../domain/types.js';
import type { MachineShape } from './machine/shape.js';
import type { VmNetwork } from './network/network.js';

export type Accel = 'kvm' | 'tcg';

export interface PortForward {
  guestPort: number;
  /** Loopback port on the host, chosen once at creation. */
  hostPort: number;
}

export interface VmDefinition {
  /** Format version of this file. */
  version: 1;
  id: string;
  name: string;
  accel: Accel;
  machine: 'q35';
  cpuModel: string;
  memoryMb: number;
  cpus: number;
  diskPath: string;
  diskFormat: 'qcow2' | 'raw';
  boot: DirectBoot | null;
  forwards: PortForward[];
  /** VNC display number (port 5900 + n) when the backend was configured with `vnc: true`. */
  vncDisplay: number | null;
  /** The machine built for the template's guest (machine/); absent: the Linux demo machine. */
  shape?: MachineShape;
  createdAt: string;
  /** The VM has a guest agent channel (absent in VMs created before it existed: their command line stays as it was). */
  guestAgent?: boolean;
  /** How the VM is networked; absent means user mode (`forwards`). */
  network?: VmNetwork;
}

/** The files of one VM under `<dataDir>/qemu/<vm>/`, plus its sockets under the short run dir. */
export interface VmPaths {
  dir: string;
  definition: string;
  /** Guest RAM (`memory-backend-file`, shared): a saved VM's memory lives here, not in host RAM. */
  ram: string;
  /** Device state of a saved VM; present only while the VM is saved. */
  state: string;
  pid: string;
  /** PID of a process pre-started for this saved VM (not yet the VM's: `pid` is that). */
  standbyPid: string;
  log: string;
  serialLog: string;
  /** The `org.hvkube.ready` port's output: `READY` once the guest has reported in. */
  readyLog: string;
  checkpoints: string;
  qmpSocket: string;
  serialSocket: string;
  migrationSocket: string;
  /** The guest agent channel (qemu-ga's virtio-serial port). */
  agentSocket: string;
  /** Written once the guest's agent has answered: this VM's guest runs qemu-ga. */
  agentSeen: string;
}

export function vmPaths(vmRoot: string, runDir: string, name: string): VmPaths {
  const dir = path.join(vmRoot, name);
  return {
    dir,
    definition: path.join(dir, 'vm.json'),
    ram: path.join(dir, 'ram.mem'),
    state: path.join(dir, 'state.bin'),
    pid: path.join(dir, 'qemu.pid'),
    standbyPid: path.join(dir, 'standby.pid'),
    log: path.join(dir, 'qemu.log'),
    serialLog: path.join(dir, 'serial.log'),
    readyLog: path.join(dir, 'ready.log'),
    checkpoints: path.join(dir, 'checkpoints'),
    qmpSocket: path.join(runDir, `${name}.qmp`),
    serialSocket: path.join(runDir, `${name}.ser`),
    migrationSocket: path.join(runDir, `${name}.mig`),
    agentSocket: path.join(runDir, `${name}.qga`),
    agentSeen: path.join(dir, 'guest-agent.seen'),
  };
}

/** The files a checkpoint holds: a consistent set copied while the VM was stopped. */
export interface CheckpointPaths {
  dir: string;
  meta: string;
  ram: string;
  state: string;
  disk: string;
  readyLog: string;
}

export function checkpointPaths(paths: VmPaths, checkpoint: string): CheckpointPaths {
  const dir = path.join(paths.checkpoints, checkpoint);
  return {
    dir,
    meta: path.join(dir, 'checkpoint.json'),
    ram: path.join(dir, 'ram.mem'),
    state: path.join(dir, 'state.bin'),
    disk: path.join(dir, 'disk.qcow2'),
    readyLog: path.join(dir, 'ready.log'),
  };
}

export async function readDefinition(file: string): Promise<VmDefinition | null> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw e;
  }
  const parsed = JSON.parse(text) as Partial<VmDefinition>;
  if (parsed.version !== 1 || typeof parsed.name !== 'string' || typeof parsed.memoryMb !== 'number') {
    throw new HypervisorError('HV_FAILED', `${file} is not a VM definition this version understands`, {
      hint: 'remove the VM directory if it is left over from another tool',
    });
  }
  return parsed as VmDefinition;
}

/** Writes through a temporary file so a crash never leaves half a definition. */
export async function writeDefinition(file: string, definition: VmDefinition): Promise<void> {
  const tmp = `${file}.tmp`;
  await writeFile(tmp, `${JSON.stringify(definition, null, 2)}\n`);
  await rename(tmp, file);
}
