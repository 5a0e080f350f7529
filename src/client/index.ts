/**
 * The typed client of the hvkube HTTP API.
 * @module
 */
export { HvkubeClient } from './client.js';
export type { HvkubeClientOptions, LiveEvent, AgentSubmitRequest } from './client.js';
export type { HvkubeOperations, AcquireRequest, ReleaseRequest, AcquireAnswer, ReleaseAnswer } from './operations.js';
