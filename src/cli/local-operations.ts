/**
 * The CLI's in-process implementation of `HvkubeOperations`: the Orchestrator of a runtime opened
 * for one command. `HvkubeClient` is the other implementation (`--server`).
 * @module
 */
import { DEFAULT_LEASE_TTL_S, toAcquireAnswer } from '../api/wire.js';
import type { AcquireAnswer, AcquireRequest, HvkubeOperations, ReleaseAnswer, ReleaseRequest } from '../client/operations.js';
import type { Vm } from '../domain/types.js';
import type { ProgressEvent } from '../orchestrator/context.js';
import type { Orchestrator, ProvisionReport } from '../orchestrator/orchestrator.js';
import type { Runtime } from '../runtime.js';

export class LocalOperations implements HvkubeOperations {
  readonly #rt: Runtime;
  readonly #orch: Orchestrator;

  constructor(rt: Runtime) {
    this.#rt = rt;
    this.#orch = rt.orchestrator;
  }

  /** The default lease length, as the server's (`api.leaseTtlS` in config.json, else 600 s). */
  get #leaseTtlS(): number {
    return this.#rt.config.api.leaseTtlS ?? DEFAULT_LEASE_TTL_S;
  }

  registerTemplate: HvkubeOperations['registerTemplate'] = (input) => this.#orch.registerTemplate(input);
  listTemplates: HvkubeOperations['listTemplates'] = () => this.#orch.listTemplates();
  getTemplate: HvkubeOperations['getTemplate'] = (name) => this.#orch.getTemplate(name);
  removeTemplate: HvkubeOperations['removeTemplate'] = (name) => this.#orch.removeTemplate(name);

  createPool: HvkubeOperations['createPool'] = (input) => this.#orch.createPool(input);
  listPools: HvkubeOperations['listPools'] = () => this.#orch.listPools();
  getPool: HvkubeOperations['getPool'] = (name) => this.#orch.getPool(name);
  scalePool: HvkubeOperations['scalePool'] = (name, input) => this.#orch.scalePool(name, input);
  async provisionPool(name: string, options: { onProgress?: (e: ProgressEvent) => void } = {}): Promise<ProvisionReport> {
    const { onProgress } = options;
    const listener = (e: ProgressEvent): void => {
      if (e.pool === name) onProgress?.(e);
    };
    this.#orch.events.on('progress', listener);
    try {
      return await this.#orch.provisionPool(name);
    } finally {
      this.#orch.events.off('progress', listener);
    }
  }
  removePool: HvkubeOperations['removePool'] = (name, options) => this.#orch.removePool(name, options);

  listVms: HvkubeOperations['listVms'] = (filter) => this.#orch.listVms(filter?.pool ? { pool: filter.pool } : {});
  getVm: HvkubeOperations['getVm'] = (name) => this.#orch.getVm(name);

  async acquire(request: AcquireRequest): Promise<AcquireAnswer> {
    const timeoutS = request.wait === false ? 0 : (request.timeoutS ?? 30);
    const r = await this.#orch.acquire({
      pool: request.pool,
      holder: request.holder,
      timeoutMs: timeoutS * 1000,
      // Like the API: a lease always ends unless renewed, so a killed CLI never leaks its VM.
      leaseTtlMs: (request.leaseTtlS ?? this.#leaseTtlS) * 1000,
      display: request.display ?? null,
    });
    return toAcquireAnswer(r);
  }

  async release(name: string, request: ReleaseRequest = {}): Promise<ReleaseAnswer> {
    const r = await this.#orch.release(name, { policy: request.policy, leaseId: request.leaseId, actor: 'cli' });
    // In-process, the release only finishes while this process lives: always wait for it.
    const after = await r.done;
    return { vm_name: name, policy: r.policy, state: after?.state ?? 'removed' };
  }

  async renewLease(name: string, leaseId: string, ttlS?: number): Promise<Vm> {
    return this.#orch.renewLease(name, leaseId, (ttlS ?? this.#leaseTtlS) * 1000);
  }
  resumeVm: HvkubeOperations['resumeVm'] = (name) => this.#orch.resumeVm(name);
  saveVm: HvkubeOperations['saveVm'] = (name) => this.#orch.saveVm(name);
  resetVm: HvkubeOperations['resetVm'] = (name, options) => this.#orch.resetVm(name, options);
  stopVm: HvkubeOperations['stopVm'] = (name, options) => this.#orch.stopVm(name, options);
  removeVm: HvkubeOperations['removeVm'] = (name, options) => this.#orch.removeVm(name, options);

  screenshot: HvkubeOperations['screenshot'] = (name, options) => this.#orch.screenshot(name, options);
  typeText: HvkubeOperations['typeText'] = (name, text, options) => this.#orch.typeText(name, text, options);
  pressKeys: HvkubeOperations['pressKeys'] = (name, chords, options) => this.#orch.pressKeys(name, chords, options);
  click: HvkubeOperations['click'] = (name, x, y, options) => this.#orch.click(name, x, y, options);
  mouseButton: HvkubeOperations['mouseButton'] = (name, down, options) =>
    down ? this.#orch.mouseDown(name, options) : this.#orch.mouseUp(name, options);
  keyState: HvkubeOperations['keyState'] = (name, keys, down, options) =>
    down ? this.#orch.keyDown(name, keys, options) : this.#orch.keyUp(name, keys, options);
  screenInfo: HvkubeOperations['screenInfo'] = async (name, options = {}) => {
    const size = await this.#orch.screenSize(name, options);
    const vm = await this.#orch.getVm(name);
    const display = options.leaseId !== undefined && vm.lease?.id === options.leaseId ? (vm.lease.display ?? null) : null;
    return { ...size, cursor: await this.#orch.cursorPosition(name, options), display };
  };
  runActions: HvkubeOperations['runActions'] = (name, request, options) => this.#orch.actions(name, request, options);
  console: HvkubeOperations['console'] = (name) => this.#orch.console(name);

  exec: HvkubeOperations['exec'] = (name, input, options) => this.#orch.exec(name, input, options);
  readGuestFile: HvkubeOperations['readGuestFile'] = (name, guestPath, options) => this.#orch.readGuestFile(name, guestPath, options);
  writeGuestFile: HvkubeOperations['writeGuestFile'] = (name, guestPath, data, options) => this.#orch.writeGuestFile(name, guestPath, data, options);
  listGuestFiles: HvkubeOperations['listGuestFiles'] = (name, guestPath, options) => this.#orch.listGuestFiles(name, guestPath, options);
  getClipboard: HvkubeOperations['getClipboard'] = (name, options) => this.#orch.getClipboard(name, options);
  setClipboard: HvkubeOperations['setClipboard'] = (name, text, options) => this.#orch.setClipboard(name, text, options);

  reconcile: HvkubeOperations['reconcile'] = (options) => this.#orch.reconcile(options);
  listEvents: HvkubeOperations['listEvents'] = (query) => this.#orch.listEvents(query);
  hostInfo: HvkubeOperations['hostInfo'] = () => this.#orch.hostInfo();

  close(): Promise<void> {
    return this.#rt.close();
  }
}
