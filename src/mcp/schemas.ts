/**
 * Input schemas of the MCP tools. The descriptions are what a calling model reads to decide how
 * to call a tool, so they say units, ranges and defaults.
 * @module
 */
import { z } from 'zod';
import { portable } from './portable-schema.js';

const name = (what: string): z.ZodString => z.string().min(1).max(63).describe(`${what} name`);
const vm = name('VM').describe('VM name, as answered by acquire_desktop');
const leaseId = z
  .string()
  .min(1)
  .max(100)
  .optional()
  .describe(
    'lease id answered by acquire_desktop (in any session) or by an acquire through the CLI or API; lets this session drive that desktop. Default: the lease this session holds on the VM',
  );
const coordinate = (axis: 'x' | 'y'): z.ZodNumber =>
  z
    .number()
    .int()
    .min(0)
    .max(16384)
    .describe(`${axis} in full-size screen pixels (0 = ${axis === 'x' ? 'left' : 'top'} edge)`);

export const ListVmsInput = portable(
  z.object({
    pool: name('pool').optional().describe('only VMs of this pool'),
  }),
);

export const AcquireInput = portable(
  z.object({
    pool: name('pool').describe('pool to take a desktop from (see list_pools)'),
    timeout_s: z
      .number()
      .int()
      .min(0)
      .max(600)
      .optional()
      .describe('seconds to wait when no desktop is ready; 0 fails at once. Default 30'),
  }),
);

export const AcquireOutput = portable(
  z.object({
    vm_name: z.string(),
    lease_id: z.string(),
    lease_expires_at: z.string().nullable(),
    ip_address: z.string().nullable(),
    mcp_endpoint: z.string().nullable(),
    resume_ms: z.number(),
  }),
);

const rect = (what: string) =>
  z
    .object({
      x: z.number().int().min(0).max(16384),
      y: z.number().int().min(0).max(16384),
      width: z.number().int().min(1).max(16384),
      height: z.number().int().min(1).max(16384),
    })
    .optional()
    .describe(what);

export const ScreenshotInput = portable(
  z.object({
    vm,
    lease_id: leaseId,
    scale: z
      .number()
      .min(0.05)
      .max(1)
      .optional()
      .describe(
        'shrink the image by this factor (e.g. 0.5); coordinates for click stay in full-size pixels. Default 1',
      ),
    format: z
      .enum(['png', 'jpeg', 'webp'])
      .optional()
      .describe('image format: png is exact, jpeg and webp are several times smaller. Default png'),
    quality: z.number().int().min(1).max(100).optional().describe('jpeg/webp quality. Default 80'),
    region: rect('only this rectangle of the screen, in full-size screen pixels'),
    zoom: rect(
      'this rectangle of the screen (full-size pixels) enlarged to the size of a whole screenshot, to read small text; not with region',
    ),
    cursor: z
      .boolean()
      .optional()
      .describe('draw the mouse pointer where it was last moved. Default false'),
  }),
);

export const TypeTextInput = portable(
  z.object({
    vm,
    lease_id: leaseId,
    text: z
      .string()
      .min(1)
      .max(10_000)
      .describe("text typed as keystrokes; characters off a US keyboard are pasted through the guest's clipboard where the desktop has a guest channel, otherwise refused. Use press_keys for shortcuts"),
  }),
);

export const PressKeysInput = portable(
  z.object({
    vm,
    lease_id: leaseId,
    keys: z
      .union([z.string().min(1).max(2000), z.array(z.string().min(1).max(64)).min(1).max(100)])
      .describe(
        'key chords pressed in order, e.g. ["ctrl+l", "enter"] or "ctrl+l enter"; names: ctrl shift alt meta enter esc tab space backspace delete up down left right home end pageup pagedown f1-f12 a-z 0-9',
      ),
  }),
);

export const ClickInput = portable(
  z.object({
    vm,
    lease_id: leaseId,
    x: coordinate('x'),
    y: coordinate('y'),
    button: z.enum(['left', 'right', 'middle']).optional().describe('default left'),
    double: z.boolean().optional().describe('double-click. Default false'),
  }),
);

export const MoveMouseInput = portable(
  z.object({ vm, lease_id: leaseId, x: coordinate('x'), y: coordinate('y') }),
);

export const ScrollInput = portable(
  z.object({
    vm,
    lease_id: leaseId,
    delta: z
      .number()
      .int()
      .min(-100)
      .max(100)
      .refine((d) => d !== 0, 'delta must not be 0')
      .describe('wheel notches: negative scrolls up, positive down'),
  }),
);

export const ReleaseInput = portable(
  z.object({
    vm,
    lease_id: leaseId,
    policy: z
      .enum(['save', 'reset', 'destroy'])
      .optional()
      .describe(
        "save keeps the session, reset restores the clean state, destroy deletes the VM. Default: the pool's policy",
      ),
  }),
);

export const SubmitAgentInput = portable(
  z.object({
    pool: name('pool').describe('pool whose VMs run the agent'),
    workflow: name('workflow').describe("workflow to run (see the server's workflow list)"),
    input: z
      .record(z.string(), z.unknown())
      .optional()
      .describe('workflow inputs, by name. Default {}'),
  }),
);

export const AgentStatusInput = portable(
  z.object({
    id: z.string().min(1).max(100).describe('agent id, as answered by submit_agent'),
  }),
);

/** `"ctrl+l enter"` or `["ctrl+l","enter"]` → chords. Commas also separate. */
export function chordList(keys: string | string[]): string[] {
  if (Array.isArray(keys)) return keys;
  // A lone "+" is the plus key, so only whitespace and commas split.
  return keys.split(/[\s,]+/).filter((k) => k.length > 0);
}

const guestPath = z.string().min(1).max(4096).describe('a path inside the guest, e.g. /home/user/a.txt or C:\\Users\\user\\a.txt');

export const RunCommandInput = portable(
  z.object({
    vm,
    lease_id: leaseId,
    argv: z
      .array(z.string().max(32_768))
      .min(1)
      .max(256)
      .describe('the program and its arguments, each passed as data (no shell), e.g. ["ls", "-l", "/tmp"]'),
    shell: z.boolean().optional().describe("run argv's one entry through the guest's shell instead. Default false"),
    cwd: guestPath.optional().describe('working directory in the guest'),
    env: z.record(z.string(), z.string()).optional().describe('environment variables added for this command'),
    stdin: z.string().max(1_000_000).optional().describe('text fed to the command on stdin'),
    timeout_ms: z.number().int().min(1).max(3_600_000).optional().describe('kill it after this long. Default 60000'),
  }),
);

export const ReadFileInput = portable(
  z.object({
    vm,
    lease_id: leaseId,
    path: guestPath,
    max_bytes: z
      .number()
      .int()
      .min(0)
      .max(10 * 1024 * 1024)
      .optional()
      .describe('refuse a larger file rather than read part of it. Default 1048576'),
  }),
);

export const WriteFileInput = portable(
  z.object({
    vm,
    lease_id: leaseId,
    path: guestPath,
    text: z.string().max(10 * 1024 * 1024).optional().describe('the content as text (UTF-8)'),
    base64: z.string().max(14 * 1024 * 1024).optional().describe('the content as Base64 bytes, instead of text'),
  }),
);

export const ListFilesInput = portable(z.object({ vm, lease_id: leaseId, path: guestPath }));
export const GetClipboardInput = portable(z.object({ vm, lease_id: leaseId }));
export const SetClipboardInput = portable(
  z.object({ vm, lease_id: leaseId, text: z.string().max(1_000_000).describe('text to put on the guest clipboard') }),
);
