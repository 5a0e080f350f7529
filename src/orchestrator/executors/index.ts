export { TaskError, type AgentConsole, type ExecutionContext, type Executor } from './executor.js';
export { DEFAULT_EXECUTORS, executorRegistry, type ExecutorRegistry } from './registry.js';
export { stepsExecutor } from './steps-executor.js';
export { mcpExecutor } from './mcp-executor.js';
export { commandExecutor, commandEnvironment } from './command-executor.js';
export { externalExecutor } from './external-executor.js';
