/**
 * The simulated host as plain JSON-able data, so the same shape lives in memory or in the state
 * file that several processes share. Faults are part of it so one process can arm a fault that
 * another process trips over.
 * @module
 */
import { z } from 'zod';
import type { HvState } from '../hypervisor.js';
import type { FakeOperation } from './fake-hypervisor-config.js';
import type { FakeScreen } from './fake-screen.js';
import type { FakeGuestFs } from './fake-guest.js';
import { FAKE_OPERATIONS } from './fake-hypervisor-config.js';

export interface FakeCheckpoint {
  name: string;
  /** Taken while the guest ran (or was saved/paused): restoring it leaves the VM saved. */
  withMemory: boolean;
  screen: FakeScreen;
  /** The guest's files and clipboard when the checkpoint was taken (absent in older state files). */
  guest?: FakeGuestFs | undefined;
}

/** An operation in flight, so other callers see a transient state and a crash leaves evidence. */
export interface FakeBusy {
  operation: FakeOperation;
  from: HvState;
  pid: number;
  /** Tells this operation's mark from a later one's. */
  token: string;
}

export interface FakeVmRecord {
  name: string;
  id: string;
  state: HvState;
  memoryMb: number;
  cpus: number;
  gpu: boolean;
  diskPath: string;
  guestPorts: number[];
  checkpoints: FakeCheckpoint[];
  screen: FakeScreen;
  /** Clock time of the last cold boot; the heartbeat waits `guestReady` after it. */
  bootedAt: number | null;
  savedStateCorrupt: boolean;
  busy: FakeBusy | null;
  /** The simulated guest's files and clipboard (created on first use; absent in older state files). */
  guest?: FakeGuestFs | undefined;
}

/** `name: null` matches any VM. */
export interface FakeFaultState {
  failNextResume: { name: string | null }[];
  failNext: { operation: FakeOperation; code: FakeFailureCode; name: string | null }[];
  hangNext: { operation: FakeOperation; name: string | null }[];
}

export const FAKE_FAILURE_CODES = [
  'HV_NOT_FOUND',
  'HV_INVALID_STATE',
  'HV_SAVED_STATE_INCOMPATIBLE',
  'HV_TIMEOUT',
  'HV_UNAVAILABLE',
  'HV_ACCESS_DENIED',
  'HV_MODULE_MISSING',
  'HV_FAILED',
] as const;
export type FakeFailureCode = (typeof FAKE_FAILURE_CODES)[number];

export interface FakeHostState {
  version: 1;
  vms: Record<string, FakeVmRecord>;
  /** Differencing disks this host made (child path → parent), the only files `remove` deletes. */
  disks: Record<string, { parent: string }>;
  faults: FakeFaultState;
}

export function emptyHostState(): FakeHostState {
  return {
    version: 1,
    vms: {},
    disks: {},
    faults: { failNextResume: [], failNext: [], hangNext: [] },
  };
}

const operation = z.enum(FAKE_OPERATIONS);
const hvState = z.enum([
  'off',
  'running',
  'saved',
  'paused',
  'starting',
  'saving',
  'stopping',
  'other',
]);
const screen = z.object({
  lines: z.array(z.string()),
  input: z.string(),
  scroll: z.number(),
  lastKeys: z.array(z.string()),
  pointer: z
    .object({
      x: z.number(),
      y: z.number(),
      button: z.enum(['left', 'right', 'middle']).nullable(),
      double: z.boolean(),
      count: z.number().optional(),
    })
    .nullable(),
  buttonsDown: z.array(z.enum(['left', 'right', 'middle'])).optional(),
  keysDown: z.array(z.string()).optional(),
  events: z.array(z.string()).optional(),
});

const guestFs = z.object({
  files: z.record(z.string(), z.object({ data: z.string(), modified: z.string() })),
  dirs: z.array(z.string()),
  clipboard: z.string(),
});

/** Checks a state file's content; a hand-edited or truncated file fails here, not deep inside an operation. */
export const hostStateSchema = z.object({
  version: z.literal(1),
  vms: z.record(
    z.string(),
    z.object({
      name: z.string(),
      id: z.string(),
      state: hvState,
      memoryMb: z.number(),
      cpus: z.number(),
      gpu: z.boolean(),
      diskPath: z.string(),
      guestPorts: z.array(z.number()),
      checkpoints: z.array(z.object({ name: z.string(), withMemory: z.boolean(), screen, guest: guestFs.optional() })),
      screen,
      bootedAt: z.number().nullable(),
      savedStateCorrupt: z.boolean(),
      busy: z.object({ operation, from: hvState, pid: z.number(), token: z.string() }).nullable(),
      guest: guestFs.optional(),
    }),
  ),
  disks: z.record(z.string(), z.object({ parent: z.string() })),
  faults: z.object({
    failNextResume: z.array(z.object({ name: z.string().nullable() })),
    failNext: z.array(
      z.object({ operation, code: z.enum(FAKE_FAILURE_CODES), name: z.string().nullable() }),
    ),
    hangNext: z.array(z.object({ operation, name: z.string().nullable() })),
  }),
}) satisfies z.ZodType<FakeHostState>;
