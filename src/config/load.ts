/**
 * Configuration: defaults, then `<data dir>/config.json`, then environment, then flags.
 * Secrets (API tokens) may come from the environment; they are never logged or printed.
 * @module
 */
import { existsSync, readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { HvkubeError } from '../domain/errors.js';
import { configFileSchema, type ConfigFile, BACKENDS } from './schema.js';

export type BackendChoice = (typeof BACKENDS)[number];

export interface HvkubeConfig {
  dataDir: string;
  backend: BackendChoice;
  databaseUrl: string | null;
  host: string;
  vmPrefix: string;
  provisionConcurrency: number;
  readyTimeoutS: number | null;
  api: { listen: string; tokens: string[]; tls: { cert: string; key: string } | null; leaseTtlS: number | null };
  hyperv: { powershell: string; switchName: string | null; sessions: number; vmDir: string | null };
  qemu: { binary: string; accel: 'auto' | 'kvm' | 'tcg'; cpuModel: string | null; kvmDevice: string; vnc: boolean };
}

export interface ConfigOverrides {
  dataDir?: string;
  backend?: string;
  databaseUrl?: string;
  host?: string;
}

export function defaultDataDir(env: NodeJS.ProcessEnv = process.env): string {
  if (env.HVKUBE_DATA_DIR) return path.resolve(env.HVKUBE_DATA_DIR);
  if (process.platform === 'win32' && env.LOCALAPPDATA) return path.join(env.LOCALAPPDATA, 'hvkube');
  return path.join(os.homedir(), '.hvkube');
}

function hostName(): string {
  const h = os.hostname().split('.')[0]?.replace(/[^A-Za-z0-9._-]/g, '-').replace(/^[^A-Za-z0-9]+/, '') ?? '';
  return h.length > 0 ? h.slice(0, 63) : 'local';
}

function readConfigFile(file: string): ConfigFile {
  if (!existsSync(file)) return {};
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(file, 'utf8'));
  } catch (e) {
    throw new HvkubeError('INVALID_INPUT', `config file ${file} is not valid JSON: ${e instanceof Error ? e.message : String(e)}`, {
      hint: 'fix or remove the file',
    });
  }
  const parsed = configFileSchema.safeParse(raw);
  if (!parsed.success) {
    const issues = parsed.error.issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`).join('; ');
    throw new HvkubeError('INVALID_INPUT', `config file ${file} is invalid: ${issues}`, { hint: 'see "Configuration" in the README' });
  }
  return parsed.data;
}

function backendChoice(value: string | undefined): BackendChoice | undefined {
  if (value === undefined || value === '') return undefined;
  if ((BACKENDS as readonly string[]).includes(value)) return value as BackendChoice;
  throw new HvkubeError('INVALID_INPUT', `backend ${JSON.stringify(value)} is unknown`, { hint: 'use hyperv, qemu, fake or auto' });
}

export function loadConfig(overrides: ConfigOverrides = {}, env: NodeJS.ProcessEnv = process.env): HvkubeConfig {
  const dataDir = path.resolve(overrides.dataDir ?? defaultDataDir(env));
  const file = readConfigFile(path.join(dataDir, 'config.json'));
  const tokens = [...(file.api?.tokens ?? []), ...(env.HVKUBE_API_TOKEN ? [env.HVKUBE_API_TOKEN] : [])];
  return {
    dataDir,
    backend: backendChoice(overrides.backend) ?? backendChoice(env.HVKUBE_BACKEND) ?? file.backend ?? 'auto',
    databaseUrl: overrides.databaseUrl ?? env.HVKUBE_DATABASE_URL ?? file.databaseUrl ?? null,
    host: overrides.host ?? env.HVKUBE_HOST ?? file.host ?? hostName(),
    vmPrefix: file.vmPrefix ?? 'hvk-',
    provisionConcurrency: file.provisionConcurrency ?? 2,
    readyTimeoutS: file.readyTimeoutS ?? null,
    api: {
      listen: file.api?.listen ?? '127.0.0.1:8080',
      tokens,
      tls: file.api?.tls ?? null,
      leaseTtlS: file.api?.leaseTtlS ?? null,
    },
    hyperv: {
      powershell: env.HVKUBE_POWERSHELL ?? file.hyperv?.powershell ?? 'powershell.exe',
      switchName: file.hyperv?.switchName ?? null,
      sessions: file.hyperv?.sessions ?? 2,
      vmDir: file.hyperv?.vmDir ?? null,
    },
    qemu: {
      binary: file.qemu?.binary ?? 'qemu-system-x86_64',
      accel: file.qemu?.accel ?? 'auto',
      cpuModel: file.qemu?.cpuModel ?? null,
      kvmDevice: file.qemu?.kvmDevice ?? '/dev/kvm',
      vnc: file.qemu?.vnc ?? false,
    },
  };
}
