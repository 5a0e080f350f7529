/**
 * The QEMU/KVM backend: one `qemu-system-x86_64` per running or paused VM, driven over QMP.
 *
 * State lives in files, never only in this process, so any hvkube process can drive any VM:
 * - live process (PID file + /proc check) → the QMP run state (`running`, `paused`, ...);
 * - no process and a `state.bin` → `saved`; otherwise `off`. `state.bin` is deleted as soon as a
 *   resume has loaded it, so a VM whose QEMU dies later is `off`, never `saved` with stale state.
 *
 * Choices where Hyper-V's rules leave room (the same as the fake backend's):
 * - `start` of a paused VM is HV_INVALID_STATE (unpause it); `stop` of an off VM succeeds; a
 *   graceful stop of a saved or paused VM is HV_INVALID_STATE, `force` discards the saved state.
 * - `heartbeat` is `ok` while the process runs and the guest has reported READY on its port in
 *   this boot (the evidence is `ready.log`; a resumed guest was ready when it was saved).
 * - a checkpoint with an existing name replaces it; `screenshot` works while paused.
 * @module
 */
import { randomUUID } from 'node:crypto';
import { mkdir, readdir, rename, rm, rmdir, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { execa } from 'execa';
import { HvkubeError, HypervisorError } from '../../domain/errors.js';
import { isValidName, validateName } from '../../domain/validation.js';
import type {
  BootProgress, ClickOptions, ConsoleAccess, CreateVmSpec, HostInfo, HvState, HvVm, Hypervisor, HypervisorCapabilities, MouseButton, ScreenSize,
  OperationOptions, ScreenshotOptions,
} from '../hypervisor.js';
import { checkScreenshotOptions, encodeScreenshot, type RawFrame } from '../console/encode.js';
import { chooseAccel, type AccelVerdict } from './accel/index.js';
import { GuestAgentChannels, type ChannelTarget } from './guest-agent/channels.js';
import { QemuGuestOps } from './guest-agent/guest-ops.js';
import { addressFromArp, addressOfMac, vmNetworkFor } from './network/network.js';
import { qemuHostInfo, readQemuVersion } from './host-info.js';
import {
  copyMachineStateTo, createVmMachine, endMachineHelpers, machineHelpersAlive, resolveMachineShape, startMachineHelpers, sweepMachineHelpers,
  vmMachineStateBytes,
} from './machine/index.js';
import { qemuArgs, READY_PORT_ID } from './qemu-command-line.js';
import * as screen from './qemu-console.js';
import { resolveConfig, type QemuHypervisorConfig, type ResolvedQemuConfig } from './qemu-hypervisor-config.js';
import { findQemuPid, killQemu, spawnQemu, waitForExit } from './qemu-process.js';
import type { QmpClient } from './qmp-client.js';
import { isObject, qmpText, toHypervisorError } from './qmp-client.js';
import { QmpConnections } from './qmp-connections.js';
import { migrateFromFile, migrateToFile, prepareMigration } from './save-restore.js';
import { freeLoopbackPort, freeVncDisplay } from './ports.js';
import { Standbys } from './standbys.js';
import {
  checkpointPaths, readDefinition, vmPaths, writeDefinition, type VmDefinition, type VmPaths,
} from './vm-definition.js';
import {
  copySparse, exists, fileContains, listCheckpoints, readCheckpointMeta, tail, writeCheckpointMeta,
} from './vm-files.js';

/** The address QEMU's user-mode network hands the first (only) guest by DHCP. */
export const USER_NET_GUEST_ADDRESS = '10.0.2.15';
const MAX_SOCKET_PATH = 107;

interface Inspected {
  def: VmDefinition;
  paths: VmPaths;
  pid: number | null;
  state: HvState;
}

export class QemuHypervisor implements Hypervisor {
  readonly backend = 'qemu' as const;
  readonly capabilities: HypervisorCapabilities = { pause: true, scroll: true, gpu: false, gpuCheckpoints: true, savedUsesNoMemory: true };
  readonly #config: ResolvedQemuConfig;
  readonly #qmp: QmpConnections;
  /** Operations under way in this process, shown as the VM's transient state. */
  readonly #busy = new Map<string, HvState>();
  readonly #screenSizes = new Map<string, { width: number; height: number }>();
  /** Where hvkube last put each VM's pointer (the tablet cannot be asked), for `cursor: true`. */
  readonly #pointers = new Map<string, { x: number; y: number }>();
  readonly #resumedFrom = new Map<string, 'standby' | 'process'>();
  readonly #standbys: Standbys;
  readonly #guestOps: QemuGuestOps;
  /** The last clock setting after a resume, per VM (this process's). */
  readonly #clockSyncs = new Map<string, ClockSync>();
  #version: Promise<string> | null = null;
  #verdict: Promise<AccelVerdict> | null = null;
  /** Set by `powerOffAll`: no process starts any more. */
  #halted = false;

  constructor(config: QemuHypervisorConfig) {
    this.#config = resolveConfig(config);
    this.#qmp = new QmpConnections(this.#config.qmpIdleMs, { onCall: this.#config.onCall });
    this.#standbys = new Standbys({
      config: this.#config,
      paths: (name) => this.#paths(name),
      inspect: async (name) => {
        const paths = this.#paths(name);
        const def = await readDefinition(paths.definition);
        return def ? this.#inspect(def, paths) : null;
      },
      isBusy: (name) => this.#busy.has(name),
      unlaunchable: (def) => this.#unlaunchable(def),
      withQmp: (vm, fn) => this.#withQmp(vm, fn),
      dropQmp: (name) => this.#qmp.drop(name),
    });
    const channels = new GuestAgentChannels({ syncTimeoutMs: this.#config.guestAgentTimeoutMs });
    this.#guestOps = new QemuGuestOps({ target: (name) => this.#agentTarget(name) }, channels, { chunkBytes: this.#config.guestAgentChunkBytes });
  }

  /** Exec, files and the guest's own view, through the guest agent channel (see guest-agent/). */
  get guest(): QemuGuestOps {
    return this.#guestOps;
  }

  get config(): Readonly<ResolvedQemuConfig> {
    return this.#config;
  }

  // ---- host and inventory ----------------------------------------------------------------------

  async hostInfo(): Promise<HostInfo> {
    return qemuHostInfo(this.#config, await this.accel(), () => this.#qemuVersion());
  }

  /**
   * The accelerator new VMs use, and why: decided once per process from the cached probe verdict
   * (see accel/), or by probing when there is none, it is stale, or `probe` asks for it.
   */
  accel(options: { probe?: boolean } = {}): Promise<AccelVerdict> {
    if (options.probe || !this.#verdict) {
      const choosing = chooseAccel({
        mode: this.#config.accel,
        qemuBinary: this.#config.qemuBinary,
        kvmDevice: this.#config.kvmDevice,
        cpuModel: this.#config.cpuModel,
        dir: this.#config.accelDir,
        probeTimeoutMs: this.#config.probeTimeoutMs,
        force: options.probe === true,
        qemuVersion: () => this.#qemuVersion(),
      });
      this.#verdict = choosing;
      choosing.then((v) => this.#config.onAccel?.(v), () => (this.#verdict = null));
    }
    return this.#verdict;
  }

  #qemuVersion(): Promise<string> {
    return (this.#version ??= readQemuVersion(this.#config.qemuBinary));
  }

  async listVms(prefix: string): Promise<HvVm[]> {
    const names = await readdir(this.#config.vmRoot).catch(() => []);
    const vms: HvVm[] = [];
    for (const name of names.filter((n) => n.startsWith(prefix)).sort()) {
      const vm = await this.getVm(name);
      if (vm) vms.push(vm);
    }
    return vms;
  }

  async getVm(name: string): Promise<HvVm | null> {
    if (!isValidName(name)) return null;
    const paths = this.#paths(name);
    const def = await readDefinition(paths.definition);
    if (!def) return null;
    const { state } = await this.#inspect(def, paths);
    return {
      name, id: def.id, state, memoryMb: def.memoryMb, cpus: def.cpus, checkpoints: await listCheckpoints(paths.checkpoints),
    };
  }

  /** `<dataDir>/qemu/<vm>/disk.qcow2`: a qcow2 overlay whatever the template's format. */
  diskPathFor(vmName: string, _templateDisk?: string): string {
    return path.join(this.#config.vmRoot, validateName('vm', vmName), 'disk.qcow2');
  }

  async createDifferencingDisk(parentPath: string, childPath: string): Promise<void> {
    const parent = path.resolve(parentPath);
    if (!(await exists(parent))) throw new HypervisorError('HV_NOT_FOUND', `parent disk ${parent} does not exist`);
    if (await exists(childPath)) {
      throw new HypervisorError('HV_INVALID_STATE', `disk ${childPath} already exists`, { hint: 'remove the VM that owns it first' });
    }
    await mkdir(path.dirname(childPath), { recursive: true });
    const format = parent.toLowerCase().endsWith('.img') ? 'raw' : 'qcow2';
    try {
      await execa(this.#config.qemuImgBinary, ['create', '-q', '-f', 'qcow2', '-b', parent, '-F', format, childPath]);
    } catch (e) {
      throw new HypervisorError('HV_FAILED', `qemu-img create failed: ${(e as Error).message.split('\n')[0]}`, { cause: e });
    }
  }

  async createVm(spec: CreateVmSpec): Promise<HvVm> {
    const name = validateName('vm', spec.name);
    const paths = this.#paths(name);
    if (await exists(paths.definition)) throw new HypervisorError('HV_INVALID_STATE', `VM ${name} already exists`, { details: { vm: name } });
    if (spec.gpu) throw new HypervisorError('HV_UNAVAILABLE', 'the QEMU backend cannot attach a GPU', { hint: 'use a template without gpu' });
    if (paths.qmpSocket.length > MAX_SOCKET_PATH) {
      throw new HypervisorError('HV_FAILED', `socket path ${paths.qmpSocket} is longer than ${MAX_SOCKET_PATH} bytes`, { hint: 'set a shorter runDir' });
    }
    for (const file of [spec.diskPath, spec.boot?.kernel, spec.boot?.initrd]) {
      if (file && !(await exists(file))) throw new HypervisorError('HV_NOT_FOUND', `${file} does not exist`, { details: { vm: name } });
    }
    const accel = await this.accel();
    if (accel.accel === 'kvm' && accel.kvm !== 'usable') throw kvmUnusable(name, accel);
    const shape = await resolveMachineShape(spec.machine, accel.accel, this.#config.machine);
    const id = randomUUID();
    const network = vmNetworkFor(this.#config.network, id, spec.guestPorts);
    const forwards = [];
    if (network.mode === 'user') {
      for (const guestPort of [...new Set(spec.guestPorts)]) forwards.push({ guestPort, hostPort: await freeLoopbackPort() });
    }
    const def: VmDefinition = {
      version: 1,
      id,
      name,
      accel: accel.accel,
      machine: 'q35',
      cpuModel: accel.cpuModel,
      memoryMb: spec.memoryMb,
      cpus: spec.cpus,
      diskPath: path.resolve(spec.diskPath),
      diskFormat: spec.diskPath.toLowerCase().endsWith('.img') ? 'raw' : 'qcow2',
      boot: spec.boot ? { kernel: spec.boot.kernel, initrd: spec.boot.initrd, cmdline: spec.boot.cmdline } : null,
      forwards,
      vncDisplay: this.#config.vnc ? await freeVncDisplay() : null,
      ...(shape ? { shape } : {}),
      createdAt: new Date().toISOString(),
      guestAgent: this.#config.guestAgent,
      ...(network.mode === 'user' ? {} : { network }),
    };
    await mkdir(paths.dir, { recursive: true });
    try {
      await createVmMachine(def, paths, this.#config.machine);
    } catch (e) {
      await rm(paths.dir, { recursive: true, force: true });
      throw e;
    }
    await writeDefinition(paths.definition, def);
    return { name, id: def.id, state: 'off', memoryMb: def.memoryMb, cpus: def.cpus, checkpoints: [] };
  }

  // ---- lifecycle -------------------------------------------------------------------------------

  start(name: string, options: OperationOptions = {}): Promise<void> {
    return this.#operation(name, 'starting', options.signal, async (vm) => {
      if (vm.state === 'off') return this.#coldBoot(vm);
      if (vm.state === 'saved') return this.#resume(vm);
      throw invalidState(name, vm.state, 'start', vm.state === 'paused' ? 'unpause it instead' : 'it is already on');
    });
  }

  /**
   * Pre-starts the QEMU process of these saved VMs (the next ones to be handed out), so that
   * their `start` skips process start-up; ends the standbys of VMs no longer named. See
   * standbys.ts. At most `standbys` (config) are kept.
   */
  prepareResume(names: readonly string[]): Promise<void> {
    return this.#standbys.prepare(names);
  }

  /** VMs that have a pre-started process (for tests and `doctor`-style reports). */
  standbyNames(): string[] {
    return this.#standbys.names();
  }

  /**
   * Bytes a saved VM keeps besides its disk and RAM file: the device state plus the machine
   * state (UEFI variables, TPM state) of a Windows-shaped VM. Not part of the Hypervisor interface.
   */
  async savedStateBytes(name: string): Promise<number> {
    const vm = await this.#load(name);
    const state = (await stat(vm.paths.state).catch(() => null))?.size ?? 0;
    return state + (await vmMachineStateBytes(vm.def, vm.paths));
  }

  /** How the VM's last resume in this process went: in its pre-started process, or a new one. */
  lastResumeFrom(name: string): 'standby' | 'process' | null {
    return this.#resumedFrom.get(name) ?? null;
  }

  /** VMs whose pre-started process is up and waiting for its resume. */
  readyStandbyNames(): string[] {
    return this.#standbys.readyNames();
  }

  save(name: string, options: OperationOptions = {}): Promise<void> {
    return this.#operation(name, 'saving', options.signal, async (vm) => {
      requireState(name, vm.state, ['running', 'paused'], 'save');
      await this.#withQmp(vm, async (qmp) => {
        const wasRunning = vm.state === 'running';
        await prepareMigration(qmp);
        await qmp.execute('stop');
        try {
          await migrateToFile(qmp, vm.paths.migrationSocket, vm.paths.state, this.#config.migrationTimeoutMs);
        } catch (e) {
          if (wasRunning) await qmp.execute('cont').catch(() => undefined);
          throw e;
        }
        await qmp.execute('quit').catch(() => undefined);
      });
      await this.#reap(vm);
    });
  }

  pause(name: string): Promise<void> {
    return this.#operation(name, 'other', undefined, async (vm) => {
      requireState(name, vm.state, ['running'], 'pause');
      await this.#withQmp(vm, (qmp) => qmp.execute('stop'));
    });
  }

  unpause(name: string): Promise<void> {
    return this.#operation(name, 'other', undefined, async (vm) => {
      requireState(name, vm.state, ['paused'], 'unpause');
      await this.#withQmp(vm, (qmp) => qmp.execute('cont'));
    });
  }

  stop(name: string, options: { force?: boolean } & OperationOptions = {}): Promise<void> {
    return this.#operation(name, 'stopping', options.signal, async (vm) => {
      if (vm.state === 'off') return;
      if (!options.force && vm.state !== 'running') {
        throw invalidState(name, vm.state, 'shut down', 'no guest is running to shut down; use force to turn it off');
      }
      if (vm.pid !== null && !options.force) {
        await this.#withQmp(vm, (qmp) => qmp.execute('system_powerdown')).catch(() => undefined);
        this.#qmp.drop(name);
        await waitForExit(vm.pid, vm.paths, this.#config.gracefulStopMs);
      }
      await this.#powerOff(vm);
    });
  }

  async remove(name: string): Promise<void> {
    if (!isValidName(name)) return;
    const paths = this.#paths(name);
    await this.#standbys.discard(name, paths);
    this.#qmp.drop(name);
    const pid = await findQemuPid(paths);
    if (pid !== null) await killQemu(pid, paths);
    const def = await readDefinition(paths.definition).catch(() => null);
    await endMachineHelpers(def, paths);
    await rm(paths.dir, { recursive: true, force: true });
    // Only a disk under our own VM tree is ours to delete; a template is never touched.
    if (def && isInside(this.#config.vmRoot, def.diskPath)) await rm(def.diskPath, { force: true });
    for (const socket of [paths.qmpSocket, paths.serialSocket, paths.migrationSocket, paths.agentSocket]) await rm(socket, { force: true });
    this.#screenSizes.delete(name);
    this.#guestOps.forget(name);
    this.#clockSyncs.delete(name);
    this.#pointers.delete(name);
  }

  checkpoint(name: string, checkpointName: string): Promise<void> {
    const cpName = validateName('checkpoint', checkpointName);
    return this.#operation(name, 'saving', undefined, async (vm) => {
      requireState(name, vm.state, ['off', 'running', 'paused', 'saved'], 'checkpoint');
      const final = checkpointPaths(vm.paths, cpName);
      const temp = checkpointPaths(vm.paths, `.tmp-${cpName}`);
      await rm(temp.dir, { recursive: true, force: true });
      await mkdir(temp.dir, { recursive: true });
      const withMemory = vm.state !== 'off';
      try {
        if (vm.state === 'running' || vm.state === 'paused') {
          await this.#withQmp(vm, async (qmp) => {
            // Device state, RAM file and disk are copied while the guest is stopped, so they agree.
            await prepareMigration(qmp);
            await qmp.execute('stop');
            try {
              await migrateToFile(qmp, vm.paths.migrationSocket, temp.state, this.#config.migrationTimeoutMs);
              await this.#copyVmFiles(vm.paths, vm.def.diskPath, temp);
              await copyMachineStateTo(vm.def, vm.paths.dir, temp.dir);
            } finally {
              // After a completed migration the VM is `postmigrate`; `cont` takes the disk back.
              await qmp.execute('cont');
              if (vm.state === 'paused') await qmp.execute('stop');
            }
          });
        } else if (vm.state === 'saved') {
          await copySparse(vm.paths.state, temp.state);
          await this.#copyVmFiles(vm.paths, vm.def.diskPath, temp);
          await copyMachineStateTo(vm.def, vm.paths.dir, temp.dir);
        } else {
          await copySparse(vm.def.diskPath, temp.disk);
          await copyMachineStateTo(vm.def, vm.paths.dir, temp.dir);
        }
        await writeCheckpointMeta(temp.meta, { name: cpName, createdAt: new Date().toISOString(), withMemory });
        await rm(final.dir, { recursive: true, force: true });
        await mkdir(vm.paths.checkpoints, { recursive: true });
        await rename(temp.dir, final.dir);
      } catch (e) {
        await rm(temp.dir, { recursive: true, force: true });
        throw toHypervisorError(e, `checkpoint of VM ${name}`);
      }
    });
  }

  restoreCheckpoint(name: string, checkpointName: string): Promise<HvState> {
    return this.#operation(name, 'other', undefined, async (vm) => {
      const cp = checkpointPaths(vm.paths, checkpointName);
      const meta = isValidName(checkpointName) ? await readCheckpointMeta(cp.meta) : null;
      if (!meta) {
        throw new HypervisorError('HV_NOT_FOUND', `VM ${name} has no checkpoint ${checkpointName}`, {
          details: { vm: name, checkpoint: checkpointName, checkpoints: await listCheckpoints(vm.paths.checkpoints) },
        });
      }
      await this.#powerOff(vm);
      await copySparse(cp.disk, vm.def.diskPath);
      // Firmware variables and TPM go back with the disk: they persist across power-off as it does.
      await copyMachineStateTo(vm.def, cp.dir, vm.paths.dir);
      if (!meta.withMemory) return 'off';
      await copySparse(cp.ram, vm.paths.ram);
      await copySparse(cp.readyLog, vm.paths.readyLog);
      await copySparse(cp.state, vm.paths.state);
      return 'saved';
    });
  }

  // ---- guest -----------------------------------------------------------------------------------

  async heartbeat(name: string): Promise<'ok' | 'no-contact' | 'unknown'> {
    const vm = await this.#load(name);
    if (vm.state === 'off' || vm.state === 'saved') return 'unknown';
    if (vm.state !== 'running') return 'no-contact';
    if (await fileContains(vm.paths.readyLog, 'READY')) return 'ok';
    // A guest without hvkube's ready port (a Windows image with virtio-win's qemu-ga) is ready
    // once its agent answers guest-ping.
    if (vm.def.guestAgent && (await this.#guestOps.ping(name, { timeoutMs: 500 }))) return 'ok';
    return 'no-contact';
  }

  /** From the serial console's log (its last lines and when it last grew) and the process. */
  async bootProgress(name: string): Promise<BootProgress> {
    const vm = await this.#load(name);
    const console = await stat(vm.paths.serialLog).catch(() => null);
    const lines = console && console.size > 0 ? lastLines(await tail(vm.paths.serialLog, 2_000), 5) : [];
    const gone = vm.pid === null && !this.#busy.has(name);
    return {
      exited: gone ? `its QEMU process is gone${await qemuLastWords(vm.paths.log)}` : null,
      silentMs: console && console.size > 0 ? Math.max(0, Date.now() - console.mtimeMs) : null,
      lastLines: lines,
      emulated: vm.def.accel === 'tcg',
    };
  }

  /**
   * Waits until the guest has reported in: the QMP `VSERPORT_CHANGE` event of its ready port, or
   * `READY` already in its log (the event may have gone to an earlier connection). Not part of
   * the Hypervisor interface; tests and benchmarks use it instead of polling `heartbeat`.
   */
  async waitUntilReady(name: string, timeoutMs = 180_000): Promise<void> {
    const vm = await this.#load(name);
    const deadline = Date.now() + timeoutMs;
    await this.#withQmp(vm, async (qmp) => {
      while (!(await fileContains(vm.paths.readyLog, 'READY'))) {
        const left = deadline - Date.now();
        if (left <= 0) throw new HypervisorError('HV_TIMEOUT', `VM ${name} did not report ready within ${timeoutMs} ms`);
        // The port opens a moment before the guest's READY reaches its log, and `heartbeat` reads
        // the log: so the event only shortens the wait, and the loop ends on the log.
        await qmp
          .waitForEvent('VSERPORT_CHANGE', (d) => d.id === READY_PORT_ID && d.open === true, Math.min(left, 250))
          .then(
            () => new Promise((r) => setTimeout(r, 20)),
            (e: unknown) => {
              if (qmp.closed) throw toHypervisorError(e, `VM ${name} stopped while booting`);
            },
          );
      }
    });
  }

  /**
   * User mode: 10.0.2.15 once the guest is ready. Bridge mode: the address the guest agent reports
   * on the VM's NIC (its MAC), else the one the host's neighbour table has for that MAC, else null.
   */
  async guestAddress(name: string): Promise<string | null> {
    const vm = await this.#load(name);
    const network = vm.def.network;
    if (!network || network.mode === 'user') return (await this.heartbeat(name)) === 'ok' ? USER_NET_GUEST_ADDRESS : null;
    if (vm.state !== 'running') return null;
    if (vm.def.guestAgent) {
      const interfaces = await this.#guestOps.interfaces(name).catch(() => []);
      const address = addressOfMac(interfaces, network.mac);
      if (address) return address;
    }
    return addressFromArp(network.mac);
  }

  /**
   * Where the host reaches a guest port: user mode answers the loopback port forwarded at
   * creation; bridge mode the guest's own address and the port itself (for the ports the VM was
   * created with), or null while the address is unknown.
   */
  async guestEndpoint(name: string, guestPort: number): Promise<{ host: string; port: number } | null> {
    const vm = await this.#load(name);
    const network = vm.def.network;
    if (network && network.mode === 'bridge') {
      if (!network.ports.includes(guestPort)) return null;
      const address = await this.guestAddress(name);
      return address ? { host: address, port: guestPort } : null;
    }
    const forward = vm.def.forwards.find((f) => f.guestPort === guestPort);
    return forward ? { host: '127.0.0.1', port: forward.hostPort } : null;
  }

  /** How the guest clock was set after the VM's last resume in this process (null before any). */
  lastClockSync(name: string): ClockSync | null {
    return this.#clockSyncs.get(name) ?? null;
  }

  // ---- console ---------------------------------------------------------------------------------

  async screenshot(name: string, options: ScreenshotOptions = {}): Promise<Buffer> {
    checkScreenshotOptions(options);
    const vm = await this.#load(name);
    requireState(name, vm.state, ['running', 'paused'], 'take a screenshot of');
    const frame = await this.#screendump(vm);
    return encodeScreenshot(frame, options, { pointer: this.#pointers.get(name) ?? null });
  }

  async typeText(name: string, text: string): Promise<void> {
    const chords = screen.chordsForText(text);
    await this.#input(name, (execute) => screen.sendChords(execute, chords));
  }

  async pressKeys(name: string, chords: string[]): Promise<void> {
    const parsed = screen.chordsForKeys(chords);
    await this.#input(name, (execute) => screen.sendChords(execute, parsed));
  }

  async mouseMove(name: string, x: number, y: number): Promise<void> {
    await this.#input(name, async (execute, vm) => screen.moveMouse(execute, await this.#screenSize(vm), x, y));
    this.#pointers.set(name, { x: Math.round(x), y: Math.round(y) });
  }

  async click(name: string, x: number, y: number, options: ClickOptions = {}): Promise<void> {
    const count = options.count ?? (options.double ? 2 : 1);
    await this.#input(name, async (execute, vm) => {
      await screen.moveMouse(execute, await this.#screenSize(vm), x, y);
      this.#pointers.set(name, { x: Math.round(x), y: Math.round(y) });
      for (let i = 0; i < count; i++) await screen.pressButton(execute, options.button ?? 'left');
    });
  }

  async mouseDown(name: string, button: MouseButton): Promise<void> {
    await this.#input(name, (execute) => screen.setButton(execute, button, true));
  }

  async mouseUp(name: string, button: MouseButton): Promise<void> {
    await this.#input(name, (execute) => screen.setButton(execute, button, false));
  }

  async keyDown(name: string, keys: readonly string[]): Promise<void> {
    await this.#input(name, (execute) => screen.setKeys(execute, keys, true));
  }

  async keyUp(name: string, keys: readonly string[]): Promise<void> {
    await this.#input(name, (execute) => screen.setKeys(execute, keys, false));
  }

  async screenSize(name: string): Promise<ScreenSize> {
    const vm = await this.#load(name);
    requireState(name, vm.state, ['running', 'paused'], 'read the screen size of');
    return { ...(await this.#screenSize(vm)) };
  }

  /** Positive `delta` scrolls down, one wheel notch per unit (like a DOM wheel event's deltaY sign). */
  async scroll(name: string, delta: number): Promise<void> {
    await this.#input(name, async (execute) => {
      for (let i = 0; i < Math.min(Math.abs(Math.round(delta)), 100); i++) {
        await screen.pressButton(execute, delta > 0 ? 'wheel-down' : 'wheel-up');
      }
    });
  }

  async console(name: string): Promise<ConsoleAccess> {
    const vm = await this.#load(name);
    if (vm.def.vncDisplay === null) {
      return {
        command: null,
        instructions: 'this VM has no viewer; create it with the QEMU backend option `vnc: true` to get a VNC server '
          + 'on a loopback port, or use `hvkube vm screenshot`',
      };
    }
    const address = `127.0.0.1:${5900 + vm.def.vncDisplay}`;
    return {
      command: ['vncviewer', `127.0.0.1::${5900 + vm.def.vncDisplay}`],
      instructions: `VNC on ${address} (loopback only; from another machine use ssh -L ${5900 + vm.def.vncDisplay}:${address} <host>)`,
    };
  }

  /**
   * Ends at once every QEMU process of the VMs whose names start with `prefix` (and their
   * standbys), even in the middle of an operation, and starts none any more: for a command that
   * was interrupted and is about to exit. The VMs stay as they are on disk (off, or saved when
   * their state was saved); answers the VMs whose process was ended.
   */
  async powerOffAll(prefix: string): Promise<string[]> {
    this.#halted = true;
    const ended: string[] = [];
    for (const name of await readdir(this.#config.vmRoot).catch(() => [])) {
      if (!name.startsWith(prefix) || !isValidName(name)) continue;
      const paths = this.#paths(name);
      this.#qmp.drop(name);
      for (const pidFile of [paths.pid, paths.standbyPid]) {
        const pid = await findQemuPid(paths, pidFile);
        if (pid === null) continue;
        await killQemu(pid, paths, 10_000, pidFile);
        if (!ended.includes(name)) ended.push(name);
      }
      if (ended.includes(name)) await endMachineHelpers(null, paths);
    }
    return ended;
  }

  async close(): Promise<void> {
    // Standbys are this object's, not the VMs': they would otherwise outlive it unused.
    await this.#standbys.discardAll();
    this.#qmp.closeAll();
    // Removes the run dir only when no VM has sockets in it any more.
    await rmdir(this.#config.runDir).catch(() => undefined);
  }

  // ---- internals -------------------------------------------------------------------------------

  #paths(name: string): VmPaths {
    return vmPaths(this.#config.vmRoot, this.#config.runDir, name);
  }

  async #load(name: string): Promise<Inspected> {
    const paths = this.#paths(validateName('vm', name));
    const def = await readDefinition(paths.definition);
    if (!def) throw new HypervisorError('HV_NOT_FOUND', `VM ${name} does not exist`, { details: { vm: name } });
    return this.#inspect(def, paths);
  }

  async #inspect(def: VmDefinition, paths: VmPaths): Promise<Inspected> {
    const busy = this.#busy.get(def.name);
    const pid = await findQemuPid(paths);
    if (busy) return { def, paths, pid, state: busy };
    if (pid === null) {
      // A swtpm without any QEMU of this VM is left from a killed hvkube process.
      if ((await findQemuPid(paths, paths.standbyPid)) === null) await sweepMachineHelpers(def, paths);
      return { def, paths, pid, state: (await exists(paths.state)) ? 'saved' : 'off' };
    }
    const vm: Inspected = { def, paths, pid, state: 'other' };
    // Its TPM is gone: the guest cannot use it and the VM cannot be saved; reconcile replaces it.
    if (!(await machineHelpersAlive(def, paths))) return vm;
    const status = await this.#withQmp(vm, (qmp) => qmp.execute('query-status')).catch(() => null);
    const runState = isObject(status) ? qmpText(status.status) : '';
    return { ...vm, state: RUN_STATES[runState] ?? 'other' };
  }

  /** Runs one operation at a time per VM, showing `transient` as its state meanwhile. */
  async #operation<T>(name: string, transient: HvState, signal: AbortSignal | undefined, fn: (vm: Inspected) => Promise<T>): Promise<T> {
    signal?.throwIfAborted();
    const vm = await this.#load(name);
    if (this.#busy.has(name)) {
      throw new HypervisorError('HV_INVALID_STATE', `VM ${name} is busy (${this.#busy.get(name)})`, { hint: 'wait for the running operation to finish' });
    }
    this.#busy.set(name, transient);
    try {
      // Only a resume uses a standby; anything else may change what it holds (the state file).
      if (transient !== 'starting') await this.#standbys.discard(name, vm.paths);
      return await fn(vm);
    } catch (e) {
      throw toHypervisorError(e, `VM ${name}`);
    } finally {
      this.#busy.delete(name);
    }
  }

  #withQmp<T>(vm: Inspected, fn: (qmp: QmpClient) => Promise<T>): Promise<T> {
    return this.#qmp.use(vm.def.name, vm.paths.qmpSocket, fn, {
      // Stop retrying as soon as the process is gone (a failed start).
      keepTrying: () => vm.pid === null || processExists(vm.pid),
    });
  }

  async #coldBoot(vm: Inspected): Promise<void> {
    // A cold boot starts from zeroed RAM and no readiness evidence.
    for (const file of [vm.paths.ram, vm.paths.readyLog, vm.paths.serialLog, vm.paths.state]) await rm(file, { force: true });
    await this.#launch(vm, false, async () => undefined);
  }

  async #resume(vm: Inspected): Promise<void> {
    const standby = await this.#resumeStandby(vm);
    this.#resumedFrom.set(vm.def.name, standby ? 'standby' : 'process');
    if (standby) return;
    const fd = this.#config.incomingTransport === 'fd';
    await this.#launch(vm, fd, async (qmp) => {
      await prepareMigration(qmp);
      await migrateFromFile(qmp, this.#config.incomingTransport, vm.paths.state, this.#config.migrationTimeoutMs);
      // The VM now runs from the RAM file and diverges from the saved state: never resume it twice.
      await rm(vm.paths.state, { force: true });
      await qmp.execute('cont');
    });
    await this.#afterResume(vm);
  }

  /**
   * Resumes in the VM's pre-started process, if it has one: it becomes the VM's process. False
   * when there is none, or when it failed before the state was used (the caller then starts a
   * process of its own).
   */
  async #resumeStandby(vm: Inspected): Promise<boolean> {
    const pid = await this.#standbys.take(vm);
    if (pid === null) {
      // One a crashed hvkube process left behind would keep the guest RAM file mapped.
      await this.#standbys.discard(vm.def.name, vm.paths);
      return false;
    }
    await writeFile(vm.paths.pid, `${pid}\n`);
    await rm(vm.paths.standbyPid, { force: true });
    try {
      await this.#withQmp({ ...vm, pid }, async (qmp) => {
        await migrateFromFile(qmp, this.#config.incomingTransport, vm.paths.state, this.#config.migrationTimeoutMs);
        await rm(vm.paths.state, { force: true });
        await qmp.execute('cont');
      });
      await this.#afterResume(vm);
      return true;
    } catch (e) {
      this.#qmp.drop(vm.def.name);
      await killQemu(pid, vm.paths);
      await endMachineHelpers(vm.def, vm.paths);
      if (await exists(vm.paths.state)) return false;
      throw toHypervisorError(e, `resume of VM ${vm.def.name} failed`);
    }
  }

  /** Spawns QEMU for `vm` (incoming when it has a saved state), connects QMP and runs `then`. */
  async #launch(vm: Inspected, passStateFd: boolean, then: (qmp: QmpClient) => Promise<void>): Promise<void> {
    const unlaunchable = await this.#unlaunchable(vm.def);
    if (unlaunchable) throw unlaunchable;
    const incoming = vm.state === 'saved';
    for (const socket of [vm.paths.qmpSocket, vm.paths.serialSocket, vm.paths.agentSocket]) await rm(socket, { force: true });
    await mkdir(this.#config.runDir, { recursive: true, mode: 0o700 });
    const args = qemuArgs(vm.def, vm.paths, { incoming });
    if (this.#halted) throw halted(vm.def.name);
    await startMachineHelpers(vm.def, vm.paths, this.#config.machine);
    let spawned;
    try {
      spawned = await spawnQemu(this.#config.qemuBinary, args, vm.paths, passStateFd ? vm.paths.state : undefined);
    } catch (e) {
      await endMachineHelpers(vm.def, vm.paths);
      throw e;
    }
    const live: Inspected = { ...vm, pid: spawned.pid };
    try {
      await this.#withQmp(live, then);
    } catch (e) {
      this.#qmp.drop(vm.def.name);
      await killQemu(spawned.pid, vm.paths);
      await endMachineHelpers(vm.def, vm.paths);
      const log = await tail(vm.paths.log);
      throw toHypervisorError(e, `${incoming ? 'resume' : 'boot'} of VM ${vm.def.name} failed${log ? ` (qemu.log: ${log})` : ''}`);
    }
  }

  /**
   * A resumed guest's clock stands where it was at the save: it is set to the host's through the
   * guest agent at once, ahead of any other use of the channel. With `clockSync: 'wait'` the
   * resume waits for it when the guest's agent has answered before (bounded by
   * `clockSyncTimeoutMs`); otherwise it runs while `start` returns, so neither a guest without an
   * agent nor a slow agent slows resumes. A failure never fails the resume: it is recorded
   * (`lastClockSync`).
   */
  async #afterResume(vm: Inspected): Promise<void> {
    if (!vm.def.guestAgent) return;
    const name = vm.def.name;
    const target: ChannelTarget = { name, socketPath: vm.paths.agentSocket, seenFile: vm.paths.agentSeen };
    const started = performance.now();
    const known = this.#config.clockSync === 'wait' && (await exists(vm.paths.agentSeen));
    const setting = this.#guestOps
      .syncClockOf(target, { timeoutMs: this.#config.clockSyncTimeoutMs })
      .then(
        (offsetMs) => this.#clockSyncs.set(name, { at: new Date().toISOString(), ms: Math.round(performance.now() - started), offsetMs, error: null }),
        (e: unknown) => this.#clockSyncs.set(name, { at: new Date().toISOString(), ms: Math.round(performance.now() - started), offsetMs: null, error: e instanceof Error ? e.message : String(e) }),
      );
    if (known && this.#config.clockSync === 'wait') await setting;
  }

  /** The VM's guest agent channel, for an operation inside its guest: the VM must be running and have one. */
  async #agentTarget(name: string): Promise<ChannelTarget> {
    const vm = await this.#load(name);
    if (!vm.def.guestAgent) {
      throw new HvkubeError('GUEST_UNAVAILABLE', `VM ${name} has no guest agent channel: it was created before hvkube gave VMs one, or with guestAgent off`, {
        hint: 'recreate the VM (e.g. remove it and let its pool provision a new one)',
        details: { vm: name },
      });
    }
    requireState(name, vm.state, ['running'], 'reach the guest of');
    return { name, socketPath: vm.paths.agentSocket, seenFile: vm.paths.agentSeen };
  }

  /** Why this VM cannot run on this host now (it was created for KVM, which does not work here), or null. */
  async #unlaunchable(def: VmDefinition): Promise<HypervisorError | null> {
    if (this.#halted) return halted(def.name);
    if (def.accel !== 'kvm') return null;
    const verdict = await this.accel();
    return verdict.kvm === 'unusable' || verdict.kvm === 'absent' ? kvmUnusable(def.name, verdict) : null;
  }

  async #powerOff(vm: Inspected): Promise<void> {
    if (vm.pid !== null) {
      await this.#withQmp(vm, (qmp) => qmp.execute('quit', undefined)).catch(() => undefined);
      await this.#reap(vm);
    }
    await endMachineHelpers(vm.def, vm.paths);
    // An off VM needs neither memory nor saved state.
    for (const file of [vm.paths.state, vm.paths.ram]) await rm(file, { force: true });
  }

  /** Waits for the process to end after `quit`; kills it when it does not. */
  async #reap(vm: Inspected): Promise<void> {
    this.#qmp.drop(vm.def.name);
    if (vm.pid === null) return;
    if (!(await waitForExit(vm.pid, vm.paths, 5_000))) await killQemu(vm.pid, vm.paths);
    await endMachineHelpers(vm.def, vm.paths);
  }

  async #copyVmFiles(paths: VmPaths, diskPath: string, to: ReturnType<typeof checkpointPaths>): Promise<void> {
    await copySparse(paths.ram, to.ram);
    await copySparse(diskPath, to.disk);
    if (await exists(paths.readyLog)) await copySparse(paths.readyLog, to.readyLog);
    else await rm(to.readyLog, { force: true });
  }

  async #screendump(vm: Inspected): Promise<RawFrame> {
    const file = path.join(this.#config.runDir, `${vm.def.name}.${randomUUID().slice(0, 8)}.ppm`);
    const frame = await this.#withQmp(vm, (qmp) => screen.screendump((c, a) => qmp.execute(c, a), file));
    this.#screenSizes.set(vm.def.name, { width: frame.width, height: frame.height });
    return frame;
  }

  async #screenSize(vm: Inspected): Promise<{ width: number; height: number }> {
    const known = this.#screenSizes.get(vm.def.name);
    if (known) return known;
    const frame = await this.#screendump(vm);
    return { width: frame.width, height: frame.height };
  }

  async #input(name: string, fn: (execute: screen.QmpExecute, vm: Inspected) => Promise<void>): Promise<void> {
    const vm = await this.#load(name);
    requireState(name, vm.state, ['running'], 'send input to');
    await this.#withQmp(vm, (qmp) => fn((c, a) => qmp.execute(c, a), vm));
  }
}

/** How the guest clock was set after a resume. */
export interface ClockSync {
  at: string;
  /** How long setting it took (connect, sync, guest-get-time, guest-set-time). */
  ms: number;
  /** How far the guest clock was off before it was set (negative: behind), when the agent said. */
  offsetMs: number | null;
  /** Why it could not be set, or null. */
  error: string | null;
}

/** QMP run states (query-status) → hvkube's view. */
const RUN_STATES: Record<string, HvState> = {
  running: 'running',
  paused: 'paused',
  suspended: 'paused',
  inmigrate: 'starting',
  prelaunch: 'starting',
  'restore-vm': 'starting',
  'finish-migrate': 'saving',
  postmigrate: 'saving',
  'save-vm': 'saving',
  shutdown: 'stopping',
};

function invalidState(name: string, state: HvState, action: string, hint?: string): HypervisorError {
  return new HypervisorError('HV_INVALID_STATE', `cannot ${action} VM ${name}: it is ${state}`, {
    ...(hint === undefined ? {} : { hint }),
    details: { vm: name, state },
  });
}

function kvmUnusable(vm: string, verdict: AccelVerdict): HypervisorError {
  return new HypervisorError('HV_UNAVAILABLE', `VM ${vm} needs KVM, which is unusable on this host: ${verdict.reason ?? 'unknown'}`, {
    hint: 'set qemu.accel to auto (or tcg) to use software emulation; `hvkube doctor --probe` probes KVM again',
    details: { vm, kvm: verdict.kvm },
  });
}

function halted(vm: string): HypervisorError {
  return new HypervisorError('HV_UNAVAILABLE', `VM ${vm} was not started: hvkube is stopping its VMs`, { details: { vm } });
}

function requireState(name: string, state: HvState, allowed: HvState[], action: string): void {
  if (!allowed.includes(state)) throw invalidState(name, state, action, `it must be ${allowed.join(' or ')}`);
}

/** The last `n` printable, non-empty lines of console output (escape sequences removed). */
function lastLines(text: string, n: number): string[] {
  return text
    // eslint-disable-next-line no-control-regex
    .replace(/\x1b\[[0-9;?]*[A-Za-z]|[\x00-\x08\x0b-\x1f\x7f]/g, '')
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l !== '')
    .slice(-n);
}

/** `: <QEMU's last log line>` when its log says anything. */
async function qemuLastWords(log: string): Promise<string> {
  const last = lastLines(await tail(log, 1_000), 1)[0];
  return last ? `: ${last}` : '';
}

function isInside(root: string, file: string): boolean {
  const relative = path.relative(root, file);
  return relative !== '' && !relative.startsWith('..') && !path.isAbsolute(relative);
}

function processExists(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}
