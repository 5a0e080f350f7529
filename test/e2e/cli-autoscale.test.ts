import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { parseJson, runCli } from '../helpers/cli.js';

let dir: string;
const hv = (args: string[]): ReturnType<typeof runCli> => runCli(args, { globalArgs: ['--backend', 'fake', '--data-dir', dir] });

beforeEach(() => {
  dir = mkdtempSync(path.join(os.tmpdir(), 'hvk-e2e-autoscale-'));
});
afterEach(() => {
  rmSync(dir, { recursive: true, force: true });
});

describe('hvkube pool: autoscaling flags, end to end', () => {
  it('creates, shows, rescales and turns off an autoscaled pool; refuses bad bounds with exit 2 and changes nothing', async () => {
    const image = path.join(dir, 'g.vhdx');
    writeFileSync(image, 'g');
    expect((await hv(['template', 'create', '--name', 't', '--vhdx', image])).code).toBe(0);

    const bad = await hv(['pool', 'create', '--name', 'p', '--template', 't', '--min', '5', '--max', '3']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('autoscale.min (5) is above autoscale.max (3)');
    const none = await hv(['pool', 'create', '--name', 'p', '--template', 't']);
    expect(none.code).toBe(2);
    expect(none.stderr).toMatch(/--count, or autoscaling bounds with --max/);
    expect(parseJson<unknown[]>(await hv(['pool', 'list', '--json']))).toEqual([]);

    const created = await hv(['pool', 'create', '--name', 'p', '--template', 't', '--min', '0', '--max', '6', '--target', '2', '--scale-down-after', '90']);
    expect(created.code).toBe(0);
    expect(created.stdout).toContain('2 VMs, 2 warm, 0 hot, autoscaled 0..6 with 2 ready beyond demand');
    const shown = await hv(['pool', 'show', 'p']);
    expect(shown.stdout).toContain('autoscale: 0..6 VMs, 2 ready beyond demand, a ready VM unused for 90 s may be removed');
    expect(shown.stdout).toContain('last decision: none yet');

    const refused = await hv(['pool', 'scale', 'p', '--target', '9']);
    expect(refused.code).toBe(2);
    expect(refused.stderr).toContain('autoscale.target (9) is above autoscale.max (6)');
    const scaled = parseJson<{ desired: number; autoscale: { min: number; max: number; target: number; scaleDownAfterMs: number } }>(await hv(['pool', 'scale', 'p', '--max', '10', '--json']));
    expect(scaled).toMatchObject({ desired: 2, autoscale: { min: 0, max: 10, target: 2, scaleDownAfterMs: 90_000 } });
    const off = await hv(['pool', 'scale', 'p', '--no-autoscale', '--count', '3']);
    expect(off.code).toBe(0);
    expect(off.stdout).toBe('pool p: 3 VMs, 3 warm, 0 hot\n');
  });
});
