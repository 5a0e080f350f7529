/**
 * `hvkube apply`, `diff` and `export` as scripts see them: output, exit codes (diff: 0 nothing
 * would change, 1 something would, 2 error) and a round trip through an exported file.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { runCli } from '../helpers/cli.js';

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(path.join(os.tmpdir(), 'hvk-cli-apply-'));
  writeFileSync(path.join(dir, 'golden.vhdx'), 'golden');
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

const hv = (dataDir: string, ...args: string[]): ReturnType<typeof runCli> =>
  runCli(['--data-dir', dataDir, '--backend', 'fake', ...args]);

function writeFleet(desired: number): string {
  const file = path.join(dir, 'fleet.yaml');
  writeFileSync(
    file,
    `apiVersion: hvkube/v1
kind: Template
metadata: { name: t }
spec: { diskPath: ${JSON.stringify(path.join(dir, 'golden.vhdx'))}, memoryMb: 512, cpus: 1 }
---
apiVersion: hvkube/v1
kind: Pool
metadata: { name: p }
spec: { template: t, desired: ${desired}, warm: 1 }
`,
  );
  return file;
}

describe('hvkube apply / diff / export', () => {
  it('diff exits 1 before apply and 0 after; apply is idempotent; export then apply elsewhere recreates the pools', async () => {
    const data = path.join(dir, 'data');
    const file = writeFleet(2);
    const before = await hv(data, 'diff', '-f', file);
    expect(before.code).toBe(1);
    expect(before.stdout).toContain('+ Pool/p');

    const applied = await hv(data, 'apply', '-f', dir);
    expect(applied.code).toBe(0);
    expect(applied.stdout).toBe('template/t created\npool/p created\n');
    expect((await hv(data, 'apply', '-f', file)).stdout).toBe(
      'template/t unchanged\npool/p unchanged\n',
    );
    expect((await hv(data, 'diff', '-f', file)).code).toBe(0);

    writeFleet(3);
    const changed = await hv(data, 'diff', '-f', file);
    expect(changed.code).toBe(1);
    expect(changed.stdout).toContain('desired: 2 → 3');

    const exported = path.join(dir, 'export', 'all.yaml');
    rmSync(file);
    const { mkdirSync } = await import('node:fs');
    mkdirSync(path.dirname(exported));
    expect((await hv(data, 'export', '-o', exported)).code).toBe(0);
    const other = path.join(dir, 'other');
    expect((await hv(other, 'apply', '-f', exported)).code).toBe(0);
    const pools = async (d: string): Promise<unknown> =>
      (
        JSON.parse((await hv(d, 'pool', 'list', '--json')).stdout) as {
          pool: { createdAt?: string };
        }[]
      ).map((s) => ({ ...s.pool, createdAt: undefined }));
    expect(await pools(other)).toEqual(await pools(data));
    expect(readFileSync(exported, 'utf8')).toContain('kind: Pool');
  });

  it('a file with an error: exit 2, the file, line and field named, nothing created; diff exits 2 too', async () => {
    const data = path.join(dir, 'data');
    const file = writeFleet(2);
    writeFileSync(file, readFileSync(file, 'utf8').replace('warm: 1', 'warm: lots'));
    const r = await hv(data, 'apply', '-f', file);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(`${file}:9: spec.warm`);
    expect((await hv(data, 'diff', '-f', file)).code).toBe(2);
    expect(JSON.parse((await hv(data, 'template', 'list', '--json')).stdout)).toEqual([]);
  });
});
