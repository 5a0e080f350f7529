/**
 * Helpers for tests and benchmarks that drive the Hyper-V backend against the stand-in: a fresh
 * simulated host in a temporary folder, and session options that launch the stand-in.
 * @module
 */
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { defaultScriptsDir } from '../paths.js';
import type { SessionOptions } from '../powershell-session.js';
import type { HypervConfigInput } from '../config.js';
import type { Faults, Latency } from './faults.js';
import { standinLaunch } from './launch.js';

export interface StandinHost {
  stateDir: string;
  env: NodeJS.ProcessEnv;
  sessionOptions(extra?: Partial<SessionOptions>): SessionOptions;
  backendConfig(extra?: HypervConfigInput): HypervConfigInput;
  dispose(): void;
}

export function standinHost(options: { faults?: Partial<Faults>; latency?: Latency; logFile?: string } = {}): StandinHost {
  const stateDir = mkdtempSync(path.join(os.tmpdir(), 'hvkube-standin-'));
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    HVKUBE_STANDIN_STATE: stateDir,
    HVKUBE_STANDIN_FAULTS: JSON.stringify(options.faults ?? {}),
    HVKUBE_STANDIN_LATENCY: JSON.stringify(options.latency ?? {}),
    ...(options.logFile ? { HVKUBE_STANDIN_LOG: options.logFile } : {}),
  };
  const launch = standinLaunch();
  return {
    stateDir,
    env,
    sessionOptions: (extra = {}) => ({
      executable: launch.executable,
      prefixArgs: launch.prefixArgs,
      scriptsDir: defaultScriptsDir(),
      env,
      startupTimeoutMs: 30_000,
      ...extra,
    }),
    backendConfig: (extra = {}) => ({
      powershell: launch.executable,
      powershellArgs: launch.prefixArgs,
      env,
      startupTimeoutMs: 30_000,
      ...extra,
    }),
    dispose: () => rmSync(stateDir, { recursive: true, force: true }),
  };
}
