/**
 * Pre-started processes for saved VMs. Starting QEMU is most of a resume (qemu.md: the state
 * itself loads in tens of milliseconds), so for the VMs the orchestrator will hand out next a
 * process is started ahead, with the VM's exact command line plus `-incoming defer`, its state
 * file already open as fd 3 and the migration capabilities set. A resume then only runs
 * `migrate-incoming` and `cont`.
 *
 * A standby is invisible to everyone else: its PID is in `standby.pid`, not in the VM's PID file,
 * so the VM stays `saved` to every hvkube process; it becomes the VM's process only when a resume
 * takes it. Any other operation on the VM ends it first (a restored checkpoint replaces the
 * state file it holds open). Standbys belong to the process that started them; `close()` ends
 * them, and one left behind by a crash is ended when the VM is next prepared, resumed or removed.
 * @module
 */
import { mkdir, rm } from 'node:fs/promises';
import { isValidName } from '../../domain/validation.js';
import type { HvState } from '../hypervisor.js';
import { qemuArgs } from './qemu-command-line.js';
import type { ResolvedQemuConfig } from './qemu-hypervisor-config.js';
import { endMachineHelpers, startMachineHelpers } from './machine/index.js';
import { findQemuPid, killQemu, spawnQemu } from './qemu-process.js';
import type { QmpClient } from './qmp-client.js';
import { prepareMigration } from './save-restore.js';
import type { VmDefinition, VmPaths } from './vm-definition.js';

export interface StandbyVm {
  def: VmDefinition;
  paths: VmPaths;
  pid: number | null;
  state: HvState;
}

/** What the backend lends the standbys: its view of a VM and its QMP connections. */
export interface StandbyHost {
  readonly config: ResolvedQemuConfig;
  paths(name: string): VmPaths;
  inspect(name: string): Promise<StandbyVm | null>;
  /** An operation on the VM is under way in this process. */
  isBusy(name: string): boolean;
  /** Why the VM cannot run on this host now (e.g. created for KVM, which does not work here), or null. */
  unlaunchable(def: VmDefinition): Promise<Error | null>;
  withQmp<T>(vm: StandbyVm, fn: (qmp: QmpClient) => Promise<T>): Promise<T>;
  dropQmp(name: string): void;
}

export class Standbys {
  readonly #host: StandbyHost;
  /** name → the standby's PID once started (null when starting it failed). */
  readonly #pending = new Map<string, Promise<number | null>>();
  /** Names whose standby has started and waits for its resume. */
  readonly #ready = new Set<string>();
  #applying: Promise<void> = Promise.resolve();

  constructor(host: StandbyHost) {
    this.#host = host;
  }

  /** Names with a standby (started or starting). */
  names(): string[] {
    return [...this.#pending.keys()];
  }

  /** Names whose standby is up and waiting (a resume of one skips process start-up entirely). */
  readyNames(): string[] {
    return [...this.#pending.keys()].filter((n) => this.#ready.has(n));
  }

  /**
   * Makes the standbys those of `names` (at most the configured number, first ones first): ends
   * the others, starts the missing ones for VMs that are saved. Calls run one after another.
   */
  prepare(names: readonly string[]): Promise<void> {
    const wanted = [...new Set(names.filter(isValidName))].slice(0, this.#host.config.standbys);
    const run = this.#applying.then(() => this.#apply(wanted));
    this.#applying = run.catch(() => undefined);
    return run;
  }

  /**
   * Hands the VM's standby to a resume: its PID, or null when there is none that can be used
   * (then the resume starts a process of its own). The standby is no longer tracked here.
   */
  async take(vm: StandbyVm): Promise<number | null> {
    const pending = this.#pending.get(vm.def.name);
    if (!pending) return null;
    this.#pending.delete(vm.def.name);
    this.#ready.delete(vm.def.name);
    const pid = await pending;
    if (pid === null) return null;
    // Another process may have started the VM meanwhile (then the socket is no longer ours).
    if ((await findQemuPid(vm.paths, vm.paths.standbyPid)) !== pid || (await findQemuPid(vm.paths)) !== null) {
      await this.#end(vm.def.name, vm.paths, pid);
      return null;
    }
    return pid;
  }

  /** Ends the VM's standby, and one a crashed hvkube process left behind. */
  async discard(name: string, paths: VmPaths): Promise<void> {
    const pending = this.#pending.get(name);
    this.#pending.delete(name);
    this.#ready.delete(name);
    const pid = pending ? await pending : null;
    if (pid !== null) await this.#end(name, paths, pid);
    const stale = await findQemuPid(paths, paths.standbyPid);
    if (stale !== null) await this.#end(name, paths, stale);
    else await rm(paths.standbyPid, { force: true });
  }

  async discardAll(): Promise<void> {
    await this.#applying;
    for (const name of this.names()) await this.discard(name, this.#host.paths(name));
  }

  async #apply(wanted: string[]): Promise<void> {
    for (const name of this.names()) {
      // A VM in an operation is left alone: a resume under way takes its standby (any other
      // operation ends the standby itself).
      if (!wanted.includes(name) && !this.#host.isBusy(name)) await this.discard(name, this.#host.paths(name));
    }
    for (const name of wanted) {
      if (this.#pending.has(name) || this.#host.isBusy(name)) continue;
      const vm = await this.#host.inspect(name);
      if (!vm || vm.state !== 'saved' || this.#host.isBusy(name) || this.#pending.has(name)) continue;
      const started = this.#start(vm);
      this.#pending.set(name, started);
      if ((await started) !== null && this.#pending.get(name) === started) this.#ready.add(name);
    }
  }

  /** Starts the standby; null when that fails (the resume will then show the real error). */
  async #start(vm: StandbyVm): Promise<number | null> {
    const { def, paths } = vm;
    try {
      if (await this.#host.unlaunchable(def)) return null;
      const stale = await findQemuPid(paths, paths.standbyPid);
      if (stale !== null) await this.#end(def.name, paths, stale);
      for (const socket of [paths.qmpSocket, paths.serialSocket, paths.agentSocket]) await rm(socket, { force: true });
      await mkdir(this.#host.config.runDir, { recursive: true, mode: 0o700 });
      const fd = this.#host.config.incomingTransport === 'fd';
      await startMachineHelpers(def, paths, this.#host.config.machine);
      const spawned = await spawnQemu(this.#host.config.qemuBinary, qemuArgs(def, paths, { incoming: true }), paths, fd ? paths.state : undefined, paths.standbyPid);
      try {
        await this.#host.withQmp({ ...vm, pid: spawned.pid }, (qmp) => prepareMigration(qmp));
      } catch {
        await this.#end(def.name, paths, spawned.pid);
        return null;
      }
      return spawned.pid;
    } catch {
      await endMachineHelpers(def, paths).catch(() => undefined);
      return null;
    }
  }

  async #end(name: string, paths: VmPaths, pid: number): Promise<void> {
    this.#host.dropQmp(name);
    await killQemu(pid, paths, 10_000, paths.standbyPid);
    // The standby's swtpm (it would end with its QEMU anyway; this also reaps it).
    if ((await findQemuPid(paths)) === null) await endMachineHelpers(null, paths);
  }
}
