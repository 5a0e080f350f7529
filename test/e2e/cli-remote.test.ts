/**
 * The CLI end-to-end flow again, this time through `--server` against a real `hvkube serve`
 * process; plus the server's token and exposure rules as a user meets them.
 */
import type { ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { parseJson, runCli, spawnCli } from '../helpers/cli.js';
import { cliFlow } from './cli-flow.case.js';

interface Served {
  url: string;
  child: ChildProcess;
  stderr: () => string;
  /** SIGTERM, then the exit code. */
  stop(): Promise<number | null>;
}

let dir: string;
let served: Served | null = null;
const localArgs = (): string[] => ['--backend', 'fake', '--data-dir', dir];

/** Starts `hvkube serve` on a free port; the controller's timer is slowed so `pool provision` does the work the flow checks. */
async function serve(env: Record<string, string> = {}, listen = '127.0.0.1:0'): Promise<Served> {
  const child = spawnCli(['serve', '--listen', listen, '--interval', '3600'], { globalArgs: localArgs(), env });
  let err = '';
  child.stderr?.on('data', (d: Buffer) => (err += d.toString()));
  const exited = new Promise<number | null>((resolve) => child.on('close', resolve));
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`serve did not start:\n${err}`)), 30_000);
    const check = (): void => {
      const m = /API on (https?:\/\/\S+)/.exec(err);
      if (m?.[1]) {
        clearTimeout(timer);
        resolve(m[1]);
      }
    };
    child.stderr?.on('data', check);
    void exited.then((code) => reject(new Error(`serve exited with ${code}:\n${err}`)));
  });
  return {
    url,
    child,
    stderr: () => err,
    async stop() {
      child.kill('SIGTERM');
      return exited;
    },
  };
}

beforeEach(() => {
  dir = mkdtempSync(path.join(os.tmpdir(), 'hvk-remote-'));
});
afterEach(async () => {
  if (served && served.child.exitCode === null) await served.stop();
  served = null;
  rmSync(dir, { recursive: true, force: true });
});

describe('hvkube CLI through --server', () => {
  it('create template → create pool → provision → acquire → release → list, on a running server', async () => {
    served = await serve();
    await cliFlow({ dataDir: dir, options: { globalArgs: ['--server', served.url] } });
    // HVKUBE_SERVER works like --server.
    const viaEnv = await runCli(['pool', 'list', '--json'], { env: { HVKUBE_SERVER: served.url } });
    expect(parseJson<{ pool: { name: string } }[]>(viaEnv).map((p) => p.pool.name)).toEqual(['desk']);

    // A graceful stop leaves every VM resumable, and the local CLI sees the same state.
    expect(await served.stop()).toBe(0);
    const vms = parseJson<{ state: string; lease: unknown }[]>(await runCli(['vm', 'list', '--json'], { globalArgs: localArgs() }));
    expect(vms).toHaveLength(3);
    for (const v of vms) expect(['saved', 'paused']).toContain(v.state);
  });

  it('agents run through --server: submit --wait follows the server-side run to its end', async () => {
    served = await serve();
    const remote = { globalArgs: ['--server', served.url] };
    const image = path.join(dir, 'g.vhdx');
    writeFileSync(image, 'g');
    mkdirSync(path.join(dir, 'workflows'), { recursive: true });
    writeFileSync(
      path.join(dir, 'workflows', 'hello.yaml'),
      'name: hello\nexecutor: steps\ninputs:\n  who: { type: string, default: world }\nsteps:\n  - type_text: "hello {{input.who}}"\n  - press_keys: ["enter"]\n  - screenshot: true\n',
    );
    expect((await runCli(['template', 'create', '--name', 't', '--vhdx', image], remote)).code).toBe(0);
    expect((await runCli(['pool', 'create', '--name', 'p', '--template', 't', '--count', '1'], remote)).code).toBe(0);
    expect((await runCli(['pool', 'provision', 'p'], remote)).code).toBe(0);
    const r = await runCli(['agent', 'submit', '--pool', 'p', '--workflow', 'hello', '--input', '{"who":"remote"}', '--wait', '--json'], remote);
    expect(r.code, r.stderr).toBe(0);
    const agent = parseJson<{ id: string; status: string; result: { screenshots: string[] } }>(r);
    expect(agent.status).toBe('completed');
    expect(agent.result.screenshots).toHaveLength(1);
    const listed = parseJson<{ id: string }[]>(await runCli(['agent', 'list', '--json'], remote));
    expect(listed.map((a) => a.id)).toContain(agent.id);
    const bad = await runCli(['agent', 'submit', '--pool', 'p', '--workflow', 'hello', '--input', '{"who": 42}'], remote);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/who/);

    // A client machine without the workflow files: `workflow show` asks the server, as `list` does,
    // and a command run with --server leaves no local store behind.
    const elsewhere = mkdtempSync(path.join(os.tmpdir(), 'hvk-client-'));
    try {
      const shown = await runCli(['workflow', 'show', 'hello', '--json'], { globalArgs: ['--server', served.url, '--data-dir', elsewhere] });
      expect(shown.code, shown.stderr).toBe(0);
      expect(parseJson<{ name: string; executor: string }>(shown)).toMatchObject({ name: 'hello', executor: 'steps' });
      const doctor = await runCli(['doctor'], { globalArgs: ['--server', served.url, '--data-dir', elsewhere] });
      expect(doctor.code).toBe(2);
      expect(doctor.stderr).toMatch(/doctor checks the host it runs on/);
      expect(readdirSync(elsewhere)).toEqual([]);
    } finally {
      rmSync(elsewhere, { recursive: true, force: true });
    }
  });

  it('needs the token when one is configured, and never prints it', async () => {
    const token = 'tok-remote-' + 'z'.repeat(24);
    served = await serve({ HVKUBE_API_TOKEN: token });
    const anonymous = await runCli(['pool', 'list'], { globalArgs: ['--server', served.url], env: { HVKUBE_API_TOKEN: '' } });
    expect(anonymous.code).toBe(1);
    expect(anonymous.stderr).toMatch(/bearer token/);
    const wrong = await runCli(['pool', 'list', '--json'], { globalArgs: ['--server', served.url, '--token', 'not-the-token-at-all'], env: { HVKUBE_API_TOKEN: '' } });
    expect(parseJson<{ error: { code: string } }>(wrong).error.code).toBe('UNAUTHORIZED');
    const ok = await runCli(['pool', 'list', '--json'], { globalArgs: ['--server', served.url], env: { HVKUBE_API_TOKEN: token } });
    expect(ok.code, ok.stderr).toBe(0);
    expect(await served.stop()).toBe(0);
    expect(served.stderr()).not.toContain(token);
    expect(served.stderr()).toContain('"status":401');
  });

  it('refuses to listen beyond loopback without a token (exit 2), and says how to fix it', async () => {
    const r = await runCli(['serve', '--listen', '0.0.0.0:0'], { globalArgs: localArgs(), env: { HVKUBE_API_TOKEN: '' } });
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/refusing to listen on 0\.0\.0\.0 without an API token/);
    expect(r.stderr).toMatch(/HVKUBE_API_TOKEN/);
  });

  it('an unreachable server is a clear error, exit 1', async () => {
    const r = await runCli(['vm', 'list'], { globalArgs: ['--server', 'http://127.0.0.1:9'] });
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/cannot reach the hvkube server at http:\/\/127\.0\.0\.1:9/);
  });
});
