import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { holderOf } from './agent-ids.js';
import { kit, until, type Kit } from './scheduler-kit.case.js';

const LONG = 'name: long\nexecutor: steps\nrelease: save\nsteps:\n  - wait: 30\n';
const EXTERNAL = 'name: ext\nexecutor: external\nrelease: save\n';

let kits: Kit[] = [];
let dir: string | null = null;
afterEach(async () => {
  for (const k of kits) await k.close();
  kits = [];
  if (dir) rmSync(dir, { recursive: true, force: true });
  dir = null;
});

/** VM states after the agent got the VM: a timed-out agent's VM must be reset, never saved. */
async function statesAfterAgent(k: Kit, vm: string, agentId: string): Promise<(string | null)[]> {
  const events = await k.h.store.listEvents({ kind: 'vm', subject: vm });
  const from = events.findIndex((e) => e.to === 'running' && e.actor === holderOf(agentId));
  return events.slice(from + 1).map((e) => e.to);
}

describe('scheduler: timeouts', () => {
  it('times an agent out, stops its executor and resets its VM', async () => {
    const k = await kit({ pool: { size: 1, releasePolicy: 'save' }, workflows: { long: LONG } });
    kits.push(k);
    const started = Date.now();
    const a = await k.scheduler.submit({ pool: 'p', workflow: 'long', timeoutS: 1 });
    const done = await k.scheduler.waitFor(a.id);
    expect(done.status).toBe('timed_out');
    expect(done.result?.error).toMatch(/timed out after 1 s/);
    expect(Date.now() - started).toBeLessThan(10_000);
    expect(done.deadlineAt).not.toBeNull();
    const states = await statesAfterAgent(k, done.vm ?? '', a.id);
    expect(states).toContain('resetting');
    expect(states).not.toContain('saving');
  });

  it('fires a deadline that passed while hvkube was stopped, at the next start', async () => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'hvk-agents-'));
    const first = await kit({ harness: { dataDir: dir }, pool: { size: 1 }, workflows: { ext: EXTERNAL } });
    const a = await first.scheduler.submit({ pool: 'p', workflow: 'ext', timeoutS: 1 });
    await until(async () => (await first.scheduler.show(a.id)).status === 'running');
    await first.close();
    await new Promise((r) => setTimeout(r, 1200));

    const second = await kit({ harness: { dataDir: dir }, pool: { size: 0 }, workflows: { ext: EXTERNAL }, start: false });
    kits.push(second);
    const report = await second.scheduler.start();
    expect(report.timedOut).toEqual([a.id]);
    const done = await second.scheduler.waitFor(a.id);
    expect(done.status).toBe('timed_out');
    const states = await statesAfterAgent(second, done.vm ?? '', a.id);
    expect(states).toContain('resetting');
    expect(states).not.toContain('saving');
    await until(async () => (await second.h.orch.getVm(done.vm ?? '')).state === 'saved', 5000, 'VM back');
  });

  it('keeps the deadline of an agent taken over after a restart', async () => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'hvk-agents-'));
    const first = await kit({ harness: { dataDir: dir }, pool: { size: 1 }, workflows: { ext: EXTERNAL } });
    const a = await first.scheduler.submit({ pool: 'p', workflow: 'ext', timeoutS: 2 });
    await until(async () => (await first.scheduler.show(a.id)).status === 'running');
    await first.close();

    const second = await kit({ harness: { dataDir: dir }, pool: { size: 0 }, workflows: { ext: EXTERNAL }, start: false });
    kits.push(second);
    const report = await second.scheduler.start();
    expect(report.adopted).toEqual([a.id]);
    expect((await second.scheduler.show(a.id)).status).toBe('running');
    const done = await second.scheduler.waitFor(a.id);
    expect(done.status).toBe('timed_out');
    const states = await statesAfterAgent(second, done.vm ?? '', a.id);
    expect(states).toContain('resetting');
    expect(states).not.toContain('saving');
  });

  it('lets an adopted external agent be completed after a restart', async () => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'hvk-agents-'));
    const first = await kit({ harness: { dataDir: dir }, pool: { size: 1 }, workflows: { ext: EXTERNAL } });
    const a = await first.scheduler.submit({ pool: 'p', workflow: 'ext' });
    await until(async () => (await first.scheduler.show(a.id)).status === 'running');
    await first.close();
    const second = await kit({ harness: { dataDir: dir }, pool: { size: 0 }, workflows: { ext: EXTERNAL } });
    kits.push(second);
    await second.scheduler.complete(a.id, 'done');
    const done = await second.scheduler.waitFor(a.id);
    expect(done.status).toBe('completed');
    expect(done.result?.output).toBe('done');
    expect(done.result?.timings.releaseMs).not.toBeNull();
  });
});
