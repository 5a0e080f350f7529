/**
 * The owner's side of forwarding: routes under `/api/v1/internal/fleet` that carry out, on this
 * host's hypervisor, an operation another host received for one of this host's VMs. Only the
 * cluster token opens them — an API token does not — and they are left out of the OpenAPI
 * document: they are not part of the public API.
 * @module
 */
import type { OpenAPIHono } from '@hono/zod-openapi';
import { z } from 'zod';
import { HvkubeError } from '../domain/errors.js';
import { RELEASE_POLICIES } from '../domain/types.js';
import { mediaTypeOf } from '../hypervisor/console/screenshot-options.js';
import { screenshotOptionsFromQuery } from '../hypervisor/console/screenshot-query.js';
import type { Orchestrator } from '../orchestrator/orchestrator.js';
import { inputStepsSchema } from '../orchestrator/input/steps.js';
import { isClusterBearer } from './cluster-token.js';
import type { LatencySummary } from './latency.js';

export interface InternalRouteDeps {
  orchestrator: Orchestrator;
  token: string | null;
  /** Forwarding latencies seen by this host as a client, for the stats route. */
  stats: () => Record<string, LatencySummary>;
}

const ResumeBody = z.object({ leaseId: z.string().min(1).max(200), fromHot: z.boolean() }).strict();
const ReleaseBody = z
  .object({ policy: z.enum(RELEASE_POLICIES as [string, ...string[]]).optional(), leaseId: z.string().max(200).optional(), actor: z.string().max(200).optional() })
  .strict();
const TypeBody = z.object({ text: z.string().max(10_000) }).strict();
const KeysBody = z.object({ chords: z.array(z.string().max(100)).min(1).max(100) }).strict();
const Point = { x: z.number().int(), y: z.number().int() };
const ClickBody = z.object({ ...Point, button: z.enum(['left', 'right', 'middle']).optional(), double: z.boolean().optional() }).strict();
const MouseBody = z.object(Point).strict();
const ScrollBody = z.object({ delta: z.number().int() }).strict();
const InputBody = z.object({ steps: inputStepsSchema }).strict();

async function body<T>(schema: z.ZodType<T>, req: { json(): Promise<unknown> }): Promise<T> {
  const parsed = schema.safeParse(await req.json().catch(() => undefined));
  if (!parsed.success) {
    throw new HvkubeError('INVALID_INPUT', `invalid request: ${parsed.error.issues.map((i) => `${i.path.join('.') || '(body)'}: ${i.message}`).join('; ')}`);
  }
  return parsed.data;
}

/** Registers the internal routes on an app mounted at `/api/v1`. */
export function internalFleetRoutes(deps: InternalRouteDeps): (app: OpenAPIHono) => void {
  const orch = deps.orchestrator;
  return (app) => {
    const base = '/internal/fleet';
    app.use(`${base}/*`, async function clusterAuth(c, next) {
      if (!isClusterBearer(c.req.header('authorization'), deps.token)) {
        throw new HvkubeError('FORBIDDEN', 'internal fleet routes need the cluster token', { hint: 'hosts send HVKUBE_CLUSTER_TOKEN; it must be the same on every host' });
      }
      return next();
    });
    app.post(`${base}/vms/:name/resume`, async (c) => {
      const b = await body(ResumeBody, c.req);
      return c.json(await orch.resumeClaimed(c.req.param('name'), b.leaseId, b.fromHot), 200);
    });
    app.post(`${base}/vms/:name/release`, async (c) => {
      const b = await body(ReleaseBody, c.req);
      const r = await orch.release(c.req.param('name'), { ...b, policy: b.policy as (typeof RELEASE_POLICIES)[number] | undefined });
      return c.json({ vm: r.vm, policy: r.policy }, 200);
    });
    app.get(`${base}/vms/:name/screenshot`, async (c) => {
      const options = screenshotOptionsFromQuery(c.req.query());
      const image = await orch.screenshot(c.req.param('name'), options);
      return c.body(new Uint8Array(image), 200, { 'content-type': mediaTypeOf(options.format) });
    });
    app.post(`${base}/vms/:name/type`, async (c) => {
      await orch.typeText(c.req.param('name'), (await body(TypeBody, c.req)).text);
      return c.json({ ok: true }, 200);
    });
    app.post(`${base}/vms/:name/keys`, async (c) => {
      await orch.pressKeys(c.req.param('name'), (await body(KeysBody, c.req)).chords);
      return c.json({ ok: true }, 200);
    });
    app.post(`${base}/vms/:name/click`, async (c) => {
      const b = await body(ClickBody, c.req);
      await orch.click(c.req.param('name'), b.x, b.y, { button: b.button, double: b.double });
      return c.json({ ok: true }, 200);
    });
    app.post(`${base}/vms/:name/mouse`, async (c) => {
      const b = await body(MouseBody, c.req);
      await orch.mouseMove(c.req.param('name'), b.x, b.y);
      return c.json({ ok: true }, 200);
    });
    app.post(`${base}/vms/:name/scroll`, async (c) => {
      await orch.scroll(c.req.param('name'), (await body(ScrollBody, c.req)).delta);
      return c.json({ ok: true }, 200);
    });
    app.post(`${base}/vms/:name/input`, async (c) => {
      await orch.runInputSteps(c.req.param('name'), (await body(InputBody, c.req)).steps);
      return c.json({ ok: true }, 200);
    });
    app.get(`${base}/vms/:name/screen-size`, async (c) => c.json(await orch.screenSize(c.req.param('name')), 200));
    app.get(`${base}/stats`, (c) => c.json({ host: orch.ctx.settings.host, forwarding: deps.stats() }, 200));
  };
}
