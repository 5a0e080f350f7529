export {
  applyFleet,
  type ApplyDeps,
  type ApplyInput,
  type ApplyOptions,
  type ApplyResult,
} from './apply.js';
export { exportFleet } from './export.js';
export {
  API_VERSION,
  KINDS,
  fleetToYaml,
  parseFleet,
  type FleetFile,
  type FleetIssue,
  type FleetObject,
  type Kind,
} from './documents.js';
export type { ChangeAction, FieldChange, PlanEntry } from './plan.js';
