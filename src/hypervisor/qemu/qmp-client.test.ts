import { spawn } from 'node:child_process';
import { createServer, type Server, type Socket } from 'node:net';
import path from 'node:path';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { isHvkubeError } from '../../domain/errors.js';
import { QmpClient, QmpError } from './qmp-client.js';
import { QEMU_AVAILABLE, QEMU_MISSING_REASON, tempDir, waitFor } from './qemu-test-helpers.js';

const GREETING = '{"QMP": {"version": {"qemu": {"micro": 0, "minor": 2, "major": 7}}, "capabilities": []}}\n';

interface Script {
  /** Answers one parsed command; return a line to send, or null to send nothing. */
  onCommand(command: { execute: string; id: number }, socket: Socket): string | null;
}

const dirs: { cleanup(): void }[] = [];
const servers: Server[] = [];

/** A fake QMP server on a unix socket that follows `script`. */
async function fakeQmp(script: Script, options: { greet?: boolean } = {}): Promise<string> {
  const dir = tempDir('hvk-qmp-');
  dirs.push(dir);
  const socketPath = path.join(dir.dir, 'q.qmp');
  const server = createServer((socket) => {
    if (options.greet !== false) socket.write(GREETING);
    let buffer = '';
    socket.on('data', (chunk) => {
      buffer += chunk.toString();
      for (let i = buffer.indexOf('\n'); i >= 0; i = buffer.indexOf('\n')) {
        const command = JSON.parse(buffer.slice(0, i)) as { execute: string; id: number };
        buffer = buffer.slice(i + 1);
        if (command.execute === 'qmp_capabilities') socket.write(`{"return": {}, "id": ${command.id}}\n`);
        else {
          const reply = script.onCommand(command, socket);
          if (reply !== null) socket.write(reply);
        }
      }
    });
  });
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(socketPath, resolve));
  return socketPath;
}

function event(name: string, data: object): string {
  return `${JSON.stringify({ event: name, data, timestamp: { seconds: 1700000000, microseconds: 5000 } })}\n`;
}

async function codeOf(promise: Promise<unknown>): Promise<string> {
  try {
    await promise;
    return 'resolved';
  } catch (e) {
    return isHvkubeError(e) ? e.code : e instanceof QmpError ? `QmpError:${e.errorClass}` : String(e);
  }
}

afterEach(() => {
  for (const server of servers.splice(0)) server.close();
});
afterAll(() => {
  for (const dir of dirs) dir.cleanup();
});

describe('QmpClient against a scripted server', () => {
  it('matches replies to commands by id, even out of order', async () => {
    const held: { id: number; socket: Socket }[] = [];
    const socketPath = await fakeQmp({
      onCommand: (c, socket) => {
        held.push({ id: c.id, socket });
        if (held.length < 2) return null;
        // Answer the second command first, then the first.
        for (const h of held.reverse()) h.socket.write(`{"return": {"id-was": ${h.id}}, "id": ${h.id}}\n`);
        return null;
      },
    });
    const calls: string[] = [];
    const qmp = await QmpClient.connect(socketPath, { onCall: (command) => calls.push(command) });
    const [a, b] = await Promise.all([qmp.execute('first'), qmp.execute('second')]);
    expect(a).toEqual({ 'id-was': 2 });
    expect(b).toEqual({ 'id-was': 3 });
    expect(calls).toEqual(['qmp_capabilities', 'second', 'first']);
    qmp.close();
  });

  it('buffers events so a wait started later still sees them', async () => {
    const socketPath = await fakeQmp({
      onCommand: (c) => event('STOP', {}) + event('VSERPORT_CHANGE', { id: 'rdyport', open: true }) + `{"return": {}, "id": ${c.id}}\n`,
    });
    const qmp = await QmpClient.connect(socketPath);
    const seen: string[] = [];
    qmp.onEvent((e) => seen.push(e.event));
    await qmp.execute('stop');
    const ready = await qmp.waitForEvent('VSERPORT_CHANGE', (d) => d.id === 'rdyport' && d.open === true, 1000);
    expect(ready.at).toBe(1700000000005);
    expect(seen).toEqual(['STOP', 'VSERPORT_CHANGE']);
    // The buffered event was consumed: a second wait times out.
    expect(await codeOf(qmp.waitForEvent('VSERPORT_CHANGE', () => true, 50))).toBe('HV_TIMEOUT');
    qmp.close();
  });

  it('delivers an event that arrives while waiting', async () => {
    let socket: Socket | undefined;
    const socketPath = await fakeQmp({
      onCommand: (c, s) => {
        socket = s;
        return `{"return": {}, "id": ${c.id}}\n`;
      },
    });
    const qmp = await QmpClient.connect(socketPath);
    await qmp.execute('cont');
    const waiting = qmp.waitForEvent('MIGRATION', (d) => d.status === 'completed', 2000);
    socket?.write(event('MIGRATION', { status: 'active' }) + event('MIGRATION', { status: 'completed' }));
    expect((await waiting).data).toEqual({ status: 'completed' });
    qmp.close();
  });

  it('rejects with QmpError on an error reply', async () => {
    const socketPath = await fakeQmp({
      onCommand: (c) => `{"error": {"class": "CommandNotFound", "desc": "The command nope has not been found"}, "id": ${c.id}}\n`,
    });
    const qmp = await QmpClient.connect(socketPath);
    const error = await qmp.execute('nope').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(QmpError);
    expect(error).toMatchObject({ command: 'nope', errorClass: 'CommandNotFound' });
    qmp.close();
  });

  it('fails pending commands when a garbage line arrives', async () => {
    const socketPath = await fakeQmp({ onCommand: () => 'this is not json\n' });
    const qmp = await QmpClient.connect(socketPath);
    expect(await codeOf(qmp.execute('query-status'))).toBe('HV_FAILED');
    expect(qmp.closed).toBe(true);
    expect(await codeOf(qmp.execute('query-status'))).toBe('HV_FAILED');
  });

  it('fails pending commands and waits when the socket closes mid-command', async () => {
    const socketPath = await fakeQmp({
      onCommand: (_c, socket) => {
        setTimeout(() => socket.destroy(), 20);
        return null;
      },
    });
    const qmp = await QmpClient.connect(socketPath);
    const waiting = codeOf(qmp.waitForEvent('SHUTDOWN', () => true, 5000));
    expect(await codeOf(qmp.execute('quit'))).toBe('HV_UNAVAILABLE');
    expect(await waiting).toBe('HV_UNAVAILABLE');
    await qmp.whenClosed();
  });

  it('times out a command that gets no reply, and keeps working afterwards', async () => {
    let count = 0;
    const socketPath = await fakeQmp({ onCommand: (c) => (count++ === 0 ? null : `{"return": 7, "id": ${c.id}}\n`) });
    const qmp = await QmpClient.connect(socketPath);
    expect(await codeOf(qmp.execute('slow', undefined, { timeoutMs: 50 }))).toBe('HV_TIMEOUT');
    expect(await qmp.execute('fast')).toBe(7);
    qmp.close();
  });

  it('times out when the server never greets', async () => {
    const socketPath = await fakeQmp({ onCommand: () => null }, { greet: false });
    expect(await codeOf(QmpClient.connect(socketPath, { connectTimeoutMs: 100 }))).toBe('HV_TIMEOUT');
  });

  it('retries until the socket exists, and gives up when it never does', async () => {
    const dir = tempDir('hvk-qmp-');
    dirs.push(dir);
    const late = path.join(dir.dir, 'late.qmp');
    const connecting = QmpClient.connect(late, { connectTimeoutMs: 5000 });
    setTimeout(() => {
      const server = createServer((s) => {
        s.write(GREETING);
        s.on('data', (d) => s.write(`{"return": {}, "id": ${(JSON.parse(d.toString()) as { id: number }).id}}\n`));
      });
      servers.push(server);
      server.listen(late);
    }, 150);
    (await connecting).close();
    expect(await codeOf(QmpClient.connect(path.join(dir.dir, 'never.qmp'), { connectTimeoutMs: 100 }))).toBe('HV_UNAVAILABLE');
    expect(await codeOf(QmpClient.connect(path.join(dir.dir, 'never.qmp'), { keepTrying: () => false }))).toBe('HV_UNAVAILABLE');
  });
});

describe.skipIf(!QEMU_AVAILABLE)('QmpClient against a real QEMU', () => {
  it('talks to QEMU: version, status, STOP/RESUME events, quit', async () => {
    const dir = tempDir('hvk-qmp-');
    dirs.push(dir);
    const socketPath = path.join(dir.dir, 'real.qmp');
    const child = spawn('qemu-system-x86_64', ['-machine', 'none', '-nodefaults', '-display', 'none', '-qmp', `unix:${socketPath},server=on,wait=off`], { stdio: 'ignore' });
    try {
      const qmp = await QmpClient.connect(socketPath, { keepTrying: () => child.exitCode === null });
      const version = (await qmp.execute('query-version')) as { qemu: { major: number } };
      expect(version.qemu.major).toBeGreaterThanOrEqual(7);
      expect(await qmp.execute('query-status')).toMatchObject({ status: 'running' });
      await qmp.execute('stop');
      await qmp.waitForEvent('STOP', () => true, 5000);
      await qmp.execute('cont');
      await qmp.waitForEvent('RESUME', () => true, 5000);
      const error = await qmp.execute('no-such-command').catch((e: unknown) => e);
      expect(error).toMatchObject({ errorClass: 'CommandNotFound' });
      await qmp.execute('quit');
      await qmp.whenClosed();
      await waitFor('QEMU exits', 5000, () => child.exitCode !== null);
    } finally {
      child.kill('SIGKILL');
    }
  });
});

if (!QEMU_AVAILABLE) {
  describe('QmpClient against a real QEMU', () => {
    it.skip(`skipped: ${QEMU_MISSING_REASON}`, () => undefined);
  });
}
