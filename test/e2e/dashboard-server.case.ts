/**
 * For the dashboard browser tests: a data directory prepared through the real CLI (template,
 * pool, provisioning), a real `hvkube serve` on it, and headless Debian Chromium.
 */
import type { ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
import { parseJson, ROOT, runCli, spawnCli } from '../helpers/cli.js';

export const SHOTS = path.join(ROOT, 'test-results', 'dashboard');
const CHROMIUM_FLAGS = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

export interface Served {
  dir: string;
  url: string;
  cli(args: string[]): ReturnType<typeof runCli>;
  stop(): Promise<void>;
}

/** Creates template `t` and pool `pool` of `count` VMs through the CLI, provisions it, and serves it. */
export async function serveFake(options: {
  pool: string;
  count: number;
  env?: Record<string, string>;
  workflows?: Record<string, object>;
}): Promise<Served> {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'hvk-dash-'));
  const globalArgs = ['--backend', 'fake', '--data-dir', dir];
  const cli = (args: string[]): ReturnType<typeof runCli> =>
    runCli(args, { globalArgs, env: options.env });
  const image = path.join(dir, 'golden.vhdx');
  writeFileSync(image, 'golden');
  for (const args of [
    ['template', 'create', '--name', 't', '--vhdx', image],
    ['pool', 'create', '--name', options.pool, '--template', 't', '--count', String(options.count)],
    ['pool', 'provision', options.pool],
  ]) {
    const r = await cli(args);
    if (r.code !== 0) throw new Error(`hvkube ${args.join(' ')} failed (${r.code}):\n${r.stderr}`);
  }
  if (options.workflows) {
    mkdirSync(path.join(dir, 'workflows'));
    for (const [name, body] of Object.entries(options.workflows))
      writeFileSync(path.join(dir, 'workflows', `${name}.json`), JSON.stringify({ name, ...body }));
  }
  const child = spawnCli(['serve', '--listen', '127.0.0.1:0', '--log-level', 'warn'], {
    globalArgs,
    env: options.env,
  });
  const url = await listeningUrl(child);
  return {
    dir,
    url,
    cli,
    async stop() {
      if (child.exitCode === null) {
        const exited = new Promise((resolve) => child.once('exit', resolve));
        child.kill('SIGTERM');
        await exited;
      }
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

function listeningUrl(child: ChildProcess): Promise<string> {
  return new Promise((resolve, reject) => {
    let err = '';
    const timer = setTimeout(
      () => reject(new Error(`hvkube serve did not start:\n${err}`)),
      30_000,
    );
    child.stderr?.on('data', (d: Buffer) => {
      err += d.toString();
      const m = /API on (https?:\/\/[^\s]+)/.exec(err);
      if (m?.[1]) {
        clearTimeout(timer);
        resolve(m[1]);
      }
    });
    child.once('exit', (code) => reject(new Error(`hvkube serve exited with ${code}:\n${err}`)));
  });
}

export async function acquireJson(s: Served, pool: string): Promise<string> {
  return parseJson<{ vm_name: string }>(await s.cli(['vm', 'acquire', '--pool', pool, '--json']))
    .vm_name;
}

const BROWSER = process.env.HVKUBE_CHROMIUM ?? '/usr/bin/chromium';

/**
 * Browser tests need Debian's Chromium. Without it they are skipped on a developer's machine, with
 * the reason in the title, but never in CI (`CI=true`), where `.ci/run` installs it.
 */
export const BROWSER_SKIP = !existsSync(BROWSER) && process.env.CI !== 'true';
export const BROWSER_SKIP_NOTE = BROWSER_SKIP ? ` (skipped: no browser at ${BROWSER}; apt-get install -y --no-install-recommends chromium)` : '';

export function launchBrowser(): Promise<Browser> {
  mkdirSync(SHOTS, { recursive: true });
  const executablePath = process.env.HVKUBE_CHROMIUM ?? '/usr/bin/chromium';
  if (!existsSync(executablePath)) {
    throw new Error(
      `no browser at ${executablePath}: install Debian's Chromium (apt-get install -y --no-install-recommends chromium) or set HVKUBE_CHROMIUM`,
    );
  }
  return chromium.launch({
    executablePath: process.env.HVKUBE_CHROMIUM ?? '/usr/bin/chromium',
    args: CHROMIUM_FLAGS,
  });
}

/**
 * Collects script errors of the page. The browser also logs every non-2xx fetch; those are left
 * out: a thumbnail asked for while its VM is being saved answers 409, and the page handles it.
 */
export function watchErrors(page: Page): string[] {
  const errors: string[] = [];
  page.on('pageerror', (e) => errors.push(`pageerror: ${e.message}`));
  page.on('console', (m) => {
    if (m.type() === 'error' && !m.text().startsWith('Failed to load resource'))
      errors.push(`console: ${m.text()}`);
  });
  return errors;
}

export async function shoot(page: Page, name: string): Promise<void> {
  await page.screenshot({ path: path.join(SHOTS, `${name}.png`), fullPage: true });
}

/**
 * axe-core's serious and critical findings on the page as it is now, one line each (rule, the
 * elements it flags). Minor and moderate findings are not asserted.
 */
export async function axeProblems(page: Page): Promise<string[]> {
  const { source } = (await import('axe-core')).default;
  // Evaluated through the DevTools protocol: the page's CSP (script-src 'self') stays as served.
  await page.evaluate(source);
  const violations = await page.evaluate(async () => {
    const axe = (window as unknown as { axe: { run(ctx: Document, o: object): Promise<{ violations: { id: string; impact: string | null; nodes: { target: unknown[] }[] }[] }> } }).axe;
    return (await axe.run(document, { resultTypes: ['violations'] })).violations;
  });
  return violations
    .filter((v) => v.impact === 'serious' || v.impact === 'critical')
    .map((v) => `${v.impact}: ${v.id} at ${v.nodes.map((n) => JSON.stringify(n.target)).join(', ')}`);
}
