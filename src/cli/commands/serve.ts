import { Command, Option } from '@commander-js/extra-typings';
import { pino } from 'pino';
import { HvkubeMetrics } from '../../api/metrics.js';
import { parseListen } from '../../api/listen.js';
import { checkExposure, loadTls, startApiServer } from '../../api/server.js';
import { createScheduler } from '../../runtime.js';
import { withRuntime } from '../runtime-scope.js';
import { validateName } from '../../domain/validation.js';
import { serveFleet } from '../../fleet/serve-fleet.js';
import { refuseWhileSchedulerRuns } from '../../orchestrator/scheduler/index.js';
import { ensureConfiguredWebhooks, WebhookDispatcher } from '../../webhooks/index.js';

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
    .description('run the HTTP API and the pool controller until SIGINT/SIGTERM')
    .option('--listen <address>', 'HOST:PORT for the API (default: api.listen in config.json, else 127.0.0.1:8080); port 0 picks one')
    .option('--interval <s>', 'seconds between controller passes', '2')
    .option('--host <name>', 'this host\'s name in a fleet sharing one PostgreSQL (default: $HVKUBE_HOST, else the machine name)')
    .addOption(new Option('--log-level <level>', 'server log level (JSON lines on stderr)').choices(['debug', 'info', 'warn', 'error'] as const).default('info' as const))
    .action(async (o, command) => {
      // The token never reaches the log: nothing logs headers, and these paths are redacted anyway.
      const logger = pino({ level: o.logLevel, redact: ['token', 'tokens', '*.token', '*.tokens', 'authorization', '*.authorization'] }, pino.destination(2));
      const metrics = new HvkubeMetrics();
      // The host name feeds the runtime's configuration (VM ownership), read from the environment.
      if (o.host !== undefined) process.env.HVKUBE_HOST = validateName('host', o.host);
      await withRuntime(
        command,
        async ({ rt, out }) => {
          const listen = o.listen ?? rt.config.api.listen;
          // Refuse before touching anything: an open API on the network is never what was meant.
          checkExposure(parseListen(listen), rt.config.api.tokens);
          // A second server on this data directory would otherwise reconcile the first one's
          // work in flight before finding out that it cannot run.
          refuseWhileSchedulerRuns(rt.config.dataDir);
          if (rt.config.api.tls) loadTls(rt.config.api.tls);
          const report = await rt.orchestrator.reconcile();
          out.error(`hvkube serve: ${rt.backend} backend, data in ${rt.config.dataDir}; reconcile fixed ${report.fixed.length}, ${report.orphans.length} orphan(s)\n`);
          const intervalMs = Math.max(1, Number(o.interval)) * 1000;
          // On PostgreSQL this server is one host of a fleet: it takes no work until it has joined.
          const fleet = serveFleet(rt, logger, { controllerIntervalMs: intervalMs });
          const scheduler = createScheduler(rt);
          await scheduler.start();
          // Lifecycle webhooks: what the outbox holds (from before a restart too) goes out now.
          await ensureConfiguredWebhooks(rt.store, rt.config.webhooks.subscriptions);
          const webhooks = new WebhookDispatcher({ store: rt.store, logger, retry: rt.config.webhooks.retry });
          const wakeWebhooks = (): void => webhooks.poke();
          rt.orchestrator.events.on('appended', wakeWebhooks);
          webhooks.start();
          try {
            const server = await startApiServer({
              orchestrator: rt.orchestrator,
              scheduler,
              listen,
              tokens: [...rt.config.api.tokens, ...(fleet?.tokens ?? [])],
              extraRoutes: fleet?.routes,
              tls: rt.config.api.tls,
              allowedHosts: rt.config.api.allowedHosts,
              leaseTtlS: rt.config.api.leaseTtlS ?? undefined,
              logger,
              metrics,
            });
            const auth = rt.config.api.tokens.length > 0 ? 'bearer token required' : 'no token (loopback only)';
            out.error(`hvkube serve: API on ${server.url} (${auth}); docs at ${server.url}/docs\n`);
            if (fleet) out.error(`hvkube serve: ${await fleet.join(server.url)}\n`);
            else rt.orchestrator.controller.start(intervalMs);
            rt.orchestrator.controller.poke();
            const signal = await untilSignal();
            out.error(`hvkube serve: ${signal}, finishing operations under way…\n`);
            // Stop taking requests first (a queued acquire gives up), then stop the agents.
            await server.close();
          } finally {
            await scheduler.stop();
            await fleet?.stop();
            rt.orchestrator.events.off('appended', wakeWebhooks);
            // Events of the shutdown itself stay in the outbox and go out at the next start.
            await webhooks.stop();
          }
        },
        { logger, onBackendCall: metrics.backendCall },
      );
      // withRuntime closed the orchestrator: every VM is saved, off or in error, never half-done.
    });
}
