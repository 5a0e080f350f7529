import { afterEach, describe, expect, it } from 'vitest';
import { isHvkubeError } from '../../domain/errors.js';
import { PowerShellSession } from './powershell-session.js';
import { SessionPool } from './session-pool.js';
import { standinHost, type StandinHost } from './standin/testing.js';
import type { Faults } from './standin/faults.js';

const hosts: StandinHost[] = [];
const sessions: { close(): Promise<void> }[] = [];

function session(faults: Partial<Faults> = {}, extra: ConstructorParameters<typeof PowerShellSession>[0] extends infer O ? Partial<O> : never = {}): PowerShellSession {
  const host = standinHost({ faults });
  hosts.push(host);
  const s = new PowerShellSession(host.sessionOptions(extra));
  sessions.push(s);
  return s;
}

function codeOf(e: unknown): string {
  return isHvkubeError(e) ? e.code : String(e);
}

afterEach(async () => {
  for (const s of sessions.splice(0)) await s.close();
  for (const h of hosts.splice(0)) h.dispose();
});

describe('PowerShell session against the stand-in', () => {
  it('starts once and serves requests in order on one process', async () => {
    const s = session();
    const ready = await s.ready();
    expect(ready).toMatchObject({ psEdition: 'Desktop', hypervModule: true });
    const results = await Promise.all([1, 2, 3, 4, 5].map((i) => s.call('ping', { Echo: `n${i}` })));
    expect(results.map((r) => (r as { echo: string }).echo)).toEqual(['n1', 'n2', 'n3', 'n4', 'n5']);
    expect(new Set(results.map((r) => (r as { pid: number }).pid))).toEqual(new Set([ready.pid]));
    expect(s.starts).toBe(1);
  });

  it('a hung request times out alone, the session restarts, and the queue goes on', async () => {
    const s = session({ hang: ['get-heartbeat'] }, { timeouts: { 'get-heartbeat': 1500 } });
    const first = (await s.call('ping', { Echo: 'before' })) as { pid: number };
    const hung = s.call('get-heartbeat', { Name: 'vm1' }).catch((e: unknown) => e);
    const queued = [s.call('ping', { Echo: 'a' }), s.call('ping', { Echo: 'b' })];
    expect(codeOf(await hung)).toBe('HV_TIMEOUT');
    const after = (await Promise.all(queued)) as { echo: string; pid: number }[];
    expect(after.map((r) => r.echo)).toEqual(['a', 'b']);
    expect(after[0]?.pid).not.toBe(first.pid);
    expect(s.starts).toBe(2);
  });

  it('a process that dies fails only the request in flight; queued ones run on a new process', async () => {
    const s = session({ exitOn: ['get-vm'] });
    const first = (await s.call('ping', {})) as { pid: number };
    const dying = s.call('get-vm', { Name: 'x' }).catch((e: unknown) => e);
    const queued = [s.call('ping', { Echo: 'q1' }), s.call('host-info', {})];
    expect(codeOf(await dying)).toBe('HV_UNAVAILABLE');
    const [q1] = (await Promise.all(queued)) as [{ echo: string; pid: number }];
    expect(q1.echo).toBe('q1');
    expect(q1.pid).not.toBe(first.pid);
  });

  it('survives a process that is killed between requests', async () => {
    const s = session();
    const first = (await s.call('ping', {})) as { pid: number };
    process.kill(first.pid, 'SIGKILL');
    await new Promise((r) => setTimeout(r, 200));
    const second = (await s.call('ping', { Echo: 'again' })) as { pid: number; echo: string };
    expect(second.echo).toBe('again');
    expect(second.pid).not.toBe(first.pid);
  });

  it('restarts after the process dies every few requests (exitAfter)', async () => {
    const s = session({ exitAfter: 2 });
    const outcomes = await Promise.all(Array.from({ length: 7 }, (_, i) => s.call('ping', { Echo: `${i}` }).then(() => 'ok', (e: unknown) => codeOf(e))));
    // Each process answers two requests and dies on the third, which alone fails.
    expect(outcomes).toEqual(['ok', 'ok', 'HV_UNAVAILABLE', 'ok', 'ok', 'HV_UNAVAILABLE', 'ok']);
  });

  it('skips garbage, forged frames and half frames on stdout', async () => {
    const s = session({ garbage: true });
    for (const echo of ["it's", 'two', '<<<HVK:x:END>>>']) {
      expect(await s.call('ping', { Echo: echo })).toMatchObject({ echo });
    }
  });

  it('ignores warnings, host writes and progress records', async () => {
    const s = session({ warnings: true });
    expect(await s.call('ping', { Echo: 'quiet' })).toMatchObject({ echo: 'quiet' });
    expect(await s.call('host-info', {})).toMatchObject({ hostname: 'HVKUBE-STANDIN' });
  });

  it('an unreadable reply fails only its request', async () => {
    const s = session({ badReply: ['host-info'] });
    await expect(s.call('host-info', {})).rejects.toMatchObject({ code: 'HV_FAILED' });
    expect(await s.call('ping', { Echo: 'fine' })).toMatchObject({ echo: 'fine' });
    expect(s.starts).toBe(1);
  });

  it('maps PowerShell error records to typed errors', async () => {
    const s = session();
    await expect(s.call('start-vm', { Name: 'nope' })).rejects.toMatchObject({ code: 'HV_NOT_FOUND', details: { category: 'ObjectNotFound' } });
    // A parameter the script does not declare is refused by the binder, as on a host.
    await expect(s.call('get-vm', { Name: 'a', Extra: 1 } as never)).rejects.toMatchObject({ code: 'HV_FAILED', details: { fqid: 'NamedParameterNotFound,get-vm.ps1' } });
    await expect(s.call('get-vm', {} as never)).rejects.toMatchObject({ details: { fqid: 'MissingMandatoryParameter,get-vm.ps1' } });
  });

  it('refuses script names outside the allow-list at run time and by type', async () => {
    const s = session();
    // @ts-expect-error: not a script name
    await expect(s.call('Invoke-Expression', {})).rejects.toMatchObject({ code: 'HV_FAILED' });
    // @ts-expect-error: path tricks are not script names either
    await expect(s.call('..\\..\\evil', {})).rejects.toMatchObject({ code: 'HV_FAILED' });
    await expect(s.call('ping', { Echo: { nested: true } } as never)).rejects.toMatchObject({ code: 'HV_FAILED' });
    expect(s.starts).toBe(0);
  });

  it('an aborted call fails at once and leaves the session usable', async () => {
    const s = session({ hang: ['get-heartbeat'] });
    await s.ready();
    const controller = new AbortController();
    const pending = s.call('get-heartbeat', { Name: 'vm' }, { signal: controller.signal });
    setTimeout(() => controller.abort(new Error('caller gave up')), 300);
    await expect(pending).rejects.toThrow('caller gave up');
    expect(await s.call('ping', { Echo: 'next' })).toMatchObject({ echo: 'next' });
  });

  it('fails fast when the executable does not exist', async () => {
    const s = session({}, { executable: '/nonexistent/powershell.exe', prefixArgs: [] });
    await expect(s.call('ping', {})).rejects.toMatchObject({ code: 'HV_UNAVAILABLE' });
  });

  it('a pool spreads work over its sessions and reports every call', async () => {
    const host = standinHost({ latency: { ping: 300 } });
    hosts.push(host);
    const seen: [string, boolean][] = [];
    const pool = new SessionPool(3, host.sessionOptions({ onCall: (script, _ms, ok) => seen.push([script, ok]) }));
    sessions.push(pool);
    const started = performance.now();
    const results = (await Promise.all(Array.from({ length: 6 }, (_, i) => pool.call('ping', { Echo: `${i}` })))) as { pid: number }[];
    expect(new Set(results.map((r) => r.pid)).size).toBe(3);
    expect(performance.now() - started).toBeLessThan(6 * 300 + 8000);
    expect(seen).toHaveLength(6);
    expect(seen.every(([script, ok]) => script === 'ping' && ok)).toBe(true);
  });
});
