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
    display_width: z.number().int().min(16).max(7680).optional().describe('the display width you work in (e.g. 1024); give display_height too. Screenshots come at this size and your coordinates are mapped to the real screen'),
    display_height: z.number().int().min(16).max(4320).optional().describe('the display height you work in (e.g. 768)'),
  }).refine((v) => (v.display_width === undefined) === (v.display_height === undefined), 'give display_width and display_height together'),
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
    count: z.number().int().min(1).max(3).optional().describe('clicks: 1, 2 (double) or 3 (triple, selects a line). Default 1'),
  }),
);

const button = z.enum(['left', 'right', 'middle']).optional().describe('default left');

export const MouseButtonInput = portable(
  z.object({
    vm,
    lease_id: leaseId,
    down: z.boolean().describe('true presses the button and keeps it down; false releases it'),
    button,
    x: coordinate('x').optional().describe('move here first (give y too)'),
    y: coordinate('y').optional(),
  }),
);

export const KeyStateInput = portable(
  z.object({
    vm,
    lease_id: leaseId,
    keys: z.array(z.string().min(1).max(40)).min(1).max(8).describe('single keys, e.g. ["ctrl", "shift"]; pressed (or released) in this order'),
    down: z.boolean().describe('true keeps them down until released with down: false'),
  }),
);

export const HoldKeysInput = portable(
  z.object({
    vm,
    lease_id: leaseId,
    chord: z.string().min(1).max(60).describe('keys held together, e.g. "shift" or "ctrl+a"'),
    duration_ms: z.number().int().min(0).max(60_000).describe('how long to hold them, in milliseconds'),
  }),
);

export const DragInput = portable(
  z.object({
    vm,
    lease_id: leaseId,
    path: z
      .array(z.object({ x: coordinate('x'), y: coordinate('y') }))
      .min(2)
      .max(100)
      .describe('points the pointer passes with the button held: the first is where it goes down, the last where it is released'),
    button,
    steps: z.number().int().min(1).max(100).optional().describe('moves per segment. Default 10'),
  }),
);

export const ScreenInfoInput = portable(z.object({ vm, lease_id: leaseId }));

export const ComputerActionsInput = portable(
  z.object({
    vm,
    lease_id: leaseId,
    format: z.enum(['hvkube', 'anthropic', 'openai']).describe('the form of the actions: anthropic (computer tool input objects), openai (computer_call action objects) or hvkube'),
    actions: z
      .array(z.record(z.string(), z.unknown()))
      .min(1)
      .max(100)
      .describe('the actions as the tool emits them, e.g. {"action": "left_click", "coordinate": [100, 200]} or {"type": "click", "button": "left", "x": 100, "y": 200}'),
    screenshot: z.boolean().optional().describe('take a screenshot after the last action. Default: only when the last action is a screenshot or zoom (always for openai)'),
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
