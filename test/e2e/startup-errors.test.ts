/**
 * What the CLI says when it cannot start: a damaged SQLite file, a mistyped database URL, a
 * PostgreSQL database that does not exist or a server that refuses, a bad TLS file, a token that
 * breaks the rules. Each is one typed error line, never a stack trace, and nothing is started.
 */
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { runCli, type CliResult } from '../helpers/cli.js';
import { pgEnabled, PG_URL } from '../helpers/fleet.js';

const dirs: string[] = [];
function dataDir(config?: unknown): string {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'hvk-start-'));
  dirs.push(dir);
  if (config !== undefined) writeFileSync(path.join(dir, 'config.json'), JSON.stringify(config));
  return dir;
}
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

/** Refused with one clear line: the exit code of a failure, the message, no stack frames. */
function expectClearError(r: CliResult, message: RegExp): void {
  expect(r.code, r.stderr).not.toBe(0);
  expect(r.stderr).toMatch(message);
  expect(r.stderr).not.toMatch(/^\s+at /m);
  expect(r.stderr).not.toMatch(/this is a bug/);
}

const cli = (dir: string, args: string[], env: Record<string, string | undefined> = {}): Promise<CliResult> =>
  runCli(['--data-dir', dir, '--backend', 'fake', ...args], { env: { HVKUBE_API_TOKEN: undefined, HVKUBE_DATABASE_URL: undefined, ...env } });

describe('startup errors', () => {
  it('a damaged SQLite file', async () => {
    const dir = dataDir();
    writeFileSync(path.join(dir, 'hvkube.db'), 'not a database '.repeat(400));
    expectClearError(await cli(dir, ['pool', 'list']), /SQLite store .*hvkube\.db is damaged or not a database/);
  });

  it('a mistyped database URL is refused, not replaced by SQLite', async () => {
    for (const [env, config] of [
      [{ HVKUBE_DATABASE_URL: 'postgress://postgres@127.0.0.1/test' }, undefined],
      [{ HVKUBE_DATABASE_URL: 'mysql://root@127.0.0.1/hvkube' }, undefined],
      [{}, { databaseUrl: 'postgress://postgres@127.0.0.1/test' }],
      [{}, { databaseUrl: 'db.example:5432/hvkube' }],
    ] as const) {
      const dir = dataDir(config);
      expectClearError(await cli(dir, ['pool', 'list'], env), /only postgres:\/\/ or postgresql:\/\/ is supported/);
      expect(existsSync(path.join(dir, 'hvkube.db'))).toBe(false);
    }
  });

  it.skipIf(!pgEnabled)('a PostgreSQL database that does not exist, and a server that refuses the connection', async () => {
    const missing = new URL(PG_URL);
    missing.pathname = '/hvkube_no_such_database';
    expectClearError(await cli(dataDir(), ['pool', 'list'], { HVKUBE_DATABASE_URL: missing.toString() }), /PostgreSQL database of .* does not exist/);
    const refused = new URL(PG_URL);
    refused.port = '1';
    refused.password = 'secret-password';
    const r = await cli(dataDir(), ['pool', 'list'], { HVKUBE_DATABASE_URL: refused.toString() });
    expectClearError(r, /cannot connect to PostgreSQL at .*ECONNREFUSED/);
    expect(r.stderr).not.toContain('secret-password');
  });

  it('a bad TLS file stops serve before reconcile runs', async () => {
    const dir = dataDir();
    const cert = path.join(dir, 'cert.pem');
    const key = path.join(dir, 'key.pem');
    writeFileSync(cert, '-----BEGIN CERTIFICATE-----\nbm90IGEgY2VydGlmaWNhdGU=\n-----END CERTIFICATE-----\n');
    writeFileSync(key, 'garbage');
    writeFileSync(path.join(dir, 'config.json'), JSON.stringify({ api: { tls: { cert, key } } }));
    const r = await cli(dir, ['serve', '--listen', '127.0.0.1:0']);
    expectClearError(r, /TLS certificate .*cert\.pem and key .*key\.pem are not a usable PEM pair/);
    expect(r.stderr).not.toContain('reconcile fixed');
    writeFileSync(path.join(dir, 'config.json'), JSON.stringify({ api: { tls: { cert: path.join(dir, 'missing.pem'), key } } }));
    expectClearError(await cli(dir, ['serve', '--listen', '127.0.0.1:0']), /cannot read the TLS certificate .*missing\.pem: ENOENT/);
  });

  it('HVKUBE_API_TOKEN follows the rules of api.tokens: a short or blank token is refused', async () => {
    for (const token of ['x', '   ', 'short-token', `${'a'.repeat(20)} ${'b'.repeat(20)}`]) {
      const r = await cli(dataDir(), ['serve', '--listen', '0.0.0.0:0'], { HVKUBE_API_TOKEN: token });
      expectClearError(r, /HVKUBE_API_TOKEN is not a usable token/);
      expect(r.stderr).not.toContain('API on');
      if (token.trim().length > 3) expect(r.stderr).not.toContain(token);
    }
    const r = await cli(dataDir({ api: { tokens: ['                    '] } }), ['pool', 'list']);
    expectClearError(r, /api\.tokens\.0: an API token is printable ASCII without spaces/);
  });
});
