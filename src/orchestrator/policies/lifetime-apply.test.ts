import { afterEach, describe, expect, it } from 'vitest';
import { harness, type Harness } from '../../../test/helpers/harness.js';
import { HvkubeError } from '../../domain/errors.js';
import { applyFleet, exportFleet, fleetToYaml, type ApplyDeps, type FleetIssue } from '../apply/index.js';

const open: Harness[] = [];
afterEach(async () => {
  for (const h of open.splice(0)) await h.close();
});

async function setup(): Promise<{ h: Harness; deps: ApplyDeps }> {
  const h = await harness();
  open.push(h);
  return { h, deps: { orch: h.orch, workflows: null } };
}

function fleet(image: string, lifetime: string): string {
  return `apiVersion: hvkube/v1
kind: Template
metadata: { name: win11 }
spec: { diskPath: ${image}, memoryMb: 512, cpus: 1 }
---
apiVersion: hvkube/v1
kind: Pool
metadata: { name: desk }
spec:
  template: win11
  desired: 0
  lifetime:
${lifetime}
`;
}

describe('apply and export carry the lifetime policies', () => {
  it('creates them, leaves them alone the second time, changes them, and export gives them back', async () => {
    const { h, deps } = await setup();
    const text = fleet(h.image, '    idleTimeoutS: 900\n    idleAction: save-keep-lease\n    maxVmAgeS: 604800');
    await applyFleet(deps, { files: [{ name: 'fleet.yaml', text }] });
    expect((await h.store.getPool('desk'))?.lifetime).toEqual({ idleTimeoutS: 900, idleAction: 'save-keep-lease', maxLeaseS: null, maxVmAgeS: 604_800 });
    const again = await applyFleet(deps, { files: [{ name: 'fleet.yaml', text }] });
    expect(again.changed).toBe(false);

    const changed = await applyFleet(deps, { files: [{ name: 'fleet.yaml', text: fleet(h.image, '    idleTimeoutS: 900\n    maxLeaseS: 28800') }] });
    const entry = changed.entries.find((e) => e.kind === 'Pool');
    expect(entry?.action).toBe('update');
    expect(entry?.changes.map((c) => c.field)).toEqual(['lifetime']);
    expect((await h.store.getPool('desk'))?.lifetime).toEqual({ idleTimeoutS: 900, idleAction: 'release', maxLeaseS: 28_800, maxVmAgeS: null });

    const exported = fleetToYaml(await exportFleet(deps));
    expect(exported).toMatch(/maxLeaseS: 28800/);
    const back = await applyFleet(deps, { files: [{ name: 'export.yaml', text: exported }] });
    expect(back.changed).toBe(false);
  });

  it('a bad policy names its file, line and field, and changes nothing', async () => {
    const { h, deps } = await setup();
    const text = fleet(h.image, '    idleTimeoutS: 5\n    idleAction: nap');
    const error = await applyFleet(deps, { files: [{ name: 'fleet.yaml', text }] }).then(
      () => null,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(HvkubeError);
    const issues = (error as HvkubeError).details.issues as FleetIssue[];
    expect(issues.map((i) => `${i.line} ${i.path}`).sort()).toEqual(['13 spec.lifetime.idleTimeoutS', '14 spec.lifetime.idleAction']);
    expect(await h.store.listPools()).toEqual([]);

    // Caught after parsing (the domain rule between two fields): still no change, still the field.
    const crossed = fleet(h.image, '    idleTimeoutS: 7200\n    maxLeaseS: 3600');
    const e2 = await applyFleet(deps, { files: [{ name: 'fleet.yaml', text: crossed }] }).then(
      () => null,
      (e: unknown) => e,
    );
    const i2 = ((e2 as HvkubeError).details.issues as FleetIssue[])[0];
    expect(i2?.path).toBe('spec.lifetime');
    expect(await h.store.listPools()).toEqual([]);
  });
});
