import { afterEach, describe, expect, it } from 'vitest';
import { harness, type Harness } from '../../test/helpers/harness.js';

let h: Harness | undefined;
afterEach(async () => {
  await h?.close();
  h = undefined;
});

/** A pool of one VM from a template with or without a GPU, released with `reset`. */
async function gpuPool(gpuCheckpoints: boolean, gpu: boolean): Promise<Harness> {
  h = await harness({ fake: { gpuCheckpoints } });
  await h.orch.registerTemplate({ name: 't', diskPath: h.image, memoryMb: 512, cpus: 1, gpu });
  await h.orch.createPool({ name: 'p', template: 't', desired: 1, releasePolicy: 'reset' });
  const report = await h.orch.provisionPool('p');
  expect(report.failed).toEqual([]);
  return h;
}

describe('pool status: how resets bring a VM back', () => {
  it('a GPU pool on a backend without GPU checkpoints resets by a cold boot, and says so', async () => {
    const t = await gpuPool(false, true);
    expect((await t.orch.getPool('p')).resetMethod).toBe('cold-boot');
    expect((await t.orch.listPools()).map((s) => s.resetMethod)).toEqual(['cold-boot']);

    const { vm } = await t.orch.acquire({ pool: 'p' });
    await t.orch.typeText(vm.name, 'scratch');
    const back = await (await t.orch.release(vm.name)).done;
    expect(back?.state).toBe('saved');
    expect((await t.hv.screenText(vm.name)).join('\n')).not.toContain('scratch');
    // The restore answered "off": the VM was booted and saved again, not resumed from memory.
    const steps = (await t.store.listEvents({ subject: vm.name })).map((e) => e.action);
    expect(steps.slice(steps.lastIndexOf('reset'))).toEqual(['reset', 'reset-to-off', 'boot', 'booted', 'save', 'saved']);
  });

  it('the same backend resets a pool without a GPU from its checkpoint', async () => {
    const t = await gpuPool(false, false);
    expect((await t.orch.getPool('p')).resetMethod).toBe('checkpoint');
    const { vm } = await t.orch.acquire({ pool: 'p' });
    await (await t.orch.release(vm.name)).done;
    const steps = (await t.store.listEvents({ subject: vm.name })).map((e) => e.action);
    expect(steps.at(-1)).toBe('reset-to-saved');
  });

  it('a backend that checkpoints GPU VMs resets a GPU pool from its checkpoint', async () => {
    const t = await gpuPool(true, true);
    expect((await t.orch.getPool('p')).resetMethod).toBe('checkpoint');
  });
});
