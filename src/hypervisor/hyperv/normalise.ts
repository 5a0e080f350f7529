/**
 * Turns what PowerShell prints into plain, typed values. Our scripts project and stringify, but
 * the readers also accept raw Windows PowerShell 5.1 `ConvertTo-Json` output (enums as integers,
 * PascalCase keys, `\/Date(ms)\/`, TimeSpan objects, one object instead of a one-item array,
 * `null` / missing / `""` for "unknown"), so a host or version that slips through still reads
 * correctly. The fixtures in `fixtures/` are real 5.1 output.
 * @module
 */
import type { HvState } from '../hypervisor.js';

/**
 * `Microsoft.HyperV.PowerShell.VMState` by value (the WMI enum uses other numbers), as the Hyper-V
 * module 2.0.0.0 of Windows Server 2019+ defines it (dsccommunity/HyperVDsc's stub generated from a
 * host): 32783 Hibernated and 32784 ComponentServicing come before the *Critical states.
 */
export const VM_STATE_NAMES: Readonly<Record<number, string>> = {
  1: 'Other',
  2: 'Running',
  3: 'Off',
  4: 'Stopping',
  6: 'Saved',
  9: 'Paused',
  10: 'Starting',
  11: 'Reset',
  32773: 'Saving',
  32776: 'Pausing',
  32777: 'Resuming',
  32779: 'FastSaved',
  32780: 'FastSaving',
  32781: 'ForceShutdown',
  32782: 'ForceReboot',
  32783: 'Hibernated',
  32784: 'ComponentServicing',
  32785: 'RunningCritical',
  32786: 'OffCritical',
  32787: 'StoppingCritical',
  32788: 'SavedCritical',
  32789: 'PausedCritical',
  32790: 'StartingCritical',
  32791: 'ResetCritical',
  32792: 'SavingCritical',
  32793: 'PausingCritical',
  32794: 'ResumingCritical',
  32795: 'FastSavedCritical',
  32796: 'FastSavingCritical',
};

export const CHECKPOINT_TYPE_NAMES: Readonly<Record<number, string>> = { 2: 'Disabled', 3: 'Production', 4: 'ProductionOnly', 5: 'Standard' };
export const START_ACTION_NAMES: Readonly<Record<number, string>> = { 2: 'Nothing', 3: 'StartIfRunning', 4: 'Start' };
export const STOP_ACTION_NAMES: Readonly<Record<number, string>> = { 2: 'TurnOff', 3: 'Save', 4: 'ShutDown' };

/** An enum that may arrive as its integer or its name; unknown integers keep their number. */
export function enumName(value: unknown, names: Readonly<Record<number, string>>): string | null {
  if (typeof value === 'number') return names[value] ?? String(value);
  if (typeof value === 'string' && value.trim() !== '') {
    const t = value.trim();
    return /^\d+$/.test(t) ? (names[Number(t)] ?? t) : t;
  }
  return null;
}

const HV_STATES: Readonly<Record<string, HvState>> = {
  Running: 'running',
  Off: 'off',
  Saved: 'saved',
  Paused: 'paused',
  Starting: 'starting',
  Resuming: 'starting',
  Saving: 'saving',
  Stopping: 'stopping',
  ForceShutdown: 'stopping',
};

/**
 * The backend-neutral state. `*Critical` and the rarer states are `other`: they need an operator,
 * and guessing "running" for RunningCritical would hand out a broken VM.
 */
export function toHvState(value: unknown): HvState {
  const name = enumName(value, VM_STATE_NAMES);
  return (name === null ? undefined : HV_STATES[name]) ?? 'other';
}

/** A list however 5.1 printed it: array, single object, nothing, `""`, or `{value, Count}`. */
export function asArray(value: unknown): unknown[] {
  if (value === undefined || value === null || value === '') return [];
  if (Array.isArray(value)) return value as unknown[];
  if (isRecord(value) && Array.isArray(value.value) && 'Count' in value) return value.value as unknown[];
  return [value];
}

export function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** `"\/Date(1488869314761)\/"` (5.1), ISO 8601 (7.x), or nothing. */
export function psDate(value: unknown): Date | null {
  if (typeof value !== 'string' || value === '') return null;
  const m = /^\\?\/Date\((-?\d+)(?:[+-]\d{4})?\)\\?\/$/.exec(value);
  const date = m?.[1] ? new Date(Number(m[1])) : new Date(value);
  return Number.isNaN(date.getTime()) ? null : date;
}

/** Whole seconds of a TimeSpan: the 11-key object, `"d.hh:mm:ss"` text, or a number of seconds. */
export function timeSpanSeconds(value: unknown): number {
  if (typeof value === 'number' && Number.isFinite(value)) return Math.floor(value);
  if (isRecord(value)) {
    if (typeof value.TotalSeconds === 'number') return Math.floor(value.TotalSeconds);
    if (typeof value.Ticks === 'number') return Math.floor(value.Ticks / 10_000_000);
  }
  if (typeof value === 'string') {
    const m = /^(?:(\d+)\.)?(\d+):(\d+):(\d+)(?:\.\d+)?$/.exec(value.trim());
    if (m) return Number(m[1] ?? 0) * 86400 + Number(m[2]) * 3600 + Number(m[3]) * 60 + Number(m[4]);
  }
  return 0;
}

/** Text, with `""`, null and missing all meaning "unknown". */
export function optionalString(value: unknown): string | null {
  if (typeof value === 'string') return value === '' ? null : value;
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  return null;
}

export function int(value: unknown): number {
  if (typeof value === 'number' && Number.isFinite(value)) return Math.trunc(value);
  if (typeof value === 'string' && /^-?\d+$/.test(value.trim())) return Number(value);
  return 0;
}

/** Reads `camel` (our projection) or `Pascal` (raw cmdlet output). */
function pick(raw: Record<string, unknown>, camel: string, pascal: string): unknown {
  return raw[camel] !== undefined ? raw[camel] : raw[pascal];
}

export interface NormalVm {
  id: string;
  name: string;
  /** PowerShell's name for the state, e.g. `Running`, `Saved`, `RunningCritical`. */
  stateName: string;
  state: HvState;
  status: string | null;
  heartbeat: string | null;
  uptimeSeconds: number;
  memoryAssignedBytes: number;
  memoryStartupBytes: number;
  processorCount: number;
  generation: number;
  checkpointType: string | null;
  automaticCheckpointsEnabled: boolean;
  parentCheckpointName: string | null;
  checkpoints: string[];
  automaticStopAction: string | null;
  creationTime: Date | null;
  path: string | null;
}

export function normaliseVm(value: unknown): NormalVm {
  const raw = isRecord(value) ? value : {};
  const stateName = enumName(pick(raw, 'state', 'State'), VM_STATE_NAMES) ?? 'Other';
  const id = optionalString(pick(raw, 'id', 'Id')) ?? optionalString(raw.VMId) ?? '';
  return {
    id: id.toLowerCase(),
    name: optionalString(pick(raw, 'name', 'Name')) ?? optionalString(raw.VMName) ?? '',
    stateName,
    state: toHvState(stateName),
    status: optionalString(pick(raw, 'status', 'Status')),
    heartbeat: optionalString(pick(raw, 'heartbeat', 'Heartbeat')),
    uptimeSeconds: raw.uptimeSeconds !== undefined ? int(raw.uptimeSeconds) : timeSpanSeconds(raw.Uptime),
    memoryAssignedBytes: int(pick(raw, 'memoryAssignedBytes', 'MemoryAssigned')),
    memoryStartupBytes: int(pick(raw, 'memoryStartupBytes', 'MemoryStartup')),
    processorCount: int(pick(raw, 'processorCount', 'ProcessorCount')),
    generation: int(pick(raw, 'generation', 'Generation')),
    checkpointType: enumName(pick(raw, 'checkpointType', 'CheckpointType'), CHECKPOINT_TYPE_NAMES),
    automaticCheckpointsEnabled: pick(raw, 'automaticCheckpointsEnabled', 'AutomaticCheckpointsEnabled') === true,
    parentCheckpointName: optionalString(pick(raw, 'parentCheckpointName', 'ParentSnapshotName')),
    checkpoints: asArray(raw.checkpoints).map((c) => optionalString(c)).filter((c): c is string => c !== null),
    automaticStopAction: enumName(pick(raw, 'automaticStopAction', 'AutomaticStopAction'), STOP_ACTION_NAMES),
    creationTime: psDate(pick(raw, 'creationTime', 'CreationTime')),
    path: optionalString(pick(raw, 'path', 'Path')),
  };
}

export interface NormalAdapter {
  name: string;
  macAddress: string | null;
  switchName: string | null;
  ipAddresses: string[];
}

export function normaliseAdapter(value: unknown): NormalAdapter {
  const raw = isRecord(value) ? value : {};
  return {
    name: optionalString(pick(raw, 'name', 'Name')) ?? '',
    macAddress: optionalString(pick(raw, 'macAddress', 'MacAddress')),
    switchName: optionalString(pick(raw, 'switchName', 'SwitchName')),
    ipAddresses: asArray(pick(raw, 'ipAddresses', 'IPAddresses'))
      .map((a) => optionalString(a))
      .filter((a): a is string => a !== null),
  };
}

/** The first usable IPv4 of the first adapter that has one; link-local 169.254/16 is skipped. */
export function firstIPv4(adapters: readonly NormalAdapter[]): string | null {
  for (const adapter of adapters) {
    for (const address of adapter.ipAddresses) {
      if (/^\d{1,3}(\.\d{1,3}){3}$/.test(address) && !address.startsWith('169.254.')) return address;
    }
  }
  return null;
}

export interface NormalHost {
  hostname: string | null;
  logicalProcessorCount: number;
  memoryCapacityBytes: number;
  freePhysicalMemoryKB: number | null;
  freeDiskBytes: number | null;
  virtualHardDiskPath: string | null;
  osVersion: string | null;
  psVersion: string | null;
}

export function normaliseHost(value: unknown): NormalHost {
  const raw = isRecord(value) ? value : {};
  const freeMem = pick(raw, 'freePhysicalMemoryKB', 'FreePhysicalMemory');
  const freeDisk = raw.freeDiskBytes;
  return {
    hostname: optionalString(raw.hostname) ?? optionalString(raw.ComputerName) ?? optionalString(raw.Name),
    logicalProcessorCount: int(pick(raw, 'logicalProcessorCount', 'LogicalProcessorCount')),
    memoryCapacityBytes: int(pick(raw, 'memoryCapacityBytes', 'MemoryCapacity')),
    freePhysicalMemoryKB: freeMem === undefined || freeMem === null ? null : int(freeMem),
    freeDiskBytes: typeof freeDisk === 'number' ? freeDisk : null,
    virtualHardDiskPath: optionalString(pick(raw, 'virtualHardDiskPath', 'VirtualHardDiskPath')),
    osVersion: optionalString(raw.osVersion),
    psVersion: optionalString(raw.psVersion),
  };
}

export type HeartbeatVerdict = 'ok' | 'no-contact' | 'unknown';

/** VMHeartbeatStatus names whose guest answers (HyperVDsc stub: 5, 6, 7). */
const OK_HEARTBEATS: ReadonlySet<string> = new Set(['OkApplicationsUnknown', 'OkApplicationsHealthy', 'OkApplicationsCritical']);

/**
 * Readiness from the Heartbeat integration service. `PrimaryOperationalStatus` 2 is OK; its
 * description is localized, so the English text is only a fallback. 12 (No Contact) and 13 (Lost
 * Communication) mean the guest is not answering; a VM that is not running has no contact either.
 * `OkApplicationsCritical` counts as ok: the guest OS answers (the desktop is up), only an
 * application it monitors reports trouble, which is no reason to keep a desktop from its pool.
 */
export function heartbeatVerdict(value: unknown): HeartbeatVerdict {
  const raw = isRecord(value) ? value : {};
  const state = toHvState(raw.state);
  if (state !== 'running' && state !== 'other') return 'no-contact';
  const status = optionalString(raw.primaryOperationalStatus);
  const description = optionalString(raw.primaryStatusDescription);
  const heartbeat = optionalString(raw.heartbeat);
  if (status === '2' || status === 'Ok' || status === 'OK' || description === 'OK' || (heartbeat !== null && OK_HEARTBEATS.has(heartbeat))) return 'ok';
  if (status === '12' || status === '13' || status === 'NoContact' || status === 'LostCommunication') return 'no-contact';
  if (description === 'No Contact' || description === 'Lost Communication' || heartbeat === 'NoContact' || heartbeat === 'LostCommunication') {
    return 'no-contact';
  }
  if (raw.enabled === false) return 'unknown';
  return heartbeat === null && status === null ? 'no-contact' : 'unknown';
}
