import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { harness, type Harness } from '../../test/helpers/harness.js';

const open: Harness[] = [];
let dir: string;

async function shared(): Promise<Harness> {
  const h = await harness({ dataDir: dir });
  open.push(h);
  return h;
}

afterEach(async () => {
  for (const h of open.splice(0)) {
    h.hv.faults.releaseHangs();
    await h.close().catch(() => undefined);
  }
  rmSync(dir, { recursive: true, force: true });
});

/** Disk files on the simulated host that no VM in the store owns. */
async function untrackedDisks(h: Harness): Promise<string[]> {
  const disksDir = path.join(h.dir, 'disks');
  const files = (() => {
    try {
      return readdirSync(disksDir).map((f) => path.join(disksDir, f));
    } catch {
      return [];
    }
  })();
  const tracked = new Set((await h.store.listVms()).map((v) => v.diskPath));
  return files.filter((f) => !tracked.has(f));
}

describe('crash safety and reconcile', () => {
  it('a provisioning killed mid-boot is resolved: the VM is replaced and nothing is left untracked', async () => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'hvk-crash-'));
    const a = await shared();
    await a.orch.registerTemplate({ name: 't', diskPath: a.image, memoryMb: 256, cpus: 1 });
    await a.orch.createPool({ name: 'p', template: 't', desired: 2 });
    await a.hv.faults.hangNext('boot');
    const abandoned = a.orch.provisionPool('p').catch(() => undefined);
    await a.hv.faults.waitForHung(1);

    // "The process died": a new orchestrator on the same data directory.
    const b = await shared();
    const stuck = (await b.store.listVms()).filter((v) => v.state === 'booting');
    expect(stuck).toHaveLength(1);
    const report = await b.orch.reconcile();
    expect(report.fixed).toContain(stuck[0]?.name);
    expect(report.orphans).toEqual([]);
    const provisioned = await b.orch.provisionPool('p');
    expect(provisioned.status.ready).toBe(2);
    expect(await b.store.getVm(stuck[0]?.name ?? '')).toBeNull();
    expect(await b.hv.getVm(stuck[0]?.name ?? '')).toBeNull();
    expect(await untrackedDisks(b)).toEqual([]);
    const hostVms = (await b.hv.listVms('hvk-')).map((v) => v.name).sort();
    expect(hostVms).toEqual((await b.store.listVms()).map((v) => v.name).sort());
    a.hv.faults.releaseHangs();
    await abandoned;
  });

  it('a save cut short is settled on what the host reports', async () => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'hvk-crash-'));
    const a = await shared();
    await a.pool('p', 1, { releasePolicy: 'save' });
    const got = await a.orch.acquire({ pool: 'p' });
    await a.hv.faults.hangNext('save');
    const rel = await a.orch.release(got.vm.name);
    await a.hv.faults.waitForHung(1);
    const b = await shared();
    expect((await b.orch.getVm(got.vm.name)).state).toBe('saving');
    await b.orch.reconcile();
    expect((await b.orch.getVm(got.vm.name)).state).toBe('saved');
    a.hv.faults.releaseHangs();
    await rel.done;
  });

  it('reports VMs the host lost as missing (and marks them error), and orphans on the host', async () => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'hvk-crash-'));
    const a = await shared();
    await a.pool('p', 2);
    const [gone] = await a.store.listVms();
    await a.hv.faults.vanish(gone?.name ?? '', { deleteDisk: false });
    const orphanDisk = a.hv.diskPathFor('hvk-stray-1', a.image);
    await a.hv.createDifferencingDisk(a.image, orphanDisk);
    await a.hv.createVm({ name: 'hvk-stray-1', diskPath: orphanDisk, memoryMb: 256, cpus: 1, gpu: false, guestPorts: [], boot: null });
    await a.hv.createVm({ name: 'not-ours', diskPath: orphanDisk, memoryMb: 256, cpus: 1, gpu: false, guestPorts: [], boot: null });

    const report = await a.orch.reconcile();
    expect(report.missing).toEqual([gone?.name]);
    expect(report.orphans).toEqual(['hvk-stray-1']);
    const marked = await a.orch.listEvents({ kind: 'vm', subject: gone?.name });
    expect(marked.some((e) => e.to === 'error' && e.actor === 'reconcile')).toBe(true);
    const again = await a.orch.reconcile({ removeOrphans: true });
    expect(again.removed).toEqual(['hvk-stray-1']);
    expect(await a.hv.getVm('hvk-stray-1')).toBeNull();
    expect(await a.hv.getVm('not-ours')).not.toBeNull();
    // The controller replaces the lost VM.
    const p = await a.orch.provisionPool('p');
    expect(p.status.ready).toBe(2);
    expect(await untrackedDisks(a)).toEqual([]);
  });

  it('a store that says saved while the host says off is corrected', async () => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'hvk-crash-'));
    const a = await shared();
    await a.pool('p', 1);
    const [vm] = await a.store.listVms();
    await a.hv.stop(vm?.name ?? '', { force: true });
    const report = await a.orch.reconcile();
    expect(report.fixed).toEqual([vm?.name]);
    expect((await a.orch.getVm(vm?.name ?? '')).state).toBe('off');
  });
});
