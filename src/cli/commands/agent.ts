/**
 * `hvkube agent ...`: submit tasks to a pool's queue, follow them, end them. Works on the local
 * store; a running `hvkube serve` dispatches. `submit --wait` with no server runs the agent in
 * this process until it ends.
 * @module
 */
import { readFileSync } from 'node:fs';
import { Command } from '@commander-js/extra-typings';
import { HvkubeError } from '../../domain/errors.js';
import { AGENT_STATUSES, type AgentStatus } from '../../domain/agent-state.js';
import type { Agent } from '../../domain/types.js';
import { schedulerOwner, type AgentLogLine, type Scheduler } from '../../orchestrator/scheduler/index.js';
import { createScheduler } from '../../runtime.js';
import { ago, json, ms, paint, table, type Colour, type Out } from '../output.js';
import { HvkubeClient } from '../../client/client.js';
import { globals, serverUrl, withRuntime } from '../runtime-scope.js';
import { processOut } from '../output.js';

const STATUS_COLOUR: Record<AgentStatus, Colour> = {
  pending: 'gray',
  scheduled: 'yellow',
  running: 'blue',
  completed: 'green',
  failed: 'red',
  cancelled: 'magenta',
  timed_out: 'red',
};

const int = (what: string, v: string): number => {
  if (!/^-?\d+$/.test(v)) throw new HvkubeError('INVALID_INPUT', `${what} must be a whole number, got ${JSON.stringify(v)}`);
  return Number(v);
};

/** `--input '{...}'`, or `--input @file.json` to read it from a file. */
function parseJsonOption(what: string, text: string): unknown {
  const source = text.startsWith('@') ? readFileSync(text.slice(1), 'utf8') : text;
  try {
    return JSON.parse(source) as unknown;
  } catch (e) {
    throw new HvkubeError('INVALID_INPUT', `${what} is not JSON: ${e instanceof Error ? e.message : String(e)}`, {
      hint: `e.g. ${what} '{"name": "value"}' (or ${what} @file.json)`,
    });
  }
}

function paintStatus(out: Out, status: AgentStatus): string {
  return paint(out, STATUS_COLOUR[status], status);
}

function agentRows(out: Out, agents: Agent[]): string {
  return table(
    ['ID', 'POOL', 'WORKFLOW', 'STATUS', 'PRIO', 'VM', 'SUBMITTED', 'DURATION'],
    agents.map((a) => [a.id, a.pool, a.task.workflow, paintStatus(out, a.status), String(a.priority), a.vm ?? '-', `${ago(a.submittedAt)} ago`, ms(a.result?.durationMs)]),
  );
}

function agentInfo(out: Out, a: Agent, scheduler: Scheduler): string {
  const r = a.result;
  const t = r?.timings;
  const rows: string[][] = [
    ['id', a.id],
    ['pool', a.pool],
    ['workflow', a.task.workflow],
    ['input', JSON.stringify(a.task.input)],
    ['status', paintStatus(out, a.status)],
    ['priority', String(a.priority)],
    ['vm', a.vm ?? '-'],
    ['attempts', `${a.attempts} (retries allowed: ${a.task.retries})`],
    ['timeout', a.task.timeoutS === null ? 'none' : `${a.task.timeoutS} s${a.deadlineAt ? ` (deadline ${a.deadlineAt})` : ''}`],
    ['submitted', a.submittedAt],
    ['started', a.startedAt ?? '-'],
    ['ended', a.endedAt ?? '-'],
  ];
  if (r) {
    rows.push(
      ['success', r.success ? 'yes' : 'no'],
      ['error', r.error ?? '-'],
      ['output', JSON.stringify(r.output)],
      ['duration', ms(r.durationMs)],
      ['timings', `queued ${ms(t?.queuedMs)}, resume ${ms(t?.resumeMs)}, run ${ms(t?.runMs)}, release ${ms(t?.releaseMs)}`],
      ...r.screenshots.map((s, i) => [i === 0 ? 'screenshots' : '', scheduler.artifacts.resolve(s)]),
    );
  }
  return table(['FIELD', 'VALUE'], rows);
}

function logLine(out: Out, line: AgentLogLine): string {
  const colour: Colour = line.level === 'error' ? 'red' : line.level === 'warn' ? 'yellow' : 'gray';
  return `${paint(out, 'gray', line.at)} ${paint(out, colour, line.level.padEnd(5))} ${line.message}\n`;
}

/** Prints the agent's new log lines to stderr every `everyMs` until stopped; answers the stopper. */
function followLog(out: Out, scheduler: Scheduler, id: string, everyMs = 200): () => Promise<void> {
  let shown = 0;
  let stopped = false;
  const flush = async (): Promise<void> => {
    const lines = await scheduler.artifacts.readLog(id);
    for (const line of lines.slice(shown)) out.error(logLine(out, line));
    shown = Math.max(shown, lines.length);
  };
  const loop = (async () => {
    while (!stopped) {
      await flush();
      await new Promise((r) => setTimeout(r, everyMs));
    }
  })();
  return async () => {
    stopped = true;
    await loop;
    await flush();
  };
}

/** After ending an agent from this process: when no scheduler runs, give its VM back now. */
async function settleIfNoScheduler(scheduler: Scheduler, dataDir: string): Promise<void> {
  if (schedulerOwner(dataDir) === null) await scheduler.sweep();
}

function summary(out: Out, a: Agent): string {
  const r = a.result;
  const head = `agent ${a.id} ${paintStatus(out, a.status)}${a.vm ? ` on ${a.vm}` : ''}${r ? ` in ${ms(r.durationMs)}` : ''}`;
  const lines = [head];
  if (r?.error) lines.push(`error: ${r.error}`);
  if (r && r.output !== null) lines.push(`output: ${JSON.stringify(r.output)}`);
  if (r && r.screenshots.length > 0) lines.push(`screenshots: ${r.screenshots.join(', ')}`);
  return lines.join('\n') + '\n';
}

/** The client for `--server` / `HVKUBE_SERVER`, or null to work on the local store. */
function remote(command: { optsWithGlobals(): unknown }): HvkubeClient | null {
  const g = globals(command);
  const url = serverUrl(g);
  return url === undefined ? null : new HvkubeClient({ url, token: g.token ?? (process.env.HVKUBE_API_TOKEN || undefined) });
}

/** Follows an agent on a server until it ends, printing its new log lines to stderr. */
async function waitRemote(client: HvkubeClient, out: Out, id: string): Promise<Agent> {
  let shown = 0;
  for (;;) {
    const lines = await client.agentLogs(id);
    for (const line of lines.slice(shown)) out.error(logLine(out, line));
    shown = Math.max(shown, lines.length);
    const agent = await client.getAgent(id);
    if (agent.result !== null && agent.result.timings.releaseMs !== null) return agent;
    if (agent.status === 'cancelled' && agent.endedAt !== null && agent.vm === null) return agent;
    await new Promise((r) => setTimeout(r, 300));
  }
}

export function agentCommand(): Command {
  const cmd = new Command('agent').description('tasks bound to VMs: submit, follow, cancel, report');

  cmd
    .command('submit')
    .description("queue a workflow on a pool; it runs on a VM when one is free")
    .requiredOption('--pool <pool>', 'pool to run on')
    .requiredOption('--workflow <name>', 'workflow (a file in <data dir>/workflows)')
    .option('--input <json>', "the workflow's input as a JSON object (or @file.json)", '{}')
    .option('--priority <n>', 'higher runs first (-1000..1000)', '0')
    .option('--timeout <s>', "seconds it may take once dispatched (default: the workflow's)")
    .option('--retries <n>', "extra attempts on another VM if the VM fails (default: the workflow's)")
    .option('--gpu', 'needs a GPU')
    .option('--wait', 'follow it until it ends; exit 1 unless it completed')
    .action(async (o, command) => {
      const client = remote(command);
      if (client) {
        const out = processOut();
        const asJson = globals(command).json === true;
        const agent = await client.submitAgent({
          pool: o.pool,
          workflow: o.workflow,
          input: parseJsonOption('--input', o.input) as Record<string, unknown>,
          priority: int('priority', o.priority),
          ...(o.timeout === undefined ? {} : { timeoutS: int('timeout', o.timeout) }),
          ...(o.retries === undefined ? {} : { retries: int('retries', o.retries) }),
          ...(o.gpu === true ? { needsGpu: true } : {}),
        });
        const final = o.wait ? await waitRemote(client, out, agent.id) : agent;
        if (asJson) json(out, final);
        else out.write(o.wait ? summary(out, final) : `${agent.id}\n`);
        if (o.wait && final.status !== 'completed') process.exitCode = 1;
        return;
      }
      await withRuntime(command, async ({ rt, out, json: asJson }) => {
        const scheduler = createScheduler(rt);
        const agent = await scheduler.submit({
          pool: o.pool,
          workflow: o.workflow,
          input: parseJsonOption('--input', o.input),
          priority: int('priority', o.priority),
          timeoutS: o.timeout === undefined ? undefined : int('timeout', o.timeout),
          retries: o.retries === undefined ? undefined : int('retries', o.retries),
          needsGpu: o.gpu === true ? true : undefined,
        });
        if (!o.wait) {
          if (asJson) json(out, agent);
          else out.write(`${agent.id}\n`);
          if (!asJson && out.isTTY) out.error(`queued; follow it with: hvkube agent logs ${agent.id} --follow\n`);
          return;
        }
        const owner = schedulerOwner(rt.config.dataDir);
        // No server: this process runs the agent itself, and only this one.
        const local = owner === null;
        if (local) await scheduler.start({ only: [agent.id], adopt: false });
        else out.error(`agent ${agent.id} queued; hvkube serve (pid ${owner.pid}) runs it\n`);
        const interrupt = new AbortController();
        const onSignal = (): void => interrupt.abort();
        // `on`, not `once`: a second Ctrl-C while the local run is put back must not kill the process.
        process.on('SIGINT', onSignal);
        const stopFollowing = followLog(out, scheduler, agent.id);
        let final: Agent;
        try {
          final = await scheduler.waitFor(agent.id, { signal: interrupt.signal });
        } catch (e) {
          if (!interrupt.signal.aborted) throw e;
          // Interrupted: a local run goes back to the queue (its VM is reset) rather than dying half-done.
          if (local) await scheduler.stop();
          await stopFollowing();
          out.error(`stopped waiting; agent ${agent.id} is ${(await scheduler.show(agent.id)).status} (cancel it with: hvkube agent cancel ${agent.id})\n`);
          process.exitCode = 130;
          return;
        } finally {
          process.off('SIGINT', onSignal);
        }
        if (local) await scheduler.stop();
        await stopFollowing();
        if (asJson) json(out, final);
        else out.write(summary(out, final));
        if (final.status !== 'completed') process.exitCode = 1;
      });
    });

  cmd
    .command('list')
    .description('list agents, in queue order (priority, then submission)')
    .option('--pool <pool>', 'only this pool')
    .option('--status <status>', `only these statuses, comma-separated (${AGENT_STATUSES.join(', ')})`)
    .option('--limit <n>', 'at most this many')
    .action(async (o, command) => {
      const statuses = o.status?.split(',').map((s) => s.trim()) as AgentStatus[] | undefined;
      const client = remote(command);
      if (client) {
        const out = processOut();
        const all = await client.listAgents({ pool: o.pool, limit: o.limit === undefined ? undefined : int('limit', o.limit) });
        const agents = statuses ? all.filter((a) => statuses.includes(a.status)) : all;
        if (globals(command).json === true) json(out, agents);
        else out.write(agentRows(out, agents));
        return;
      }
      await withRuntime(command, async ({ rt, out, json: asJson }) => {
        const agents = await createScheduler(rt).list({ pool: o.pool, status: statuses, limit: o.limit === undefined ? undefined : int('limit', o.limit) });
        if (asJson) json(out, agents);
        else out.write(agentRows(out, agents));
      });
    });

  cmd
    .command('show')
    .description('one agent: status, VM, result, timings, screenshots')
    .argument('<id>')
    .action(async (id, _o, command) => {
      const client = remote(command);
      if (client) {
        const out = processOut();
        const agent = await client.getAgent(id);
        if (globals(command).json === true) json(out, agent);
        else out.write(summary(out, agent));
        return;
      }
      await withRuntime(command, async ({ rt, out, json: asJson }) => {
        const scheduler = createScheduler(rt);
        const agent = await scheduler.show(id);
        if (asJson) json(out, agent);
        else out.write(agentInfo(out, agent, scheduler));
      });
    });

  cmd
    .command('logs')
    .description("an agent's log: its steps and what happened to it")
    .argument('<id>')
    .option('-f, --follow', 'keep printing until the agent ends')
    .action(async (id, o, command) => {
      const client = remote(command);
      if (client) {
        const out = processOut();
        if (o.follow) {
          await waitRemote(client, out, id);
          return;
        }
        const lines = await client.agentLogs(id);
        if (globals(command).json === true) json(out, lines);
        else for (const line of lines) out.write(logLine(out, line));
        return;
      }
      await withRuntime(command, async ({ rt, out, json: asJson }) => {
        const scheduler = createScheduler(rt);
        if (!o.follow) {
          const lines = await scheduler.logs(id);
          if (asJson) json(out, lines);
          else for (const line of lines) out.write(logLine(out, line));
          return;
        }
        await scheduler.show(id);
        let shown = 0;
        for (;;) {
          const lines = await scheduler.artifacts.readLog(id);
          for (const line of lines.slice(shown)) out.write(asJson ? `${JSON.stringify(line)}\n` : logLine(out, line));
          shown = lines.length;
          const agent = await scheduler.show(id);
          if (agent.result !== null && agent.result.timings.releaseMs !== null) break;
          await new Promise((r) => setTimeout(r, 250));
        }
      });
    });

  cmd
    .command('cancel')
    .description('cancel an agent: a pending one leaves the queue; a running one stops and its VM is reset')
    .argument('<id>')
    .action(async (id, _o, command) => {
      const client = remote(command);
      if (client) {
        const agent = await client.cancelAgent(id);
        const out = processOut();
        if (globals(command).json === true) json(out, agent);
        else out.write(`agent ${agent.id} cancelled\n`);
        return;
      }
      await withRuntime(command, async ({ rt, out, json: asJson }) => {
        const scheduler = createScheduler(rt);
        const agent = await scheduler.cancel(id, 'cli');
        await settleIfNoScheduler(scheduler, rt.config.dataDir);
        if (asJson) json(out, await scheduler.show(id));
        else out.write(`agent ${agent.id} cancelled\n`);
      });
    });

  cmd
    .command('complete')
    .description('report an external agent done, with its output')
    .argument('<id>')
    .option('--output <json>', 'the output, as JSON (or @file.json)', 'null')
    .action(async (id, o, command) => {
      const client = remote(command);
      if (client) {
        const agent = await client.completeAgent(id, parseJsonOption('--output', o.output));
        const out = processOut();
        if (globals(command).json === true) json(out, agent);
        else out.write(`agent ${agent.id} completed\n`);
        return;
      }
      await withRuntime(command, async ({ rt, out, json: asJson }) => {
        const scheduler = createScheduler(rt);
        const agent = await scheduler.complete(id, parseJsonOption('--output', o.output), 'cli');
        await settleIfNoScheduler(scheduler, rt.config.dataDir);
        if (asJson) json(out, await scheduler.show(id));
        else out.write(`agent ${agent.id} completed\n`);
      });
    });

  cmd
    .command('fail')
    .description('report an external agent failed; its VM is reset')
    .argument('<id>')
    .requiredOption('--error <message>', 'what went wrong')
    .option('--output <json>', 'partial output, as JSON (or @file.json)', 'null')
    .action(async (id, o, command) => {
      const client = remote(command);
      if (client) {
        const agent = await client.failAgent(id, o.error, parseJsonOption('--output', o.output));
        const out = processOut();
        if (globals(command).json === true) json(out, agent);
        else out.write(`agent ${agent.id} failed\n`);
        return;
      }
      await withRuntime(command, async ({ rt, out, json: asJson }) => {
        const scheduler = createScheduler(rt);
        const agent = await scheduler.fail(id, o.error, parseJsonOption('--output', o.output), 'cli');
        await settleIfNoScheduler(scheduler, rt.config.dataDir);
        if (asJson) json(out, await scheduler.show(id));
        else out.write(`agent ${agent.id} failed\n`);
      });
    });

  return cmd;
}
