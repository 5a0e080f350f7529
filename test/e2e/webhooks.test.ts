/**
 * Lifecycle webhooks from a real `hvkube serve`: events written while no server runs, a server
 * killed with SIGKILL while its deliveries are failing, a restart — and the receiver (verifying
 * with the standardwebhooks library, de-duplicating on webhook-id) gets every event exactly once,
 * in order per VM.
 */
import type { ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { runCli, spawnCli } from '../helpers/cli.js';
import { startReceiver, until, type Receiver } from '../helpers/webhook-receiver.js';
import { generateSecret } from '../../src/webhooks/signing.js';

const SECRET = generateSecret();
let dir: string;
let receiver: Receiver;
const servers: ChildProcess[] = [];

afterEach(async () => {
  for (const s of servers.splice(0))
    if (s.exitCode === null && s.signalCode === null) s.kill('SIGKILL');
  await receiver?.close();
  rmSync(dir, { recursive: true, force: true });
});

const hv = (...args: string[]): ReturnType<typeof runCli> =>
  runCli(['--data-dir', path.join(dir, 'data'), '--backend', 'fake', ...args]);

/** Starts `hvkube serve` and answers once its API listens. */
async function serve(): Promise<{ child: ChildProcess; stderr: () => string }> {
  const child = spawnCli([
    '--data-dir',
    path.join(dir, 'data'),
    '--backend',
    'fake',
    'serve',
    '--listen',
    '127.0.0.1:0',
    '--log-level',
    'debug',
  ]);
  servers.push(child);
  let stderr = '';
  child.stderr?.on('data', (d: Buffer) => (stderr += d.toString()));
  child.stdout?.resume();
  await until('serve listening', () => stderr.includes('API on '), 2400);
  return { child, stderr: () => stderr };
}

describe('webhooks from hvkube serve', () => {
  it('kill -9 while deliveries fail, restart: every event arrives once per webhook-id, in order per VM; the secret never in the log', async () => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'hvk-wh-e2e-'));
    writeFileSync(path.join(dir, 'golden.vhdx'), 'golden');
    receiver = await startReceiver(SECRET);
    const data = path.join(dir, 'data');
    const { mkdirSync } = await import('node:fs');
    mkdirSync(data);
    writeFileSync(
      path.join(data, 'config.json'),
      JSON.stringify({
        webhooks: {
          subscriptions: [{ url: receiver.url, secret: SECRET }],
          retryBaseS: 0.05,
          retryMaxS: 0.2,
        },
      }),
    );

    // Events while no server runs: they wait in the outbox.
    expect(
      (
        await hv(
          'template',
          'create',
          '--name',
          't',
          '--vhdx',
          path.join(dir, 'golden.vhdx'),
          '--memory',
          '512',
          '--cpus',
          '1',
        )
      ).code,
    ).toBe(0);
    expect(
      (
        await hv(
          'pool',
          'create',
          '--name',
          'p',
          '--template',
          't',
          '--count',
          '1',
          '--release-policy',
          'save',
        )
      ).code,
    ).toBe(0);
    expect((await hv('pool', 'provision', 'p')).code).toBe(0);
    const acquired = JSON.parse((await hv('vm', 'acquire', '--pool', 'p', '--json')).stdout) as {
      vm_name: string;
    };
    expect((await hv('vm', 'release', acquired.vm_name)).code).toBe(0);

    // A server tries while the receiver answers 503, and is killed mid-way.
    receiver.failing = true;
    const first = await serve();
    await until('failed attempts', () => receiver.refused >= 3, 2400);
    first.child.kill('SIGKILL');
    await until('killed', () => first.child.signalCode !== null);

    // Restarted with the receiver fine: everything arrives.
    receiver.failing = false;
    const second = await serve();
    await until(
      'deliveries',
      () =>
        receiver.messages.filter((m) => m.data.vm === acquired.vm_name && m.type === 'vm.released')
          .length > 0 && receiver.messages.at(-1)?.type === 'vm.saved',
      2400,
    );
    // Let it settle, then stop it cleanly and read the log.
    second.child.kill('SIGTERM');
    await until(
      'stopped',
      () => second.child.exitCode !== null || second.child.signalCode !== null,
      2400,
    );

    const deliveries = JSON.parse(
      (await hv('webhook', 'deliveries', '--json', '--limit', '1000')).stdout,
    ) as { id: string; status: string }[];
    const pending = deliveries.filter((d) => d.status !== 'delivered');
    // Only the shutdown's own events may still wait for the next start.
    expect(receiver.messages.map((m) => m.id).sort()).toEqual(
      deliveries
        .filter((d) => d.status === 'delivered')
        .map((d) => d.id)
        .sort(),
    );
    expect(pending.every((p) => receiver.messages.every((m) => m.id !== p.id))).toBe(true);
    expect(receiver.rejected).toBe(0);
    const types = receiver.messages
      .filter((m) => m.data.vm === acquired.vm_name)
      .map((m) => m.type);
    expect(types.slice(0, 5)).toEqual([
      'vm.saved',
      'vm.acquired',
      'vm.resumed',
      'vm.released',
      'vm.saved',
    ]);
    const ids = receiver.messages
      .filter((m) => m.data.vm === acquired.vm_name)
      .map((m) => Number(m.data.eventId));
    expect(ids).toEqual([...ids].sort((a, b) => a - b));
    expect(first.stderr() + second.stderr()).not.toContain(SECRET.slice(6));
    expect(first.stderr()).toContain('webhook delivery failed; will retry');
  });
});
