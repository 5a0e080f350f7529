/**
 * Domain objects for store tests, with every field filled, and a clock tests move by hand.
 * @module
 */
import type { Agent, Pool, Template, Vm } from '../domain/types.js';

export class ManualClock {
  #ms: number;
  constructor(start = '2026-01-01T00:00:00.000Z') {
    this.#ms = Date.parse(start);
  }
  readonly now = (): Date => new Date(this.#ms);
  advance(ms: number): void {
    this.#ms += ms;
  }
  iso(): string {
    return new Date(this.#ms).toISOString();
  }
}

export function makeTemplate(name = 'win11', over: Partial<Template> = {}): Template {
  return {
    name,
    diskPath: 'C:\\images\\win11.vhdx',
    memoryMb: 4096,
    cpus: 2,
    gpu: true,
    software: ['office', 'chrome'],
    probes: [{ type: 'heartbeat' }, { type: 'http', port: 8765, path: '/health' }],
    credentialsRef: 'env:HVKUBE_GUEST_PASSWORD',
    mcp: { port: 8765, path: '/mcp' },
    rdpPort: 3389,
    boot: null,
    readyTimeoutS: null,
    guest: { os: 'windows', secureBoot: true, devices: 'stock', display: { width: 1920, height: 1080 } },
    createdAt: '2026-01-01T00:00:00.000Z',
    ...over,
  };
}

export function makePool(name = 'desk', template = 'win11', over: Partial<Pool> = {}): Pool {
  return {
    name,
    template,
    desired: 4,
    warm: 2,
    hot: 1,
    maxPerHost: null,
    releasePolicy: 'save',
    maxRunning: 3,
    lifetime: { idleTimeoutS: null, idleAction: 'release', maxLeaseS: null, maxVmAgeS: null },
    autoscale: null,
    createdAt: '2026-01-01T00:00:00.000Z',
    ...over,
  };
}

export function makeVm(name: string, pool = 'desk', over: Partial<Vm> = {}): Vm {
  return {
    name,
    pool,
    template: 'win11',
    host: 'local',
    state: 'saved',
    stateSince: '2026-01-01T00:00:00.000Z',
    diskPath: `C:\\vms\\${name}.vhdx`,
    savedStatePath: null,
    ip: null,
    rdpPort: 3389,
    mcpEndpoint: null,
    lease: null,
    hasClean: false,
    bootMs: null,
    lastResumeMs: null,
    lastSaveMs: null,
    lastError: null,
    createdAt: '2026-01-01T00:00:00.000Z',
    ...over,
  };
}

export function makeAgent(id: string, pool = 'desk', over: Partial<Agent> = {}): Agent {
  return {
    id,
    pool,
    task: {
      workflow: 'open-notepad',
      input: { text: 'hello' },
      needsGpu: false,
      timeoutS: 60,
      retries: 1,
    },
    priority: 0,
    status: 'pending',
    vm: null,
    attempts: 0,
    submittedAt: '2026-01-01T00:00:00.000Z',
    startedAt: null,
    endedAt: null,
    deadlineAt: null,
    result: null,
    ...over,
  };
}
