/**
 * The executors by name. The scheduler takes a registry so tests (and embedders) can replace one.
 * @module
 */
import type { ExecutorName } from '../workflows/workflow-schema.js';
import { commandExecutor } from './command-executor.js';
import type { Executor } from './executor.js';
import { externalExecutor } from './external-executor.js';
import { mcpExecutor } from './mcp-executor.js';
import { stepsExecutor } from './steps-executor.js';

export type ExecutorRegistry = Readonly<Record<ExecutorName, Executor>>;

export const DEFAULT_EXECUTORS: ExecutorRegistry = {
  steps: stepsExecutor,
  mcp: mcpExecutor,
  command: commandExecutor,
  external: externalExecutor,
};

export function executorRegistry(overrides: Partial<Record<ExecutorName, Executor>> = {}): ExecutorRegistry {
  return { ...DEFAULT_EXECUTORS, ...overrides };
}
