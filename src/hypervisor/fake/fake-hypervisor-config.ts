/**
 * Options of the fake backend, and how the composition root reads them from the environment.
 * @module
 */
import { z } from 'zod';
import { HvkubeError } from '../../domain/errors.js';
import type { FakeClock } from './fake-clock.js';

/** The simulated operations whose duration, failures and hangs can be configured. */
export const FAKE_OPERATIONS = [
  'boot',
  'resume',
  'save',
  'pause',
  'unpause',
  'stop',
  'checkpoint',
  'restore',
  'create',
  'createDisk',
  'remove',
  'screenshot',
  'input',
  'query',
  // Work inside the guest: exec, file copies, listings, clipboard.
  'guest',
  // Not an operation but the time a booted guest needs before its heartbeat says "ok".
  'guestReady',
] as const;
export type FakeOperation = (typeof FAKE_OPERATIONS)[number];

export type FakeLatencies = Partial<Record<FakeOperation, number>>;

export interface FakeHypervisorOptions {
  /**
   * JSON file holding the simulated host, so that several processes (CLI and server) share it.
   * Unset: state lives in this object only and no state I/O happens.
   */
  stateFile?: string;
  /** Where disks go (`<dataDir>/disks`). Default: the state file's folder, or a temporary folder. */
  dataDir?: string;
  /** Simulated durations in milliseconds; 0 (the default) completes without any timer. */
  latencies?: FakeLatencies;
  clock?: FakeClock;
  hostMemoryMb?: number;
  hostCpus?: number;
  hostname?: string;
  freeDiskMb?: number | null;
  /** Probability (0..1) that a resume fails with HV_FAILED, drawn from a seeded generator. */
  resumeFailureRate?: number;
  randomSeed?: number;
  /**
   * False: like Hyper-V, a VM with a GPU cannot have checkpoints; its "checkpoint" resets it to
   * a fresh disk, so restoring it answers off (a cold boot follows). Default true.
   */
  gpuCheckpoints?: boolean;
  /** A lock file older than this is taken to belong to a crashed process and is broken. */
  staleLockMs?: number;
  /**
   * False: the backend has no guest channel (no `guest` ops), like a backend whose guests run no
   * agent; exec, files and clipboard are refused and text off the keyboard cannot be typed.
   * Default true. Env `HVKUBE_FAKE_GUEST=0`.
   */
  guestChannel?: boolean;
}

const latencySchema = z
  .object(
    Object.fromEntries(
      FAKE_OPERATIONS.map((op) => [op, z.number().finite().min(0).max(3_600_000).optional()]),
    ),
  )
  .strict();

/**
 * Reads `HVKUBE_FAKE_LATENCY` (a JSON object such as `{"boot": 2000, "resume": 300}`), so that
 * `--backend fake` trials can feel like a real host. Answers only the options it found.
 */
export function fakeOptionsFromEnv(
  env: Record<string, string | undefined>,
): Pick<FakeHypervisorOptions, 'latencies' | 'guestChannel'> {
  const guest = env['HVKUBE_FAKE_GUEST'] === '0' ? { guestChannel: false } : {};
  const raw = env['HVKUBE_FAKE_LATENCY'];
  if (raw === undefined || raw.trim() === '') return guest;
  let parsed: unknown;
  try {
    parsed = JSON.parse(raw);
  } catch (e) {
    throw new HvkubeError(
      'INVALID_INPUT',
      `HVKUBE_FAKE_LATENCY is not JSON: ${(e as Error).message}`,
      {
        hint: `set it to an object of milliseconds, e.g. {"boot": 2000, "resume": 300, "save": 400}; operations: ${FAKE_OPERATIONS.join(', ')}`,
        cause: e,
      },
    );
  }
  const result = latencySchema.safeParse(parsed);
  if (!result.success) {
    const problems = result.error.issues
      .map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`)
      .join('; ');
    throw new HvkubeError('INVALID_INPUT', `HVKUBE_FAKE_LATENCY is invalid: ${problems}`, {
      hint: `give an object of non-negative milliseconds keyed by operation: ${FAKE_OPERATIONS.join(', ')}`,
      details: { value: raw },
    });
  }
  return { ...guest, latencies: result.data };
}
