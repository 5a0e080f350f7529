import { readdirSync } from 'node:fs';
import { afterEach, describe, expect, it } from 'vitest';
import { harness, type Harness } from '../../test/helpers/harness.js';
import { isHvkubeError } from '../domain/errors.js';
import { HOSTILE_NAMES } from '../../test/helpers/hostile.js';
import type { Hypervisor } from '../hypervisor/hypervisor.js';

let h: Harness;
afterEach(async () => {
  await h.close();
});

/** Records the name of every hypervisor method called from now on. */
function spy(hv: Hypervisor): { calls: string[] } {
  const calls: string[] = [];
  const target = hv as unknown as Record<string, unknown>;
  for (const key of Object.getOwnPropertyNames(Object.getPrototypeOf(hv))) {
    const original = target[key];
    if (typeof original !== 'function' || key === 'constructor') continue;
    target[key] = (...args: unknown[]) => {
      calls.push(key);
      return (original as (...a: unknown[]) => unknown).apply(hv, args);
    };
  }
  return { calls };
}

async function rejects(p: Promise<unknown>, code: string): Promise<void> {
  const e = await p.then(
    () => undefined,
    (err: unknown) => err,
  );
  expect(isHvkubeError(e), `expected ${code}, got ${String(e)}`).toBe(true);
  expect((e as { code: string }).code).toBe(code);
}

describe('bad input is rejected before anything is created', () => {
  it('hostile names never reach the store or the hypervisor', async () => {
    h = await harness();
    const seen = spy(h.hv);
    for (const bad of HOSTILE_NAMES) {
      await rejects(h.orch.registerTemplate({ name: bad, diskPath: h.image }), 'INVALID_NAME');
      await rejects(h.orch.createPool({ name: bad, template: 't', desired: 1 }), 'INVALID_NAME');
      await rejects(h.orch.acquire({ pool: bad }), 'INVALID_NAME');
      await rejects(h.orch.release(bad), 'INVALID_NAME');
      await rejects(h.orch.resetVm(bad), 'INVALID_NAME');
      await rejects(h.orch.removeVm(bad), 'INVALID_NAME');
      await rejects(h.orch.screenshot(bad), 'INVALID_NAME');
      await rejects(h.orch.typeText(bad, 'x'), 'INVALID_NAME');
    }
    expect(await h.store.listTemplates()).toEqual([]);
    expect(await h.store.listPools()).toEqual([]);
    expect(seen.calls.filter((c) => c !== 'capabilities' && c !== 'backend')).toEqual([]);
  });

  it('bad paths, absurd sizes and unknown policies are refused with the field named', async () => {
    h = await harness();
    await rejects(h.orch.registerTemplate({ name: 't', diskPath: '../golden.vhdx' }), 'INVALID_PATH');
    await rejects(h.orch.registerTemplate({ name: 't', diskPath: `${h.dir}/../x/golden.vhdx` }), 'INVALID_PATH');
    await rejects(h.orch.registerTemplate({ name: 't', diskPath: `${h.dir}/missing.vhdx` }), 'INVALID_PATH');
    await rejects(h.orch.registerTemplate({ name: 't', diskPath: h.image, memoryMb: 1e12 }), 'INVALID_INPUT');
    await rejects(h.orch.registerTemplate({ name: 't', diskPath: h.image, cpus: -1 }), 'INVALID_INPUT');
    await rejects(h.orch.registerTemplate({ name: 't', diskPath: h.image, credentialsRef: 'plain-password' }), 'INVALID_INPUT');
    await rejects(h.orch.registerTemplate({ name: 't', diskPath: h.image, probes: [{ type: 'http', port: 80, path: 'x; rm -rf /' } as never] }), 'INVALID_INPUT');
    expect(await h.store.listTemplates()).toEqual([]);

    await h.orch.registerTemplate({ name: 't', diskPath: h.image });
    await rejects(h.orch.createPool({ name: 'p', template: 't', desired: 100_000 }), 'INVALID_INPUT');
    await rejects(h.orch.createPool({ name: 'p', template: 't', desired: 2, warm: 3 }), 'INVALID_INPUT');
    await rejects(h.orch.createPool({ name: 'p', template: 't', desired: 2, hot: 3 }), 'INVALID_INPUT');
    await rejects(h.orch.createPool({ name: 'p', template: 't', desired: 2, releasePolicy: 'explode' as never }), 'INVALID_INPUT');
    await rejects(h.orch.createPool({ name: 'p', template: 'missing', desired: 2 }), 'TEMPLATE_NOT_FOUND');
    expect(await h.store.listPools()).toEqual([]);
    expect(await h.hv.listVms('')).toEqual([]);
    expect(readdirSync(h.dir).filter((f) => f !== 'golden.vhdx')).toEqual([]);
  });

  it('refuses to remove a template in use, and a pool with VMs in use', async () => {
    h = await harness();
    await h.pool('p', 1);
    await rejects(h.orch.removeTemplate('t'), 'TEMPLATE_IN_USE');
    const a = await h.orch.acquire({ pool: 'p' });
    await rejects(h.orch.removePool('p'), 'VM_LEASED');
    await rejects(h.orch.resetVm(a.vm.name), 'VM_LEASED');
    expect((await h.orch.getVm(a.vm.name)).state).toBe('running');
    await h.orch.removePool('p', { force: true });
    expect(await h.hv.listVms('')).toEqual([]);
    await h.orch.removeTemplate('t');
    expect(await h.store.listTemplates()).toEqual([]);
  });
});
