/**
 * A fleet on the real PostgreSQL for end-to-end tests: a schema of its own (dropped afterwards),
 * `hvkube serve --host` processes on the fake backend, and small API helpers.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { appendFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { createPostgresStore } from '../../src/store/postgres/index.js';
import type { KyselyStore } from '../../src/store/kysely-store.js';
import { ROOT } from './cli.js';

export const PG_URL = process.env.HVKUBE_TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
export const CLUSTER_TOKEN = `cluster-${randomBytes(12).toString('hex')}`;
export const API_TOKEN = `api-${randomBytes(12).toString('hex')}`;
export const pgEnabled = (process.env.HVKUBE_STORES ?? 'sqlite,pg').split(',').map((s) => s.trim()).includes('pg');

/** Short intervals: a host is declared lost 2.5 s after its last heartbeat. */
export const FLEET_ENV = { HVKUBE_FLEET_HEARTBEAT_MS: '250', HVKUBE_FLEET_LEASE_MS: '2500' };

/**
 * How slow this machine is right now: the time to start the CLI and have it answer (the same
 * work a host's process does before each heartbeat: load, event loop, a round trip), the
 * slowest of three. A loaded machine answers slowly; leases and waits are derived from it.
 */
export async function measurePaceMs(): Promise<number> {
  let slowest = 0;
  for (let i = 0; i < 3; i++) {
    const started = performance.now();
    await new Promise<void>((resolve, reject) => {
      const child = spawn(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', '--version'], { cwd: ROOT, stdio: 'ignore' });
      child.on('error', reject);
      child.on('exit', () => resolve());
    });
    slowest = Math.max(slowest, performance.now() - started);
  }
  return Math.round(slowest);
}

/**
 * Fleet intervals for this machine's pace: a host is declared lost after at least 2.5 s, and
 * after more on a machine so loaded that a heartbeat could be late by a process start-up.
 */
export function fleetEnvFor(paceMs: number): { HVKUBE_FLEET_HEARTBEAT_MS: string; HVKUBE_FLEET_LEASE_MS: string } {
  const leaseMs = Math.max(2500, Math.round(paceMs * 3));
  return { HVKUBE_FLEET_HEARTBEAT_MS: String(Math.round(leaseMs / 10)), HVKUBE_FLEET_LEASE_MS: String(leaseMs) };
}

async function admin(statement: string): Promise<void> {
  const client = new pg.Client({ connectionString: PG_URL });
  await client.connect();
  try {
    await client.query(statement);
  } finally {
    await client.end();
  }
}

/** `url` with a search_path option: each process of the fleet works in the test's schema. */
export function withSchema(url: string, schema: string): string {
  return `${url}${url.includes('?') ? '&' : '?'}options=-c%20search_path%3D${schema}`;
}

export interface FleetDb {
  schema: string;
  url: string;
  /** A store in the test process, for setup and assertions. */
  store: KyselyStore;
  dir: string;
  image: string;
  drop(): Promise<void>;
}

export async function createFleetDb(): Promise<FleetDb> {
  const schema = `hvk_fleet_${randomBytes(5).toString('hex')}`;
  await admin(`create schema ${schema}`);
  const store = createPostgresStore({ connectionString: PG_URL, searchPath: schema });
  await store.migrate();
  const dir = mkdtempSync(path.join(os.tmpdir(), 'hvk-fleet-'));
  const image = path.join(dir, 'golden.vhdx');
  writeFileSync(image, 'golden');
  return {
    schema,
    url: withSchema(PG_URL, schema),
    store,
    dir,
    image,
    async drop() {
      await store.close();
      await admin(`drop schema if exists ${schema} cascade`);
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

export interface HostOptions {
  name: string;
  dir: string;
  /** HOST:PORT to listen on. */
  listen: string;
  databaseUrl: string;
  /** Run inside this network namespace. */
  netns?: string;
  env?: Record<string, string>;
}

export class HostProcess {
  readonly name: string;
  readonly dataDir: string;
  readonly url: string;
  log = '';
  #child: ChildProcess | null = null;
  #exited: Promise<number | null> = Promise.resolve(null);
  readonly #options: HostOptions;

  constructor(options: HostOptions) {
    this.#options = options;
    this.name = options.name;
    this.dataDir = path.join(options.dir, options.name);
    this.url = `http://${options.listen}`;
    mkdirSync(this.dataDir, { recursive: true });
  }

  /** The server's process id. */
  get pid(): number | undefined {
    return this.#child?.pid;
  }

  /** Starts `hvkube serve --host` and resolves once it has joined the fleet (or it exited). */
  async start(timeoutMs = 300_000): Promise<void> {
    const o = this.#options;
    this.log = '';
    const args = ['--import', 'tsx', 'src/cli/main.ts', '--backend', 'fake', '--data-dir', this.dataDir, 'serve', '--host', o.name, '--listen', o.listen, '--interval', '1', '--log-level', 'warn'];
    const cmd = o.netns ? 'ip' : process.execPath;
    const argv = o.netns ? ['netns', 'exec', o.netns, process.execPath, ...args] : args;
    const child = spawn(cmd, argv, {
      cwd: ROOT,
      env: { ...process.env, NO_COLOR: '1', HVKUBE_DATABASE_URL: o.databaseUrl, HVKUBE_CLUSTER_TOKEN: CLUSTER_TOKEN, HVKUBE_API_TOKEN: API_TOKEN, ...FLEET_ENV, ...o.env },
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    this.#child = child;
    this.#exited = new Promise((resolve) => child.on('exit', (code) => resolve(code)));
    child.stderr?.on('data', (d: Buffer) => {
      this.log += d.toString();
      // Keeps the hosts' logs past the test's clean-up, to read after a failure.
      if (process.env.HVKUBE_TEST_FLEET_LOGS) appendFileSync(path.join(process.env.HVKUBE_TEST_FLEET_LOGS, `${o.name}.log`), d);
    });
    await this.waitForLog(/joined the fleet/, timeoutMs);
  }

  async waitForLog(pattern: RegExp, timeoutMs = 20_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!pattern.test(this.log)) {
      if (this.#child?.exitCode !== null && this.#child?.exitCode !== undefined) throw new Error(`${this.name} exited (${this.#child.exitCode}):\n${this.log}`);
      if (Date.now() > deadline) throw new Error(`${this.name}: no ${pattern} within ${timeoutMs} ms:\n${this.log}`);
      await sleep(50);
    }
  }

  /** Stops the process: SIGTERM waits for a graceful exit, SIGKILL does not let it do anything. */
  async stop(signal: NodeJS.Signals = 'SIGTERM'): Promise<void> {
    const child = this.#child;
    if (!child || child.exitCode !== null) return;
    child.kill(signal);
    const timer = setTimeout(() => child.kill('SIGKILL'), 15_000);
    await this.#exited;
    clearTimeout(timer);
  }

  /** VM names on this host's fake hypervisor, read from its state file. */
  hypervisorVms(): string[] {
    const file = path.join(this.dataDir, 'fake-host.json');
    if (!existsSync(file)) return [];
    const state = JSON.parse(readFileSync(file, 'utf8')) as { vms: Record<string, unknown> };
    return Object.keys(state.vms).sort();
  }
}

export function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

/**
 * Polls `check` until it answers true. Without `progress` it gives up after `timeoutMs`; with
 * it, only after `timeoutMs` in which what `progress` answers did not change — a loaded machine
 * gets there late, a stuck one stops moving.
 */
export async function eventually(what: string, check: () => Promise<boolean>, timeoutMs = 30_000, progress?: () => Promise<unknown>): Promise<void> {
  let deadline = Date.now() + timeoutMs;
  let seen = progress ? JSON.stringify(await progress().catch(() => null)) : '';
  for (;;) {
    if (await check().catch(() => false)) return;
    if (progress) {
      const now = JSON.stringify(await progress().catch(() => null));
      if (now !== seen) {
        seen = now;
        deadline = Date.now() + timeoutMs;
      }
    }
    if (Date.now() > deadline) throw new Error(`timed out waiting for: ${what}${progress ? ` (no progress for ${timeoutMs} ms; last: ${seen})` : ''}`);
    await sleep(100);
  }
}

export interface AcquireAnswer {
  vm_name: string;
  lease_id: string;
}

export async function api<T>(base: string, method: string, route: string, body?: unknown): Promise<{ status: number; body: T }> {
  const res = await fetch(`${base}/api/v1${route}`, {
    method,
    headers: { authorization: `Bearer ${API_TOKEN}`, ...(method !== 'GET' ? { 'content-type': 'application/json' } : {}) },
    body: body !== undefined ? JSON.stringify(body) : undefined,
  });
  return { status: res.status, body: (await res.json()) as T };
}

/** Registers the template and the pool; the hosts' controllers provision it. */
export async function seedPool(db: FleetDb, pool: string, desired: number): Promise<void> {
  const now = new Date().toISOString();
  await db.store.createTemplate({
    name: 't',
    diskPath: db.image,
    memoryMb: 512,
    cpus: 1,
    gpu: false,
    software: [],
    probes: [{ type: 'heartbeat' }],
    credentialsRef: null,
    mcp: null,
    rdpPort: 3389,
    boot: null,
    readyTimeoutS: null,
    guest: { os: 'linux', secureBoot: false, devices: 'virtio', display: null },
    createdAt: now,
  });
  await db.store.createPool({ name: pool, template: 't', desired, warm: desired, hot: 0, maxPerHost: null, releasePolicy: 'save', maxRunning: null, autoscale: null, lifetime: { idleTimeoutS: null, idleAction: 'release', maxLeaseS: null, maxVmAgeS: null }, createdAt: now });
}

/** Counts the pool's VMs that are in service (not unknown) by host and state. */
export async function poolCensus(db: FleetDb, pool: string): Promise<{ live: number; saved: number; unknown: number; byHost: Record<string, number> }> {
  const vms = await db.store.listVms({ pool });
  const byHost: Record<string, number> = {};
  let live = 0;
  let saved = 0;
  let unknown = 0;
  for (const v of vms) {
    if (v.state === 'unknown') {
      unknown++;
      continue;
    }
    if (v.state === 'deleting') continue;
    live++;
    if (v.state === 'saved') saved++;
    byHost[v.host] = (byHost[v.host] ?? 0) + 1;
  }
  return { live, saved, unknown, byHost };
}
