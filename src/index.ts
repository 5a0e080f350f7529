/**
 * hvkube as a library: the Orchestrator facade, the composition root, the domain types and
 * errors, and `HvkubeClient` for talking to a running `hvkube serve`. The list is explicit, so
 * the public surface can be reviewed here. The fake backend is published as `hvkube/testing`.
 *
 * @example
 * ```ts
 * import { HvkubeClient } from 'hvkube';
 * const hv = new HvkubeClient({ url: 'http://127.0.0.1:8080', token: process.env.HVKUBE_API_TOKEN });
 * const { vm_name, lease_id } = await hv.acquire({ pool: 'win11' });
 * await hv.release(vm_name, { leaseId: lease_id });
 * ```
 * @module
 */

// ---- library ----
export { Orchestrator, createOrchestrator, DEFAULT_SETTINGS } from './orchestrator/index.js';
export type {
  OrchestratorOptions,
  OrchestratorSettings,
  OrchestratorEventMap,
  PoolStatus,
  PoolHealth,
  ProvisionReport,
  ProgressEvent,
  VmChangeEvent,
  AcquireOptions,
  AcquireResult,
  ReleaseOptions,
  ReleaseResult,
  ResetMethod,
  ReconcileReport,
  TemplateInput,
  PoolInput,
  ScaleInput,
} from './orchestrator/index.js';
export { openRuntime, resolveBackend } from './runtime.js';
export type { Runtime } from './runtime.js';
export { loadConfig } from './config/load.js';
export type { HvkubeConfig, ConfigOverrides } from './config/load.js';
export type { Store, StoreDialect, EventQuery, VmFilter, HostRecord, HostStatus, HostCapacity } from './store/store.js';
export type { HostView } from './fleet/registry.js';
export type { Hypervisor, HypervisorCapabilities, HostInfo, ConsoleAccess, MouseButton, ScreenshotOptions, ImageFormat, ScreenRegion, ScreenPoint } from './hypervisor/hypervisor.js';
export { encodeScreenshot, type RawFrame, type ScreenCapture } from './hypervisor/console/encode.js';
export type { Logger } from './_util/logger.js';

// ---- domain ----
export { HvkubeError, HypervisorError, InternalError, ERROR_CODES, isHvkubeError, toHvkubeError } from './domain/errors.js';
export type { ErrorCode, HypervisorErrorCode, HvkubeErrorOptions } from './domain/errors.js';
export { VM_STATES, READY_VM_STATES } from './domain/vm-state.js';
export type { VmState } from './domain/vm-state.js';
export { AGENT_STATUSES, FINAL_AGENT_STATUSES } from './domain/agent-state.js';
export type { AgentStatus } from './domain/agent-state.js';
export { RELEASE_POLICIES } from './domain/types.js';
export type {
  Agent,
  AgentResult,
  BackendName,
  Lease,
  Pool,
  ReadinessProbe,
  ReleasePolicy,
  StateEvent,
  Task,
  Template,
  Vm,
} from './domain/types.js';
export { validateName, isValidName, NAME_PATTERN } from './domain/validation.js';

// ---- HTTP: client and server ----
export { HvkubeClient } from './client/index.js';
export type { HvkubeClientOptions, HvkubeOperations, LiveEvent, AcquireRequest, ReleaseRequest, AcquireAnswer, ReleaseAnswer } from './client/index.js';
export { createApi, startApiServer, HvkubeMetrics } from './api/index.js';
export type { Api, ApiOptions, ApiServer, ApiServerOptions } from './api/index.js';
