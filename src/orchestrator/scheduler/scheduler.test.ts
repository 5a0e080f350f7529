import { afterEach, describe, expect, it } from 'vitest';
import { isHvkubeError } from '../../domain/errors.js';
import type { Agent } from '../../domain/types.js';
import { stepsExecutor } from '../executors/steps-executor.js';
import type { Executor } from '../executors/executor.js';
import { holderOf } from './agent-ids.js';
import { kit, until, type Kit } from './scheduler-kit.case.js';

let k: Kit;
afterEach(async () => {
  await k.close();
});

const EXTERNAL = `name: ext
executor: external
release: save
`;
const SLOW = `name: slow
executor: steps
retries: 0
steps:
  - type_text: "one"
  - wait: 0.4
  - type_text: "two"
`;
const QUICK = `name: quick
executor: steps
inputs:
  n: { type: integer }
steps:
  - type_text: "agent {{input.n}}"
  - press_keys: enter
`;

async function expectError(p: Promise<unknown>, code: string, text?: RegExp): Promise<void> {
  const e = await p.then(
    () => null,
    (err: unknown) => err,
  );
  expect(isHvkubeError(e), `expected ${code}, got ${String(e)}`).toBe(true);
  if (isHvkubeError(e)) {
    expect(e.code).toBe(code);
    if (text) expect(e.message).toMatch(text);
  }
}

/** An executor that records which agent is on which VM, to catch two agents on one VM. */
function tracking(): { executor: Executor; overlaps: string[]; peak: () => number; runs: Map<string, string[]> } {
  const onVm = new Map<string, string>();
  const overlaps: string[] = [];
  const runs = new Map<string, string[]>();
  let running = 0;
  let peak = 0;
  return {
    overlaps,
    runs,
    peak: () => peak,
    executor: {
      name: 'steps',
      async run(ctx) {
        const other = onVm.get(ctx.vm.name);
        if (other) overlaps.push(`${ctx.agentId} and ${other} on ${ctx.vm.name}`);
        onVm.set(ctx.vm.name, ctx.agentId);
        runs.set(ctx.agentId, [...(runs.get(ctx.agentId) ?? []), ctx.vm.name]);
        running++;
        peak = Math.max(peak, running);
        try {
          return await stepsExecutor.run(ctx);
        } finally {
          running--;
          onVm.delete(ctx.vm.name);
        }
      },
    },
  };
}

describe('scheduler: queue and dispatch', () => {
  it('runs 100 agents on a pool of 5 VMs: all end, each on exactly one VM, never two on one VM', async () => {
    const t = tracking();
    k = await kit({ pool: { size: 5 }, workflows: { quick: QUICK }, scheduler: { executors: { steps: t.executor } } });
    const agents: Agent[] = [];
    for (let n = 0; n < 100; n++) agents.push(await k.scheduler.submit({ pool: 'p', workflow: 'quick', input: { n } }));
    const done = await k.waitAll(agents);
    expect(done.map((a) => a.status)).toEqual(Array(100).fill('completed'));
    expect(t.overlaps).toEqual([]);
    for (const a of done) {
      expect(t.runs.get(a.id)).toHaveLength(1);
      expect(a.result?.vm).toBe(t.runs.get(a.id)?.[0]);
      expect(a.attempts).toBe(1);
    }
    expect(t.peak()).toBeLessThanOrEqual(5);
    expect(new Set(done.map((a) => a.vm)).size).toBe(5);
    // Every VM is back in the pool, unleased.
    await until(async () => (await k.h.orch.listVms({ pool: 'p' })).every((v) => v.state === 'saved' && v.lease === null), 10_000, 'VMs back');
  }, 60_000);

  it('serves a pool by priority, then submission order', async () => {
    k = await kit({ pool: { size: 1 }, workflows: { quick: QUICK }, start: false });
    const submit = (n: number, priority: number): Promise<Agent> => k.scheduler.submit({ pool: 'p', workflow: 'quick', input: { n }, priority });
    const a = await submit(1, 0);
    const b = await submit(2, 0);
    const c = await submit(3, 5);
    const d = await submit(4, 0);
    const e = await submit(5, 5);
    const f = await submit(6, -1);
    await k.scheduler.start();
    await k.waitAll([a, b, c, d, e, f]);
    const starts = (await k.h.store.listEvents({ kind: 'agent' })).filter((ev) => ev.to === 'running').map((ev) => ev.subject);
    expect(starts).toEqual([c.id, e.id, a.id, b.id, d.id, f.id]);
  });

  it('runs at most max_running agents of a pool at once', async () => {
    const t = tracking();
    k = await kit({ pool: { size: 4, maxRunning: 2 }, workflows: { slow: SLOW }, scheduler: { executors: { steps: t.executor } } });
    const agents = await Promise.all(Array.from({ length: 6 }, () => k.scheduler.submit({ pool: 'p', workflow: 'slow' })));
    const done = await k.waitAll(agents);
    expect(done.every((a) => a.status === 'completed')).toBe(true);
    expect(t.peak()).toBe(2);
  });

  it('picks up pending agents left by a previous scheduler', async () => {
    k = await kit({ pool: { size: 1 }, start: false });
    const a = await k.scheduler.submit({ pool: 'p', workflow: 'hello' });
    expect((await k.scheduler.show(a.id)).status).toBe('pending');
    await k.scheduler.start();
    expect((await k.scheduler.waitFor(a.id)).status).toBe('completed');
  });

  it('records the result: output, screenshots, VM, duration and timings', async () => {
    k = await kit();
    const a = await k.scheduler.submit({ pool: 'p', workflow: 'hello', input: { who: 'there' } });
    const done = await k.scheduler.waitFor(a.id);
    const r = done.result;
    expect(r?.success).toBe(true);
    expect(r?.error).toBeNull();
    expect(r?.screenshots).toEqual([`artifacts/${a.id}/001.png`]);
    expect(r?.output).toEqual({ steps: 3, screenshots: r?.screenshots });
    expect(r?.vm).toBe(done.vm);
    expect(r?.timings.queuedMs).toBeGreaterThanOrEqual(0);
    expect(r?.timings.resumeMs).toBeGreaterThanOrEqual(0);
    expect(r?.timings.runMs).toBeGreaterThanOrEqual(0);
    expect(r?.timings.releaseMs).toBeGreaterThanOrEqual(0);
    expect(r?.durationMs).toBeGreaterThanOrEqual(r?.timings.runMs ?? 0);
    const log = (await k.scheduler.logs(a.id)).map((l) => l.message);
    expect(log.some((m) => m.startsWith('step 1/3: type_text'))).toBe(true);
    expect(log.at(-1)).toMatch(/^completed/);
  });
});

describe('scheduler: submit checks', () => {
  it('rejects bad workflow files, unknown workflows and bad input at submit, naming the field', async () => {
    k = await kit();
    k.writeWorkflow('broken', 'name: broken\nexecutor: steps\nsteps: [\n');
    k.writeWorkflow('odd', 'name: odd\nexecutor: robot\n');
    k.writeWorkflow('typo', 'name: typo\nexecutor: steps\nsteps:\n  - type_txt: hi\n');
    k.writeWorkflow('needs', 'name: needs\nexecutor: steps\ninputs:\n  url: string\n  count: { type: integer, default: 1 }\nsteps:\n  - type_text: "{{input.url}}"\n');
    await expectError(k.scheduler.submit({ pool: 'p', workflow: 'broken' }), 'WORKFLOW_INVALID', /bad YAML.*line/);
    await expectError(k.scheduler.submit({ pool: 'p', workflow: 'odd' }), 'WORKFLOW_INVALID', /executor: must be one of steps, mcp, command, external, got "robot"/);
    await expectError(k.scheduler.submit({ pool: 'p', workflow: 'typo' }), 'WORKFLOW_INVALID', /steps\[0\]: unknown key "type_txt"/);
    await expectError(k.scheduler.submit({ pool: 'p', workflow: 'needs' }), 'INVALID_INPUT', /input\.url is required/);
    await expectError(k.scheduler.submit({ pool: 'p', workflow: 'needs', input: { url: 'x', count: 'two' } }), 'INVALID_INPUT', /input\.count must be a whole number/);
    await expectError(k.scheduler.submit({ pool: 'p', workflow: 'needs', input: { url: 'x', colour: 1 } }), 'INVALID_INPUT', /input\.colour is not an input/);
    await expectError(k.scheduler.submit({ pool: 'p', workflow: 'nope' }), 'WORKFLOW_NOT_FOUND');
    await expectError(k.scheduler.submit({ pool: 'nope', workflow: 'hello' }), 'POOL_NOT_FOUND');
    await expectError(k.scheduler.submit({ pool: 'p', workflow: '../hello' }), 'INVALID_NAME');
    await expectError(k.scheduler.show('../../etc'), 'INVALID_NAME');
    expect(await k.scheduler.list()).toEqual([]);
  });

  it('sends a task that needs a GPU only to a pool whose template has one', async () => {
    k = await kit();
    await expectError(k.scheduler.submit({ pool: 'p', workflow: 'hello', needsGpu: true }), 'INVALID_INPUT', /needs a GPU/);
    await k.h.orch.registerTemplate({ name: 'tg', diskPath: k.h.image, memoryMb: 256, cpus: 1, gpu: true });
    await k.h.orch.createPool({ name: 'gpu', template: 'tg', desired: 1 });
    await k.h.orch.provisionPool('gpu');
    const a = await k.scheduler.submit({ pool: 'gpu', workflow: 'hello', needsGpu: true });
    expect((await k.scheduler.waitFor(a.id)).status).toBe('completed');
  });
});

describe('scheduler: cancel, external reports, VM failures', () => {
  it('cancels a pending agent: it leaves the queue and never runs', async () => {
    k = await kit({ pool: { size: 1 }, workflows: { ext: EXTERNAL, hello: `name: hello\nexecutor: steps\nsteps:\n  - press_keys: enter\n` } });
    const holder = await k.scheduler.submit({ pool: 'p', workflow: 'ext' });
    await until(async () => (await k.scheduler.show(holder.id)).status === 'running');
    const queued = await k.scheduler.submit({ pool: 'p', workflow: 'hello' });
    const cancelled = await k.scheduler.cancel(queued.id);
    expect(cancelled.status).toBe('cancelled');
    await k.scheduler.complete(holder.id, { ok: true });
    await k.scheduler.waitFor(holder.id);
    await k.scheduler.idle();
    const after = await k.scheduler.show(queued.id);
    expect(after.status).toBe('cancelled');
    expect(after.vm).toBeNull();
    expect(after.startedAt).toBeNull();
    await expectError(k.scheduler.cancel(queued.id), 'AGENT_INVALID_STATE');
  });

  it('cancels a running agent: its executor stops and its VM is reset, not saved', async () => {
    k = await kit({ pool: { size: 1, releasePolicy: 'save' }, workflows: { long: 'name: long\nexecutor: steps\nrelease: save\nsteps:\n  - wait: 30\n' } });
    const a = await k.scheduler.submit({ pool: 'p', workflow: 'long' });
    await until(async () => (await k.scheduler.show(a.id)).status === 'running');
    const vm = (await k.scheduler.show(a.id)).vm ?? '';
    await k.scheduler.cancel(a.id);
    const done = await k.scheduler.waitFor(a.id);
    expect(done.status).toBe('cancelled');
    expect(done.result?.success).toBe(false);
    const vmEvents = await k.h.store.listEvents({ kind: 'vm', subject: vm });
    const afterRun = vmEvents.slice(vmEvents.findIndex((e) => e.to === 'running' && e.actor === holderOf(a.id)));
    expect(afterRun.some((e) => e.to === 'resetting' && e.actor === holderOf(a.id))).toBe(true);
    expect(afterRun.some((e) => e.to === 'saving')).toBe(false);
    await until(async () => (await k.h.orch.getVm(vm)).state === 'saved', 5000, 'VM saved again');
  });

  it('takes an external worker\'s complete and fail reports', async () => {
    k = await kit({ pool: { size: 2 }, workflows: { ext: EXTERNAL, hello: `name: hello\nexecutor: steps\nsteps:\n  - wait: 5\n` } });
    const a = await k.scheduler.submit({ pool: 'p', workflow: 'ext' });
    const b = await k.scheduler.submit({ pool: 'p', workflow: 'ext' });
    await until(async () => (await k.scheduler.list({ status: 'running' })).length === 2);
    await k.scheduler.complete(a.id, { answer: 42 });
    await k.scheduler.fail(b.id, 'the page never loaded', { partial: true });
    const doneA = await k.scheduler.waitFor(a.id);
    const doneB = await k.scheduler.waitFor(b.id);
    expect(doneA.status).toBe('completed');
    expect(doneA.result?.output).toEqual({ answer: 42 });
    expect(doneA.result?.timings.releaseMs).not.toBeNull();
    expect(doneB.status).toBe('failed');
    expect(doneB.result?.error).toBe('the page never loaded');
    expect(doneB.result?.output).toEqual({ partial: true });
    // Success follows the workflow's release policy (save); failure always resets.
    const actions = async (vm: string | null): Promise<(string | null)[]> => (await k.h.store.listEvents({ kind: 'vm', subject: vm ?? '' })).map((e) => e.to);
    expect(await actions(doneA.vm)).toContain('saving');
    expect((await actions(doneB.vm)).filter((s) => s === 'saving')).toHaveLength(1);
    // Only external agents take reports.
    const c = await k.scheduler.submit({ pool: 'p', workflow: 'hello' });
    await until(async () => (await k.scheduler.show(c.id)).status === 'running');
    await expectError(k.scheduler.complete(c.id, null), 'AGENT_INVALID_STATE', /steps executor/);
    await k.scheduler.cancel(c.id);
  });

  it('fails an agent whose VM breaks mid-run and sends the VM to repair', async () => {
    k = await kit({ pool: { size: 2 }, workflows: { slow: SLOW } });
    const a = await k.scheduler.submit({ pool: 'p', workflow: 'slow' });
    await until(async () => (await k.scheduler.show(a.id)).status === 'running');
    const vm = (await k.scheduler.show(a.id)).vm ?? '';
    await k.h.hv.faults.vanish(vm);
    const done = await k.scheduler.waitFor(a.id);
    expect(done.status).toBe('failed');
    expect(done.result?.error).toMatch(new RegExp(`VM ${vm} failed`));
    expect(done.attempts).toBe(1);
    const vmEvents = (await k.h.store.listEvents({ kind: 'vm', subject: vm })).map((e) => e.action);
    expect(vmEvents).toContain('reported-broken');
  });

  it('retries once on another VM when the task allows it', async () => {
    k = await kit({ pool: { size: 2 }, workflows: { slow: SLOW.replace('retries: 0', 'retries: 1') } });
    const a = await k.scheduler.submit({ pool: 'p', workflow: 'slow' });
    await until(async () => (await k.scheduler.show(a.id)).status === 'running');
    const first = (await k.scheduler.show(a.id)).vm ?? '';
    await k.h.hv.faults.vanish(first);
    const done = await k.scheduler.waitFor(a.id);
    expect(done.status).toBe('completed');
    expect(done.attempts).toBe(2);
    expect(done.vm).not.toBe(first);
  });
});
