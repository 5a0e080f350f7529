/**
 * Configuration: defaults, then `<data dir>/config.json`, then environment, then flags.
 * Secrets (API tokens) may come from the environment; they are never logged or printed.
 * @module
 */
import { existsSync, readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { HvkubeError } from '../domain/errors.js';
import { apiTokenSchema, configFileSchema, type ConfigFile, BACKENDS } from './schema.js';

export type BackendChoice = (typeof BACKENDS)[number];

export interface HvkubeConfig {
  dataDir: string;
  backend: BackendChoice;
  databaseUrl: string | null;
  host: string;
  vmPrefix: string;
  provisionConcurrency: number;
  readyTimeoutS: number | null;
  api: { listen: string; tokens: string[]; allowedHosts: string[]; tls: { cert: string; key: string } | null; leaseTtlS: number | null };
  hyperv: { powershell: string; switchName: string | null; sessions: number; vmDir: string | null };
  qemu: {
    binary: string; accel: 'auto' | 'kvm' | 'tcg'; cpuModel: string | null; kvmDevice: string; vnc: boolean;
    network: { mode: 'user' | 'bridge'; bridge?: string };
  };
  webhooks: {
    subscriptions: { url: string; events?: string[]; secret: string }[];
    retry: { baseMs: number; maxMs: number; maxAttempts: number };
  };
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

/** The token from HVKUBE_API_TOKEN, held to the rules of api.tokens in config.json. */
function envToken(value: string | undefined): string[] {
  if (value === undefined || value === '') return [];
  const parsed = apiTokenSchema.safeParse(value);
  if (!parsed.success) {
    // The message names the rule, never the value: the token stays out of every output.
    throw new HvkubeError('INVALID_INPUT', `HVKUBE_API_TOKEN is not a usable token: ${parsed.error.issues.map((i) => i.message).join('; ')}`, {
      hint: 'generate one, e.g. node -e "console.log(require(\'crypto\').randomBytes(24).toString(\'base64url\'))"',
    });
  }
  return [parsed.data];
}

/**
 * PostgreSQL URLs only: any other value is a mistake (`postgress://`, `mysql://`) that must not
 * quietly become the local SQLite file. No URL at all means SQLite.
 */
export function checkDatabaseUrl(url: string | null, source: string): string | null {
  if (url === null) return null;
  if (/^postgres(ql)?:\/\/./i.test(url)) return url;
  const scheme = /^([A-Za-z][A-Za-z0-9+.-]*):\/\//.exec(url)?.[1];
  throw new HvkubeError('INVALID_INPUT', `${source} ${scheme ? `uses the scheme ${JSON.stringify(scheme)}` : 'is not a URL'}; only postgres:// or postgresql:// is supported`, {
    hint: 'fix the URL, or unset it to use the SQLite file in the data directory',
  });
}

export function loadConfig(overrides: ConfigOverrides = {}, env: NodeJS.ProcessEnv = process.env): HvkubeConfig {
  const dataDir = path.resolve(overrides.dataDir ?? defaultDataDir(env));
  const file = readConfigFile(path.join(dataDir, 'config.json'));
  const tokens = [...(file.api?.tokens ?? []), ...envToken(env.HVKUBE_API_TOKEN)];
  const databaseUrl =
    overrides.databaseUrl !== undefined
      ? checkDatabaseUrl(overrides.databaseUrl, 'the databaseUrl option')
      : env.HVKUBE_DATABASE_URL
        ? checkDatabaseUrl(env.HVKUBE_DATABASE_URL, 'HVKUBE_DATABASE_URL')
        : checkDatabaseUrl(file.databaseUrl ?? null, 'databaseUrl in config.json');
  return {
    dataDir,
    backend: backendChoice(overrides.backend) ?? backendChoice(env.HVKUBE_BACKEND) ?? file.backend ?? 'auto',
    databaseUrl,
    host: overrides.host ?? env.HVKUBE_HOST ?? file.host ?? hostName(),
    vmPrefix: file.vmPrefix ?? 'hvk-',
    provisionConcurrency: file.provisionConcurrency ?? 2,
    readyTimeoutS: file.readyTimeoutS ?? null,
    api: {
      listen: file.api?.listen ?? '127.0.0.1:8080',
      tokens,
      allowedHosts: file.api?.allowedHosts ?? [],
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
      network: file.qemu?.network ?? { mode: 'user' },
    },
    webhooks: {
      subscriptions: file.webhooks?.subscriptions ?? [],
      retry: { baseMs: (file.webhooks?.retryBaseS ?? 5) * 1000, maxMs: (file.webhooks?.retryMaxS ?? 600) * 1000, maxAttempts: file.webhooks?.maxAttempts ?? 15 },
    },
  };
}
