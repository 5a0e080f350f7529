/**
 * What route handlers share. Handlers only translate between HTTP and the Orchestrator facade.
 * @module
 */
import type { OpenAPIHono } from '@hono/zod-openapi';
import type { Orchestrator } from '../orchestrator/orchestrator.js';
import type { Logger } from '../_util/logger.js';
import type { ApiLifecycle } from './lifecycle.js';
import type { HvkubeMetrics } from './metrics.js';

export interface RouteDeps {
  orch: Orchestrator;
  logger: Logger;
  metrics: HvkubeMetrics;
  lifecycle: ApiLifecycle;
  /** Lease length of an API acquire that names none. */
  leaseTtlS: number;
}

export type ApiApp = OpenAPIHono;
