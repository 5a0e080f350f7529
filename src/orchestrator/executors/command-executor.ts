/**
 * `command`: a host program run for the agent. It gets the VM's address in its environment (and
 * of the server's environment only what is listed in `BASE_ENVIRONMENT` or allowed by the workflow) and
 * the input as JSON on stdin; its stdout, as JSON, is the output. The program and its arguments
 * come from the workflow file only and run without a shell, so no input can become a command.
 * @module
 */
import path from 'node:path';
import { createInterface } from 'node:readline';
import { execa } from 'execa';
import { TaskError, throwIfAborted, type ExecutionContext, type Executor } from './executor.js';

/** A program gets this long to exit after SIGTERM before it is killed. */
const KILL_GRACE_MS = 5000;
const MAX_OUTPUT_BYTES = 16 * 1024 * 1024;

/**
 * What a program needs from the host to start at all (find programs, a home, a temp folder, a
 * locale; Windows' system folders). Nothing else of the server's environment reaches it: tokens
 * and database URLs stay with the server. A workflow names more in `command.inheritEnv`.
 */
export const BASE_ENVIRONMENT = [
  'PATH',
  'HOME',
  'USER',
  'LANG',
  'LC_ALL',
  'TZ',
  'TMPDIR',
  'TEMP',
  'TMP',
  'SystemRoot',
  'SystemDrive',
  'windir',
  'ComSpec',
  'PATHEXT',
  'USERPROFILE',
  'APPDATA',
  'LOCALAPPDATA',
  'ProgramData',
  'ProgramFiles',
  'ProgramFiles(x86)',
] as const;

/** The server's variables a program may see: the base ones and those its workflow allows. */
function inherited(allow: readonly string[]): Record<string, string> {
  const wanted = new Set([...BASE_ENVIRONMENT, ...allow].map((n) => (process.platform === 'win32' ? n.toUpperCase() : n)));
  const env: Record<string, string> = {};
  for (const [name, value] of Object.entries(process.env)) {
    if (value === undefined) continue;
    // Windows variable names are case-insensitive (Path, PATH).
    if (wanted.has(process.platform === 'win32' ? name.toUpperCase() : name)) env[name] = value;
  }
  return env;
}

export function commandEnvironment(ctx: ExecutionContext): Record<string, string> {
  return {
    HVKUBE_AGENT_ID: ctx.agentId,
    HVKUBE_VM_NAME: ctx.vm.name,
    HVKUBE_VM_IP: ctx.vm.ip ?? '',
    HVKUBE_RDP_PORT: ctx.vm.rdpPort === null ? '' : String(ctx.vm.rdpPort),
    HVKUBE_MCP_ENDPOINT: ctx.vm.mcpEndpoint ?? '',
    HVKUBE_CREDENTIALS_REF: ctx.credentialsRef ?? '',
  };
}

function parseOutput(stdout: string): { ok: true; value: unknown } | { ok: false; problem: string } {
  const text = stdout.trim();
  if (text === '') return { ok: true, value: null };
  try {
    return { ok: true, value: JSON.parse(text) as unknown };
  } catch (e) {
    const shown = text.length > 200 ? `${text.slice(0, 200)}…` : text;
    return { ok: false, problem: `its stdout is not JSON (${e instanceof Error ? e.message : String(e)}): ${shown}` };
  }
}

export const commandExecutor: Executor = {
  name: 'command',
  async run(ctx: ExecutionContext): Promise<unknown> {
    if (ctx.workflow.executor !== 'command') throw new TaskError(`workflow ${ctx.workflow.name} is not a command workflow`);
    const spec = ctx.workflow.command;
    const [program, ...args] = spec.argv;
    if (program === undefined) throw new TaskError('the command has no program');
    const cwd = spec.cwd === null ? ctx.workflowDir : path.resolve(ctx.workflowDir, spec.cwd);
    ctx.log(`running ${spec.argv.map((a) => JSON.stringify(a)).join(' ')} in ${cwd}`);
    const child = execa(program, args, {
      cwd,
      env: { ...inherited(spec.inheritEnv), ...spec.env, ...commandEnvironment(ctx) },
      extendEnv: false,
      shell: false,
      input: JSON.stringify(ctx.input),
      cancelSignal: ctx.signal,
      forceKillAfterDelay: KILL_GRACE_MS,
      maxBuffer: MAX_OUTPUT_BYTES,
      reject: false,
      stripFinalNewline: false,
    });
    // The program's stderr is its progress report: each line goes to the agent's log.
    let lastStderr = '';
    if (child.stderr) {
      createInterface({ input: child.stderr }).on('line', (line) => {
        if (line.trim() === '') return;
        lastStderr = line;
        ctx.log(`stderr: ${line}`);
      });
    }
    const result = await child;
    if (result.isCanceled) throwIfAborted(ctx.signal);
    const output = parseOutput(typeof result.stdout === 'string' ? result.stdout : '');
    if (result.failed) {
      const why =
        result.exitCode !== undefined
          ? `exited with code ${result.exitCode}`
          : result.signal
            ? `was killed by ${result.signal}`
            : `could not run: ${result.shortMessage}`;
      throw new TaskError(`command ${program} ${why}${lastStderr ? `: ${lastStderr}` : ''}`, output.ok ? output.value : null);
    }
    if (!output.ok) throw new TaskError(`command ${program} succeeded but ${output.problem}`);
    return output.value;
  },
};
