/**
 * Settings of the Hyper-V backend. Everything has a default that suits a single Windows host
 * with the "Default Switch"; the executable can be swapped for `pwsh` or the stand-in.
 * @module
 */
import { z } from 'zod';
import type { ScriptName } from './script-names.js';
import type { GuestCredentialSource } from '../guest-credentials.js';

export const hypervConfigSchema = z.object({
  /** `powershell.exe` (Windows PowerShell 5.1, recommended), `pwsh`, or a stand-in. Env HVKUBE_POWERSHELL. */
  powershell: z.string().min(1).optional(),
  /** Arguments before PowerShell's own flags, for launchers such as `node --import tsx main.ts`. */
  powershellArgs: z.array(z.string()).default([]),
  /** Long-lived PowerShell processes; operations on different VMs run in parallel across them. */
  sessions: z.number().int().min(1).max(32).default(2),
  /** Folder of the `.ps1` scripts; defaults to the one shipped with the package. */
  scriptsDir: z.string().optional(),
  /** Folder (on the Hyper-V host) for VM disks and configuration; default `<template folder>\hvkube-vms`. */
  vmDirectory: z.string().optional(),
  /** Virtual switch for new VMs; null for none. */
  switchName: z.string().nullable().default('Default Switch'),
  automaticStopAction: z.enum(['Save', 'TurnOff', 'ShutDown']).default('Save'),
  secureBootTemplate: z.string().default('MicrosoftWindows'),
  dynamicMemory: z.boolean().default(true),
  /** Lowest memory dynamic memory may shrink a VM to; Hyper-V takes memory in 2 MB units. */
  minimumMemoryMb: z
    .number()
    .int()
    .min(32)
    .refine((mb) => mb % 2 === 0, { message: 'minimumMemoryMb must be a multiple of 2 MB: Hyper-V refuses memory that is not aligned to 2 MB' })
    .default(1024),
  /** Pause between moving the pointer and clicking, so the guest has taken the move (unverified need, see docs). */
  mouseSettleMs: z.number().int().min(0).max(1000).default(50),
  enhancedSession: z.boolean().default(true),
  /** The host has a partitionable GPU and pools may ask for GPU partitions. */
  gpu: z.boolean().default(false),
  startupTimeoutMs: z.number().int().positive().default(60_000),
  defaultTimeoutMs: z.number().int().positive().default(60_000),
  slowTimeoutMs: z.number().int().positive().default(360_000),
});

export type HypervConfigInput = z.input<typeof hypervConfigSchema> & {
  timeouts?: Partial<Record<ScriptName, number>>;
  /** Observability: every script call with its duration and outcome. */
  onCall?: (script: ScriptName, ms: number, ok: boolean) => void;
  onLog?: (message: string) => void;
  /** Environment of the PowerShell processes (default: this process's). */
  env?: NodeJS.ProcessEnv;
  /** The guest account of a VM (from its template's credentials reference), for PowerShell Direct. */
  guestCredentials?: GuestCredentialSource;
};

export type HypervConfig = z.output<typeof hypervConfigSchema> & {
  powershell: string;
  timeouts: Partial<Record<ScriptName, number>>;
  onCall?: (script: ScriptName, ms: number, ok: boolean) => void;
  onLog?: (message: string) => void;
  env?: NodeJS.ProcessEnv;
  guestCredentials?: GuestCredentialSource;
};

export function resolveHypervConfig(input: HypervConfigInput = {}, env: NodeJS.ProcessEnv = process.env): HypervConfig {
  const parsed = hypervConfigSchema.parse(input);
  return {
    ...parsed,
    powershell: parsed.powershell ?? (env.HVKUBE_POWERSHELL || 'powershell.exe'),
    timeouts: input.timeouts ?? {},
    ...(input.onCall ? { onCall: input.onCall } : {}),
    ...(input.onLog ? { onLog: input.onLog } : {}),
    ...(input.env ? { env: input.env } : {}),
    ...(input.guestCredentials ? { guestCredentials: input.guestCredentials } : {}),
  };
}
