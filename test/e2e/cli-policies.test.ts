import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Pool } from '../../src/domain/types.js';
import { parseJson, runCli } from '../helpers/cli.js';

let dir: string;
const hv = (args: string[]): ReturnType<typeof runCli> => runCli(args, { globalArgs: ['--backend', 'fake', '--data-dir', dir] });

beforeEach(() => {
  dir = mkdtempSync(path.join(os.tmpdir(), 'hvk-e2e-policies-'));
});
afterEach(() => {
  rmSync(dir, { recursive: true, force: true });
});

describe('hvkube pool create | scale | show: idle and lifetime policies', () => {
  it('sets, shows and changes them; a bad duration exits 2 and changes nothing', async () => {
    const image = path.join(dir, 'g.vhdx');
    writeFileSync(image, 'g');
    expect((await hv(['template', 'create', '--name', 't', '--vhdx', image])).code).toBe(0);
    const created = await hv(['pool', 'create', '--name', 'p', '--template', 't', '--count', '0', '--idle-timeout', '15m', '--idle-action', 'save-keep-lease', '--max-vm-age', '7d']);
    expect(created.code, created.stderr).toBe(0);
    const shown = await hv(['pool', 'show', 'p']);
    expect(shown.stdout).toMatch(/idle timeout: 15m \(an idle leased VM is saved, lease kept/);
    expect(shown.stdout).toMatch(/max VM age: 7d/);

    const scaled = await hv(['pool', 'scale', 'p', '--max-lease', '8h', '--idle-timeout', 'off', '--json']);
    expect(scaled.code, scaled.stderr).toBe(0);
    expect(parseJson<Pool>(scaled).lifetime).toEqual({ idleTimeoutS: null, idleAction: 'save-keep-lease', maxLeaseS: 28_800, maxVmAgeS: 604_800 });

    const bad = await hv(['pool', 'scale', 'p', '--max-lease', '8 hours']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/--max-lease must be a duration like 90s, 15m, 8h or 30d/);
    const tooShort = await hv(['pool', 'scale', 'p', '--max-vm-age', '1m']);
    expect(tooShort.code).toBe(2);
    expect(tooShort.stderr).toMatch(/max VM age \(s\) must be a whole number from 600/);
    const after = parseJson<{ pool: Pool }>(await hv(['pool', 'show', 'p', '--json']));
    expect(after.pool.lifetime.maxLeaseS).toBe(28_800);
    expect(after.pool.lifetime.maxVmAgeS).toBe(604_800);
  });
});
