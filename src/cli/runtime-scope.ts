/**
 * Where a CLI command runs: against the local store and hypervisor (a runtime opened from the
 * global flags, closed afterwards), or against a running `hvkube serve` with `--server URL`
 * (or `HVKUBE_SERVER`). Commands see one `HvkubeOperations` either way.
 * @module
 */
import { HvkubeClient } from '../client/client.js';
import type { HvkubeOperations } from '../client/operations.js';
import { loadConfig } from '../config/load.js';
import { HvkubeError } from '../domain/errors.js';
import { openRuntime, type Runtime, type RuntimeOptions } from '../runtime.js';
import { LocalOperations } from './local-operations.js';
import { processOut, type Out } from './output.js';

export interface GlobalOptions {
  dataDir?: string;
  backend?: string;
  json?: boolean;
  server?: string;
  token?: string;
}

export function globals(command: { optsWithGlobals(): unknown }): GlobalOptions {
  return command.optsWithGlobals() as GlobalOptions;
}

export interface Scope {
  rt: Runtime;
  out: Out;
  json: boolean;
}

/** Runs `fn` with a runtime opened from the command's global options. */
export async function withRuntime<T>(command: { optsWithGlobals(): unknown }, fn: (scope: Scope) => Promise<T>, options: RuntimeOptions = {}): Promise<T> {
  const g = globals(command);
  const config = loadConfig({ dataDir: g.dataDir, backend: g.backend });
  const rt = await openRuntime(config, options);
  try {
    return await fn({ rt, out: processOut(), json: g.json === true });
  } finally {
    await rt.close();
  }
}

export interface OpsScope {
  ops: HvkubeOperations;
  out: Out;
  json: boolean;
  /** True when the command runs on a server (`--server`). */
  remote: boolean;
}

/** The server a command should talk to, if any: `--server`, else `HVKUBE_SERVER`. */
export function serverUrl(g: GlobalOptions, env: NodeJS.ProcessEnv = process.env): string | undefined {
  const url = g.server ?? (env.HVKUBE_SERVER || undefined);
  if (url === undefined) return undefined;
  if (!/^https?:\/\/[^\s/]+/i.test(url)) {
    throw new HvkubeError('INVALID_INPUT', `server ${JSON.stringify(url)} is not an http(s) URL`, { hint: 'e.g. --server http://127.0.0.1:8080' });
  }
  return url;
}

/** Runs `fn` locally or, with `--server`, through the HTTP client. */
export async function withOps<T>(command: { optsWithGlobals(): unknown }, fn: (scope: OpsScope) => Promise<T>): Promise<T> {
  const g = globals(command);
  const url = serverUrl(g);
  if (url !== undefined) {
    const client = new HvkubeClient({ url, token: g.token ?? (process.env.HVKUBE_API_TOKEN || undefined) });
    return fn({ ops: client, out: processOut(), json: g.json === true, remote: true });
  }
  return withRuntime(command, ({ rt, out, json }) => fn({ ops: new LocalOperations(rt), out, json, remote: false }));
}
