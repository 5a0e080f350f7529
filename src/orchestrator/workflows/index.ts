export { WorkflowCatalog, loadWorkflowFile, formatOf, type WorkflowSummary } from './workflow-catalog.js';
export { parseWorkflow, formatPath, type WorkflowIssue, type WorkflowSource, type WorkflowFormat } from './workflow-parse.js';
export { EXECUTORS, DEFAULT_TIMEOUT_S, type Workflow, type ExecutorName, type McpCall, type CommandSpec } from './workflow-schema.js';
export { resolveInput, inputValueProblem, INPUT_TYPES, type InputDeclaration, type InputType } from './inputs.js';
export { substituteText, substituteValue, placeholderNames } from './substitute.js';
export { STEP_ACTIONS, type Step, type StepKind } from './step-schema.js';
