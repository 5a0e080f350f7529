import { Command } from '@commander-js/extra-typings';
import { withRuntime } from '../runtime-scope.js';

/** Resolves on the first SIGINT or SIGTERM. */
export function untilSignal(): Promise<NodeJS.Signals> {
  return new Promise((resolve) => {
    const on = (s: NodeJS.Signals): void => {
      process.off('SIGINT', on);
      process.off('SIGTERM', on);
      resolve(s);
    };
    process.on('SIGINT', on);
    process.on('SIGTERM', on);
  });
}

export function serveCommand(): Command {
  return new Command('serve')
    .description('run the pool controller until SIGINT/SIGTERM')
    .option('--interval <s>', 'seconds between controller passes', '2')
    .action(async (o, command) => {
      await withRuntime(command, async ({ rt, out }) => {
        const report = await rt.orchestrator.reconcile();
        out.error(`hvkube serve: ${rt.backend} backend, data in ${rt.config.dataDir}; reconcile fixed ${report.fixed.length}, ${report.orphans.length} orphan(s)\n`);
        rt.orchestrator.controller.start(Math.max(1, Number(o.interval)) * 1000);
        rt.orchestrator.controller.poke();
        const signal = await untilSignal();
        out.error(`hvkube serve: ${signal}, finishing operations under way…\n`);
      });
      // withRuntime closed the orchestrator: every VM is saved, off or in error, never half-done.
    });
}
