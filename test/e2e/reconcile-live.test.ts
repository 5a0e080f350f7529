/**
 * Reconcile next to live processes, through real processes: it leaves a server's work in flight
 * alone, and finishes what a killed process left behind.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { parseJson, runCli, spawnCli } from '../helpers/cli.js';
import { serveFake, type Served } from './dashboard-server.case.js';
import { createSqliteStore } from '../../src/store/sqlite/index.js';

interface VmJson {
  name: string;
  state: string;
  hasClean: boolean;
  lease: { id: string } | null;
}

let served: Served | undefined;
let dir: string | undefined;
afterEach(async () => {
  await served?.stop();
  served = undefined;
  if (dir) rmSync(dir, { recursive: true, force: true });
  dir = undefined;
});

/** The VMs as the store has them, read in this process (a CLI call per poll is slow on a busy machine). */
async function vmsOf(dataDir: string): Promise<VmJson[]> {
  const store = createSqliteStore({ file: path.join(dataDir, 'hvkube.db') });
  try {
    return (await store.listVms());
  } finally {
    await store.close();
  }
}

async function until<T>(what: string, probe: () => Promise<T | undefined>): Promise<T> {
  for (let i = 0; i < 600; i++) {
    const v = await probe();
    if (v !== undefined) return v;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`timed out waiting for ${what}`);
}

describe('reconcile and live processes', () => {
  it('a CLI reconcile, and a second serve, leave a server\'s resume in flight alone', { timeout: 300_000 }, async () => {
    // Resumes are slow: the acquire is still under way while the other processes look (each CLI
    // process takes seconds to start on a loaded machine).
    served = await serveFake({ pool: 'p', count: 1, env: { HVKUBE_FAKE_LATENCY: '{"resume": 30000}' } });
    const s = served;
    const acquire = runCli(['--server', s.url, 'vm', 'acquire', '--pool', 'p', '--holder', 'alice', '--json']);
    const vm = await until('the claim', async () => (await vmsOf(s.dir)).find((v) => v.state === 'resuming'));

    const rec = await s.cli(['reconcile', '--json']);
    expect(rec.code, rec.stderr).toBe(0);
    const report = parseJson<{ fixed: string[]; repaired: string[]; busy: string[] }>(rec);
    expect(report.busy).toEqual([vm.name]);
    expect(report.fixed).toEqual([]);
    expect(report.repaired).toEqual([]);

    const second = await s.cli(['serve', '--listen', '127.0.0.1:0']);
    expect(second.code).not.toBe(0);
    expect(second.stderr).toMatch(/another hvkube scheduler/);

    const got = await acquire;
    expect(got.code, got.stderr).toBe(0);
    expect(parseJson<{ vm_name: string }>(got).vm_name).toBe(vm.name);
    const after = parseJson<VmJson[]>(await s.cli(['vm', 'list', '--json']));
    expect(after).toMatchObject([{ name: vm.name, state: 'running', lease: { id: expect.any(String) as unknown } }]);
    const store = createSqliteStore({ file: path.join(s.dir, 'hvkube.db') });
    try {
      const events = await store.listEvents({ subject: vm.name, limit: 1000 });
      expect(events.map((e) => e.actor)).not.toContain('reconcile');
    } finally {
      await store.close();
    }
  });

  it('a provisioning killed (SIGKILL) between boot and checkpoint is replaced by reconcile', { timeout: 300_000 }, async () => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'hvk-e2e-'));
    const globalArgs = ['--backend', 'fake', '--data-dir', dir];
    const cli = (args: string[]): ReturnType<typeof runCli> => runCli(args, { globalArgs });
    const image = path.join(dir, 'g.vhdx');
    writeFileSync(image, 'g');
    expect((await cli(['template', 'create', '--name', 't', '--vhdx', image])).code).toBe(0);
    expect((await cli(['pool', 'create', '--name', 'p', '--template', 't', '--count', '1'])).code).toBe(0);
    const child = spawnCli(['pool', 'provision', 'p'], { globalArgs, env: { HVKUBE_FAKE_LATENCY: '{"checkpoint": 60000}' } });
    const booted = await until('the boot', async () => (await vmsOf(dir ?? '')).find((v) => v.state === 'running' && !v.hasClean));
    child.kill('SIGKILL');
    await new Promise((r) => child.on('close', r));

    const rec = await cli(['reconcile', '--json']);
    expect(rec.code, rec.stderr).toBe(0);
    expect(parseJson<{ fixed: string[]; busy: string[] }>(rec)).toMatchObject({ fixed: [booted.name], busy: [] });
    expect(parseJson<VmJson[]>(await cli(['vm', 'list', '--json']))).toMatchObject([{ name: booted.name, state: 'error' }]);
    const provision = await cli(['pool', 'provision', 'p']);
    expect(provision.code, provision.stderr).toBe(0);
    const vms = parseJson<VmJson[]>(await cli(['vm', 'list', '--json']));
    expect(vms).toHaveLength(1);
    expect(vms[0]).toMatchObject({ state: 'saved', hasClean: true, lease: null });
    expect(vms[0]?.name).not.toBe(booted.name);
  });
});
