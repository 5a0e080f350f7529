/**
 * The dashboard (`/`) and the MCP endpoint (`/mcp`) as one unit the API app mounts: it lists
 * the paths its bearer auth must let through (the dashboard's page shells and assets, which
 * carry no data) and closes both on shutdown (MCP sessions release their desktops).
 * @module
 */
import type { Hono } from 'hono';
import type { AgentsPort } from '../mcp/agents.js';
import { createMcpHttpHandler, type McpHttpHandler, type McpHttpOptions } from '../mcp/http.js';
import type { Orchestrator } from '../orchestrator/orchestrator.js';
import type { Logger } from '../_util/logger.js';
import type { HostPolicy } from '../api/request-guard.js';
import { createDashboard, type Dashboard } from './dashboard.js';

export interface FacesOptions {
  /** Serve the dashboard at `/`. Default true. */
  dashboard?: boolean;
  /** Serve MCP at `/mcp`, with these session settings. Default on; false turns it off. */
  mcp?: false | Pick<McpHttpOptions, 'allowAnyVm' | 'leaseTtlMs' | 'sessionIdleMs' | 'maxSessions'>;
  /** The agent scheduler, for the agent tools and the dashboard's queue. */
  agents?: AgentsPort | null;
}

export interface Faces {
  publicPaths: readonly string[];
  mount(app: Hono): void;
  close(): Promise<void>;
}

export function createFaces(
  options: FacesOptions & {
    orchestrator: Orchestrator;
    tokens: readonly string[];
    logger?: Logger;
    hostPolicy?: HostPolicy;
  },
): Faces {
  const dashboard: Dashboard | null =
    options.dashboard === false
      ? null
      : createDashboard({
          orchestrator: options.orchestrator,
          agents: options.agents,
          authRequired: options.tokens.length > 0,
          logger: options.logger,
        });
  const mcp: McpHttpHandler | null =
    options.mcp === false
      ? null
      : createMcpHttpHandler({
          ...options.mcp,
          orchestrator: options.orchestrator,
          agents: options.agents,
          logger: options.logger,
          hostPolicy: options.hostPolicy,
        });
  return {
    publicPaths: dashboard?.publicPaths ?? [],
    mount(app) {
      if (mcp) app.all('/mcp', (c) => mcp(c.req.raw));
      if (dashboard) app.route('/', dashboard.app);
    },
    async close() {
      dashboard?.close();
      await mcp?.close();
    },
  };
}
