/**
 * The web dashboard: a Hono sub-app mounted at `/` next to the API. The two pages and their
 * script and style are public (they hold no data); the fragments they load are rendered here
 * from the orchestrator and sit behind the API's bearer auth like `/api/v1`. Actions,
 * thumbnails and live events go through the `/api/v1` routes, so the dashboard can do nothing
 * a token holder could not do with the API.
 * @module
 */
import type { JSX } from 'hono/jsx/jsx-runtime';
import { Hono, type Context } from 'hono';
import type { ContentfulStatusCode } from 'hono/utils/http-status';
import { toHvkubeError } from '../domain/errors.js';
import { listHostViews } from '../fleet/registry.js';
import type { Orchestrator } from '../orchestrator/orchestrator.js';
import type { AgentsPort } from '../mcp/agents.js';
import { errorMessage, silentLogger, type Logger } from '../_util/logger.js';
import { APP_CSS, APP_JS } from './assets/index.js';
import { QueueSampler, ResumeHistory } from './history.js';
import { AgentsView } from './views/agents.js';
import { ChartsView } from './views/charts.js';
import { HostsView } from './views/hosts.js';
import { HomePage, VmPage } from './views/pages.js';
import { PoolsView } from './views/pools.js';
import { VmDetailView } from './views/vm-detail.js';
import { VmsView } from './views/vms.js';

export interface DashboardOptions {
  orchestrator: Orchestrator;
  /** The agent scheduler; without it the agent queue says agents are off. */
  agents?: AgentsPort | null;
  /** Whether the API wants a bearer token (shows the sign-in form at once). */
  authRequired?: boolean;
  logger?: Logger;
  /** How often queue depth is sampled for its chart. Default 5 s. */
  sampleEveryMs?: number;
}

export interface Dashboard {
  app: Hono;
  /** Paths reachable without a token: the page shells and their assets, which carry no data. */
  publicPaths: readonly string[];
  close(): void;
}

const CHART_WINDOW_MS = 10 * 60_000;
const AGENTS_ENDED_SHOWN = 25;

/** The pages run only our own script and style, and may not be framed by other sites. */
const PAGE_HEADERS = {
  'Content-Security-Policy':
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' blob: data:; connect-src 'self'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'",
  'X-Content-Type-Options': 'nosniff',
  'Referrer-Policy': 'no-referrer',
  'Cache-Control': 'no-store',
};

/** hono/jsx renders to an escaped string, or a promise of one when a component is async. */
async function render(el: JSX.Element): Promise<string> {
  return String(await el);
}

export function createDashboard(options: DashboardOptions): Dashboard {
  const orch = options.orchestrator;
  const agents = options.agents ?? null;
  const logger = options.logger ?? silentLogger;
  const authRequired = options.authRequired === true;
  const resumes = new ResumeHistory(orch);
  const sampler = new QueueSampler(orch, agents, {
    everyMs: options.sampleEveryMs,
    keep: Math.ceil(CHART_WINDOW_MS / (options.sampleEveryMs ?? 5000)),
  });
  const app = new Hono();

  const page = async (c: Context, body: JSX.Element): Promise<Response> =>
    c.html(`<!DOCTYPE html>${await render(body)}`, 200, PAGE_HEADERS);
  const fragment = async (c: Context, body: JSX.Element): Promise<Response> =>
    c.html(await render(body), 200, {
      'Cache-Control': 'no-store',
      'X-Content-Type-Options': 'nosniff',
    });
  const asset = (type: string, text: string) => (c: Context) =>
    c.body(text, 200, {
      'Content-Type': `${type}; charset=utf-8`,
      'Cache-Control': 'public, max-age=86400',
      'X-Content-Type-Options': 'nosniff',
    });

  app.get('/', (c) => page(c, <HomePage authRequired={authRequired} />));
  app.get('/vm', (c) =>
    page(c, <VmPage name={c.req.query('name') ?? ''} authRequired={authRequired} />),
  );
  app.get('/ui/app.css', asset('text/css', APP_CSS));
  app.get('/ui/app.js', asset('text/javascript', APP_JS));

  app.get('/ui/f/pools', async (c) => fragment(c, <PoolsView pools={await orch.listPools()} />));
  // A fleet's hosts; a single host (SQLite) has no host rows, and its panel stays hidden.
  app.get('/ui/f/hosts', async (c) => {
    const hosts = await listHostViews(orch.store);
    return hosts.length === 0 ? fragment(c, <></>) : fragment(c, <HostsView hosts={hosts} />);
  });
  app.get('/ui/f/vms', async (c) => {
    const pool = c.req.query('pool');
    const vms = await orch.listVms(pool ? { pool } : {});
    vms.sort((a, b) => a.pool.localeCompare(b.pool) || a.name.localeCompare(b.name));
    return fragment(c, <VmsView vms={vms} />);
  });
  app.get('/ui/f/vm', async (c) =>
    fragment(c, <VmDetailView vm={await orch.getVm(c.req.query('name') ?? '')} />),
  );
  app.get('/ui/f/agents', async (c) => {
    const pools = await orch.store.listPools();
    if (!agents) return fragment(c, <AgentsView agents={null} pools={pools} workflows={[]} />);
    const [queued, ended, workflows] = await Promise.all([
      agents.queued(),
      agents.ended(AGENTS_ENDED_SHOWN),
      agents.workflows(),
    ]);
    const list = [...queued, ...ended];
    return fragment(c, <AgentsView agents={list} pools={pools} workflows={workflows} />);
  });
  app.get('/ui/f/charts', async (c) => {
    const pools = (await orch.store.listPools()).map((p) => p.name);
    if (sampler.samples.length === 0) await sampler.sample();
    return fragment(
      c,
      <ChartsView
        resumes={await resumes.read()}
        depth={sampler.samples}
        pools={pools}
        windowMs={CHART_WINDOW_MS}
      />,
    );
  });

  // Fragment errors render as a line in the section they were meant for, with the API's status.
  app.onError(async (e, c) => {
    const err = toHvkubeError(e);
    if (err.status >= 500)
      logger.warn({ path: c.req.path, err: errorMessage(e) }, 'dashboard fragment failed');
    return c.html(
      await render(<p class="bad">{err.describe()}</p>),
      err.status as ContentfulStatusCode,
      { 'Cache-Control': 'no-store' },
    );
  });

  return {
    app,
    publicPaths: ['/', '/vm', '/ui/app.css', '/ui/app.js'],
    close: () => sampler.close(),
  };
}
