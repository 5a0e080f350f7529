/**
 * The API's wire shapes, as zod schemas. The same schemas validate requests, type the handlers'
 * answers (so they cannot drift from the domain types) and generate the OpenAPI document.
 * Resources are the library's own objects (camelCase); acquire, release and renew speak the
 * snake_case names the service plan fixed (`pool_name`, `vm_name`, `lease_id`, ...).
 * @module
 */
import { z } from '@hono/zod-openapi';
import { AGENT_STATUSES } from '../domain/agent-state.js';
import { isValidName, NAME_PATTERN } from '../domain/validation.js';
import { VM_STATES } from '../domain/vm-state.js';
import { GUEST_DEVICE_SETS, GUEST_OSES } from '../domain/types.js';
import { HOST_STATUSES } from '../store/store.js';
import { CURSOR_PATTERN, REGION_PATTERN } from '../hypervisor/console/screenshot-query.js';

const iso = z.string().openapi({ format: 'date-time', example: '2026-12-01T09:30:00.000Z' });
const int = (min: number, max: number): z.ZodNumber => z.number().int().min(min).max(max);

/** A template, pool or VM name: the strict rule of domain/validation, checked before any lookup. */
export const NameSchema = z
  .string()
  .max(63)
  .regex(NAME_PATTERN)
  .refine(isValidName, { message: 'not an allowed name' })
  .openapi({ example: 'demo', description: '1-63 letters, digits, ".", "_" or "-", starting with a letter or digit' });

export const nameParam = (what: string): z.ZodObject<{ name: typeof NameSchema }> =>
  z.object({ name: NameSchema.openapi({ param: { name: 'name', in: 'path' }, description: `${what} name` }) });

/** `?flag=true` in a query string (`1` and `0` are accepted too); documented as a boolean. */
export const QueryBool = z
  .enum(['true', 'false', '1', '0'])
  .transform((v) => v === 'true' || v === '1')
  .openapi({ type: 'boolean', enum: undefined });

/** A whole number in a query string (digits only), documented as an integer. */
export const queryInt = (min: number, max: number, description?: string) =>
  z
    .string()
    .regex(new RegExp(`^\\d{1,${String(max).length}}$`))
    .transform(Number)
    .pipe(int(min, max))
    .openapi({ type: 'integer', pattern: undefined, minimum: min, maximum: max, ...(description ? { description } : {}) });

export const ErrorSchema = z
  .object({
    error: z.object({
      code: z.string().openapi({ example: 'POOL_NOT_FOUND' }),
      message: z.string(),
      details: z.record(z.string(), z.unknown()),
    }),
  })
  .openapi('Error');

// ---- templates ----
const ProbeSchema = z.discriminatedUnion('type', [
  z.object({ type: z.literal('heartbeat') }),
  z.object({ type: z.literal('ip') }),
  z.object({ type: z.literal('tcp'), port: int(1, 65535) }),
  z.object({ type: z.literal('http'), port: int(1, 65535), path: z.string().max(512) }),
]);
const McpSchema = z.object({ port: int(1, 65535), path: z.string().max(512) });
const BootSchema = z.object({ kernel: z.string().max(4096), initrd: z.string().max(4096).nullable(), cmdline: z.string().max(1024) });
const GuestDisplaySchema = z.object({ width: int(640, 7680), height: int(480, 4320) });
const GuestSchema = z
  .object({
    os: z.enum(GUEST_OSES).openapi({ description: 'the guest operating system; the backend builds the machine for it' }),
    secureBoot: z.boolean().openapi({ description: 'UEFI Secure Boot (Windows guests)' }),
    devices: z.enum(GUEST_DEVICE_SETS).openapi({ description: 'stock: AHCI disk and e1000e network, drivers every Windows has; virtio: the image has the virtio drivers' }),
    display: GuestDisplaySchema.nullable().openapi({ description: 'resolution the display offers first (EDID); null: the default' }),
  })
  .openapi('GuestMachine');

export const TemplateSchema = z
  .object({
    name: z.string(),
    diskPath: z.string(),
    memoryMb: z.number().int(),
    cpus: z.number().int(),
    gpu: z.boolean(),
    software: z.array(z.string()),
    probes: z.array(ProbeSchema),
    credentialsRef: z.string().nullable(),
    mcp: McpSchema.nullable(),
    rdpPort: z.number().int(),
    boot: BootSchema.nullable(),
    readyTimeoutS: z.number().int().nullable().openapi({ description: 'seconds a boot or resume may take to become ready; null: by the accelerator' }),
    guest: GuestSchema,
    createdAt: iso,
  })
  .openapi('Template');

export const TemplateCreateSchema = z
  .object({
    name: NameSchema,
    diskPath: z.string().min(1).max(4096).openapi({ description: 'golden image on the server host' }),
    memoryMb: int(64, 1_048_576).optional(),
    cpus: int(1, 240).optional(),
    gpu: z.boolean().optional(),
    software: z.array(z.string().min(1).max(200)).max(200).optional(),
    probes: z.array(ProbeSchema).max(16).optional(),
    credentialsRef: z.string().max(600).nullable().optional(),
    mcp: McpSchema.nullable().optional(),
    rdpPort: int(1, 65535).optional(),
    boot: BootSchema.nullable().optional(),
    readyTimeoutS: int(1, 3600).nullable().optional(),
    guest: GuestSchema.partial().strict().nullable().optional().openapi({ description: 'default: a Linux guest; a Windows guest defaults to stock devices and Secure Boot on' }),
  })
  .strict()
  .openapi('TemplateCreate');

// ---- pools ----
const ReleasePolicySchema = z.enum(['save', 'reset', 'destroy']);
const VmStateSchema = z.enum(VM_STATES);

const IdleActionSchema = z.enum(['release', 'save-keep-lease']);

export const PoolLifetimeSchema = z
  .object({
    idleTimeoutS: z.number().int().nullable(),
    idleAction: IdleActionSchema,
    maxLeaseS: z.number().int().nullable(),
    maxVmAgeS: z.number().int().nullable(),
  })
  .openapi('PoolLifetime');

/** Idle and lifetime policies as given: fields left out keep their value (default: off), null turns a limit off. */
export const PoolLifetimeInputSchema = z
  .object({
    idleTimeoutS: int(60, 30 * 86_400)
      .nullable()
      .optional()
      .openapi({ description: 'a leased VM with no input or API call through hvkube for this many seconds is acted on by idleAction' }),
    idleAction: IdleActionSchema.optional().openapi({
      description: '`release` ends the lease (the VM returns by the release policy); `save-keep-lease` saves the VM, lease kept, and the next call resumes it. Default `release`',
    }),
    maxLeaseS: int(60, 365 * 86_400)
      .nullable()
      .optional()
      .openapi({ description: 'a lease lasts at most this many seconds from its acquire; renews cannot pass it' }),
    maxVmAgeS: int(600, 3650 * 86_400)
      .nullable()
      .optional()
      .openapi({ description: 'an unleased VM older than this many seconds since its clone is replaced by a fresh clone' }),
  })
  .strict()
  .openapi('PoolLifetimeInput');
const AutoscaleFields = {
  min: int(0, 1000).openapi({ description: 'fewest VMs the pool keeps; 0 lets an idle pool scale to zero (the template stays)' }),
  max: int(1, 1000).openapi({ description: 'most VMs the pool may have' }),
  target: int(0, 1000).openapi({ description: 'ready VMs (saved or paused, unleased) kept beyond the current demand' }),
  scaleDownAfterMs: int(0, 7 * 24 * 3600 * 1000).openapi({ description: 'a ready VM unused this long may be removed (never below min or the demand)' }),
};

export const AutoscaleSchema = z.object(AutoscaleFields).openapi('PoolAutoscale');

/** Autoscaling bounds in a create or scale request: what is left out keeps its current value (or the default). */
export const AutoscaleInputSchema = z
  .object({
    min: AutoscaleFields.min.optional(),
    max: AutoscaleFields.max.optional(),
    target: AutoscaleFields.target.optional(),
    scaleDownAfterMs: AutoscaleFields.scaleDownAfterMs.optional(),
  })
  .strict()
  .openapi('PoolAutoscaleInput', { description: 'defaults: min 0, target 1, scaleDownAfterMs 300000; max is required to turn autoscaling on' });

const ScaleDecisionSchema = z
  .object({
    at: iso,
    from: z.number().int(),
    to: z.number().int(),
    reason: z.string().openapi({ description: 'the demand seen and why the size is what it is' }),
    signals: z.object({
      inUse: z.number().int(),
      ready: z.number().int(),
      coming: z.number().int().openapi({ description: 'being provisioned, reset or saved: ready soon' }),
      waiting: z.number().int().openapi({ description: 'acquires waiting in the deciding process' }),
      queued: z.number().int().openapi({ description: 'queued agents that could start if a VM were free' }),
      idle: z.number().int().openapi({ description: 'ready VMs unused for longer than scaleDownAfterMs' }),
    }),
    limitedBy: z.enum(['min', 'max', 'capacity', 'placement', 'idle-period']).nullable(),
  })
  .openapi('ScaleDecision');

export const AutoscaleViewSchema = z
  .object({
    ...AutoscaleFields,
    last: ScaleDecisionSchema.nullable().openapi({ description: 'the last decision: a change of size, or growth held back by capacity or placement' }),
    coldStartMs: z.number().int().nullable().openapi({ description: 'last measured time for a new VM from nothing to ready (clone, boot, checkpoint, save): what an acquire waits beyond a resume when the pool is at zero' }),
    coldStartMeasuredAt: iso.nullable(),
  })
  .openapi('PoolAutoscaleStatus');

export const PoolSchema = z
  .object({
    name: z.string(),
    template: z.string(),
    desired: z.number().int(),
    warm: z.number().int(),
    hot: z.number().int(),
    maxPerHost: z.number().int().nullable(),
    releasePolicy: ReleasePolicySchema,
    maxRunning: z.number().int().nullable(),
    lifetime: PoolLifetimeSchema,
    autoscale: AutoscaleSchema.nullable().openapi({ description: 'null: the size is set by hand; else the pool controller sets desired (and warm) within these bounds' }),
    createdAt: iso,
  })
  .openapi('Pool');

export const PoolStatusSchema = z
  .object({
    pool: PoolSchema,
    counts: z.partialRecord(VmStateSchema, z.number().int()),
    total: z.number().int(),
    ready: z.number().int(),
    inUse: z.number().int(),
    health: z.object({ degraded: z.string().nullable(), lastError: z.string().nullable(), failures: z.number().int(), retryAt: z.number() }),
    resetMethod: z.enum(['checkpoint', 'cold-boot']).openapi({
      description:
        'How a reset (release policy `reset`, `vm reset`, repair) brings a VM back: `checkpoint` restores the saved clean state with no boot; ' +
        '`cold-boot` (a GPU template on a backend that cannot checkpoint GPU VMs, such as Hyper-V) gives the VM a fresh disk, boots it and saves it, ' +
        'so each reset takes as long as provisioning a VM.',
    }),
    autoscale: AutoscaleViewSchema.nullable(),
  })
  .openapi('PoolStatus');

export const PoolCreateSchema = z
  .object({
    name: NameSchema,
    template: NameSchema,
    desired: int(0, 1000).optional().openapi({ description: 'the size; required unless autoscale is given, where it is the size to start at (default: the target, within min and max)' }),
    warm: int(0, 1000).optional(),
    hot: int(0, 1000).optional(),
    maxPerHost: int(1, 1000).nullable().optional(),
    releasePolicy: ReleasePolicySchema.optional(),
    maxRunning: int(1, 1000).nullable().optional(),
    lifetime: PoolLifetimeInputSchema.optional(),
    autoscale: AutoscaleInputSchema.nullable().optional(),
  })
  .strict()
  .openapi('PoolCreate');

export const PoolScaleSchema = z
  .object({
    desired: int(0, 1000).optional().openapi({ description: 'the size; required unless the pool is (or becomes) autoscaled' }),
    warm: int(0, 1000).optional(),
    hot: int(0, 1000).optional(),
    autoscale: AutoscaleInputSchema.nullable().optional().openapi({ description: 'bounds to set (fields left out keep their value); null turns autoscaling off' }),
    lifetime: PoolLifetimeInputSchema.optional(),
  })
  .strict()
  .openapi('PoolScale');

export const ProvisionReportSchema = z
  .object({
    pool: z.string(),
    provisioned: z.array(z.string()),
    failed: z.array(z.object({ vm: z.string(), error: z.string() })),
    status: PoolStatusSchema,
  })
  .openapi('ProvisionReport');

// ---- VMs ----
export const VmSchema = z
  .object({
    name: z.string(),
    pool: z.string(),
    template: z.string(),
    host: z.string(),
    state: VmStateSchema,
    stateSince: iso,
    diskPath: z.string().nullable(),
    savedStatePath: z.string().nullable(),
    ip: z.string().nullable(),
    rdpPort: z.number().int().nullable(),
    mcpEndpoint: z.string().nullable(),
    lease: z.object({ id: z.string(), holder: z.string(), expiresAt: iso.nullable(), display: z.object({ width: z.number().int(), height: z.number().int() }).nullable().optional() }).nullable(),
    hasClean: z.boolean(),
    bootMs: z.number().nullable(),
    lastResumeMs: z.number().nullable(),
    lastSaveMs: z.number().nullable(),
    lastError: z.string().nullable(),
    createdAt: iso,
    leaseStartedAt: iso.nullable().optional().openapi({ description: 'when the current lease began' }),
    lastActivityAt: iso.nullable().optional().openapi({ description: 'last input, screenshot or API call through hvkube while leased (written at most every 15 s)' }),
    parkedAt: iso.nullable().optional().openapi({ description: 'set while the idle policy keeps the VM saved under its lease; the next call resumes it' }),
  })
  .openapi('Vm');

/** The body of an action that takes no options: none, or `{}`; anything else is refused. */
export const NoOptionsSchema = z.object({}).strict().openapi('NoOptions');

export const ForceSchema = z.object({ force: z.boolean().optional() }).strict().openapi('Force');
export const ForceQuerySchema = z.object({ force: QueryBool.optional() });

/** The caller's lease on a console operation: a stale one is refused with 409 (LEASE_MISMATCH). */
export const ConsoleLeaseId = z
  .string()
  .min(1)
  .max(100)
  .optional()
  .openapi({ description: 'the lease the acquire answered; when given, the operation is refused with 409 unless the VM still holds it' });

export const TypeTextSchema = z.object({ text: z.string().max(10_000), lease_id: ConsoleLeaseId }).strict().openapi('TypeText');
export const KeysSchema = z
  .object({ chords: z.array(z.string().min(1).max(64)).min(1).max(100).openapi({ example: ['ctrl+l', 'enter'] }), lease_id: ConsoleLeaseId })
  .strict()
  .openapi('Keys');
export const ClickSchema = z
  .object({
    x: int(0, 16384),
    y: int(0, 16384),
    button: z.enum(['left', 'right', 'middle']).optional(),
    double: z.boolean().optional(),
    count: int(1, 3).optional().openapi({ description: 'clicks: 1, 2 (double) or 3 (triple)' }),
    lease_id: ConsoleLeaseId,
  })
  .strict()
  .openapi('Click');
const RegionQuery = (what: string) =>
  z
    .string()
    .regex(REGION_PATTERN, 'X,Y,WIDTH,HEIGHT in screen pixels')
    .optional()
    .openapi({ description: what, example: '0,0,640,480' });
export const ScreenshotQuerySchema = z.object({
  format: z.enum(['png', 'jpeg', 'webp']).optional().openapi({ description: 'image format; the answer\'s Content-Type matches. Default png' }),
  quality: queryInt(1, 100, 'JPEG/WebP quality (not with png). Default 80').optional(),
  width: queryInt(16, 7680, 'scale to fit this width in pixels (aspect kept; with height, fit inside both)').optional(),
  height: queryInt(16, 7680, 'scale to fit this height in pixels (aspect kept)').optional(),
  longest_side: queryInt(16, 7680, 'scale so that the longer side is this long (not with width/height)').optional(),
  region: RegionQuery('only this rectangle of the screen, X,Y,WIDTH,HEIGHT in native pixels; the size options then scale it'),
  zoom: RegionQuery('this rectangle enlarged to the size the whole screen would have (a magnifier); not with region'),
  cursor: z
    .string()
    .regex(CURSOR_PATTERN, 'true, false or X,Y')
    .optional()
    .openapi({ description: 'draw a pointer: true where hvkube last moved it, or X,Y. Default false', example: 'true' }),
  lease_id: ConsoleLeaseId,
});
export const DisplaySchema = z
  .object({ width: int(16, 7680), height: int(16, 4320) })
  .strict()
  .openapi('Display', { example: { width: 1024, height: 768 } });

/** One action as the chosen dialect spells it; checked by the server against that dialect, with the index and field of the first fault. */
const ActionItemSchema = z.unknown().openapi('Action', {
  type: 'object',
  description: 'hvkube: {"action": "click", "x": 10, "y": 20}; Anthropic: a computer tool_use input, e.g. {"action": "left_click_drag", "start_coordinate": [x, y], "coordinate": [x, y]}; OpenAI: a computer_call action, e.g. {"type": "drag", "path": [{"x": 1, "y": 2}, {"x": 3, "y": 4}]}',
});

export const ActionsRequestSchema = z
  .object({
    format: z.enum(['hvkube', 'anthropic', 'openai']).openapi({ description: 'the dialect of the actions' }),
    actions: z.array(ActionItemSchema).min(1).max(100),
    screenshot: z.boolean().optional().openapi({ description: 'take a screenshot after the last action (always for openai; otherwise when the last action is no screenshot or zoom)' }),
    display: DisplaySchema.optional().openapi({ description: 'the display size the agent sees for this call; default the lease\'s, else the real screen' }),
    call_id: z.string().min(1).max(200).optional().openapi({ description: 'the tool call id (Anthropic tool_use.id, OpenAI call_id), echoed in reply' }),
    lease_id: ConsoleLeaseId,
  })
  .strict()
  .openapi('ActionsRequest');

const PointSchema = z.object({ x: z.number().int(), y: z.number().int() });
export const ActionsAnswerSchema = z
  .object({
    results: z.array(
      z.object({
        index: z.number().int(),
        action: z.string(),
        ok: z.literal(true),
        cursor: PointSchema.nullable().optional(),
        image: z.object({ width: z.number().int(), height: z.number().int() }).optional(),
      }),
    ),
    cursor: PointSchema.nullable().openapi({ description: 'the pointer after the last action, in the display space; null while unknown' }),
    screenshot: z
      .object({ media_type: z.literal('image/png'), data: z.string().openapi({ description: 'base64' }), width: z.number().int(), height: z.number().int() })
      .optional(),
    display: z.object({ width: z.number().int(), height: z.number().int() }),
    reply: z.record(z.string(), z.unknown()).optional().openapi({ description: 'to hand back to the model as is: an Anthropic tool_result block or an OpenAI computer_call_output item' }),
  })
  .openapi('ActionsAnswer');

export const ScreenInfoSchema = z
  .object({
    width: z.number().int(),
    height: z.number().int(),
    cursor: PointSchema.nullable().openapi({ description: 'where the pointer is (the backend\'s answer or where hvkube last put it), in the lease\'s display space when the lease id is given; null while unknown' }),
    display: z.object({ width: z.number().int(), height: z.number().int() }).nullable().openapi({ description: 'the display size of the lease named by lease_id, when it declared one' }),
  })
  .openapi('ScreenInfo');
export const ScreenInfoQuerySchema = z.object({ lease_id: ConsoleLeaseId });

const KeyListSchema = z.array(z.string().min(1).max(40)).min(1).max(8).openapi({ example: ['ctrl', 'shift'] });
export const KeyStateSchema = z
  .object({
    keys: KeyListSchema,
    down: z.boolean().openapi({ description: 'true presses the keys in order and keeps them down; false releases them in order' }),
    lease_id: ConsoleLeaseId,
  })
  .strict()
  .openapi('KeyState');
export const MouseButtonStateSchema = z
  .object({
    button: z.enum(['left', 'right', 'middle']).optional(),
    down: z.boolean(),
    x: int(0, 16384).optional(),
    y: int(0, 16384).optional(),
    lease_id: ConsoleLeaseId,
  })
  .strict()
  .openapi('MouseButtonState');

export const ConsoleAccessSchema = z
  .object({ command: z.array(z.string()).nullable(), instructions: z.string() })
  .openapi('ConsoleAccess');

// ---- acquire / release / renew ----
export const AcquireRequestSchema = z
  .object({
    pool_name: NameSchema,
    timeout_s: int(0, 3600).optional().openapi({ description: 'seconds to wait for a free VM. Default 30' }),
    wait: z.boolean().optional().openapi({ description: 'false: answer 503 at once when no VM is ready. Default true' }),
    holder: z.string().min(1).max(200).optional().openapi({ description: 'who holds the VM, shown in listings' }),
    lease_ttl_s: int(10, 7 * 24 * 3600).optional().openapi({ description: 'the lease expires unless renewed; default: the server\'s api.leaseTtlS (600)' }),
    display: DisplaySchema.optional().openapi({
      description: 'the display size the agent sees (e.g. 1024x768): screenshots under this lease are scaled to it and coordinates sent with this lease id mapped back to the real screen',
    }),
  })
  .strict()
  .openapi('AcquireRequest');

export const AcquireAnswerSchema = z
  .object({
    vm_name: z.string(),
    ip_address: z.string().nullable(),
    rdp_port: z.number().int().nullable(),
    mcp_endpoint: z.string().nullable(),
    lease_id: z.string(),
    lease_expires_at: iso.nullable(),
    resume_ms: z.number(),
    wait_ms: z.number(),
    hot: z.boolean(),
    display: DisplaySchema.nullable().openapi({ description: 'the display size the lease declared, or null for the real screen' }),
  })
  .openapi('AcquireAnswer');

export const ReleaseRequestSchema = z
  .object({ policy: ReleasePolicySchema.optional(), lease_id: z.string().min(1).max(100).optional() })
  .strict()
  .openapi('ReleaseRequest');
export const ReleaseQuerySchema = z.object({
  wait: QueryBool.optional().openapi({ description: 'answer once the VM is back in the pool (saved), not at once' }),
});
export const ReleaseAnswerSchema = z
  .object({ vm_name: z.string(), policy: ReleasePolicySchema, state: z.union([VmStateSchema, z.literal('removed')]) })
  .openapi('ReleaseAnswer');

export const RenewRequestSchema = z
  .object({ lease_id: z.string().min(1).max(100), ttl_s: int(10, 7 * 24 * 3600).optional() })
  .strict()
  .openapi('RenewRequest');

// ---- events, system ----
export const StateEventSchema = z
  .object({
    id: z.number().int(),
    at: iso,
    actor: z.string(),
    kind: z.enum(['vm', 'pool', 'template', 'agent', 'host']),
    subject: z.string(),
    action: z.string(),
    from: z.string().nullable(),
    to: z.string().nullable(),
    durationMs: z.number().nullable(),
    details: z.record(z.string(), z.unknown()).nullable(),
  })
  .openapi('StateEvent');

export const EventsQuerySchema = z.object({
  after: queryInt(0, 999_999_999_999_999, 'only events with a larger id').optional(),
  limit: queryInt(1, 1000).optional(),
  kind: z.enum(['vm', 'pool', 'template', 'agent', 'host']).optional(),
  subject: z.string().max(100).optional(),
});

export const ReconcileRequestSchema = z.object({ removeOrphans: z.boolean().optional() }).strict().openapi('ReconcileRequest');
export const ReconcileReportSchema = z
  .object({ fixed: z.array(z.string()), orphans: z.array(z.string()), missing: z.array(z.string()), removed: z.array(z.string()), repaired: z.array(z.string()), busy: z.array(z.string()).openapi({ description: 'VMs left alone: a live process is working on them' }) })
  .openapi('ReconcileReport');

export const HostInfoSchema = z
  .object({
    backend: z.enum(['hyperv', 'qemu', 'fake']),
    hostname: z.string(),
    cpus: z.number(),
    totalMemoryMb: z.number(),
    freeMemoryMb: z.number(),
    freeDiskMb: z.number().nullable(),
    notes: z.record(z.string(), z.string()),
  })
  .openapi('HostInfo');

export const RemovedSchema = z.object({ removed: z.string() }).openapi('Removed');
export const OkSchema = z.object({ ok: z.literal(true) }).openapi('Ok');

export const AgentStatusSchema = z.enum(AGENT_STATUSES);

// ---- hosts of a fleet (several hosts on one PostgreSQL; none on SQLite) ----
const HostStatusSchema = z.enum(HOST_STATUSES);

export const HostSchema = z
  .object({
    name: z.string(),
    backend: z.string(),
    capacity: z.object({ memoryMb: z.number(), cpus: z.number(), maxVms: z.number().int() }),
    address: z.string().nullable().openapi({ description: 'base URL of its API, where other hosts forward operations on its VMs' }),
    heartbeatAt: iso.nullable(),
    status: HostStatusSchema,
    leaseMs: z.number().int(),
    epoch: z.number().int(),
    registeredAt: iso.nullable(),
  })
  .openapi('Host');

export const HostViewSchema = HostSchema.extend({
  stale: z.boolean().openapi({ description: 'the heartbeat is older than the lease' }),
  vms: z.partialRecord(VmStateSchema, z.number().int()),
  totalVms: z.number().int(),
}).openapi('HostView');

export const HostListSchema = z.object({ hosts: z.array(HostViewSchema) }).openapi('HostList');
export const HostRemovedSchema = z
  .object({ removed: z.string(), vmsForgotten: z.array(z.string()).openapi({ description: 'VM rows forgotten with the host' }) })
  .openapi('HostRemoved');
