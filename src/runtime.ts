/**
 * The composition root: the one place that decides which store and which hypervisor backend are
 * used, from the configuration. Faces (CLI, server, MCP) open a runtime; the library does not.
 * @module
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { HvkubeError } from './domain/errors.js';
import type { BackendName } from './domain/types.js';
import type { Hypervisor } from './hypervisor/hypervisor.js';
import { readGuestCredential } from './hypervisor/guest-credentials.js';
import { Orchestrator } from './orchestrator/orchestrator.js';
import { schedulerOwner, Scheduler, type SchedulerOptions } from './orchestrator/scheduler/index.js';
import type { Store } from './store/store.js';
import { openStore } from './store/index.js';
import type { HvkubeConfig } from './config/load.js';
import { silentLogger, type Logger } from './_util/logger.js';
import { findOnPath } from './_util/which.js';

export interface Runtime {
  config: HvkubeConfig;
  backend: BackendName;
  store: Store;
  hypervisor: Hypervisor;
  orchestrator: Orchestrator;
  close(): Promise<void>;
}

const BACKEND_MARK = 'backend';

/** Picks the backend: the flag, else what this data dir was first used with, else what the host has. */
export function resolveBackend(config: HvkubeConfig): BackendName {
  const markFile = path.join(config.dataDir, BACKEND_MARK);
  const recorded = existsSync(markFile) ? (readFileSync(markFile, 'utf8').trim() as BackendName) : null;
  if (config.backend !== 'auto') {
    if (recorded && recorded !== config.backend) {
      throw new HvkubeError('INVALID_INPUT', `data directory ${config.dataDir} holds ${recorded} VMs, not ${config.backend}`, {
        hint: `pass --backend ${recorded}, or use another --data-dir for the ${config.backend} backend`,
      });
    }
    return config.backend;
  }
  if (recorded) return recorded;
  if (process.platform === 'win32') return 'hyperv';
  if (findOnPath(config.qemu.binary)) return 'qemu';
  throw new HvkubeError('HV_UNAVAILABLE', 'no hypervisor found on this host', {
    hint: 'install QEMU (sudo apt-get install --no-install-recommends qemu-system-x86 qemu-utils), or pass --backend fake to try hvkube on a simulated host',
  });
}

/** Observes every hypervisor call (PowerShell script, QMP command) for metrics. */
export type BackendCallHook = (backend: BackendName, operation: string, ms: number, ok: boolean) => void;

async function createHypervisor(backend: BackendName, config: HvkubeConfig, logger: Logger, store: Store, onCall?: BackendCallHook): Promise<Hypervisor> {
  switch (backend) {
    case 'fake': {
      const { createFakeHypervisor, fakeOptionsFromEnv } = await import('./hypervisor/fake/index.js');
      return createFakeHypervisor({ ...fakeOptionsFromEnv(process.env), stateFile: path.join(config.dataDir, 'fake-host.json') });
    }
    case 'qemu': {
      const { createQemuHypervisor, describeVerdict } = await import('./hypervisor/qemu/index.js');
      return createQemuHypervisor({
        dataDir: config.dataDir,
        qemuBinary: config.qemu.binary,
        accel: config.qemu.accel,
        ...(config.qemu.cpuModel !== null ? { cpuModel: config.qemu.cpuModel } : {}),
        kvmDevice: config.qemu.kvmDevice,
        vnc: config.qemu.vnc,
        network: config.qemu.network,
        onAccel: (verdict) => {
          // Said once per verdict: when it is made, not every time a later process reads it back.
          if (verdict.cached) return;
          const log = verdict.kvm === 'unusable' ? logger.warn.bind(logger) : logger.info.bind(logger);
          log({ accel: verdict.accel, cpuModel: verdict.cpuModel, kvm: verdict.kvm, probeMs: verdict.probeMs }, describeVerdict(verdict));
        },
        onCall: onCall ? (command, ms) => onCall('qemu', command, ms, true) : undefined,
      });
    }
    case 'hyperv': {
      const { createHypervHypervisor } = await import('./hypervisor/hyperv/index.js');
      // The stand-in keeps its simulated host next to the rest of this data directory.
      const env = { ...process.env, HVKUBE_STANDIN_STATE: process.env.HVKUBE_STANDIN_STATE ?? path.join(config.dataDir, 'hyperv-standin') };
      return createHypervHypervisor({
        powershell: config.hyperv.powershell,
        sessions: config.hyperv.sessions,
        ...(config.hyperv.switchName !== null ? { switchName: config.hyperv.switchName } : {}),
        ...(config.hyperv.vmDir !== null ? { vmDirectory: config.hyperv.vmDir } : {}),
        env,
        onCall: onCall ? (script, ms, ok) => onCall('hyperv', script, ms, ok) : undefined,
        // PowerShell Direct signs in with the account the VM's template points at (read when needed).
        guestCredentials: async (vmName) => {
          const vm = await store.getVm(vmName);
          const template = vm ? await store.getTemplate(vm.template) : null;
          return template?.credentialsRef ? readGuestCredential(template.credentialsRef) : null;
        },
      });
    }
  }
}

export interface RuntimeOptions {
  logger?: Logger;
  onBackendCall?: BackendCallHook;
}

export async function openRuntime(config: HvkubeConfig, options: RuntimeOptions = {}): Promise<Runtime> {
  const backend = resolveBackend(config);
  mkdirSync(config.dataDir, { recursive: true });
  const markFile = path.join(config.dataDir, BACKEND_MARK);
  if (!existsSync(markFile)) writeFileSync(markFile, `${backend}\n`);
  const store = await openStore({ databaseUrl: config.databaseUrl ?? undefined, dataDir: config.dataDir });
  let hypervisor: Hypervisor;
  try {
    await store.migrate();
    hypervisor = await createHypervisor(backend, config, options.logger ?? silentLogger, store, options.onBackendCall);
  } catch (e) {
    await store.close();
    throw e;
  }
  const orchestrator = new Orchestrator({
    store,
    hypervisor,
    // `hvkube serve` holds the scheduler lock, and its controller replaces VMs in error.
    repairedElsewhere: () => schedulerOwner(config.dataDir) !== null,
    logger: options.logger ?? silentLogger,
    settings: {
      host: config.host,
      vmPrefix: config.vmPrefix,
      provisionConcurrency: config.provisionConcurrency,
      readyTimeoutMs: config.readyTimeoutS === null ? null : config.readyTimeoutS * 1000,
    },
  });
  return {
    config,
    backend,
    store,
    hypervisor,
    orchestrator,
    async close() {
      await orchestrator.close();
      await hypervisor.close();
      await store.close();
    },
  };
}

/**
 * The agent scheduler over a runtime's orchestrator, reading workflows from and writing artifacts
 * to the data directory. `submit`/`cancel`/... work at once; `start()` runs the queue (one
 * process per data directory: `hvkube serve`, or `agent submit --wait` when no server runs).
 */
export function createScheduler(rt: Runtime, options: Partial<Omit<SchedulerOptions, 'orchestrator' | 'dataDir'>> = {}): Scheduler {
  return new Scheduler({ orchestrator: rt.orchestrator, dataDir: rt.config.dataDir, logger: rt.orchestrator.ctx.logger, ...options });
}
