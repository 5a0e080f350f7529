/**
 * What a service runs: `node <hvkube cli> serve` with a data directory, as an account, restarted on
 * failure. Every value is checked here once, so the generated unit and service files can only
 * hold data (no line breaks to start a new directive, no control characters).
 * @module
 */
import path from 'node:path';
import { HvkubeError } from '../domain/errors.js';

export interface ServiceOptions {
  /** Service name: `hvkube` unless more than one runs on the host. */
  name: string;
  /** Absolute path of node (node.exe). */
  nodePath: string;
  /** Absolute path of the hvkube CLI (dist/cli/main.js). */
  cliPath: string;
  dataDir: string;
  /** `--listen HOST:PORT` for serve; null keeps config.json's. */
  listen: string | null;
  /** Account to run as; null: a dedicated dynamic user (Linux) or LocalSystem (Windows). */
  account: string | null;
  /** Where logs go (Windows: the wrapper's log files; Linux: the journal). */
  logDir: string;
  /** Extra environment, e.g. HVKUBE_POWERSHELL. Never secrets: use config.json or a token file. */
  env: Record<string, string>;
}

const NAME = /^[A-Za-z][A-Za-z0-9_.-]{0,63}$/;
const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]{0,127}$/;
// Accounts as Windows (`.\hvkube-svc`, `DOMAIN\svc`, `NT AUTHORITY\LocalService`) and Linux write them.
const ACCOUNT = /^[A-Za-z0-9 ._\\@$-]{1,104}$/;
const LISTEN = /^[A-Za-z0-9.:[\]-]{1,100}:\d{1,5}$/;

function fail(what: string, problem: string, hint: string): never {
  throw new HvkubeError('INVALID_INPUT', `${what} ${problem}`, { hint });
}

function checkText(what: string, value: string): string {
  // eslint-disable-next-line no-control-regex
  if (/[\u0000-\u001f\u007f]/.test(value))
    fail(what, 'contains a line break or control character', 'pass it on one line');
  if (value.length === 0 || value.length > 1024)
    fail(what, 'must be 1 to 1024 characters', 'check the value');
  return value;
}

function checkAbsolute(what: string, value: string, flavour: typeof path.posix): string {
  checkText(what, value);
  // On Windows a service needs the drive (or a UNC share) too: a path from the root alone depends on the current drive.
  const absolute =
    flavour === path.win32 ? /^([A-Za-z]:\\|\\\\[^\\])/.test(value) : flavour.isAbsolute(value);
  if (!absolute)
    fail(what, `${JSON.stringify(value)} is not an absolute path`, 'give the full path');
  return value;
}

/** Validates every field for `platform`'s path rules; answers the options unchanged. */
export function validateServiceOptions(
  o: ServiceOptions,
  platform: 'linux' | 'win32',
): ServiceOptions {
  const flavour = platform === 'win32' ? path.win32 : path.posix;
  if (!NAME.test(o.name))
    fail(
      'service name',
      `${JSON.stringify(o.name)} is not allowed`,
      'use letters, digits, ".", "_" or "-", starting with a letter',
    );
  checkAbsolute('node path', o.nodePath, flavour);
  checkAbsolute('hvkube CLI path', o.cliPath, flavour);
  checkAbsolute('data directory', o.dataDir, flavour);
  checkAbsolute('log directory', o.logDir, flavour);
  if (o.listen !== null && !LISTEN.test(o.listen))
    fail('listen address', `${JSON.stringify(o.listen)} is not HOST:PORT`, 'e.g. 0.0.0.0:8080');
  if (o.account !== null && !ACCOUNT.test(o.account))
    fail(
      'account',
      `${JSON.stringify(o.account)} is not an account name`,
      'e.g. hvkube or .\\hvkube-svc',
    );
  for (const [k, v] of Object.entries(o.env)) {
    if (!ENV_NAME.test(k))
      fail(
        'environment variable',
        `${JSON.stringify(k)} is not a name`,
        'use letters, digits and _',
      );
    checkText(`environment variable ${k}`, v);
  }
  return o;
}

/** The program and arguments the service runs. */
export function serveArgv(o: ServiceOptions): string[] {
  return [
    o.nodePath,
    o.cliPath,
    '--data-dir',
    o.dataDir,
    'serve',
    ...(o.listen === null ? [] : ['--listen', o.listen]),
  ];
}
