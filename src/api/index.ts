/**
 * The HTTP API of `hvkube serve`.
 * @module
 */
export { createApi, API_INFO } from './app.js';
export type { Api, ApiOptions } from './app.js';
export { startApiServer, checkExposure } from './server.js';
export type { ApiServer, ApiServerOptions } from './server.js';
export { HvkubeMetrics } from './metrics.js';
export { parseListen, isLoopback } from './listen.js';
export type { ListenAddress } from './listen.js';
export type { RouteDeps } from './deps.js';
export { toAcquireAnswer, DEFAULT_LEASE_TTL_S, DEFAULT_ACQUIRE_TIMEOUT_S } from './wire.js';
export type { AcquireAnswer, ReleaseAnswer } from './wire.js';
