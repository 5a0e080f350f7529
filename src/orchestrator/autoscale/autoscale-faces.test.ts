import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { harness, type Harness } from '../../../test/helpers/harness.js';
import { createApi, type Api } from '../../api/app.js';
import { PoolStatusSchema } from '../../api/schemas.js';
import { HvkubeClient } from '../../client/client.js';
import { isHvkubeError } from '../../domain/errors.js';
import { applyFleet, exportFleet, fleetToYaml, type ApplyDeps } from '../apply/index.js';
import { WorkflowCatalog } from '../workflows/workflow-catalog.js';

let h: Harness | undefined;
let api: Api | undefined;
afterEach(async () => {
  await api?.close();
  await h?.close();
  api = undefined;
  h = undefined;
});

function doc(image: string, autoscale: string, extra = ''): string {
  return `apiVersion: hvkube/v1
kind: Template
metadata: { name: win11 }
spec: { diskPath: ${image}, memoryMb: 512, cpus: 1 }
---
apiVersion: hvkube/v1
kind: Pool
metadata: { name: web }
spec:
  template: win11
${extra}  autoscale: ${autoscale}
`;
}

describe('autoscaling in apply documents', () => {
  it('creates an autoscaled pool, leaves the size the autoscaler set alone, and exports what applies back', async () => {
    h = await harness();
    const deps: ApplyDeps = { orch: h.orch, workflows: new WorkflowCatalog(path.join(h.dir, 'workflows')) };
    const text = doc(h.image, '{ min: 0, max: 6, target: 2, scaleDownAfterMs: 60000 }');
    const first = await applyFleet(deps, { files: [{ name: 'fleet.yaml', text }] });
    expect(first.entries.map((e) => `${e.action} ${e.kind}/${e.name}`)).toEqual(['create Template/win11', 'create Pool/web']);
    expect(await h.store.getPool('web')).toMatchObject({ desired: 2, warm: 2, autoscale: { min: 0, max: 6, target: 2, scaleDownAfterMs: 60_000 } });

    // The autoscaler grew the pool; the same file changes nothing.
    await h.store.resizePool('web', { from: 2, desired: 5, warm: 5, status: { last: null, coldStartMs: null, coldStartMeasuredAt: null } });
    const again = await applyFleet(deps, { files: [{ name: 'fleet.yaml', text }] });
    expect(again.changed).toBe(false);
    expect((await h.store.getPool('web'))?.desired).toBe(5);

    // Narrower bounds bring the size within them.
    const narrower = await applyFleet(deps, { files: [{ name: 'fleet.yaml', text: doc(h.image, '{ min: 0, max: 3, target: 1 }') }] });
    const change = narrower.entries.find((e) => e.kind === 'Pool');
    expect(change?.action).toBe('update');
    expect(change?.changes.map((c) => c.field).sort()).toEqual(['autoscale', 'desired', 'warm']);
    expect(await h.store.getPool('web')).toMatchObject({ desired: 3, warm: 3, autoscale: { max: 3, target: 1, scaleDownAfterMs: 300_000 } });

    const exported = await exportFleet(deps);
    const pool = exported.find((o) => o.kind === 'Pool');
    expect(pool?.spec).toMatchObject({ desired: 3, autoscale: { min: 0, max: 3, target: 1, scaleDownAfterMs: 300_000 } });
    expect(pool?.spec).not.toHaveProperty('warm');
    const roundTrip = await applyFleet(deps, { files: [{ name: 'export.yaml', text: fleetToYaml(exported) }] });
    expect(roundTrip.changed).toBe(false);
  });

  it('refuses bad bounds naming the file, line and field, and changes nothing', async () => {
    h = await harness();
    const deps: ApplyDeps = { orch: h.orch, workflows: null };
    for (const [autoscale, message] of [
      ['{ min: 4, max: 2 }', /fleet\.yaml:11: spec\.autoscale: autoscale\.min \(4\) is above autoscale\.max \(2\)/],
      ['{ min: -1, max: 2 }', /fleet\.yaml:11: spec\.autoscale\.min: /],
      ['{ max: 2, speed: 3 }', /spec\.autoscale: unknown key "speed"/],
    ] as const) {
      const e = await applyFleet(deps, { files: [{ name: 'fleet.yaml', text: doc(h.image, autoscale) }] }).catch((err: unknown) => err);
      expect(isHvkubeError(e, 'INVALID_INPUT')).toBe(true);
      expect((e as Error).message).toMatch(message);
      expect(await h.store.listTemplates()).toEqual([]);
      expect(await h.store.listPools()).toEqual([]);
    }
  });
});

describe('autoscaling through the API', () => {
  it('creates, shows and rescales an autoscaled pool, and refuses bad bounds with 400', async () => {
    h = await harness();
    await h.orch.registerTemplate({ name: 't', diskPath: h.image, memoryMb: 512, cpus: 1 });
    const served = createApi({ orchestrator: h.orch });
    api = served;
    const client = new HvkubeClient({ url: 'http://127.0.0.1', fetch: (input, init) => served.app.request(input, init) });

    const created = await client.createPool({ name: 'p', template: 't', autoscale: { min: 0, max: 4, target: 1 } });
    expect(created).toMatchObject({ desired: 1, warm: 1, autoscale: { min: 0, max: 4, target: 1, scaleDownAfterMs: 300_000 } });
    await h.orch.provisionPool('p');
    const shown = await client.getPool('p');
    expect(PoolStatusSchema.strict().parse(shown)).toEqual(shown);
    expect(shown.autoscale).toMatchObject({ min: 0, max: 4, last: null });
    expect(shown.autoscale?.coldStartMs).toBeGreaterThanOrEqual(0);

    const post = (url: string, body: unknown): Promise<Response> =>
      Promise.resolve(served.app.request(`http://127.0.0.1/api/v1${url}`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(body) }));
    const bad = await post('/pools', { name: 'q', template: 't', autoscale: { min: 3, max: 2 } });
    expect(bad.status).toBe(400);
    expect(((await bad.json()) as { error: { message: string } }).error.message).toContain('autoscale.min (3) is above autoscale.max (2)');
    const negative = await post('/pools/p/scale', { autoscale: { min: -1 } });
    expect(negative.status).toBe(400);
    expect((await client.getPool('p')).pool.autoscale).toMatchObject({ min: 0, max: 4 });

    const rescaled = await client.scalePool('p', { autoscale: { max: 8, target: 2 } });
    expect(rescaled).toMatchObject({ desired: 1, autoscale: { min: 0, max: 8, target: 2 } });
    const manual = await client.scalePool('p', { autoscale: null, desired: 2 });
    expect(manual).toMatchObject({ desired: 2, autoscale: null });
    expect((await client.listPools())[0]?.autoscale).toBeNull();
  });
});
