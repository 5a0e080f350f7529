/**
 * What `hvkube serve` adds on PostgreSQL: the fleet member, its internal routes, and the cluster
 * token as an accepted API token (hosts present it to each other). On SQLite there is one host
 * and nothing here is used. The public `/api/v1/hosts` routes are the API's own
 * (src/api/routes/hosts.ts), in the OpenAPI document.
 * @module
 */
import type { OpenAPIHono } from '@hono/zod-openapi';
import type { Runtime } from '../runtime.js';
import type { Logger } from '../_util/logger.js';
import { internalFleetRoutes } from './internal-routes.js';
import { FleetMember } from './member.js';
import { fleetSettingsFromEnv, type FleetSettings } from './settings.js';
import { createPostgresStore } from '../store/postgres/index.js';

export interface ServeFleet {
  member: FleetMember;
  /** Route modules for the API's `extraRoutes` (internal, outside the OpenAPI document). */
  routes: ((app: OpenAPIHono) => void)[];
  /** Tokens the API must accept besides its own (the cluster token). */
  tokens: string[];
  /** Joins once the API listens at `url` (the advertised address unless one is configured). */
  join(url: string): Promise<string>;
  stop(): Promise<void>;
}

/** The fleet for a server on PostgreSQL; null on SQLite. */
export function serveFleet(rt: Runtime, logger: Logger, options: { controllerIntervalMs: number; settings?: Partial<FleetSettings> }): ServeFleet | null {
  if (rt.store.dialect !== 'pg') return null;
  const settings = fleetSettingsFromEnv(process.env, options.settings);
  // Heartbeats get connections of their own (see FleetMemberOptions.heartbeatStore).
  const heartbeatStore = rt.config.databaseUrl ? createPostgresStore({ connectionString: rt.config.databaseUrl, maxConnections: 2 }) : undefined;
  const member = new FleetMember({ orchestrator: rt.orchestrator, heartbeatStore, backend: rt.backend, settings, logger, controllerIntervalMs: options.controllerIntervalMs });
  member.attach();
  const stats = (): ReturnType<typeof member.remote.latency.summary> => member.remote.latency.summary();
  return {
    member,
    routes: [internalFleetRoutes({ orchestrator: rt.orchestrator, token: settings.clusterToken, stats })],
    tokens: settings.clusterToken ? [settings.clusterToken] : [],
    async join(url) {
      member.setAddress(url);
      const report = await member.start();
      member.startController();
      const cleaned = report.removed.length > 0 ? `; removed ${report.removed.length} VM(s) replaced while it was lost` : '';
      return `host ${member.name} joined the fleet (epoch ${member.record?.epoch ?? '?'}, lease ${settings.leaseMs} ms)${cleaned}`;
    },
    async stop() {
      await member.stop();
      await heartbeatStore?.close();
    },
  };
}
