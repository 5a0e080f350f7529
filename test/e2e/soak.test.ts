/**
 * The soak: several OS processes share one data directory (SQLite, fake host) and acquire,
 * renew, release, abandon leases and reconcile while resumes fail at random and processes are
 * killed with SIGKILL. At the end the events table must tell one history per VM in which no VM
 * had two holders at once, and the pool must settle: every VM ready, no lease, nothing
 * transient, no process left. Bounded (about a minute on two busy cores), loopback only.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ROOT } from '../helpers/cli.js';
import { harness } from '../helpers/harness.js';
import { createSqliteStore } from '../../src/store/sqlite/index.js';
import { TRANSIENT_VM_STATES } from '../../src/domain/vm-state.js';
import type { StateEvent, Vm } from '../../src/domain/types.js';

const WORKER = path.join(ROOT, 'test', 'helpers', 'soak-worker.mjs');
const POOL_SIZE = 4;
const CLIENTS = 3;
const CLIENT_MS = 25_000;

const dir = mkdtempSync(path.join(os.tmpdir(), 'hvk-soak-'));
const children = new Set<ChildProcess>();
afterAll(() => {
  for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
  rmSync(dir, { recursive: true, force: true });
});

/** Starts a worker and resolves once it has opened the store (it prints "ready"). */
function worker(...args: string[]): Promise<ChildProcess> {
  const child = spawn(process.execPath, [WORKER, dir, ...args], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
  children.add(child);
  let err = '';
  child.stderr?.on('data', (d: Buffer) => (err += d.toString()));
  return new Promise((resolve, reject) => {
    child.stdout?.on('data', (d: Buffer) => {
      if (d.toString().includes('ready')) resolve(child);
    });
    child.once('exit', (code, signal) => reject(new Error(`soak worker ${args.join(' ')} exited (${code ?? signal}) before it was ready:\n${err}`)));
  });
}

function exited(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => child.once('exit', () => resolve()));
}

async function kill(child: ChildProcess, signal: NodeJS.Signals): Promise<void> {
  const done = exited(child);
  child.kill(signal);
  await done;
}

async function vms(): Promise<Vm[]> {
  const store = createSqliteStore({ file: path.join(dir, 'hvkube.db') });
  try {
    return await store.listVms();
  } finally {
    await store.close();
  }
}

async function allEvents(): Promise<StateEvent[]> {
  const store = createSqliteStore({ file: path.join(dir, 'hvkube.db') });
  try {
    const out: StateEvent[] = [];
    for (;;) {
      const page = await store.listEvents({ afterId: out.at(-1)?.id ?? 0, limit: 1000 });
      out.push(...page);
      if (page.length < 1000) return out;
    }
  } finally {
    await store.close();
  }
}

/** Processes of this machine whose command line names the soak's data directory. */
function ourProcesses(): number[] {
  if (process.platform !== 'linux') return [];
  const pids: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      if (readFileSync(`/proc/${entry}/cmdline`, 'utf8').includes(dir)) pids.push(Number(entry));
    } catch {
      // Gone meanwhile.
    }
  }
  return pids;
}

describe('soak', () => {
  it('processes acquiring, renewing, releasing, reconciling and being killed never give a VM to two holders', { timeout: 240_000 }, async () => {
    // The pool, provisioned in this process on the same data directory.
    const setup = await harness({ dataDir: dir });
    writeFileSync(path.join(dir, 'golden.vhdx'), 'golden');
    await setup.pool('p', POOL_SIZE);
    await setup.close({ keepDir: true });

    let server = await worker('server');
    const clients = await Promise.all(Array.from({ length: CLIENTS }, (_, i) => worker('client', String(i), String(CLIENT_MS))));
    const deadline = Date.now() + CLIENT_MS;
    let next = CLIENTS;
    let kills = 0;
    // Chaos: every couple of seconds a process is killed outright and a new one takes its place.
    while (Date.now() < deadline - 4000) {
      await new Promise((r) => setTimeout(r, 1500 + Math.random() * 1500));
      if (kills % 4 === 3) {
        await kill(server, 'SIGKILL');
        server = await worker('server');
      } else {
        const i = Math.floor(Math.random() * clients.length);
        const victim = clients[i];
        if (victim) await kill(victim, 'SIGKILL');
        clients[i] = await worker('client', String(next++), String(Math.max(1000, deadline - Date.now())));
      }
      kills++;
    }
    await Promise.all(clients.map(exited));

    // A fresh server reconciles what the killed ones left and heals the pool; wait for it to settle.
    await kill(server, 'SIGKILL');
    server = await worker('server');
    let last: Vm[] = [];
    for (let i = 0; i < 600; i++) {
      last = await vms();
      const settled = last.length === POOL_SIZE && last.every((v) => (v.state === 'saved' || v.state === 'paused') && v.lease === null);
      if (settled) break;
      await new Promise((r) => setTimeout(r, 200));
    }
    await kill(server, 'SIGTERM');

    expect(kills).toBeGreaterThan(3);
    // Final state: the pool is whole, ready, unleased, and nothing is transient.
    expect(last.map((v) => ({ state: v.state, lease: v.lease }))).toEqual(Array.from({ length: POOL_SIZE }, () => ({ state: 'saved', lease: null })));
    expect(last.filter((v) => TRANSIENT_VM_STATES.includes(v.state))).toEqual([]);

    // History, from the events table: per VM, one unbroken chain of states; every claim starts
    // from a ready, unheld VM; a lease never outlives running (or is cleared as stale).
    const events = (await allEvents()).filter((e) => e.kind === 'vm');
    const claims = events.filter((e) => e.action === 'claim');
    expect(claims.length).toBeGreaterThan(20);
    const byVm = new Map<string, StateEvent[]>();
    for (const e of events) byVm.set(e.subject, [...(byVm.get(e.subject) ?? []), e]);
    const problems: string[] = [];
    for (const [vm, history] of byVm) {
      let holder: string | null = null;
      for (let i = 0; i < history.length; i++) {
        const e = history[i];
        const prev = history[i - 1];
        if (!e) continue;
        if (prev && e.from !== prev.to) problems.push(`${vm}: event ${e.id} (${e.action}) from ${e.from}, but it was ${prev.to}`);
        if (e.action === 'claim') {
          if (holder !== null) problems.push(`${vm}: claimed by ${String(e.details?.leaseId)} while held under ${holder}`);
          if (e.from !== 'saved' && e.from !== 'paused') problems.push(`${vm}: claimed from ${e.from}`);
          holder = String(e.details?.leaseId);
        } else if (e.to !== 'running' && e.to !== 'resuming') {
          holder = null;
        }
      }
    }
    expect(problems).toEqual([]);
    // Every lease seen was unique: no lease id handed out twice.
    expect(new Set(claims.map((c) => c.details?.leaseId)).size).toBe(claims.length);

    // No process left behind.
    for (const c of children) expect(c.exitCode !== null || c.signalCode !== null).toBe(true);
    expect(ourProcesses()).toEqual([]);
  });
});
