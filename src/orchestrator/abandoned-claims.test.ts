import { spawnSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { createSqliteStore } from '../store/sqlite/index.js';
import { harness, type Harness } from '../../test/helpers/harness.js';
import { HvkubeError } from '../domain/errors.js';
import type { Store } from '../store/store.js';

let h: Harness;
afterEach(async () => {
  await h.close();
});

/** Another host's claim of this host's only VM, as the owner sees it before resuming it. */
async function claimedElsewhere(h: Harness, leaseId: string): Promise<string> {
  const vm = await h.store.claimVm({ pool: 'p', states: ['saved'], host: 'local', holder: 'agent-on-h2', leaseId, leaseExpiresAt: null, actor: 'agent-on-h2' });
  if (!vm) throw new Error('nothing to claim');
  return vm.name;
}

/** The next `count` state changes fail as a busy database would. */
function failTransitions(store: Store, count: number): void {
  const original = store.transitionVm.bind(store);
  let left = count;
  store.transitionVm = (name, change) => {
    if (left-- > 0) return Promise.reject(new HvkubeError('STORE_UNAVAILABLE', 'the database is busy or unreachable: timeout exceeded when trying to connect'));
    return original(name, change);
  };
}

describe('a claim whose resume failed and could not be written', () => {
  it('is settled by the controller: the VM is reset and back in the pool, not left resuming', async () => {
    h = await harness();
    await h.pool('p', 1);
    const name = await claimedElsewhere(h, 'lease-1');
    await h.hv.faults.failNextResume(name);
    // The resume fails, and so does writing it down: the VM stays `resuming` under the claim.
    failTransitions(h.store, 1);
    await expect(h.orch.resumeClaimed(name, 'lease-1', false)).rejects.toThrow();
    expect(await h.store.getVm(name)).toMatchObject({ state: 'resuming', lease: { id: 'lease-1' } });

    await h.orch.controller.tick();
    await h.orch.controller.idle();
    const vm = await h.store.getVm(name);
    expect(vm).toMatchObject({ state: 'saved', lease: null });
    const actions = (await h.store.listEvents({ kind: 'vm', subject: name, limit: 100 })).map((e) => e.action);
    expect(actions).toContain('claim-abandoned');
    // And it can be handed out again.
    expect((await h.orch.acquire({ pool: 'p' })).vm.name).toBe(name);
  });

  it('is settled when the owner could not even read the VM before refusing', async () => {
    h = await harness();
    await h.pool('p', 1);
    const name = await claimedElsewhere(h, 'lease-2');
    const original = h.store.getVm.bind(h.store);
    h.store.getVm = (n) => (n === name ? Promise.reject(new HvkubeError('STORE_UNAVAILABLE', 'the database is busy or unreachable')) : original(n));
    await expect(h.orch.resumeClaimed(name, 'lease-2', false)).rejects.toMatchObject({ code: 'STORE_UNAVAILABLE' });
    h.store.getVm = original;

    await h.orch.controller.tick();
    await h.orch.controller.idle();
    expect(await h.store.getVm(name)).toMatchObject({ state: 'saved', lease: null });
  });

  it('leaves a claim alone while its resume is under way, and one that resumed', async () => {
    h = await harness({ fake: { latencies: { guestReady: 300 } } });
    await h.pool('p', 1);
    const name = await claimedElsewhere(h, 'lease-3');
    const resuming = h.orch.resumeClaimed(name, 'lease-3', false);
    await h.orch.controller.tick();
    await h.orch.controller.idle();
    expect((await h.store.getVm(name))?.lease?.id).toBe('lease-3');
    const { vm } = await resuming;
    expect(vm).toMatchObject({ state: 'running', lease: { id: 'lease-3' } });
    await h.orch.controller.tick();
    await h.orch.controller.idle();
    expect(await h.store.getVm(name)).toMatchObject({ state: 'running', lease: { id: 'lease-3' } });
  });

  /** A claim written by another process of this machine, as `hvkube vm acquire` writes it before resuming. */
  async function claimByProcess(h: Harness, pid: number, leaseId: string): Promise<string> {
    const other = createSqliteStore({ file: path.join(h.dir, 'hvkube.db'), operator: `${os.hostname()}/${pid}/test` });
    try {
      const vm = await other.claimVm({ pool: 'p', states: ['saved'], host: 'local', holder: 'cli', leaseId, leaseExpiresAt: null, actor: 'cli' });
      if (!vm) throw new Error('nothing to claim');
      return vm.name;
    } finally {
      await other.close();
    }
  }

  it('is settled at once when the process that claimed it has died, without waiting out the time-out', async () => {
    h = await harness({ dataDir: mkdtempSync(path.join(os.tmpdir(), 'hvk-claim-')), settings: { readyTimeoutMs: 600_000 } });
    await h.pool('p', 1);
    const dead = spawnSync(process.execPath, ['-e', '']).pid;
    const name = await claimByProcess(h, dead, 'lease-4');
    await h.orch.controller.tick();
    await h.orch.controller.idle();
    expect(await h.store.getVm(name)).toMatchObject({ state: 'saved', lease: null });
    const abandoned = (await h.store.listEvents({ kind: 'vm', subject: name, limit: 100 })).find((e) => e.action === 'claim-abandoned');
    expect(abandoned?.details).toMatchObject({ leaseId: 'lease-4' });
    expect(String(abandoned?.details?.reason)).toContain('process that claimed it ended');
  });

  it('leaves the claim of a live process alone until its time-out', async () => {
    h = await harness({ dataDir: mkdtempSync(path.join(os.tmpdir(), 'hvk-claim-')), settings: { readyTimeoutMs: 600_000 } });
    await h.pool('p', 1);
    const name = await claimByProcess(h, process.ppid, 'lease-5');
    await h.orch.controller.tick();
    await h.orch.controller.idle();
    expect(await h.store.getVm(name)).toMatchObject({ state: 'resuming', lease: { id: 'lease-5' } });
  });
});
