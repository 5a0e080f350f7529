/**
 * The guest agent client against a scripted stand-in for qemu-ga on a unix socket: the sync
 * skips stale replies, silence is GUEST_UNAVAILABLE (never a hang), error replies are typed.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type Server, type Socket } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { HvkubeError } from '../../../domain/errors.js';
import { GaError, GuestAgentClient } from './ga-client.js';

type Handler = (command: { execute: string; arguments?: Record<string, unknown> }, socket: Socket) => void;

/** A stand-in agent: parses JSON lines after dropping 0xFF bytes, like qemu-ga's parser reset. */
function agent(socketPath: string, handler: Handler, onConnect?: (socket: Socket) => void): Promise<Server> {
  const server = createServer((socket) => {
    onConnect?.(socket);
    let buffer = '';
    socket.on('data', (chunk: Buffer) => {
      buffer += Buffer.from(chunk.filter((b) => b !== 0xff)).toString('utf8');
      let newline = buffer.indexOf('\n');
      while (newline >= 0) {
        const line = buffer.slice(0, newline);
        buffer = buffer.slice(newline + 1);
        if (line.trim()) handler(JSON.parse(line) as { execute: string; arguments?: Record<string, unknown> }, socket);
        newline = buffer.indexOf('\n');
      }
    });
  });
  return new Promise((resolve) => server.listen(socketPath, () => resolve(server)));
}

/** Answers a sync the way qemu-ga does: the 0xFF sentinel, then the reply. */
function answerSync(command: { arguments?: Record<string, unknown> }, socket: Socket): void {
  socket.write(Buffer.concat([Buffer.from([0xff]), Buffer.from(`${JSON.stringify({ return: command.arguments?.id })}\n`)]));
}

describe('GuestAgentClient', () => {
  let dir: string;
  let socketPath: string;
  let server: Server | null = null;

  beforeEach(() => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'hvk-ga-'));
    socketPath = path.join(dir, 'vm.qga');
  });

  afterEach(async () => {
    await new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve()));
    server = null;
    rmSync(dir, { recursive: true, force: true });
  });

  it('skips stale replies and stale syncs before its own sync, then runs commands in order', async () => {
    const seen: string[] = [];
    server = await agent(socketPath, (command, socket) => {
      seen.push(command.execute);
      if (command.execute === 'guest-sync-delimited') {
        // What a previous client left: half a reply, a whole one, and another client's sync.
        socket.write('{"return": {"pid": 4');
        socket.write('2}}\n{"return": {}}\n');
        socket.write(Buffer.concat([Buffer.from([0xff]), Buffer.from('{"return": 12345}\n')]));
        answerSync(command, socket);
      } else if (command.execute === 'guest-get-time') {
        socket.write('{"return": 1765000000000000000}\n');
      } else if (command.execute === 'guest-info') {
        // Large replies arrive in pieces.
        const reply = Buffer.from(`${JSON.stringify({ return: { version: '7.2.22', pad: 'x'.repeat(200_000) } })}\n`);
        socket.write(reply.subarray(0, 1000));
        setTimeout(() => socket.write(reply.subarray(1000)), 5);
      }
    });
    const ga = await GuestAgentClient.connect(socketPath, { syncTimeoutMs: 1_000 });
    expect(await ga.execute('guest-get-time')).toBe(1765000000000000000);
    expect(await ga.execute('guest-info')).toMatchObject({ version: '7.2.22' });
    expect(seen).toEqual(['guest-sync-delimited', 'guest-get-time', 'guest-info']);
    ga.close();
  });

  it('sends 0xFF before the sync so the agent drops a half-read command', async () => {
    let first: Buffer | null = null;
    server = await agent(socketPath, answerSync, (socket) => socket.once('data', (chunk: Buffer) => (first = chunk)));
    const ga = await GuestAgentClient.connect(socketPath);
    expect((first as Buffer | null)?.[0]).toBe(0xff);
    ga.close();
  });

  it('answers GUEST_UNAVAILABLE when nothing answers the sync (a guest without qemu-ga)', async () => {
    server = await agent(socketPath, () => undefined);
    const error = await GuestAgentClient.connect(socketPath, { syncTimeoutMs: 300 }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(HvkubeError);
    expect((error as HvkubeError).code).toBe('GUEST_UNAVAILABLE');
    expect((error as HvkubeError).hint).toContain('qemu-ga');
  });

  it('answers GUEST_UNAVAILABLE when there is no channel socket (the VM is not running)', async () => {
    const error = await GuestAgentClient.connect(path.join(dir, 'absent.qga')).catch((e: unknown) => e);
    expect((error as HvkubeError).code).toBe('GUEST_UNAVAILABLE');
  });

  it('types error replies, times a silent command out and closes (the stream is out of step)', async () => {
    server = await agent(socketPath, (command, socket) => {
      if (command.execute === 'guest-sync-delimited') answerSync(command, socket);
      if (command.execute === 'guest-file-open') socket.write('{"error": {"class": "GenericError", "desc": "failed to open file \'/x\' (mode: \'rb\'): No such file or directory"}}\n');
    });
    const ga = await GuestAgentClient.connect(socketPath);
    const error = await ga.execute('guest-file-open', { path: '/x', mode: 'rb' }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(GaError);
    expect((error as GaError).desc).toContain('No such file');
    const silent = await ga.execute('guest-exec-status', { pid: 1 }, { timeoutMs: 100 }).catch((e: unknown) => e);
    expect((silent as HvkubeError).code).toBe('GUEST_TIMEOUT');
    expect(ga.closed).toBe(true);
    expect(((await ga.execute('guest-ping').catch((e: unknown) => e)) as HvkubeError).code).toBe('GUEST_TIMEOUT');
  });

  it('fails a pending command when the channel closes (the VM stopped)', async () => {
    server = await agent(socketPath, (command, socket) => {
      if (command.execute === 'guest-sync-delimited') answerSync(command, socket);
      else socket.destroy();
    });
    const ga = await GuestAgentClient.connect(socketPath);
    const error = await ga.execute('guest-ping').catch((e: unknown) => e);
    expect((error as HvkubeError).code).toBe('GUEST_UNAVAILABLE');
  });

  it('refuses a second command while one is unanswered', async () => {
    server = await agent(socketPath, (command, socket) => {
      if (command.execute === 'guest-sync-delimited') answerSync(command, socket);
      if (command.execute === 'guest-ping') setTimeout(() => socket.write('{"return": {}}\n'), 50);
    });
    const ga = await GuestAgentClient.connect(socketPath);
    const first = ga.execute('guest-ping');
    expect(((await ga.execute('guest-ping').catch((e: unknown) => e)) as HvkubeError).code).toBe('INTERNAL');
    expect(await first).toEqual({});
    ga.close();
  });
});
