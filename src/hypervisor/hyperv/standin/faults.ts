/**
 * Test hooks of the stand-in, read from the environment once at start:
 * - `HVKUBE_STANDIN_FAULTS` JSON: `hang` (script names that never answer), `exitOn` (scripts on
 *   which the process dies before answering), `exitAfter` (die when request N+1 arrives),
 *   `garbage` (noise and fake frames on stdout), `warnings` (WARNING/VERBOSE lines and progress
 *   records on stdout and stderr), `badReply` (scripts whose framed reply is not JSON),
 *   `noHyperV` (module missing), `notElevated` (access denied), `startupDelayMs`,
 *   `savedStateIncompatible` (VM names whose saved state no longer restores), `jobRate` (share of
 *   WMI calls that answer 4096 "job started", default 0.25) and `seed` (makes that sequence
 *   reproducible), `screen` (the guest's resolution, default 1024×768), `guestCredential`
 *   (USER:PASSWORD that PowerShell Direct accepts) and `guestServiceInterface` (VM names, or "*",
 *   whose Guest Service Interface is on, so Copy-VMFile works).
 * - `HVKUBE_STANDIN_LATENCY` JSON: milliseconds per script name, plus `boot` (cold boot until the
 *   guest's heartbeat turns OK), `merge` (a checkpoint merge after its checkpoint is deleted) and
 *   `getVmPerVm` (a modelled cost per VM object that `Get-VM` without `-Id` enumerates). During a slow operation other processes see the transient state.
 * - `HVKUBE_STANDIN_LOG`: a file that receives one JSON line per request as it arrived.
 * @module
 */
import { z } from 'zod';

const faultsSchema = z.object({
  hang: z.array(z.string()).default([]),
  exitOn: z.array(z.string()).default([]),
  exitAfter: z.number().int().min(0).optional(),
  garbage: z.boolean().default(false),
  warnings: z.boolean().default(false),
  badReply: z.array(z.string()).default([]),
  noHyperV: z.boolean().default(false),
  notElevated: z.boolean().default(false),
  startupDelayMs: z.number().int().min(0).default(0),
  savedStateIncompatible: z.array(z.string()).default([]),
  /** Win32_OperatingSystem.ProductType: 3 Windows Server (default, like the host kit), 1 Windows 10/11. */
  productType: z.number().int().default(3),
  jobRate: z.number().min(0).max(1).default(0.25),
  seed: z.number().int().default(1),
  /** The guest account PowerShell Direct accepts, as USER:PASSWORD (any other is refused). */
  guestCredential: z.string().default('Administrator:hvkube-standin'),
  /** VMs whose Guest Service Interface is enabled (Copy-VMFile works); "*" for all. Default none, as on Hyper-V. */
  guestServiceInterface: z.array(z.string()).default([]),
  screen: z.object({ width: z.number().int().min(64).max(7680), height: z.number().int().min(64).max(4320) }).default({ width: 1024, height: 768 }),
});

export type Faults = z.infer<typeof faultsSchema>;
export type Latency = Record<string, number>;

function parseJsonEnv(name: string, value: string | undefined): unknown {
  if (!value) return {};
  try {
    return JSON.parse(value);
  } catch {
    throw new Error(`${name} is not valid JSON`);
  }
}

export function readFaults(env: NodeJS.ProcessEnv): Faults {
  return faultsSchema.parse(parseJsonEnv('HVKUBE_STANDIN_FAULTS', env.HVKUBE_STANDIN_FAULTS));
}

export function readLatency(env: NodeJS.ProcessEnv): Latency {
  return z.record(z.string(), z.number().min(0)).parse(parseJsonEnv('HVKUBE_STANDIN_LATENCY', env.HVKUBE_STANDIN_LATENCY));
}
