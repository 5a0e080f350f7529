/**
 * `external`: an outside worker does the task (it reads the VM's address from `agent show`) and
 * reports `complete` or `fail` through the CLI or the API. The agent stays running until then;
 * the scheduler ends it, which aborts this wait.
 * @module
 */
import type { ExecutionContext, Executor } from './executor.js';

export const externalExecutor: Executor = {
  name: 'external',
  run(ctx: ExecutionContext): Promise<unknown> {
    ctx.log(`waiting for an outside worker to report: hvkube agent complete ${ctx.agentId} --output '{...}' (or fail)`, {
      vm: ctx.vm.name,
      ip: ctx.vm.ip,
      rdp_port: ctx.vm.rdpPort,
      mcp_endpoint: ctx.vm.mcpEndpoint,
    });
    return new Promise((_resolve, reject) => {
      const onAbort = (): void => reject(ctx.signal.reason instanceof Error ? ctx.signal.reason : new Error('aborted'));
      if (ctx.signal.aborted) onAbort();
      else ctx.signal.addEventListener('abort', onAbort, { once: true });
    });
  },
};
