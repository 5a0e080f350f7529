/**
 * Opening a runtime for one CLI command from the global flags, and closing it afterwards.
 * @module
 */
import { loadConfig } from '../config/load.js';
import { openRuntime, type Runtime } from '../runtime.js';
import { processOut, type Out } from './output.js';

export interface GlobalOptions {
  dataDir?: string;
  backend?: string;
  json?: boolean;
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
export async function withRuntime<T>(command: { optsWithGlobals(): unknown }, fn: (scope: Scope) => Promise<T>): Promise<T> {
  const g = globals(command);
  const config = loadConfig({ dataDir: g.dataDir, backend: g.backend });
  const rt = await openRuntime(config);
  try {
    return await fn({ rt, out: processOut(), json: g.json === true });
  } finally {
    await rt.close();
  }
}
