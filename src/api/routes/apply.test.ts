import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { harness, type Harness } from '../../../test/helpers/harness.js';
import { HvkubeClient } from '../../client/client.js';
import { Scheduler } from '../../orchestrator/scheduler/index.js';
import { createApi, type Api } from '../app.js';

let h: Harness;
let api: Api;
let scheduler: Scheduler;

beforeEach(async () => {
  h = await harness();
  scheduler = new Scheduler({ orchestrator: h.orch, dataDir: h.dir, pollIntervalMs: 50 });
  api = createApi({ orchestrator: h.orch, scheduler });
});
afterEach(async () => {
  await api.close();
  await h.close();
});

const client = (): HvkubeClient => new HvkubeClient({ url: 'http://127.0.0.1', fetch: (input, init) => api.app.request(input, init) });

const fleet = (image: string, desired = 1): string => `apiVersion: hvkube/v1
kind: Template
metadata: { name: t }
spec: { diskPath: ${image}, memoryMb: 512, cpus: 1 }
---
apiVersion: hvkube/v1
kind: Pool
metadata: { name: p }
spec: { template: t, desired: ${desired} }
---
apiVersion: hvkube/v1
kind: Workflow
metadata: { name: ext }
spec: { executor: external }
`;

describe('POST /api/v1/apply and GET /api/v1/export', () => {
  it('applies files, then answers unchanged; a dry run changes nothing; export gives the documents back', async () => {
    const c = client();
    const first = await c.apply({ files: [{ name: 'fleet.yaml', text: fleet(h.image) }] });
    expect(first.entries.map((e) => e.action)).toEqual(['create', 'create', 'create']);
    expect((await scheduler.workflows.list()).map((w) => w.name)).toEqual(['ext']);
    expect((await c.apply({ files: [{ name: 'fleet.yaml', text: fleet(h.image) }] })).changed).toBe(false);

    const planned = await c.apply({ files: [{ name: 'fleet.yaml', text: fleet(h.image, 4) }], dryRun: true });
    expect(planned.entries.find((e) => e.kind === 'Pool')).toMatchObject({ action: 'update', changes: [{ field: 'desired', from: 1, to: 4 }, { field: 'warm', from: 1, to: 4 }] });
    expect((await h.store.getPool('p'))?.desired).toBe(1);

    const exported = await c.exportFleet();
    expect(exported.map((d) => `${d.kind}/${d.metadata.name}`)).toEqual(['Template/t', 'Pool/p', 'Workflow/ext']);
    const again = await c.apply({ documents: exported });
    expect(again.changed).toBe(false);
    expect(path.basename((await scheduler.workflows.fileOf('ext')) ?? '')).toBe('ext.yaml');
  });

  it('answers 400 with every problem by file, line and field, and changes nothing', async () => {
    const text = fleet(h.image).replace('desired: 1', 'desired: -1');
    const res = await api.app.request('/api/v1/apply', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ files: [{ name: 'f.yaml', text }] }) });
    expect(res.status).toBe(400);
    const body = (await res.json()) as { error: { code: string; details: { issues: unknown[] } } };
    expect(body.error.code).toBe('INVALID_INPUT');
    expect(body.error.details.issues).toEqual([{ file: 'f.yaml', line: 9, path: 'spec.desired', message: expect.any(String) as string }]);
    expect(await h.store.listTemplates()).toEqual([]);
  });

  it('refuses a body that is not JSON or has unknown fields', async () => {
    const plain = await api.app.request('/api/v1/apply', { method: 'POST', headers: { 'content-type': 'text/plain' }, body: fleet(h.image) });
    expect(plain.status).toBeGreaterThanOrEqual(400);
    expect(plain.status).toBeLessThan(500);
    const extra = await api.app.request('/api/v1/apply', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ files: [], force: true }) });
    expect(extra.status).toBe(400);
    expect(await h.store.listTemplates()).toEqual([]);
  });
});
