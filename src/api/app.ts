/**
 * The HTTP face: a Hono app over the Orchestrator facade. `/api/v1` (validated by the zod
 * schemas that also produce `/api/v1/openapi.json`), `/docs`, `/metrics`, `/healthz`, `/readyz`.
 * No socket here — `app.request()` drives it in tests; server.ts binds it.
 * @module
 */
import { OpenAPIHono } from '@hono/zod-openapi';
import type { Env, MiddlewareHandler } from 'hono';
import type { BlankEnv } from 'hono/types';
import { routePath } from 'hono/route';
import { HvkubeError } from '../domain/errors.js';
import type { Orchestrator } from '../orchestrator/orchestrator.js';
import type { Scheduler } from '../orchestrator/scheduler/index.js';
import { silentLogger, type Logger } from '../_util/logger.js';
import { bearerAuth } from './auth.js';
import type { RouteDeps } from './deps.js';
import { DOCS_ASSETS, docsAsset, docsPage, type DocsAsset } from './docs-page.js';
import { errorHandler, notFound, validationHook } from './errors.js';
import { bodyGuard, hostGuard, LOOPBACK_POLICY, type HostPolicy } from './request-guard.js';
import { EventTail } from './event-tail.js';
import { withBodyErrors } from './openapi.js';
import { ApiLifecycle } from './lifecycle.js';
import { HvkubeMetrics } from './metrics.js';
import { agentRoutes } from './routes/agents.js';
import { applyRoutes } from './routes/apply.js';
import { consoleRoutes } from './routes/console.js';
import { GUEST_FILE_PATH, guestRoutes } from './routes/guest.js';
import { eventRoutes } from './routes/events.js';
import { hostRoutes } from './routes/hosts.js';
import { leaseRoutes } from './routes/leases.js';
import { poolRoutes } from './routes/pools.js';
import { systemRoutes } from './routes/system.js';
import { templateRoutes } from './routes/templates.js';
import { vmRoutes } from './routes/vms.js';
import { webhookRoutes } from './routes/webhooks.js';
import { DEFAULT_LEASE_TTL_S } from './wire.js';
import { createFaces, type FacesOptions } from '../web/mount.js';
import { agentsFromScheduler } from '../mcp/agents.js';

export interface ApiOptions {
  orchestrator: Orchestrator;
  /** Bearer tokens; empty means no authentication (only allowed on loopback — see server.ts). */
  tokens?: readonly string[];
  logger?: Logger;
  /** Pass one to share it with the backend's `onCall` hook; default: a new registry. */
  metrics?: HvkubeMetrics;
  /** Lease of an acquire that names none, in seconds. Default 600. */
  leaseTtlS?: number;
  /** Largest request body accepted. Default 1 MiB. */
  maxBodyBytes?: number;
  /** Which `Host` and `Origin` headers are accepted (request-guard.ts). Default: loopback only. */
  hostPolicy?: HostPolicy;
  /** The agent scheduler; without it the agent and workflow routes are absent. */
  scheduler?: Scheduler | null;
  /** Extra route modules registered on `/api/v1` with the same deps. */
  extraRoutes?: ((app: OpenAPIHono, deps: RouteDeps) => void)[];
  /** The dashboard at `/` and MCP at `/mcp` (src/web, src/mcp): both on by default. */
  faces?: FacesOptions;
}

export interface Api {
  app: OpenAPIHono<BlankEnv>;
  lifecycle: ApiLifecycle;
  metrics: HvkubeMetrics;
  /** Stops the event tail and metrics observers (not the orchestrator). */
  close(): Promise<void>;
}

export const API_INFO = { title: 'hvkube API', version: '1' } as const;
const PUBLIC_PATHS = ['/healthz', '/readyz'];
const OPENAPI_PATH = '/api/v1/openapi.json';
/** The API reference holds no data: it is public so a person can open /docs in a browser and enter the token there. */
const DOCS_PATHS = ['/docs', OPENAPI_PATH, ...Object.keys(DOCS_ASSETS).map((name) => `/docs/${name}`)];

/** Times every request, counts it in flight for shutdown, and logs it — never its headers. */
function accessLog(logger: Logger, lifecycle: ApiLifecycle, metrics: HvkubeMetrics): MiddlewareHandler {
  return async function accessLogMiddleware(c, next) {
    const t0 = performance.now();
    lifecycle.enter();
    try {
      await next();
    } finally {
      lifecycle.leave();
      const ms = performance.now() - t0;
      const route = routePath(c);
      metrics.request(c.req.method, route === '/*' || route === '*' ? 'unmatched' : route, c.res.status, ms);
      const entry = { method: c.req.method, path: c.req.path, status: c.res.status, ms: Math.round(ms * 10) / 10 };
      // Refused credentials are worth a look by whoever runs the server; routine requests are not.
      if (c.res.status === 401 || c.res.status === 403) logger.warn(entry, 'request refused');
      else logger.debug(entry, 'request');
    }
  };
}

export function createApi(options: ApiOptions): Api {
  const logger = options.logger ?? silentLogger;
  const orch = options.orchestrator;
  const lifecycle = new ApiLifecycle();
  const metrics = options.metrics ?? new HvkubeMetrics();
  const tail = new EventTail(orch, logger);
  metrics.observe(orch, tail);
  const deps: RouteDeps = { orch, logger, metrics, lifecycle, leaseTtlS: options.leaseTtlS ?? DEFAULT_LEASE_TTL_S };
  const onError = errorHandler(logger);

  const app = new OpenAPIHono<BlankEnv>({ defaultHook: validationHook });
  app.use(accessLog(logger, lifecycle, metrics));
  app.use(hostGuard(options.hostPolicy ?? LOOPBACK_POLICY));
  app.use(async function refuseWhileDraining(c, next) {
    if (lifecycle.draining && !PUBLIC_PATHS.includes(c.req.path)) {
      throw new HvkubeError('SHUTTING_DOWN', 'the server is shutting down', { hint: 'retry against the restarted server' });
    }
    return next();
  });
  // Dashboard + MCP mount (src/web/mount.ts): the dashboard's page shells and assets hold no data, so they are public.
  const agents = options.scheduler ? agentsFromScheduler(options.scheduler) : null;
  const faces = createFaces({ agents, ...options.faces, orchestrator: orch, tokens: options.tokens ?? [], logger, hostPolicy: options.hostPolicy });
  // `/.well-known/*` answers 404 without a token: MCP clients probing for OAuth metadata learn
  // that there is none instead of starting a sign-in.
  app.use(bearerAuth({ tokens: options.tokens ?? [], publicPaths: [...PUBLIC_PATHS, ...DOCS_PATHS, ...faces.publicPaths], publicPrefixes: ['/.well-known/'] }));
  // MCP ends a session with a body-less DELETE that MCP clients send without a media type.
  app.use(
    bodyGuard({
      maxBodyBytes: options.maxBodyBytes ?? 1024 * 1024,
      exempt: (method, path) => method === 'DELETE' && path === '/mcp',
      rawBody: (method, path) => method === 'PUT' && GUEST_FILE_PATH.test(path),
    }),
  );

  const v1 = new OpenAPIHono<Env>({ defaultHook: validationHook });
  for (const register of [templateRoutes, poolRoutes, vmRoutes, consoleRoutes, guestRoutes, leaseRoutes, systemRoutes, hostRoutes, ...(options.extraRoutes ?? [])]) register(v1, deps);
  eventRoutes(v1, deps, tail);
  applyRoutes(v1, deps, options.scheduler?.workflows ?? null);
  webhookRoutes(v1, deps);
  if (options.scheduler) agentRoutes(v1, options.scheduler);
  v1.onError(onError);
  v1.notFound(notFound);
  app.route('/api/v1', v1);
  faces.mount(app);

  // Declared only when a token is required, so a server without one documents no unused scheme.
  if ((options.tokens ?? []).length > 0) app.openAPIRegistry.registerComponent('securitySchemes', 'bearer', { type: 'http', scheme: 'bearer' });
  const openApi = {
    openapi: '3.1.0',
    info: {
      ...API_INFO,
      description: 'Pools of saved desktop VMs, handed out in about a second. See docs/api.md.',
      license: { name: 'MIT', url: 'https://opensource.org/license/mit' },
    },
    servers: [{ url: '/' }],
    security: (options.tokens ?? []).length > 0 ? [{ bearer: [] }] : [],
  };
  app.get(OPENAPI_PATH, (c) => c.json(withBodyErrors(app.getOpenAPI31Document(openApi))));
  app.get('/docs', (c) => c.html(docsPage(OPENAPI_PATH)));
  for (const name of Object.keys(DOCS_ASSETS) as DocsAsset[]) {
    app.get(`/docs/${name}`, async (c) => c.body(new Uint8Array(await docsAsset(name)), 200, { 'content-type': DOCS_ASSETS[name], 'cache-control': 'max-age=3600' }));
  }
  app.get('/healthz', (c) => c.json({ status: 'ok' }, 200));
  app.get('/readyz', async (c) => {
    if (lifecycle.draining) return c.json({ status: 'shutting-down' }, 503);
    try {
      await orch.store.listPools();
      return c.json({ status: 'ready' }, 200);
    } catch (e) {
      logger.warn({ err: e instanceof Error ? e.message : String(e) }, 'readiness check failed');
      return c.json({ status: 'store-unavailable' }, 503);
    }
  });
  app.get('/metrics', async (c) => {
    const { contentType, body } = await metrics.scrape();
    return c.body(body, 200, { 'Content-Type': contentType });
  });
  app.onError(onError);
  app.notFound(notFound);

  return {
    app,
    lifecycle,
    metrics,
    async close() {
      metrics.close();
      await faces.close();
      await tail.close();
    },
  };
}
