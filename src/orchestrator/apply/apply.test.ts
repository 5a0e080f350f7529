import { mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { harness, type Harness } from '../../../test/helpers/harness.js';
import { HvkubeError } from '../../domain/errors.js';
import { WorkflowCatalog } from '../workflows/workflow-catalog.js';
import { applyFleet, exportFleet, fleetToYaml, type ApplyDeps, type FleetIssue } from './index.js';

const open: Harness[] = [];
afterEach(async () => {
  for (const h of open.splice(0)) await h.close();
});

async function setup(): Promise<{ h: Harness; deps: ApplyDeps }> {
  const h = await harness();
  open.push(h);
  return {
    h,
    deps: { orch: h.orch, workflows: new WorkflowCatalog(path.join(h.dir, 'workflows')) },
  };
}

function fleet(image: string, o: { desired?: number; extraPool?: boolean } = {}): string {
  return `apiVersion: hvkube/v1
kind: Template
metadata: { name: win11 }
spec:
  diskPath: ${image}
  memoryMb: 512
  cpus: 1
---
apiVersion: hvkube/v1
kind: Pool
metadata: { name: web }
spec:
  template: win11
  desired: ${o.desired ?? 2}
  warm: 1
  releasePolicy: save
${
  o.extraPool
    ? `---
apiVersion: hvkube/v1
kind: Pool
metadata: { name: batch }
spec: { template: win11, desired: 1 }
`
    : ''
}---
apiVersion: hvkube/v1
kind: Workflow
metadata: { name: hello }
spec:
  executor: steps
  inputs:
    who: { type: string, default: world }
  steps:
    - type_text: "hello {{input.who}}"
`;
}

async function refusal(p: Promise<unknown>): Promise<{ error: HvkubeError; issues: FleetIssue[] }> {
  const error = await p.then(
    () => {
      throw new Error('expected a refusal');
    },
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(HvkubeError);
  const e = error as HvkubeError;
  return { error: e, issues: e.details.issues as FleetIssue[] };
}

describe('apply', () => {
  it('creates what the files name, and a second apply changes nothing', async () => {
    const { h, deps } = await setup();
    const first = await applyFleet(deps, { files: [{ name: 'fleet.yaml', text: fleet(h.image) }] });
    expect(first.entries.map((e) => `${e.action} ${e.kind}/${e.name}`)).toEqual([
      'create Template/win11',
      'create Pool/web',
      'create Workflow/hello',
    ]);
    expect((await h.store.getPool('web'))?.releasePolicy).toBe('save');
    expect(await deps.workflows?.get('hello')).toMatchObject({ name: 'hello', executor: 'steps' });

    const events = (await h.store.listEvents()).length;
    const workflowFile = path.join(h.dir, 'workflows', 'hello.yaml');
    const mtime = statSync(workflowFile).mtimeMs;
    const second = await applyFleet(deps, {
      files: [{ name: 'fleet.yaml', text: fleet(h.image) }],
    });
    expect(second.changed).toBe(false);
    expect(second.entries.every((e) => e.action === 'unchanged')).toBe(true);
    expect((await h.store.listEvents()).length).toBe(events);
    expect(statSync(workflowFile).mtimeMs).toBe(mtime);
  });

  it('changes a pool in place and reports the fields that differ', async () => {
    const { h, deps } = await setup();
    await applyFleet(deps, { files: [{ name: 'fleet.yaml', text: fleet(h.image) }] });
    const r = await applyFleet(deps, {
      files: [{ name: 'fleet.yaml', text: fleet(h.image, { desired: 3 }) }],
    });
    expect(r.entries.find((e) => e.name === 'web')).toMatchObject({
      action: 'update',
      changes: [{ field: 'desired', from: 2, to: 3 }],
    });
    expect(await h.store.getPool('web')).toMatchObject({
      desired: 3,
      warm: 1,
      releasePolicy: 'save',
    });
  });

  it('a dry run plans and changes nothing', async () => {
    const { h, deps } = await setup();
    const r = await applyFleet(
      deps,
      { files: [{ name: 'fleet.yaml', text: fleet(h.image) }] },
      { dryRun: true },
    );
    expect(r.changed).toBe(true);
    expect(await h.store.listTemplates()).toEqual([]);
    expect(await h.store.listPools()).toEqual([]);
    expect(await deps.workflows?.list()).toEqual([]);
  });

  it('a set of files with one error changes nothing at all, and the error names file, line and field', async () => {
    const { h, deps } = await setup();
    const bad = `apiVersion: hvkube/v1
kind: Pool
metadata: { name: other }
spec:
  template: win11
  desired: 2
  warm: many
`;
    const { issues } = await refusal(
      applyFleet(deps, {
        files: [
          { name: 'a/fleet.yaml', text: fleet(h.image) },
          { name: 'b/other.yaml', text: bad },
        ],
      }),
    );
    expect(issues).toEqual([
      { file: 'b/other.yaml', line: 7, path: 'spec.warm', message: expect.any(String) as string },
    ]);
    expect(await h.store.listTemplates()).toEqual([]);
    expect(await h.store.listPools()).toEqual([]);
    expect(await h.store.listEvents()).toEqual([]);
    expect(await deps.workflows?.list()).toEqual([]);
  });

  it('names the line of a problem found after parsing (a disk image that does not exist, warm above desired)', async () => {
    const { h, deps } = await setup();
    const text = fleet(h.image)
      .replace(h.image, path.join(h.dir, 'missing.vhdx'))
      .replace('warm: 1', 'warm: 5');
    const { issues } = await refusal(applyFleet(deps, { files: [{ name: 'fleet.yaml', text }] }));
    expect(issues.map((i) => [i.line, i.path])).toEqual([
      [5, 'spec.diskPath'],
      [15, 'spec.warm'],
    ]);
    expect(await h.store.listTemplates()).toEqual([]);
  });

  it('refuses unknown kinds, versions and fields, bad YAML and the same object twice', async () => {
    const { h, deps } = await setup();
    const cases: [string, string][] = [
      [
        'apiVersion: hvkube/v2\nkind: Pool\nmetadata: { name: p }\nspec: { template: t, desired: 1 }\n',
        'apiVersion',
      ],
      ['apiVersion: hvkube/v1\nkind: Host\nmetadata: { name: p }\nspec: {}\n', 'kind'],
      [
        'apiVersion: hvkube/v1\nkind: Pool\nmetadata: { name: p }\nspec: { template: t, desired: 1, size: 3 }\n',
        'spec',
      ],
      [
        'apiVersion: hvkube/v1\nkind: Pool\nmetadata: { name: "../x" }\nspec: { template: t, desired: 1 }\n',
        'metadata.name',
      ],
      ['apiVersion: hvkube/v1\nkind: Pool\nmetadata: { name: p\n', '(root)'],
      [fleet(h.image) + '---\n' + fleet(h.image).split('---\n')[0], 'metadata.name'],
    ];
    for (const [text, field] of cases) {
      const { issues } = await refusal(applyFleet(deps, { files: [{ name: 'f.yaml', text }] }));
      expect(issues.map((i) => i.path)).toContain(field);
    }
    expect(await h.store.listTemplates()).toEqual([]);
  });

  it('reads JSON files, with line numbers too', async () => {
    const { h, deps } = await setup();
    const text = JSON.stringify(
      [
        {
          apiVersion: 'hvkube/v1',
          kind: 'Template',
          metadata: { name: 't1' },
          spec: { diskPath: h.image, cpus: 0 },
        },
      ],
      null,
      2,
    );
    const { issues } = await refusal(applyFleet(deps, { files: [{ name: 'fleet.json', text }] }));
    expect(issues).toMatchObject([{ path: 'spec.cpus', line: 10 }]);
  });

  it('--prune removes what the files no longer name, but never a pool with a VM in use', async () => {
    const { h, deps } = await setup();
    await applyFleet(deps, {
      files: [{ name: 'fleet.yaml', text: fleet(h.image, { extraPool: true }) }],
    });
    await h.orch.provisionPool('batch');
    const lease = await h.orch.acquire({ pool: 'batch' });
    const files = [{ name: 'fleet.yaml', text: fleet(h.image) }];
    const { issues } = await refusal(applyFleet(deps, { files }, { prune: true }));
    expect(issues[0]?.message).toMatch(/in use/);
    expect(await h.store.getPool('batch')).not.toBeNull();
    expect(await h.store.getVm(lease.vm.name)).toMatchObject({ state: 'running' });

    // Without prune the extra pool is left alone.
    expect((await applyFleet(deps, { files })).changed).toBe(false);

    await (
      await h.orch.release(lease.vm.name)
    ).done;
    const r = await applyFleet(deps, { files }, { prune: true });
    expect(
      r.entries.filter((e) => e.action === 'delete').map((e) => `${e.kind}/${e.name}`),
    ).toEqual(['Pool/batch']);
    expect(await h.store.getPool('batch')).toBeNull();
    expect(await h.store.listVms({ pool: 'batch' })).toEqual([]);
  });

  it('refuses to change a template its pools were cloned from', async () => {
    const { h, deps } = await setup();
    await applyFleet(deps, { files: [{ name: 'fleet.yaml', text: fleet(h.image) }] });
    const { issues } = await refusal(
      applyFleet(deps, {
        files: [
          { name: 'fleet.yaml', text: fleet(h.image).replace('memoryMb: 512', 'memoryMb: 1024') },
        ],
      }),
    );
    expect(issues).toMatchObject([{ path: 'spec.memoryMb', line: 6 }]);
    expect((await h.store.getTemplate('win11'))?.memoryMb).toBe(512);
  });

  it('export then apply on an empty data directory recreates the same templates, pools and workflows', async () => {
    const { h, deps } = await setup();
    await applyFleet(deps, {
      files: [{ name: 'fleet.yaml', text: fleet(h.image, { extraPool: true }) }],
    });
    await h.orch.createPool({
      name: 'made-by-hand',
      template: 'win11',
      desired: 3,
      warm: 2,
      hot: 1,
      maxPerHost: 2,
      maxRunning: 4,
    });
    const exported = fleetToYaml(await exportFleet(deps));

    const empty = mkdtempSync(path.join(os.tmpdir(), 'hvk-apply-'));
    try {
      const other = await harness({ dataDir: empty });
      open.push(other);
      const otherDeps = {
        orch: other.orch,
        workflows: new WorkflowCatalog(path.join(empty, 'workflows')),
      };
      const r = await applyFleet(otherDeps, { files: [{ name: 'export.yaml', text: exported }] });
      expect(r.entries.every((e) => e.action === 'create')).toBe(true);
      const shape = <T extends { createdAt: string }>(rows: T[]): Omit<T, 'createdAt'>[] =>
        rows.map(({ createdAt: _c, ...rest }) => rest);
      expect(shape(await other.store.listPools())).toEqual(shape(await h.store.listPools()));
      expect(shape(await other.store.listTemplates())).toEqual(
        shape(await h.store.listTemplates()),
      );
      expect(await otherDeps.workflows.get('hello')).toEqual(await deps.workflows?.get('hello'));
      expect(
        (await applyFleet(otherDeps, { files: [{ name: 'export.yaml', text: exported }] })).changed,
      ).toBe(false);
      expect(fleetToYaml(await exportFleet(otherDeps))).toBe(exported);
    } finally {
      await open.pop()?.close();
      rmSync(empty, { recursive: true, force: true });
    }
    expect(readdirSync(path.join(h.dir, 'workflows'))).toEqual(['hello.yaml']);
  });
});

describe('the example fleet file', () => {
  it('examples/fleet.yaml is a valid set of documents', async () => {
    const { readFile } = await import('node:fs/promises');
    const { parseFleet } = await import('./documents.js');
    const file = path.join(import.meta.dirname, '../../../examples/fleet.yaml');
    const docs = parseFleet([{ name: file, text: await readFile(file, 'utf8') }]);
    expect(docs.map((d) => `${d.kind}/${d.name}`)).toEqual([
      'Template/win11-office',
      'Pool/office',
      'Workflow/open-notepad',
    ]);
  });

  it('an empty set of files is refused rather than pruning everything', async () => {
    const { h, deps } = await setup();
    await applyFleet(deps, { files: [{ name: 'fleet.yaml', text: fleet(h.image) }] });
    await refusal(
      applyFleet(
        deps,
        { files: [{ name: 'empty.yaml', text: '# nothing yet\n' }] },
        { prune: true },
      ),
    );
    expect(await h.store.getPool('web')).not.toBeNull();
  });
});
