import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { kit, until, type Kit } from '../scheduler/scheduler-kit.case.js';
import { parseWorkflow } from '../workflows/index.js';
import { BASE_ENVIRONMENT } from './command-executor.js';

const commandEnvironmentNames = {
  HVKUBE_AGENT_ID: 1,
  HVKUBE_VM_NAME: 1,
  HVKUBE_VM_IP: 1,
  HVKUBE_RDP_PORT: 1,
  HVKUBE_MCP_ENDPOINT: 1,
  HVKUBE_CREDENTIALS_REF: 1,
};

const SCRIPT = path.join(path.dirname(fileURLToPath(import.meta.url)), 'fixtures', 'report.mjs');
const WORKFLOW = `name: cmd
executor: command
inputs:
  mode: { type: string, default: ok }
  note: { type: string, default: "$(touch /tmp/hvk-never); rm -rf ~" }
command:
  argv: [${JSON.stringify(process.execPath)}, ${JSON.stringify(SCRIPT)}]
  env: { EXTRA: "fixed" }
`;

let k: Kit;
afterEach(async () => {
  await k.close();
});

interface Report {
  input: Record<string, unknown>;
  env: Record<string, string>;
  cwd: string;
}

describe('command executor', () => {
  it('runs the declared program with the VM in its environment and the input on stdin; stdout JSON is the output', async () => {
    k = await kit({ workflows: { cmd: WORKFLOW } });
    const done = await k.scheduler.waitFor((await k.scheduler.submit({ pool: 'p', workflow: 'cmd' })).id);
    expect(done.status).toBe('completed');
    const out = done.result?.output as Report;
    const vm = await k.h.orch.getVm(done.vm ?? '');
    // Input is data on stdin: the shell-looking default arrives as a plain string.
    expect(out.input).toEqual({ mode: 'ok', note: '$(touch /tmp/hvk-never); rm -rf ~' });
    expect(out.env).toMatchObject({
      HVKUBE_AGENT_ID: done.id,
      HVKUBE_VM_NAME: vm.name,
      HVKUBE_VM_IP: vm.ip ?? '',
      HVKUBE_RDP_PORT: String(vm.rdpPort),
      HVKUBE_MCP_ENDPOINT: '',
      EXTRA: 'fixed',
    });
    expect(out.cwd).toBe(path.join(k.h.dir, 'workflows'));
    const log = (await k.scheduler.logs(done.id)).map((l) => l.message);
    expect(log).toContain('stderr: got 2 input field(s)');
  });

  it('passes only the base variables, its own and the ones the workflow allows: never the server\'s token', async () => {
    const saved = { ...process.env };
    Object.assign(process.env, { HVKUBE_API_TOKEN: 'secret-token-value', HVKUBE_DATABASE_URL: 'postgres://u:pw@db/x', DB_PASSWORD: 'pw', ALLOWED_ONE: 'yes' });
    try {
      k = await kit({ workflows: { cmd: WORKFLOW.replace('env: { EXTRA: "fixed" }', 'env: { EXTRA: "fixed" }\n  inheritEnv: [ALLOWED_ONE]') } });
      const done = await k.scheduler.waitFor((await k.scheduler.submit({ pool: 'p', workflow: 'cmd' })).id);
      expect(done.status).toBe('completed');
      const env = (done.result?.output as Report).env;
      expect(env).toMatchObject({ ALLOWED_ONE: 'yes', EXTRA: 'fixed', PATH: process.env.PATH });
      const names = Object.keys(env);
      expect(names).not.toContain('HVKUBE_API_TOKEN');
      expect(names).not.toContain('HVKUBE_DATABASE_URL');
      expect(names).not.toContain('DB_PASSWORD');
      const allowed = new Set<string>([...BASE_ENVIRONMENT, 'ALLOWED_ONE', 'EXTRA', ...Object.keys(commandEnvironmentNames)]);
      expect(names.filter((n) => !allowed.has(n) && process.env[n] !== undefined)).toEqual([]);
    } finally {
      process.env = saved;
    }
  });

  it('refuses a workflow that asks to inherit an HVKUBE_ variable', () => {
    const text = WORKFLOW.replace('env: { EXTRA: "fixed" }', 'inheritEnv: [HVKUBE_API_TOKEN]');
    expect(() => parseWorkflow(text, { label: 'cmd.yaml', format: 'yaml' })).toThrow(/HVKUBE_/);
  });

  it('fails on a non-zero exit, with the last stderr line, keeping its stdout as output', async () => {
    k = await kit({ workflows: { cmd: WORKFLOW } });
    const done = await k.scheduler.waitFor((await k.scheduler.submit({ pool: 'p', workflow: 'cmd', input: { mode: 'fail' } })).id);
    expect(done.status).toBe('failed');
    expect(done.result?.error).toMatch(/exited with code 3: something broke/);
    expect((done.result?.output as Report).input.mode).toBe('fail');
  });

  it('fails when stdout is not JSON', async () => {
    k = await kit({ workflows: { cmd: WORKFLOW } });
    const done = await k.scheduler.waitFor((await k.scheduler.submit({ pool: 'p', workflow: 'cmd', input: { mode: 'garbage' } })).id);
    expect(done.status).toBe('failed');
    expect(done.result?.error).toMatch(/stdout is not JSON.*not json/);
  });

  it('stops the program when the agent is cancelled', async () => {
    k = await kit({ workflows: { cmd: WORKFLOW } });
    const a = await k.scheduler.submit({ pool: 'p', workflow: 'cmd', input: { mode: 'sleep' } });
    await until(async () => (await k.scheduler.logs(a.id)).some((l) => l.message.startsWith('stderr:')));
    const t0 = Date.now();
    await k.scheduler.cancel(a.id);
    const done = await k.scheduler.waitFor(a.id);
    expect(done.status).toBe('cancelled');
    expect(Date.now() - t0).toBeLessThan(5000);
  });
});
