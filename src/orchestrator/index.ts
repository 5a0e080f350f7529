export { Orchestrator, createOrchestrator } from './orchestrator.js';
export type { ConsoleOptions, OrchestratorOptions, PoolStatus, ProvisionReport } from './orchestrator.js';
export type { AcquireOptions, AcquireResult } from './acquire.js';
export type { ReleaseOptions, ReleaseResult } from './release.js';
export type { ReconcileReport } from './reconcile.js';
export type { TemplateInput, PoolInput, ScaleInput } from './catalog.js';
export type { OrchestratorSettings, ProgressEvent, VmChangeEvent, OrchestratorEventMap } from './context.js';
export { DEFAULT_SETTINGS } from './context.js';
export type { PoolHealth } from './pool-controller.js';
