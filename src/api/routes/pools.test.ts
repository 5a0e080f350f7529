import { afterEach, describe, expect, it } from 'vitest';
import { harness, type Harness } from '../../../test/helpers/harness.js';
import { HvkubeClient } from '../../client/client.js';
import { createApi, type Api } from '../app.js';
import { PoolStatusSchema } from '../schemas.js';

let h: Harness | undefined;
let api: Api | undefined;
afterEach(async () => {
  await api?.close();
  await h?.close();
  api = undefined;
  h = undefined;
});

describe('GET /api/v1/pools/{name}: reset method', () => {
  it('answers cold-boot for a GPU pool on a backend without GPU checkpoints, in the documented shape', async () => {
    h = await harness({ fake: { gpuCheckpoints: false } });
    await h.orch.registerTemplate({ name: 'gpu', diskPath: h.image, memoryMb: 512, cpus: 1, gpu: true });
    await h.orch.registerTemplate({ name: 'plain', diskPath: h.image, memoryMb: 512, cpus: 1 });
    await h.orch.createPool({ name: 'g', template: 'gpu', desired: 0, releasePolicy: 'reset' });
    await h.orch.createPool({ name: 'c', template: 'plain', desired: 0 });
    const served = createApi({ orchestrator: h.orch });
    api = served;
    const client = new HvkubeClient({ url: 'http://127.0.0.1', fetch: (input, init) => served.app.request(input, init) });

    const shown = await client.getPool('g');
    expect(shown.resetMethod).toBe('cold-boot');
    expect(PoolStatusSchema.strict().parse(shown)).toEqual(shown);
    expect((await client.listPools()).map((s) => [s.pool.name, s.resetMethod])).toEqual([
      ['c', 'checkpoint'],
      ['g', 'cold-boot'],
    ]);

    const doc = (await (await served.app.request('http://127.0.0.1/api/v1/openapi.json')).json()) as {
      components: { schemas: Record<string, { properties: Record<string, { enum?: string[] }>; required?: string[] }> };
    };
    const status = doc.components.schemas['PoolStatus'];
    expect(status?.properties['resetMethod']?.enum).toEqual(['checkpoint', 'cold-boot']);
    expect(status?.required).toContain('resetMethod');
  });
});
