export { Scheduler, type SchedulerOptions, type StartOptions, type AgentListFilter, type WaitOptions, type SchedulerEventMap, type AgentLogEvent } from './scheduler.js';
export type { SubmitRequest } from './submit.js';
export type { RecoveryReport } from './recovery.js';
export { AgentArtifacts, type AgentLogLine, type LogLevel } from './artifacts.js';
export { refuseWhileSchedulerRuns, schedulerOwner, SchedulerLock, type LockOwner } from './owner-lock.js';
export { validateAgentId, holderOf, AGENT_ID_PATTERN } from './agent-ids.js';
export { isSettled } from './results.js';
